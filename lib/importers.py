"""Survey-tool exports → ``reponses.csv`` rows, through a column mapping the user checks.

Reads the files KoboToolbox, LimeSurvey, Framaforms (Drupal webform),
Google Forms and spreadsheets really produce (see
``tests/fixtures/enquetes/make_fixtures.py`` for each format and its source),
guesses which column holds which field and which code each answer text means,
and turns the rows into a preview: nothing is written here.

One survey row is one respondent's view of one link: the respondent's
structure, the partner structure, and the answers. A :class:`Mapping` says
where each field is in the file; it is saved by name (``to_json``) so that
next month's export of the same form imports in one click.

Decisions:
- an answer that maps to no code is left out of its row, with an error naming
  line, column and value (the loader's rule for unknown codes); the row stays;
- a row whose structure or partner is unknown, ambiguous, or not one school
  and one centre, is rejected; so are drafts (Framaforms) and unfinished
  responses (LimeSurvey, empty submit date);
- only mapped columns reach the data set: names, e-mails, IP addresses… in
  other columns are never read into rows, and e-mails or phone numbers typed
  in a mapped free text are masked as the loader masks them.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace, dataclass, field
from datetime import date, datetime, time

import pandas as pd

from lib.csvio import DELIMITER_NAMES, CsvError, decode_bytes, normalise_column, parse_text
from lib.dataset import (
    EMAIL_PATTERN, ERROR, FILES, FREE_TEXT_COLUMNS, PHONE_PATTERN, REDACTED, UAI_PATTERN, WARNING, Dataset, Problem,
    check_rows,
)
from lib.filesafety import FileRefused, check_upload
from lib.imports import MAX_IMPORT_BYTES, ImportPreview
from lib.questionnaire import ChoiceList, Questionnaire, load_questionnaire, split_codes
from lib.text import fold

KOBO, LIMESURVEY, FRAMAFORMS, GOOGLE, PLAIN = "KoboToolbox", "LimeSurvey", "Framaforms", "Google Forms", "CSV"
TOOLS = (KOBO, LIMESURVEY, FRAMAFORMS, GOOGLE, PLAIN)
TARGET = "reponses"

# Columns the tools add themselves. Kobo (exact names: folding would make "_status" a plain "status"): the
# kpi export's copy fields and the XLSForm metadata questions.
KOBO_MARKERS = {"_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
                "__version__", "_tags", "_index"}
KOBO_META = KOBO_MARKERS | {"start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
                            "phonenumber", "audit", "meta/instanceID", "formhub/uuid"}
# LimeSurvey, webform and Google Forms markers are folded (see lib.text.fold).
# LimeSurvey: question codes, or the French / English full-text headings of the same fields.
LIMESURVEY_MARKERS = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
                      "refurl", "token", "id de la reponse", "date de soumission", "derniere page",
                      "langue de depart", "tete de serie", "date de lancement", "date de la derniere action",
                      "adresse ip", "response id", "date submitted", "last page", "start language",
                      "date started", "date last action", "ip address"}
# Drupal webform 7.x-4 "submission information" columns (labels, or field keys when exported as keys).
WEBFORM_MARKERS = {"serial", "sid", "time", "submitted time", "completed time", "modified time", "draft",
                   "ip address", "uid", "username", "webform serial", "webform sid", "webform time",
                   "webform completed time", "webform modified time", "webform draft", "webform ip address",
                   "webform uid", "webform username"}
WEBFORM_DETAILS_ROW = {"submission details", "details de la soumission"}
GOOGLE_MARKERS = {"horodateur", "horodatage", "timestamp", "marca temporal"}
# Column names that hold personal data (folded, matched at a word start): never suggested for any field.
PERSONAL_HINTS = ("mail", "courriel", "telephone", "portable", "prenom", "votre nom", "nom du repondant",
                  "nom et prenom", "ip address", "ipaddr", "adresse ip", "submitted by", "username", "uid")

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# --------------------------------------------------------------------------- fields

#: What a survey row can fill, with the French label the mapping screen shows.
FIELDS: dict[str, str] = {
    "id": "Identifiant de la réponse dans l'outil",
    "structure": "Structure qui répond",
    "structure_commune": "Commune de la structure qui répond",
    "partenaire": "Structure partenaire",
    "partenaire_commune": "Commune de la structure partenaire",
    "fonction": "Fonction de la personne interrogée",
    "date": "Date de l'entretien ou de la réponse",
    "vague": "Vague d'enquête",
    "mode": "Mode de recueil",
    "formes": "Formes du lien",
    "frequence": "Fréquence du lien",
    "objets": "Objet du lien",
    "qualite": "Qualité du lien",
    "leviers": "Leviers",
    "freins": "Freins",
    "ressources": "Ressources",
    "outils": "Outils",
    "pistes": "Pistes",
    "commentaire": "Commentaire",
    "brouillon": "Brouillon (réponse non envoyée si 1)",
    "date_envoi": "Date d'envoi (vide : réponse inachevée)",
}
MULTI_FIELDS = ("formes", "objets", "leviers", "freins")
CLOSED_FIELDS = {"fonction": "fonctions", "frequence": "frequences", "qualite": "qualites", "mode": "modes",
                 **{f: f for f in MULTI_FIELDS}}
TEXT_FIELDS = FREE_TEXT_COLUMNS
CONSTANT_FIELDS = ("vague", "mode")
DEFAULT_MODE = "formulaire"
OUTPUT_COLUMN = {"fonction": "repondant_fonction"}

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
# Where each tool keeps the submission's identifier and time (folded headers, first found wins).
# Kobo's _uuid changes at each edit of a submission (kobotoolbox/kobocat#572); meta/rootUuid does not
# (kobotoolbox/kpi#5435) and neither does _id.
TOOL_ID_COLUMNS = {KOBO: ("meta/rootUuid", "_id", "_uuid"), LIMESURVEY: ("id", "id de la reponse", "response id"),
                   FRAMAFORMS: ("sid", "webform sid", "serial", "webform serial")}
TOOL_DATE_COLUMNS = {KOBO: ("_submission_time",), LIMESURVEY: ("submitdate", "date de soumission", "date submitted"),
                     FRAMAFORMS: ("submitted time", "time", "webform time", "completed time"),
                     GOOGLE: tuple(GOOGLE_MARKERS)}
TOOL_PREFIX = {KOBO: "KOBO-", LIMESURVEY: "LS-", FRAMAFORMS: "FRAMA-", GOOGLE: "GF-", PLAIN: "CSV-"}

# An option column is ticked unless it holds one of these (folded): Kobo 1/0, LimeSurvey Y/"" (or Oui/Non in
# "full answers"), webform X/"".
UNTICKED = {"", "0", "n", "non", "no", "false", "faux"}
BINARY = UNTICKED | {"1", "y", "x", "oui", "yes", "true", "vrai"}


class ExportRefused(Exception):
    """A file that cannot be imported at all; the message is French, for the user."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class SourceTable:
    """An export as read: original headers, rows of strings, and where each row is in the file.

    ``lines`` are the file's line numbers (CSV) or the sheet's row numbers
    (XLSX). Multi-line headers (webform) are merged into one header per
    column, ``question/option`` for per-option columns.
    """

    file: str
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]
    format: str = "CSV"
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Data rows in the file, broken ones included."""
        return len(self.rows) + sum(1 for p in self.problems if p.row_dropped)

    def values(self, column: str) -> list[str]:
        position = self.headers.index(column)
        return [row[position] for row in self.rows]


@dataclass
class MultiChoice:
    """Where a multiple-choice answer is: one column and its separator, or one column per option.

    ``options`` maps a per-option column to the code it stands for (None: not
    chosen yet; "": ignore that column).
    """

    column: str | None = None
    separator: str = ";"
    options: dict[str, str | None] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.options) if self.options else ([self.column] if self.column else [])


@dataclass
class Mapping:
    """How one form's export becomes ``reponses.csv`` rows (JSON-serialisable, saved by name).

    Attributes:
        tool: the tool the export comes from (one of :data:`TOOLS`).
        columns: field → source column, for every field but the multiple choices.
        multi: multiple-choice field (formes, objets, leviers, freins) → where it is.
        values: field → {answer text in the file, or option column → code}; a
            code None is "not chosen yet" (reported), "" is "ignore this answer".
            ``structure``/``partenaire`` may map texts to structure ids too.
        constants: values given once for the whole file (vague, mode).
        id_prefix: put before the tool's submission id to make ``reponse_id``.
    """

    tool: str = PLAIN
    columns: dict[str, str] = field(default_factory=dict)
    multi: dict[str, MultiChoice] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    id_prefix: str = ""

    def source_columns(self) -> list[str]:
        """Every column of the file the mapping reads."""
        used = list(self.columns.values())
        for choice in self.multi.values():
            used += choice.columns
        return list(dict.fromkeys(used))

    def to_json(self) -> str:
        document = {
            "format": "passerelles-correspondance", "version": 1, "tool": self.tool, "columns": self.columns,
            "multi": {f: {"column": m.column, "separator": m.separator, "options": m.options}
                      for f, m in self.multi.items()},
            "values": self.values, "constants": self.constants, "id_prefix": self.id_prefix,
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Read a saved mapping.

        Raises:
            ValueError: not a mapping, or one this version cannot read (French message).
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"correspondance illisible (JSON invalide, ligne {err.lineno})") from None
        if not isinstance(doc, dict) or doc.get("format") != "passerelles-correspondance":
            raise ValueError("ce fichier n'est pas une correspondance de colonnes Passerelles")
        if doc.get("version") != 1:
            raise ValueError(f"version de correspondance {doc.get('version')!r} non prise en charge")
        try:
            multi = {f: MultiChoice(m.get("column"), str(m.get("separator", ";")), dict(m.get("options") or {}))
                     for f, m in dict(doc.get("multi") or {}).items()}
            mapping = cls(tool=str(doc.get("tool", PLAIN)), columns=dict(doc.get("columns") or {}), multi=multi,
                          values={f: dict(v) for f, v in dict(doc.get("values") or {}).items()},
                          constants=dict(doc.get("constants") or {}), id_prefix=str(doc.get("id_prefix", "")))
        except (AttributeError, TypeError, ValueError):
            raise ValueError("correspondance mal formée") from None
        unknown = [f for f in [*mapping.columns, *mapping.multi, *mapping.values, *mapping.constants]
                   if f not in FIELDS]
        if unknown or mapping.tool not in TOOLS or any(f not in MULTI_FIELDS for f in mapping.multi):
            raise ValueError(f"correspondance mal formée (champs inconnus : {', '.join(unknown) or mapping.tool})")
        return mapping


_NAME_PATTERN = re.compile(r"^[\w][\w ()'’-]*$")


def mapping_filename(name: str) -> str:
    """The file name a mapping called ``name`` is saved under (``"Kobo mars 2024"`` → ``kobo-mars-2024.json``).

    Raises:
        ValueError: an empty, too long or unsafe name (French message).
    """
    clean = " ".join(str(name).split())
    if not clean:
        raise ValueError("donnez un nom à la correspondance")
    if len(clean) > 60:
        raise ValueError("nom de correspondance trop long (60 caractères au plus)")
    if not _NAME_PATTERN.match(clean):
        raise ValueError("nom de correspondance invalide : lettres, chiffres, espaces, tirets, apostrophes "
                         "et parenthèses seulement (pas de / \\ ni de point)")
    slug = re.sub(r"[^a-z0-9]+", "-", fold(clean)).strip("-")
    if not slug:
        raise ValueError("nom de correspondance invalide : il faut au moins une lettre ou un chiffre")
    return f"{slug}.json"


# --------------------------------------------------------------------------- reading


def read_export(data: bytes, filename: str) -> SourceTable:
    """Read an export (CSV in any encoding and delimiter, or the first sheet of an XLSX).

    Raises:
        ExportRefused: too big, empty, binary, an old .xls or an .ods, or unreadable (French message).
    """
    try:
        check_upload(data, MAX_IMPORT_BYTES)  # size, and what a workbook would cost once unzipped (lib/filesafety.py)
    except FileRefused as err:
        raise ExportRefused(err.message) from None
    if not data.strip(b" \t\r\n\x00") or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ExportRefused("le fichier est vide.")
    if data.startswith(OLE2_MAGIC):
        raise ExportRefused("ancien format Excel (.xls) : ouvrez-le dans votre tableur et enregistrez-le "
                            "au format .xlsx ou « CSV UTF-8 ».")
    if data.startswith(ZIP_MAGIC):
        header, records, notes = _read_workbook(data)
        table = _build_table(filename, header, records, "XLSX")
        table.notes[:0] = notes
        return table
    try:
        text, encoding = decode_bytes(data, filename)
        raw = parse_text(text, filename, encoding, expected={normalise_column(m) for m in KOBO_MARKERS})
    except CsvError as err:
        raise ExportRefused(err.message, err.line) from None
    records = list(zip(raw.lines, raw.rows))
    table = _build_table(filename, raw.original_header, records, "CSV")
    table.encoding, table.delimiter = raw.encoding_label, raw.delimiter
    table.notes.insert(0, f"Fichier CSV : encodage {raw.encoding_label}, séparateur "
                          f"{DELIMITER_NAMES.get(raw.delimiter, raw.delimiter)}.")
    return table


def _read_workbook(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """First sheet of an XLSX: header, (sheet row, cells) records, notes."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise ExportRefused("archive ZIP ou classeur endommagé : le fichier ne peut pas être lu.") from None
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and "content.xml" in names:
            raise ExportRefused("classeur OpenDocument (.ods) : enregistrez-le au format .xlsx ou « CSV UTF-8 ».")
        raise ExportRefused("archive ZIP qui n'est pas un classeur Excel : attendu un fichier CSV ou XLSX.")
    from openpyxl import load_workbook  # only needed for spreadsheets

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        records = [(number, [_cell_text(v) for v in values])
                   for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    except Exception as err:  # openpyxl raises many kinds on damaged files
        raise ExportRefused(f"classeur Excel illisible ({type(err).__name__}).") from None
    notes = [f"Classeur XLSX : feuille « {sheet.title} »."]
    if len(book.worksheets) > 1:
        others = ", ".join(f"« {s.title} »" for s in book.worksheets[1:])
        notes.append(f"Seule la première feuille est lue ; ignorée(s) : {others}.")
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise ExportRefused("le classeur est vide (première feuille sans données).")
    (_, header), *rest = records
    return [h.strip() for h in header], rest, notes


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _build_table(file: str, header: list[str], records: list[tuple[int, list[str]]], fmt: str) -> SourceTable:
    """Headers merged (webform's three header rows, Kobo's HXL row), rows checked for width."""
    notes: list[str] = []
    levels = [header]
    # Webform writes the form title, then "Submission Details" and group names, then the column names: the
    # first rows are mostly empty. Any mostly empty first row is read the same way.
    while _sparse(levels[-1]) and records and len(levels) < 3:
        levels.append([c.strip() for c in records.pop(0)[1]])
    if len(levels) > 1:
        notes.append(f"En-tête sur {len(levels)} lignes : les noms de colonnes sont ceux de la dernière.")
    header = levels[-1]
    if records and _is_hxl_row(records[0][1]):
        records.pop(0)
        notes.append("Ligne d'étiquettes HXL sous l'en-tête ignorée.")
    width = len(header)
    rows, lines, problems = [], [], []
    for line, cells in records:
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]
        if len(cells) != width:
            what = "tronquée" if len(cells) < width else "avec des valeurs en trop"
            problems.append(Problem(file, line, None, None, f"ligne {what} : {len(cells)} valeurs au lieu de "
                                    f"{width} (ligne ignorée)", row_dropped=True))
            continue
        rows.append([c.strip() for c in cells])
        lines.append(line)
    headers = _merge_groups(header, levels[-2] if len(levels) > 1 else None, rows)
    return SourceTable(file, _unique(headers), rows, lines, fmt, notes=notes, problems=problems)


