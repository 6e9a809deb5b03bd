"""Small text helpers shared by readers, validation and display."""

from __future__ import annotations

import functools
import re
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


_MARKDOWN_SYNTAX = re.compile(r"[\\`*_{}\[\]<>#|~$]|&(?=[#A-Za-z])")  # markup anywhere in a line
_BLOCK_START = re.compile(r"^(\s*)(\d+(?=[.)])|[-+=])")  # a list, ordered list or rule at the start
_AUTOLINK_START = re.compile(r"(?i)(?<=www)(?=\.)|(?<=[:@])(?=\S)")
_WORD_JOINER = "\u2060"  # invisible, unbreakable: splits "www.", "http://", "a@b" and ":name:"


def markdown_escape(text: object) -> str:
    """Data text shown through Streamlit's Markdown (markdown, caption, title, metric and widget labels…)
    as the same characters, never as markup.

    Backslash escapes are not enough there (checked in Chromium with Streamlit 1.67): ``:material/x:``
    icons, ``:red[…]`` colours and ``:smile:`` emoji are expanded, and a URL, ``www.…`` or an e-mail
    address becomes a link even with every dot escaped. So the markup characters become numeric character
    references (``&#91;``: shown as ``[`` but never read as syntax), an invisible word joiner follows a
    ``:`` or ``@`` that touches the next word and precedes the dot of ``www.`` (no link, icon or colour is
    recognised), a list marker at the start is escaped the same way, and line breaks become spaces (no new
    block). Prose punctuation (``' ( ) , . - : ?``) is left as it is.
    """
    flat = " ".join(str(text).splitlines())
    joined = _AUTOLINK_START.sub(_WORD_JOINER, flat)
    escaped = _MARKDOWN_SYNTAX.sub(lambda match: f"&#{ord(match.group())};", joined)
    return _BLOCK_START.sub(lambda m: m.group(1) + "".join(f"&#{ord(c)};" for c in m.group(2)), escaped)
