"""One survey row → one reponses.csv row, with the problems found on the way."""

from __future__ import annotations

import difflib
import hashlib

from lib.dataset import EMAIL_PATTERN, FILES, PHONE_PATTERN, REDACTED, WARNING, Dataset, Problem
from datetime import date

from lib.importers.dates import AMBIGUOUS, YMD, check_range, infer_order, parse_date, parse_moment
from lib.importers.mapping import (
    CLOSED_FIELDS, DEFAULT_MODE, MULTI_FIELDS, OUTPUT_COLUMN, TEXT_FIELDS, Mapping, MultiChoice,
)
from lib.importers.options import folded, known_texts, split_answers
from lib.importers.reading import SourceTable
from lib.importers.ticks import CHECKED, NO_ANSWER_WORDS, column_meanings, is_draft
from lib.importers.tools import TOOL_DATE_COLUMNS, TOOL_DATE_ORDER, first_header
from lib.formatting import format_decimal
from lib.questionnaire import ChoiceList, Questionnaire
from lib.structure_match import StructureMatcher, structure_key
from lib.text import fold_cached as fold


class RowBuilder:
    """Turns one source row into a reponses.csv row (or None when the row is rejected), collecting problems."""

    def __init__(self, table: SourceTable, mapping: Mapping, dataset: Dataset, q: Questionnaire):
        self.table, self.mapping, self.q = table, mapping, q
        self.position = {h: i for i, h in enumerate(table.headers)}
        self.structures = StructureIndex(dataset)
        self.values = {f: folded(v) for f, v in mapping.values.items()}
        self.known = {f: known_texts(mapping, f, q) for f in MULTI_FIELDS}
        self.ticks = {column: column_meanings(table.values(column), mapping.ticks)
                      for choice in mapping.multi.values() for column in choice.options if column in self.position}
        self.date_order = date_column_order(table, mapping)[0]
        # The submission time (Google's Horodateur…) is part of what identifies an answer without a tool id.
        self.moment = first_header(table, TOOL_DATE_COLUMNS.get(mapping.tool, ())) or mapping.columns.get("date")
        self.today = date.today()
        self.problems: list[Problem] = []
        self.skipped: dict[int, str] = {}
        # Per closed list: its codes in order, as a set, and folded label → code (looked up on every row).
        self.order = {f: q[name].codes for f, name in CLOSED_FIELDS.items()}
        self.code_set = {f: set(codes) for f, codes in self.order.items()}
        self.by_label = {f: {fold(label): c for c, label in q[name].labels.items()}
                         for f, name in CLOSED_FIELDS.items()}

    def cell(self, cells: list[str], field_name: str) -> str:
        column = self.mapping.columns.get(field_name)
        return cells[self.position[column]] if column in self.position else ""

    def reject(self, line: int, column: str | None, value: str | None, message: str) -> None:
        self.problems.append(Problem(self.table.file, line, column, value, message + " (ligne ignorée)",
                                     row_dropped=True))

    def skip(self, line: int, column: str, value: str, reason: str) -> None:
        self.skipped[line] = reason
        self.reject(line, column, value, reason)

    def build(self, cells: list[str], line: int) -> dict[str, object] | None:
        columns = self.mapping.columns
        if "brouillon" in columns and is_draft(self.cell(cells, "brouillon")):
            self.skip(line, columns["brouillon"], self.cell(cells, "brouillon"),
                      "brouillon : la réponse n'a pas été envoyée")
            return None
        if "date_envoi" in columns and not self.cell(cells, "date_envoi") and not self.mapping.keep_incomplete:
            self.skip(line, columns["date_envoi"], "", "réponse inachevée (pas de date d'envoi)")
            return None
        respondent = self.structure(cells, line, "structure")
        partner = self.structure(cells, line, "partenaire")
        if respondent is None or partner is None:
            return None
        families = self.structures.family
        if families[respondent] == families[partner]:
            kind = "deux établissements scolaires" if families[respondent] == "ecole" else "deux centres"
            self.reject(line, columns["partenaire"], self.cell(cells, "partenaire"),
                        f"un lien relie une école et un centre social : « {self.structures.name[respondent]} » "
                        f"et « {self.structures.name[partner]} » sont {kind}")
            return None
        school, centre = (respondent, partner) if families[respondent] == "ecole" else (partner, respondent)
        row: dict[str, object] = {c: "" for c in FILES["reponses"].columns}
        row.update(repondant_id=respondent, ecole_id=school, centre_id=centre, _line=line,
                   vague=self.cell(cells, "vague") or self.mapping.constants.get("vague", "").strip(),
                   mode=self.mapping.constants.get("mode", DEFAULT_MODE))
        if "date" in columns:
            row["date"] = self.date(cells, line)
        for field_name in ("fonction", "frequence", "qualite", "mode"):
            if field_name in columns:
                codes = self.codes(field_name, [self.cell(cells, field_name)], columns[field_name], line)
                row[OUTPUT_COLUMN.get(field_name, field_name)] = codes[0] if codes else ""
        for field_name, choice in self.mapping.multi.items():
            row[field_name] = ";".join(self.multi_codes(field_name, choice, cells, line))
        for field_name in TEXT_FIELDS:
            text = self.cell(cells, field_name)
            if EMAIL_PATTERN.search(text) or PHONE_PATTERN.search(text):
                # The value is not repeated in the message: it is the personal data.
                self.problems.append(Problem(self.table.file, line, columns[field_name], None,
                                             "donnée personnelle (adresse e-mail ou numéro de téléphone) dans un "
                                             "texte libre : le texte est masqué", WARNING))
                text = REDACTED
            row[field_name] = text
        row["reponse_id"] = self.answer_id(cells, row)
        return row

    def date(self, cells: list[str], line: int) -> str:
        """The row's date in ISO, read in its column's order; a date that does not exist in that order is left as
        written (the loader's check reports it and leaves it out: never swapped); one before 2000 or after
        tomorrow is reported and left out. The row stays."""
        text = self.cell(cells, "date")
        if fold(text) in NO_ANSWER_WORDS:
            return ""
        value, _reason = parse_date(text, self.date_order)
        if value is None:
            return text.strip()
        reason = check_range(value, self.today)
        if reason:
            self.problems.append(Problem(self.table.file, line, self.mapping.columns["date"], text,
                                         f"{reason} : date refusée (valeur ignorée)"))
            return ""
        return value.isoformat()

    def structure(self, cells: list[str], line: int, field_name: str) -> str | None:
        """The structure id the row's value means: the user's choice saved in the mapping (by
        :func:`lib.structure_match.structure_key`), else a sure match; otherwise the row is rejected."""
        column = self.mapping.columns[field_name]
        value, commune = self.cell(cells, field_name), self.cell(cells, f"{field_name}_commune")
        decided = self.values.get(field_name, {})
        choice = decided.get(fold(structure_key(value, commune)), decided.get(fold(value)))
        if choice == "" and value.strip():
            self.reject(line, column, value, f"structure « {value} » : « aucune » choisie dans la correspondance")
            return None
        found, message = self.structures.resolve(choice or value, "" if choice else commune)
        if found is None:
            self.reject(line, column, value, message)
        return found

    def codes(self, field_name: str, answers: list[str], column: str, line: int) -> list[str]:
        """Codes for answer texts, in questionnaire order; unmapped answers are reported and left out."""
        choices = self.q[CLOSED_FIELDS[field_name]]
        lookup = self.values.get(field_name, {})
        codes = set()
        for answer in answers:
            if not answer:
                continue
            if lookup.get(fold(answer)) is not None:
                code = lookup[fold(answer)]
            elif fold(answer) in NO_ANSWER_WORDS:  # LimeSurvey's N/A for a question never shown, "NSP"…
                continue
            elif fold(answer) in lookup:
                code = None
            else:  # a code, or a questionnaire label exactly (accents and case aside)
                code = answer if answer in self.code_set[field_name] else self.by_label[field_name].get(fold(answer))
            if code is None:
                self.problems.append(Problem(self.table.file, line, column, answer,
                                             unmapped_message(answer, choices)))
            elif code:
                codes.add(code)
        return [c for c in self.order[field_name] if c in codes] if codes else []

    def multi_codes(self, field_name: str, choice: MultiChoice, cells: list[str], line: int) -> list[str]:
        if not choice.options:
            column = choice.column or ""
            text = cells[self.position[column]] if column in self.position else ""
            return self.codes(field_name, split_answers(text, choice.separator, self.known[field_name]),
                              column, line)
        # A row whose option columns are all "not answered" stores an empty field, like "none ticked":
        # reponses.csv has no way to tell them apart.
        codes, known_codes = set(), self.code_set[field_name]
        for column, code in choice.options.items():
            value = cells[self.position[column]] if column in self.position else ""
            meaning = self.ticks.get(column, {}).get(fold(value) if value else "")
            if meaning is None:
                self.problems.append(Problem(self.table.file, line, column, value, (
                    f"valeur « {value} » inconnue dans une colonne à cocher : dites si elle veut dire coché, non "
                    "coché ou sans réponse (compté non coché en attendant)")))
                continue
            if meaning != CHECKED:
                continue
            if code is None or (code and code not in known_codes):
                self.problems.append(Problem(self.table.file, line, column, value, unmapped_message(
                    column, self.q[field_name], what="colonne cochée")))
            elif code:
                codes.add(code)
        return [c for c in self.order[field_name] if c in codes] if codes else []

    def answer_id(self, cells: list[str], row: dict[str, object]) -> str:
        """The tool's submission id when there is one, else :func:`answer_digest` of the whole answer."""
        prefix = self.mapping.id_prefix
        source = self.cell(cells, "id").removeprefix("uuid:")
        if source:
            return f"{prefix}{source}"
        moment = cells[self.position[self.moment]] if self.moment in self.position else ""
        parsed = parse_moment(moment)
        return f"{prefix}{answer_digest(parsed.isoformat() if parsed else moment.strip(), row)}"