def _sparse(cells: list[str]) -> bool:
    return len(cells) >= 4 and sum(1 for c in cells if c.strip()) < len(cells) / 2


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _merge_groups(header: list[str], groups: list[str] | None, rows: list[list[str]]) -> list[str]:
    """Webform "separate" select lists: the question is above its first option; its options follow.

    An option column is one whose values are all X or empty; the group runs
    until the next named group or a column that is not a tick box.
    """
    if groups is None:
        return header
    merged, current = [], None
    for position, name in enumerate(header):
        above = groups[position].strip() if position < len(groups) else ""
        if above and fold(above) not in WEBFORM_DETAILS_ROW:
            current = above
        elif above or not all(fold(row[position]) in ("", "x") for row in rows):
            current = None
        merged.append(f"{current}/{name}" if current else name)
    return merged


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(headers, start=1):
        name = name or f"colonne {position}"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return result


# --------------------------------------------------------------------------- recognising


def detect_tool(table: SourceTable) -> str:
    """Which tool wrote the export, from the columns each tool adds itself; ``"CSV"`` when none."""
    exact, folded = {h.strip() for h in table.headers}, {fold(h) for h in table.headers}
    if {"_uuid", "_submission_time"} & exact or len(KOBO_MARKERS & exact) >= 2:
        return KOBO
    if len(WEBFORM_MARKERS & folded) >= 3:
        return FRAMAFORMS
    if len(LIMESURVEY_MARKERS & folded) >= 3:
        return LIMESURVEY
    if table.headers and fold(table.headers[0]) in GOOGLE_MARKERS:
        return GOOGLE
    return PLAIN


