"""Small text helpers shared by readers, validation and display."""

from __future__ import annotations

import functools
import unicodedata


def fold(text: object) -> str:
    """Lower case, accents removed, single spaces: ``" Qualité  du lien"`` → ``"qualite du lien"``.

    Used to match what people type (column names, labels, commune names) and
    to sort French names the way a reader expects.
    """
    decomposed = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().replace("_", " ").split())


@functools.lru_cache(maxsize=1 << 16)
def fold_cached(text: str) -> str:
    """:func:`fold` for strings, remembered: import files repeat the same few values on thousands of rows."""
    return fold(text)


_MARKDOWN_SPECIALS = "\\`*_{}[]<>()#+-.!|~$"


def markdown_escape(text: object) -> str:
    """Data text shown through Streamlit's markdown: every markup character escaped."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))
