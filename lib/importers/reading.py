"""Reading an export: CSV in any encoding and delimiter, or the first sheet of an XLSX."""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from lib.csvio import DELIMITER_NAMES, CsvError, decode_bytes, normalise_column, parse_text
from lib.dataset import Problem
from lib.filesafety import FileRefused, check_upload
from lib.imports import MAX_IMPORT_BYTES
from lib.importers.ticks import looks_like_ticks
from lib.importers.tools import KOBO_MARKERS, WEBFORM_DETAILS_ROW
from lib.text import fold_cached as fold

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


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
    cut = None
    try:
        text, encoding = decode_bytes(data, filename)
        expected = {normalise_column(m) for m in KOBO_MARKERS}
        try:
            raw = parse_text(text, filename, encoding, expected=expected)
        except CsvError as err:
            if not err.line or err.line <= 2 or "jamais refermé" not in err.message:
                raise
            # A file cut inside a quoted field: the complete rows before the cut are still an import.
            cut = err
            raw = parse_text("".join(text.splitlines(keepends=True)[:err.line - 1]), filename, encoding,
                             expected=expected)
    except CsvError as err:
        raise ExportRefused(err.message, err.line) from None
    records = list(zip(raw.lines, raw.rows))
    table = _build_table(filename, raw.original_header, records, "CSV")
    if cut is not None:
        table.problems.append(Problem(filename, cut.line, None, None, f"{cut.message} Fichier coupé : seules les "
                                      f"lignes complètes avant la ligne {cut.line} sont lues (ligne ignorée)",
                                      row_dropped=True))
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

    An option column is one whose values are all tick values (X or empty, any vocabulary); the group runs
    until the next named group or a column that is not a tick box.
    """
    if groups is None:
        return header
    merged, current = [], None
    for position, name in enumerate(header):
        above = groups[position].strip() if position < len(groups) else ""
        if above and fold(above) not in WEBFORM_DETAILS_ROW:
            current = above
        elif above or not looks_like_ticks(row[position] for row in rows):
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