def answer_digest(moment: str, row: dict[str, object]) -> str:
    """12 hex digits identifying an answer without a tool id: its submission time (to the second) and every
    field of the row as imported (codes, ISO date, structure ids, texts).

    Two answers sent the same minute by the same structure stay two answers; the same answer downloaded again,
    even in another layout (Google Forms' sheet or CSV download), keeps its id, so re-importing updates.
    """
    fields = [str(row.get(c, "")) for c in FILES["reponses"].columns if c != "reponse_id"]
    return hashlib.sha1("|".join([moment, *fields]).encode("utf-8")).hexdigest()[:12]


def date_column_order(table: SourceTable, mapping: Mapping) -> tuple[str, str]:
    """The day/month order the date column is read in, and why: ``("dmy", "deduit")`` when its values decide,
    ``("mdy", "choisi")`` when the user chose, ``("dmy", "defaut")`` when ambiguous and not chosen yet (the tool's
    convention; the preview asks)."""
    column = mapping.columns.get("date")
    if column not in table.headers:
        return YMD, "deduit"
    inferred = infer_order(table.values(column))
    if inferred != AMBIGUOUS:
        return inferred, "deduit"
    if column in mapping.date_orders:
        return mapping.date_orders[column], "choisi"
    return TOOL_DATE_ORDER.get(mapping.tool, "dmy"), "defaut"