def _has_word(text: str, words: Iterable[str]) -> bool:
    """Whether folded ``text`` has one of ``words`` starting a word ("forme" in "formes du lien", not "role" in
    "parole")."""
    return any(re.search(r"(?<![a-z0-9])" + re.escape(w), text) for w in words)


def _is_personal(header: str) -> bool:
    return _has_word(fold(header), PERSONAL_HINTS)


def _tool_columns(table: SourceTable, tool: str) -> set[str]:
    """Columns the tool adds (ids, times, IP…): never guessed as answers."""
    if tool == KOBO:
        return {h for h in table.headers if h.strip() in KOBO_META}
    markers = {LIMESURVEY: LIMESURVEY_MARKERS, FRAMAFORMS: WEBFORM_MARKERS, GOOGLE: GOOGLE_MARKERS}.get(tool, set())
    return {h for h in table.headers if fold(h) in markers}


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


def suggest_mapping(table: SourceTable, questionnaire: Questionnaire | None = None) -> Mapping:
    """A first guess at the mapping, from the headers and the questionnaire's labels, for the user to correct.

    Columns that look personal (names, e-mails, IP…) are never suggested.
    """
    q = questionnaire or load_questionnaire()
    tool = detect_tool(table)
    mapping = Mapping(tool=tool, constants={"mode": DEFAULT_MODE}, id_prefix=_default_prefix(table, tool))
    groups = option_groups(table)
    in_groups = {column for members in groups.values() for column, _ in members}
    excluded = _tool_columns(table, tool) | in_groups | {h for h in table.headers if _is_personal(h)}
    candidates = [h for h in table.headers if h not in excluded]
    titles = {f: fold(q[name].title) for f, name in CLOSED_FIELDS.items()}

    def claim(field_name: str, columns: Iterable[str]) -> str | None:
        words = KEYWORDS_BY_FIELD.get(field_name, ())
        for exact in (True, False):
            for column in columns:
                text = fold(column)
                tail = text.rsplit("/", 1)[-1]
                names = {fold(field_name), titles.get(field_name, "")}
                if (exact and (text in names or tail in names)) or (not exact and _has_word(text, words)):
                    return column
        return None

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
            mapping.multi[field_name] = MultiChoice(column=column, separator=_guess_separator(table, column, tool))
        else:
            mapping.columns[field_name] = column
    for field_name, wanted in (("id", TOOL_ID_COLUMNS), ("date", TOOL_DATE_COLUMNS)):
        if field_name not in mapping.columns:
            found = _first_header(table, wanted.get(tool, ()))
            if found:
                mapping.columns[field_name] = found
    if tool == LIMESURVEY and (found := _first_header(table, TOOL_DATE_COLUMNS[LIMESURVEY])):
        mapping.columns["date_envoi"] = found
    if tool == FRAMAFORMS and (found := _first_header(table, ("draft", "webform draft"))):
        mapping.columns["brouillon"] = found
    for field_name in CLOSED_FIELDS:
        if field_name in mapping.multi and mapping.multi[field_name].options:
            continue  # per-option columns carry their code themselves
        if field_name in mapping.columns or field_name in mapping.multi:
            mapping.values[field_name] = suggest_values(table, mapping, field_name, q)
    return mapping


