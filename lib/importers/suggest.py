"""A first guess at the mapping, from the headers, the values and the questionnaire, for the user to correct."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lib.importers.dates import DMY, parse_date
from lib.importers.mapping import CLOSED_FIELDS, DEFAULT_MODE, MULTI_FIELDS, Mapping, MultiChoice
from lib.importers.options import (
    folded, guess_separator, known_texts, option_groups, split_answers, split_option_header,
)
from lib.importers.reading import SourceTable
from lib.importers.ticks import NO_ANSWER_WORDS
from lib.importers.tools import (
    DRAFT_COLUMNS, FRAMAFORMS, KOBO, LIMESURVEY, PERSONAL_HINTS, TOOL_DATE_COLUMNS, TOOL_ID_COLUMNS, default_prefix,
    detect_tool, first_header, heading_text, tool_columns,
)
from lib.questionnaire import Questionnaire, load_questionnaire
from lib.text import fold_cached as fold


# Header keywords (folded) for each field, in the order fields are guessed: a column goes to the first field
# that claims it, so the more specific fields come first.
KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("partenaire_commune", ("commune du partenaire", "commune de la structure partenaire", "commune partenaire")),
    ("structure_commune", ("commune",)),
    ("partenaire", ("partenaire", "avec quelle structure", "structure avec laquelle")),
    ("structure", ("votre structure", "structure", "etablissement", "uai", "ecole ou centre")),
    ("fonction", ("fonction", "poste occupe", "role")),
    ("vague", ("vague", "campagne")),
    ("formes", ("forme",)),
    ("frequence", ("frequence",)),
    ("objets", ("objet",)),
    ("qualite", ("qualite",)),
    ("leviers", ("levier", "ca marche")),
    ("freins", ("frein",)),
    ("ressources", ("ressource",)),
    ("outils", ("outil",)),
    ("pistes", ("piste",)),
    ("commentaire", ("commentaire", "remarque", "observation")),
    ("date", ("date",)),
]
KEYWORDS_BY_FIELD = dict(KEYWORDS)


def has_word(text: str, words: Iterable[str], whole: bool = False) -> bool:
    """Whether folded ``text`` has one of ``words`` starting a word ("mail" in "e-mail", not "role" in "parole");
    with ``whole``, as a whole word, plural or feminine allowed ("forme" in "formes du lien", not "fonction" in
    "fonctionnement" nor in "dysfonctionnement")."""
    end = r"(?:e?s|x|e)?(?![a-z0-9])" if whole else ""
    return any(re.search(r"(?<![a-z0-9])" + re.escape(w) + end, text) for w in words)


def is_personal(header: str) -> bool:
    return has_word(fold(header), PERSONAL_HINTS)


def header_score(field_name: str, header: str, questionnaire: Questionnaire) -> int:
    """How well a column's name fits a field, 0–100: 100 the field's name or questionnaire title exactly (or the
    last part of a Kobo path), 60–90 one of the field's keywords as a whole word (more when the header is short),
    0 otherwise; never a substring."""
    text = fold(heading_text(header))
    names = {fold(field_name)}
    if field_name in CLOSED_FIELDS:
        names.add(fold(questionnaire[CLOSED_FIELDS[field_name]].title))
    if text in names or text.rsplit("/", 1)[-1] in names:
        return 100
    if not has_word(text, KEYWORDS_BY_FIELD.get(field_name, ()), whole=True):
        return 0
    if field_name.endswith("_commune") and has_word(text, ("nom", "et commune"), whole=True):
        return 0  # "Nom de votre structure (et commune)": a name with its commune, the structure's column
    return max(60, 90 - 5 * max(0, len(re.findall(r"[a-z0-9]+", text)) - 3))


def empty_columns(table: SourceTable) -> set[str]:
    """Columns empty in every row (none when the file has no row): never suggested."""
    if not table.rows:
        return set()
    return {h for position, h in enumerate(table.headers) if not any(row[position] for row in table.rows)}


def column_scores(table: SourceTable, mapping: Mapping,
                  questionnaire: Questionnaire | None = None) -> dict[str, tuple[str, int]]:
    """Field → (suggested column, score) for the fields whose column was guessed from its name (for the page)."""
    q = questionnaire or load_questionnaire()
    scores = {}
    for field_name, column in mapping.columns.items():
        score = header_score(field_name, column, q)
        if score:
            scores[field_name] = (column, score)
    for field_name, choice in mapping.multi.items():
        if choice.column and (score := header_score(field_name, choice.column, q)):
            scores[field_name] = (choice.column, score)
    return scores


def suggest_mapping(table: SourceTable, questionnaire: Questionnaire | None = None) -> Mapping:
    """A first guess at the mapping, from the headers and the questionnaire's labels, for the user to correct.

    Columns that look personal (names, e-mails, IP…) are never suggested.
    """
    q = questionnaire or load_questionnaire()
    tool = detect_tool(table)
    mapping = Mapping(tool=tool, constants={"mode": DEFAULT_MODE}, id_prefix=default_prefix(table, tool))
    groups = option_groups(table, {label for f in MULTI_FIELDS for label in q[f].labels.values()})
    in_groups = {column for members in groups.values() for column, _ in members}
    excluded = (tool_columns(table, tool) | in_groups | {h for h in table.headers if is_personal(h)}
                | empty_columns(table))
    candidates = [h for h in table.headers if h not in excluded]

    def claim(field_name: str, columns: Iterable[str]) -> str | None:
        scored = [(header_score(field_name, column, q), -position, column)
                  for position, column in enumerate(columns)]
        best = max(scored, default=(0, 0, None))
        return best[2] if best[0] else None

    for field_name, _words in KEYWORDS:
        if field_name in MULTI_FIELDS:
            question = claim(field_name, groups)
            if question is not None:
                options = {column: q[field_name].suggest(option) for column, option in groups[question]}
                mapping.multi[field_name] = MultiChoice(options=options)
                if question in candidates:
                    candidates.remove(question)  # Kobo's summary column: the option columns say it better
                continue
        column = claim(field_name, candidates)
        if column is None:
            continue
        candidates.remove(column)
        if field_name in MULTI_FIELDS:
            mapping.multi[field_name] = MultiChoice(column=column, separator=guess_separator(table, column, tool))
        else:
            mapping.columns[field_name] = column
    for field_name, wanted in (("id", TOOL_ID_COLUMNS), ("date", TOOL_DATE_COLUMNS)):
        if field_name not in mapping.columns:
            found = first_header(table, wanted.get(tool, ()), exact=tool == KOBO)
            if found:
                mapping.columns[field_name] = found
    if tool == LIMESURVEY and (found := first_header(table, TOOL_DATE_COLUMNS[LIMESURVEY])):
        mapping.columns["date_envoi"] = found
    if tool == FRAMAFORMS and (found := first_header(table, DRAFT_COLUMNS)):
        mapping.columns["brouillon"] = found
    if "vague" not in mapping.columns and (year := main_year(table, mapping)):
        mapping.constants["vague"] = year  # waves are years here; the page shows it for the user to correct
    for field_name in CLOSED_FIELDS:
        if field_name in mapping.multi and mapping.multi[field_name].options:
            continue  # per-option columns carry their code themselves
        if field_name in mapping.columns or field_name in mapping.multi:
            mapping.values[field_name] = suggest_values(table, mapping, field_name, q)
    return mapping


def suggest_option_code(column: str, field_name: str, questionnaire: Questionnaire | None = None) -> str | None:
    """The code a per-option column stands for, from its option part (``Formes [Périscolaire]`` → periscolaire)."""
    q = questionnaire or load_questionnaire()
    choices = q[field_name]
    split = split_option_header(heading_text(column), {fold(label) for label in choices.labels.values()})
    return choices.suggest(split[1] if split else column)


def main_year(table: SourceTable, mapping: Mapping) -> str:
    """The year most of the file's answers were given (date column, else submission time); "" when none."""
    for field_name in ("date", "date_envoi"):
        column = mapping.columns.get(field_name)
        if column in table.headers:
            years = Counter(value.year for value in (parse_date(v, DMY)[0] for v in table.values(column)) if value)
            if years:
                return str(years.most_common(1)[0][0])
    return ""