def unmapped_message(answer: str, choices: ChoiceList, what: str = "réponse") -> str:
    message = f"{what} « {answer} » sans code correspondant pour « {choices.title} » : complétez la correspondance"
    suggestion = choices.suggest(answer.rsplit("/", 1)[-1])
    if suggestion:
        message += f" (proposition : « {choices.label(suggestion)} »)"
    return message + " (valeur ignorée)"


class StructureIndex:
    """Finds a structure from what a respondent typed or picked, through :class:`StructureMatcher` (id or UAI,
    normalised name in the commune, then fuzzy score): only a sure match is taken, the rest is the user's choice."""

    def __init__(self, dataset: Dataset):
        frame = dataset.structures
        self.family = dict(zip(frame["id"], frame["famille"]))
        self.name = dict(zip(frame["id"], frame["nom"]))
        self.matcher = StructureMatcher(frame, dataset.reference.communes)
        self.by_name: dict[str, list[str]] = {}
        for identifier, name in zip(frame["id"], frame["nom"]):
            self.by_name.setdefault(fold(name), []).append(identifier)

    def resolve(self, value: str, commune: str = "") -> tuple[str | None, str]:
        """``(id, "")`` or ``(None, French reason)``."""
        value = value.strip()
        if not value:
            return None, "structure non renseignée"
        found = self.matcher.match(value, commune)
        if found.sure and found.chosen in self.family:
            return found.chosen, ""
        homonyms = [c for c in found.candidates if c.score >= 100]
        if len(homonyms) > 1:
            places = ", ".join(sorted(c.commune for c in homonyms))
            return None, (f"plusieurs structures s'appellent « {value} » ({places}) : associez une colonne "
                          "commune ou utilisez l'identifiant (UAI)")
        if found.candidates:
            best = found.candidates[0]
            return None, (f"structure « {value} » introuvable dans structures.csv — vouliez-vous dire "
                          f"« {best.nom} » ({best.commune}, score {format_decimal(best.score, 0)}) ? Choisissez-la "
                          "dans le tableau des structures")
        close = difflib.get_close_matches(fold(value), list(self.by_name), n=1, cutoff=0.75)
        hint = f" — vouliez-vous dire « {self.name[self.by_name[close[0]][0]]} » ?" if close else ""
        return None, f"structure « {value} » introuvable dans structures.csv{hint}"