def suggest_values(table: SourceTable, mapping: Mapping, field_name: str,
                   questionnaire: Questionnaire | None = None) -> dict[str, str | None]:
    """Answer text → closest code (None when nothing is close) for a closed field, keeping the user's choices.

    For the page to call again when the user picks another column for the field.
    """
    q = questionnaire or load_questionnaire()
    choices = q[CLOSED_FIELDS[field_name]]
    chosen = _folded(mapping.values.get(field_name, {}))
    return {text: chosen[fold(text)] if fold(text) in chosen else choices.suggest(text)
            for text in distinct_answers(table, mapping, field_name, q)}


def _first_header(table: SourceTable, folded_names: Iterable[str]) -> str | None:
    by_fold = {fold(h): h for h in reversed(table.headers)}
    return next((by_fold[fold(n)] for n in folded_names if fold(n) in by_fold), None)


def _default_prefix(table: SourceTable, tool: str) -> str:
    survey = re.search(r"survey_?(\d+)", table.file)
    if tool == LIMESURVEY and survey:
        return f"LS{survey.group(1)}-"
    return TOOL_PREFIX[tool]


def _guess_separator(table: SourceTable, column: str, tool: str) -> str:
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


def distinct_answers(table: SourceTable, mapping: Mapping, field_name: str,
                     questionnaire: Questionnaire | None = None) -> list[str]:
    """The answer texts the file holds for a field (option columns for per-option answers), in file order."""
    q = questionnaire or load_questionnaire()
    choice = mapping.multi.get(field_name)
    if choice and choice.options:
        return [c for c in choice.options if c in table.headers]
    column = choice.column if choice else mapping.columns.get(field_name)
    if column not in table.headers:
        return []
    known = _known_texts(mapping, field_name, q)
    seen: dict[str, None] = {}
    for cell in table.values(column):
        answers = split_answers(cell, choice.separator, known) if choice else ([cell] if cell else [])
        for answer in answers:
            seen.setdefault(answer, None)
    return list(seen)


