"""Multiple-choice answers: per-option column groups, separators, known labels kept whole."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lib.importers.mapping import CLOSED_FIELDS, Mapping
from lib.importers.reading import SourceTable
from lib.importers.ticks import looks_like_ticks
from lib.importers.tools import FRAMAFORMS, KOBO, heading_text
from lib.questionnaire import Questionnaire
from lib.text import fold_cached as fold


def split_option_header(column: str, known: Iterable[str] = ()) -> tuple[str, str] | None:
    """``(question, option)`` for a per-option column name, or None.

    ``question[option]`` / ``Question [Option]`` (LimeSurvey, Google Forms
    grids), ``question/option`` (Kobo, merged webform header rows) and
    ``question.option`` (dotted names without spaces). A known option label
    (folded) that itself contains ``/`` or ``.`` is matched first, the longest
    one winning: ``Formes/Sorties / visites`` is the option ``Sorties / visites``.
    """
    match = re.match(r"^(.+?)\s*\[([^\[\]]+)\]$", column)
    if match:
        return match.group(1), match.group(2).strip()
    known = set(known)
    for position, char in enumerate(column):  # leftmost separator first: the longest known tail
        if char in "/." and position and fold(column[position + 1:]) in known:
            return column[:position].rstrip(), column[position + 1:].strip()
    if "/" in column:
        question, option = column.rsplit("/", 1)
        return question.rstrip(), option.strip()
    match = re.match(r"^([\w-]+)\.([\w-]+)$", column)
    if match:
        return match.group(1), match.group(2)
    return None


def option_groups(table: SourceTable, known: Iterable[str] = ()) -> dict[str, list[tuple[str, str]]]:
    """Per-option columns, by question: ``{"Formes du lien": [(column, option), …]}``.

    Bracketed columns are always options. A ``/`` or ``.`` column counts as an
    option when the question also has its own column (Kobo "both") or when
    several share the question and hold only tick values (any vocabulary of
    :mod:`lib.importers.ticks`). ``known``: folded option labels, see
    :func:`split_option_header`.
    """
    known = {fold(k) for k in known}
    bracket: dict[str, list[tuple[str, str]]] = {}
    other: dict[str, list[tuple[str, str]]] = {}
    for column in table.headers:
        split = split_option_header(heading_text(column), known)
        if split is None:
            continue
        target = bracket if heading_text(column).rstrip().endswith("]") else other
        target.setdefault(split[0], []).append((column, split[1]))
    headers = set(table.headers)
    groups = dict(bracket)
    for question, members in other.items():
        ticks = all(looks_like_ticks(table.values(column)) for column, _ in members)
        if ticks and (question in headers or len(members) >= 2):
            groups[question] = members
    return groups


def guess_separator(table: SourceTable, column: str, tool: str) -> str:
    """Kobo joins with spaces, webform with ",", Google Forms' download with ";" and its sheet with ", "."""
    values = [v for v in table.values(column) if v]
    if tool == KOBO:
        return " "
    if tool == FRAMAFORMS:
        return ","
    for separator in (";", "|", ", ", ","):
        if any(separator in v for v in values):
            return separator
    return ";"


def known_texts(mapping: Mapping, field_name: str, q: Questionnaire) -> set[str]:
    known = {fold(t) for t in mapping.values.get(field_name, {})}
    if field_name in CLOSED_FIELDS:
        choices = q[CLOSED_FIELDS[field_name]]
        known |= {fold(c) for c in choices.codes} | {fold(label) for label in choices.labels.values()}
    return known


def split_answers(cell: str, separator: str, known: set[str]) -> list[str]:
    """Split a multiple-answer cell, keeping known answers whole even when they contain the separator.

    ``"Périscolaire, Actions parentalité, café des parents"`` split on
    ``", "`` gives two answers when the second label is known (folded).
    """
    if not cell.strip():
        return []
    if not separator:
        return [cell.strip()]
    pieces = cell.split(separator)
    answers, start = [], 0
    while start < len(pieces):
        end = next((stop for stop in range(len(pieces), start + 1, -1)
                    if fold(separator.join(pieces[start:stop])) in known), start + 1)
        text = separator.join(pieces[start:end]).strip()
        if text:
            answers.append(text)
        start = end
    return answers


def folded(values: dict[str, str | None]) -> dict[str, str | None]:
    return {fold(text): code for text, code in values.items()}
