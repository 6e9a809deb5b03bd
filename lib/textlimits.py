"""How long a text of a data set may be: at the entry form, in the store, and when a file is read.

Three figures, each with its reason:

- :data:`ENTRY_MAX_CHARS`, per field of the entry form: what a person types
  in an interview (5,000 characters of free text is two pages). The form
  stops typing there and :func:`lib.entry.check_answer` checks it again.
- :data:`STORE_MAX_CHARS`, for any cell of any file: the store refuses to
  write a longer new value. It stays under the 131,072 characters Python's
  csv module reads by default, so the files stay readable by other tools too.
- A file that already holds a longer cell is still read (the parser's limit
  is raised in :mod:`lib.csvio`); the loader warns, naming file, line and
  column (:func:`overlong_cells`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lib.formatting import format_int

FREE_TEXT_MAX_CHARS = 5_000
ENTRY_MAX_CHARS: dict[str, int] = {
    "vague": 40,
    "ressources": FREE_TEXT_MAX_CHARS,
    "outils": FREE_TEXT_MAX_CHARS,
    "pistes": FREE_TEXT_MAX_CHARS,
    "commentaire": FREE_TEXT_MAX_CHARS,
}
STORE_MAX_CHARS = 100_000
# How much of an over-long value a message quotes.
PREVIEW_CHARS = 60


def preview(value: str) -> str:
    """The start of a long text, to name it in a message without repeating it whole."""
    return value if len(value) <= PREVIEW_CHARS else value[:PREVIEW_CHARS] + "…"


def too_long_message(length: int, maximum: int) -> str:
    """« texte de 1 048 576 caractères, au plus 5 000 » (French figures)."""
    return f"texte de {format_int(length)} caractères, au plus {format_int(maximum)} permis"


def overlong_cells(columns: Sequence[str], rows: Iterable[Sequence[str]], lines: Iterable[int],
                   maximum: int = STORE_MAX_CHARS) -> list[tuple[int, str, str]]:
    """``(line, column, value)`` of every cell longer than ``maximum``, in file order."""
    rows = rows if isinstance(rows, list) else list(rows)
    # Joined, a row is measured in C: 150,000 answers in 0.05 s instead of 0.3 s cell by cell.
    if max(map(len, map("".join, rows)), default=0) <= maximum:
        return []
    found = []
    for row, line in zip(rows, lines):
        if sum(map(len, row)) > maximum:
            found += [(line, column, value) for column, value in zip(columns, row) if len(value) > maximum]
    return found