def _known_texts(mapping: Mapping, field_name: str, q: Questionnaire) -> set[str]:
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


def unmapped_answers(table: SourceTable, mapping: Mapping,
                     questionnaire: Questionnaire | None = None) -> dict[str, list[str]]:
    """Answer texts (or option columns) of the file that have no code yet, by field: what the page asks for."""
    q = questionnaire or load_questionnaire()
    missing = {}
    for field_name in CLOSED_FIELDS:
        if field_name in mapping.multi and mapping.multi[field_name].options:
            texts = [c for c, code in mapping.multi[field_name].options.items() if code is None]
        else:
            lookup = _folded(mapping.values.get(field_name, {}))
            texts = [t for t in distinct_answers(table, mapping, field_name, q) if lookup.get(fold(t)) is None]
        if texts:
            missing[field_name] = texts
    return missing


def _folded(values: dict[str, str | None]) -> dict[str, str | None]:
    return {fold(text): code for text, code in values.items()}


# --------------------------------------------------------------------------- mapping checks


def check_mapping(table: SourceTable, mapping: Mapping, questionnaire: Questionnaire | None = None) -> list[str]:
    """What stops the import altogether (French messages); empty when the file can be previewed."""
    q = questionnaire or load_questionnaire()
    used = mapping.source_columns()
    if not used or not set(used) & set(table.headers):
        found = ", ".join(table.headers[:12]) + (" …" if len(table.headers) > 12 else "")
        return [f"aucune colonne reconnue : aucune colonne du fichier n'est associée à un champ "
                f"(colonnes trouvées : {found})"]
    messages = []
    for field_name, column in mapping.columns.items():
        if column not in table.headers:
            messages.append(f"colonne « {column} » ({FIELDS[field_name]}) absente du fichier")
    for field_name, choice in mapping.multi.items():
        for column in choice.columns:
            if column not in table.headers:
                messages.append(f"colonne « {column} » ({FIELDS[field_name]}) absente du fichier")
    for field_name in ("structure", "partenaire"):
        if field_name not in mapping.columns:
            messages.append(f"choisissez la colonne « {FIELDS[field_name]} »")
    if "vague" not in mapping.columns and not mapping.constants.get("vague", "").strip():
        messages.append("indiquez la vague d'enquête : une colonne du fichier, ou une valeur pour tout le "
                        "fichier (ex. 2024)")
    mode = mapping.constants.get("mode", DEFAULT_MODE)
    if "mode" not in mapping.columns and mode not in q["modes"].codes:
        messages.append(f"mode de recueil « {mode} » inconnu (codes possibles : {', '.join(q['modes'].codes)})")
    return messages


