"""Small text helpers shared by readers, validation and display."""

from __future__ import annotations

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


_MARKDOWN_SYNTAX = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character
_AUTOLINK_START = re.compile(r"(?i)(?<=www)(?=\.)|(?<=[:@])")
_WORD_JOINER = "\u2060"  # invisible, unbreakable: splits "www.", "http://" and "a@b" for the autolinker


def markdown_escape(text: object) -> str:
    """Data text shown through Streamlit's Markdown (markdown, caption, title, metric and widget labels…)
    as the same characters, never as markup.

    Backslash escapes are not enough there (checked in Chromium with Streamlit 1.67): ``:material/x:``
    icons, ``:red[…]`` colours and ``:smile:`` emoji are expanded, and a URL, ``www.…`` or an e-mail
    address becomes a link even with every dot escaped. So every ASCII punctuation character becomes a
    numeric character reference (``&#91;``: shown as ``[`` but never read as syntax), an invisible word
    joiner follows ``:`` and ``@`` and precedes the dot of ``www.`` (no link is recognised), and line breaks
    become spaces (no new block).
    """
    flat = " ".join(str(text).splitlines()) if "\n" in str(text) or "\r" in str(text) else str(text)
    joined = _AUTOLINK_START.sub(_WORD_JOINER, flat)
    return _MARKDOWN_SYNTAX.sub(lambda match: f"&#{ord(match.group())};", joined)
