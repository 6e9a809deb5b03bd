"""Multiple-choice answers: per-option column groups, separators, known labels kept whole."""

from __future__ import annotations

import re

from lib.importers.mapping import CLOSED_FIELDS, Mapping
from lib.importers.reading import SourceTable
from lib.importers.ticks import BINARY
from lib.importers.tools import FRAMAFORMS, KOBO
from lib.questionnaire import Questionnaire
from lib.text import fold


def option_groups(table: SourceTable) -> dict[str, list[tuple[str, str]]]:
    """Per-option columns, by question: ``{"Formes du lien": [(column, option), …]}``.

    LimeSurvey writes ``question[option]`` (codes) or ``Question [Option]``
    (full text); Kobo and webform (merged headers) write ``question/option``.
    A ``/`` column counts as an option when the question also has its own
    column (Kobo "both") or when several share the question and hold only
    tick values (0/1, X, Y, Oui/Non).
    """
    bracket: dict[str, list[tuple[str, str]]] = {}
    slash: dict[str, list[tuple[str, str]]] = {}
    for column in table.headers:
        match = re.match(r"^(.+?)\s*\[([^\[\]]+)\]$", column)
        if match:
            bracket.setdefault(match.group(1), []).append((column, match.group(2).strip()))
        elif "/" in column:
            question, option = column.rsplit("/", 1)
            slash.setdefault(question, []).append((column, option.strip()))
    headers = set(table.headers)
    groups = dict(bracket)
    for question, members in slash.items():
        ticks = all(fold(v) in BINARY for column, _ in members for v in table.values(column))
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