# --------------------------------------------------------------------------- preview


def preview_export(data: bytes, filename: str, mapping: Mapping, dataset: Dataset) -> ImportPreview:
    """Read an uploaded export and preview it with a saved mapping (the command line's one call)."""
    try:
        table = read_export(data, filename)
    except ExportRefused as err:
        refusal = _refused(filename, mapping.tool, [err.message])
        refusal.problems[0] = replace(refusal.problems[0], line=err.line)
        return refusal
    return preview_survey(table, mapping, dataset)


def _refused(file: str, kind: str, messages: list[str], rows_read: int = 0) -> ImportPreview:
    return ImportPreview(file=file, kind=kind, target=TARGET, rows_read=rows_read,
                         problems=[Problem(file, None, None, None, m) for m in messages])


def preview_survey(table: SourceTable, mapping: Mapping, dataset: Dataset,
                   questionnaire: Questionnaire | None = None) -> ImportPreview:
    """What importing ``table`` with ``mapping`` would do to ``dataset``'s answers; nothing is written.

    Builds ``reponses.csv`` rows (strings, codes joined with ";"), checks them
    with the loader's rules, and splits them into added / updated / unchanged
    by ``reponse_id`` (the tool's own submission id, so re-importing next
    month's export updates instead of duplicating).
    """
    q = questionnaire or load_questionnaire()
    kind = mapping.tool if mapping.tool != PLAIN else table.format
    blocking = check_mapping(table, mapping, q)
    if blocking:
        return _refused(table.file, kind, blocking, table.rows_read)
    builder = _RowBuilder(table, mapping, dataset, q)
    rows = [row for row in (builder.build(cells, line) for cells, line in zip(table.rows, table.lines)) if row]
    problems = list(table.problems) + builder.problems
    columns = list(FILES["reponses"].columns)
    frame = pd.DataFrame(rows, columns=[*columns, "_line"]) if rows else pd.DataFrame(columns=[*columns, "_line"])
    if rows:
        ok, found = check_rows("reponses", frame, dataset, table.file)
        problems += found
        for problem in found:  # what the loader would leave out of a kept row is left out here too
            if problem.severity == ERROR and not problem.row_dropped and problem.column in frame:
                frame.loc[frame["_line"] == problem.line, problem.column] = ""
        frame = frame[ok]
    problems.sort(key=lambda p: (p.line or 0, p.severity != ERROR))
    added, updated, unchanged = _compare(frame, dataset)
    rejected = {p.line for p in problems if p.row_dropped}
    notes = [*table.notes, f"Format reconnu : {detect_tool(table)}."]
    if detect_tool(table) != mapping.tool:
        notes.append(f"Attention : la correspondance a été faite pour un export {mapping.tool}.")
    ignored = [h for h in table.headers if h not in mapping.source_columns()]
    if ignored:
        notes.append(f"{len(ignored)} colonne(s) non associée(s) à un champ, jamais importée(s) : "
                     + ", ".join(f"« {h} »" for h in ignored) + ".")
    notes.append(f"{table.rows_read} ligne(s) lue(s) : {len(added)} à ajouter, {len(updated)} à mettre à jour, "
                 f"{unchanged} inchangée(s), {len(rejected)} rejetée(s).")
    return ImportPreview(file=table.file, kind=kind, target=TARGET, rows_read=table.rows_read, added=added,
                         updated=updated, unchanged=unchanged, problems=problems, notes=notes)