def suggest_values(table: SourceTable, mapping: Mapping, field_name: str,
                   questionnaire: Questionnaire | None = None) -> dict[str, str | None]:
    """Answer text → closest code (None when nothing is close) for a closed field, keeping the user's choices.

    For the page to call again when the user picks another column for the field.
    """
    q = questionnaire or load_questionnaire()
    choices = q[CLOSED_FIELDS[field_name]]
    chosen = folded(mapping.values.get(field_name, {}))
    return {text: chosen[fold(text)] if fold(text) in chosen else choices.suggest(text)
            for text in distinct_answers(table, mapping, field_name, q)}


def distinct_answers(table: SourceTable, mapping: Mapping, field_name: str,
                     questionnaire: Questionnaire | None = None) -> list[str]:
    """The answer texts the file holds for a field (option columns for per-option answers), in file order; the
    not-answered words of :mod:`lib.importers.ticks` are no answers."""
    q = questionnaire or load_questionnaire()
    choice = mapping.multi.get(field_name)
    if choice and choice.options:
        return [c for c in choice.options if c in table.headers]
    column = choice.column if choice else mapping.columns.get(field_name)
    if column not in table.headers:
        return []
    known = known_texts(mapping, field_name, q)
    seen: dict[str, None] = {}
    for cell in table.values(column):
        answers = split_answers(cell, choice.separator, known) if choice else ([cell] if cell else [])
        for answer in answers:
            if fold(answer) not in NO_ANSWER_WORDS:  # "N/A", "NSP"…: no answer, nothing to map
                seen.setdefault(answer, None)
    return list(seen)


def unmapped_answers(table: SourceTable, mapping: Mapping,
                     questionnaire: Questionnaire | None = None) -> dict[str, list[str]]:
    """Answer texts (or option columns) of the file that have no code yet, by field: what the page asks for."""
    q = questionnaire or load_questionnaire()
    missing = {}
    if "vague" not in mapping.columns and (year := main_year(table, mapping)):
        mapping.constants["vague"] = year  # waves are years here; the page shows it for the user to correct
    for field_name in CLOSED_FIELDS:
        if field_name in mapping.multi and mapping.multi[field_name].options:
            texts = [c for c, code in mapping.multi[field_name].options.items() if code is None]
        else:
            lookup = folded(mapping.values.get(field_name, {}))
            texts = [t for t in distinct_answers(table, mapping, field_name, q) if lookup.get(fold(t)) is None]
        if texts:
            missing[field_name] = texts
    return missing