class _RowBuilder:
    """Turns one source row into a reponses.csv row (or None when the row is rejected), collecting problems."""

    def __init__(self, table: SourceTable, mapping: Mapping, dataset: Dataset, q: Questionnaire):
        self.table, self.mapping, self.q = table, mapping, q
        self.position = {h: i for i, h in enumerate(table.headers)}
        self.structures = _StructureIndex(dataset)
        self.values = {f: _folded(v) for f, v in mapping.values.items()}
        self.known = {f: _known_texts(mapping, f, q) for f in MULTI_FIELDS}
        # The submission time (Google's Horodateur…) identifies a response better than a bare date.
        self.moment = _first_header(table, TOOL_DATE_COLUMNS.get(mapping.tool, ())) or mapping.columns.get("date")
        self.problems: list[Problem] = []

    def cell(self, cells: list[str], field_name: str) -> str:
        column = self.mapping.columns.get(field_name)
        return cells[self.position[column]] if column in self.position else ""

    def reject(self, line: int, column: str | None, value: str | None, message: str) -> None:
        self.problems.append(Problem(self.table.file, line, column, value, message + " (ligne ignorée)",
                                     row_dropped=True))

    def build(self, cells: list[str], line: int) -> dict[str, object] | None:
        columns = self.mapping.columns
        if "brouillon" in columns and fold(self.cell(cells, "brouillon")) not in UNTICKED:
            self.reject(line, columns["brouillon"], self.cell(cells, "brouillon"),
                        "brouillon : la réponse n'a pas été envoyée")
            return None
        if "date_envoi" in columns and not self.cell(cells, "date_envoi"):
            self.reject(line, columns["date_envoi"], "", "réponse inachevée (pas de date d'envoi)")
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
                   mode=self.mapping.constants.get("mode", DEFAULT_MODE), date=_iso_date(self.cell(cells, "date")))
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
        row["reponse_id"] = self.answer_id(cells, respondent, partner)
        return row

    def structure(self, cells: list[str], line: int, field_name: str) -> str | None:
        column = self.mapping.columns[field_name]
        value = self.cell(cells, field_name)
        mapped = self.values.get(field_name, {}).get(fold(value))
        if mapped:
            value = mapped
        found, message = self.structures.resolve(value, self.cell(cells, f"{field_name}_commune"))
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
            if fold(answer) in lookup:
                code = lookup[fold(answer)]
            else:  # a code, or a questionnaire label exactly (accents and case aside)
                by_label = {fold(label): c for c, label in choices.labels.items()}
                code = answer if answer in choices.codes else by_label.get(fold(answer))
            if code is None:
                self.problems.append(Problem(self.table.file, line, column, answer,
                                             _unmapped_message(answer, choices)))
            elif code:
                codes.add(code)
        return [c for c in choices.codes if c in codes]

    def multi_codes(self, field_name: str, choice: MultiChoice, cells: list[str], line: int) -> list[str]:
        if not choice.options:
            column = choice.column or ""
            text = cells[self.position[column]] if column in self.position else ""
            return self.codes(field_name, split_answers(text, choice.separator, self.known[field_name]),
                              column, line)
        choices, codes = self.q[field_name], set()
        for column, code in choice.options.items():
            value = cells[self.position[column]] if column in self.position else ""
            if fold(value) in UNTICKED:
                continue
            if code is None or (code and code not in choices.codes):
                self.problems.append(Problem(self.table.file, line, column, value, _unmapped_message(
                    column, choices, what="colonne cochée")))
            elif code:
                codes.add(code)
        return [c for c in choices.codes if c in codes]

    def answer_id(self, cells: list[str], respondent: str, partner: str) -> str:
        """The tool's submission id when there is one, else a digest of time, respondent and partner."""
        prefix = self.mapping.id_prefix
        source = self.cell(cells, "id").removeprefix("uuid:")
        if source:
            return f"{prefix}{source}"
        moment = cells[self.position[self.moment]] if self.moment in self.position else ""
        parsed = _parse_moment(moment)
        key = f"{parsed.isoformat() if parsed else moment}|{respondent}|{partner}"
        return f"{prefix}{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _unmapped_message(answer: str, choices: ChoiceList, what: str = "réponse") -> str:
    message = f"{what} « {answer} » sans code correspondant pour « {choices.title} » : complétez la correspondance"
    suggestion = choices.suggest(answer.rsplit("/", 1)[-1])
    if suggestion:
        message += f" (proposition : « {choices.label(suggestion)} »)"
    return message + " (valeur ignorée)"


class _StructureIndex:
    """Finds a structure from what a respondent typed or picked: its id, its name, with its commune if needed."""

    def __init__(self, dataset: Dataset):
        frame = dataset.structures
        self.family = dict(zip(frame["id"], frame["famille"]))
        self.name = dict(zip(frame["id"], frame["nom"]))
        self.commune = dict(zip(frame["id"], frame["commune_insee"]))
        self.by_id = {i.upper(): i for i in frame["id"]}
        self.by_name: dict[str, list[str]] = {}
        for identifier, name in zip(frame["id"], frame["nom"]):
            self.by_name.setdefault(fold(name), []).append(identifier)
        communes = dataset.reference.communes
        self.commune_names = dict(zip(communes["code_insee"], communes["nom"]))
        self.commune_codes = {fold(n): c for c, n in zip(communes["code_insee"], communes["nom"])}

    def commune_code(self, text: str) -> str | None:
        text = text.strip()
        return text if text in self.commune_names else self.commune_codes.get(fold(text))

    def resolve(self, value: str, commune: str = "") -> tuple[str | None, str]:
        """``(id, "")`` or ``(None, French reason)``."""
        value = value.strip()
        if not value:
            return None, "structure non renseignée"
        if value.upper() in self.by_id:
            return self.by_id[value.upper()], ""
        uai = next((w for w in re.findall(r"\b\w{8}\b", value.upper()) if UAI_PATTERN.match(w)), None)
        if uai and uai in self.by_id:
            return self.by_id[uai], ""
        candidates = self.by_name.get(fold(value), [])
        wanted = self.commune_code(commune) if commune else None
        if not candidates:  # "Centre social Un (Argenteuil)", "École A - Argenteuil"
            match = re.match(r"^(.+?)\s*(?:\((.+)\)|[-–,]\s*([^-–,]+))\s*$", value)
            if match:
                suffix = self.commune_code(match.group(2) or match.group(3))
                if suffix:
                    candidates, wanted = self.by_name.get(fold(match.group(1)), []), wanted or suffix
        if wanted and len(candidates) > 1:
            candidates = [c for c in candidates if self.commune[c] == wanted] or candidates
        if len(candidates) == 1:
            return candidates[0], ""
        if candidates:
            places = ", ".join(sorted(self.commune_names.get(self.commune[c], self.commune[c]) for c in candidates))
            return None, (f"plusieurs structures s'appellent « {value} » ({places}) : associez une colonne "
                          "commune ou utilisez l'identifiant (UAI)")
        close = difflib.get_close_matches(fold(value), list(self.by_name), n=1, cutoff=0.75)
        hint = f" — vouliez-vous dire « {self.name[self.by_name[close[0]][0]]} » ?" if close else ""
        return None, f"structure « {value} » introuvable dans structures.csv{hint}"


# --------------------------------------------------------------------------- dates and comparison

_MOMENT_FORMATS = [
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*-?\s*(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"), "dmy"),
]


def _parse_moment(text: str) -> datetime | None:
    """Dates and times as the tools write them (ISO, Google's 2024/03/12 2:31:45 PM, French 12/03/2024 14:31)."""
    text = text.strip()
    for pattern, order in _MOMENT_FORMATS:
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groups()
        year, month, day = (parts[0], parts[1], parts[2]) if order == "ymd" else (parts[2], parts[1], parts[0])
        hour, minute, second = (int(p) if p else 0 for p in parts[3:6])
        if len(parts) > 6 and parts[6]:
            hour = hour % 12 + (12 if parts[6] == "PM" else 0)
        try:
            return datetime(int(year), int(month), int(day), hour, minute, second)
        except ValueError:
            return None
    return None


def _iso_date(text: str) -> str:
    """``2024-03-12`` for any date the tools write; the text unchanged when it is not a date (reported later)."""
    moment = _parse_moment(text)
    return moment.date().isoformat() if moment else text.strip()


def _normalised(row: dict[str, object]) -> tuple:
    values = []
    for column in FILES["reponses"].columns:
        value = row.get(column)
        if isinstance(value, list):
            values.append(tuple(sorted(value)))
        elif column in MULTI_FIELDS:
            values.append(tuple(sorted(split_codes(value))))
        elif value is None or (not isinstance(value, str) and pd.isna(value)):
            values.append("")
        elif isinstance(value, pd.Timestamp):
            values.append(value.date().isoformat())
        else:
            values.append(str(value))
    return tuple(values)


def _compare(frame: pd.DataFrame, dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Rows split into added and updated (same reponse_id, different content), and the unchanged count."""
    columns = list(FILES["reponses"].columns)
    existing = {str(r["reponse_id"]): _normalised(r) for r in dataset.reponses.to_dict("records")}
    frame = frame.set_index("_line").rename_axis("ligne")[columns] if "_line" in frame else frame[columns]
    status = [("added" if r["reponse_id"] not in existing else
               "same" if existing[r["reponse_id"]] == _normalised(r) else "updated")
              for r in frame.to_dict("records")]
    status = pd.Series(status, index=frame.index, dtype=object)
    return frame[status == "added"], frame[status == "updated"], int((status == "same").sum())

