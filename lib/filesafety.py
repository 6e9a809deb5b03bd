"""What a file may cost before it is read: bounds checked on the bytes, before any parser runs.

A 1.2 MB XLSX can unzip to gigabytes and a CSV line can hold a million
columns; either would hold a server's memory and CPU for minutes while every
other session waits. Every import and the data-set loader go through these
checks first (CSV: :func:`lib.csvio.parse_text`; uploads:
:func:`check_upload`), so a hostile file is refused in well under a second
and its refusal message stays short.

The bounds are far above the real files: the national Ministry directory
has ~70 columns and up to ~65,000 rows; survey exports a few hundred columns
(LimeSurvey writes one column per option) and 10,000+ rows.
"""

from __future__ import annotations

import io
import math
import re
import tomllib
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path
from xml.parsers import expat

from lib.formatting import format_decimal, format_int

CONFIG_FILE = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
# Streamlit's own default for server.maxUploadSize (in megabytes), used when the file does not set it.
STREAMLIT_DEFAULT_UPLOAD_MB = 200
# Streamlit counts server.maxUploadSize in megabytes of 1024 × 1024 bytes
# (web/server/starlette/starlette_routes.py); the messages use the same unit (« Mo »).
BYTES_PER_MB = 1024 * 1024

MAX_COLUMNS = 2_000
MAX_ROWS = 200_000
MAX_CELLS = 8_000_000  # rows × columns: the national directory is ~4.6 million
MAX_LINE_CHARS = 4 * 1024 * 1024  # a stored answer may hold a long comment; no real line is near this
MAX_PHYSICAL_LINES = 2 * MAX_ROWS  # quoted cells may span lines
MAX_SHEETS = 200
MAX_ZIP_ENTRIES = 2_000
MAX_XLSX_UNCOMPRESSED = 768 * BYTES_PER_MB  # a 10,000 × 300 survey export is ~160 MB of XML
MAX_COMPRESSION_RATIO = 100  # real sheets compress 5 to 30 times; zip bombs a thousand times
_RATIO_FROM_BYTES = BYTES_PER_MB  # small parts (styles, themes) may compress very well harmlessly
_XML_PART_BYTES = 8 * BYTES_PER_MB  # workbook.xml and its relations: a few kilobytes in real files
_CHUNK = 64 * 1024
_QUOTE_CHARS = 40

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Za-z]{1,3})?(\d+)?$")


class FileRefused(Exception):
    """A file refused before it is read; ``message`` is short, French, and quotes nothing long."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


# --------------------------------------------------------------------------- upload limit


def upload_limit_mb(config_file: Path = CONFIG_FILE) -> int:
    """``server.maxUploadSize`` of the app's configuration, in megabytes (Streamlit's unit)."""
    try:
        with config_file.open("rb") as handle:
            server = tomllib.load(handle).get("server", {})
    except (OSError, tomllib.TOMLDecodeError):
        return STREAMLIT_DEFAULT_UPLOAD_MB
    value = server.get("maxUploadSize", STREAMLIT_DEFAULT_UPLOAD_MB)
    return int(value) if isinstance(value, int) and value > 0 else STREAMLIT_DEFAULT_UPLOAD_MB


MAX_UPLOAD_MB = upload_limit_mb()
MAX_IMPORT_BYTES = MAX_UPLOAD_MB * BYTES_PER_MB


def format_megabytes(n_bytes: int) -> str:
    """``52428800`` → ``50 Mo``; ``53687091`` → ``51,2 Mo`` (1 Mo = 1024 × 1024 octets, as Streamlit counts).

    Under a megabyte, in kilobytes (``3 Ko``).
    """
    if n_bytes < BYTES_PER_MB:
        return f"{format_int(math.ceil(n_bytes / 1024))} Ko"
    value = n_bytes / BYTES_PER_MB
    return f"{format_int(value) if value.is_integer() else format_decimal(value)} Mo"


def too_big_message(n_bytes: int, limit_bytes: int = MAX_IMPORT_BYTES) -> str:
    """The refusal of a file over the upload limit, in the configuration's unit and number."""
    return (f"fichier trop volumineux ({format_megabytes(n_bytes)}) : la limite est de "
            f"{format_megabytes(limit_bytes)}.")


# --------------------------------------------------------------------------- short messages


def shorten(value: object, limit: int = _QUOTE_CHARS) -> str:
    """A value quoted in a message: at most ``limit`` characters, control characters as spaces."""
    text = " ".join(str(value)[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_list(values: list, limit: int = 12) -> str:
    """``a, b, c … (1 000 000 en tout)``: a list in a message, never a whole header."""
    shown = ", ".join(shorten(v) for v in values[:limit])
    return shown if len(values) <= limit else f"{shown} … ({format_int(len(values))} en tout)"


# --------------------------------------------------------------------------- CSV


def check_csv_lines(text: str) -> None:
    """Refuse a text with too many lines or a line too long, before any CSV parsing.

    Linear in the text and bounded: the number of lines is counted in C first.

    Raises:
        FileRefused: naming the first line too long.
    """
    lines = text.count("\n") + 1
    if lines > MAX_PHYSICAL_LINES:
        raise FileRefused(f"trop de lignes ({format_int(lines)} ; au plus {format_int(MAX_PHYSICAL_LINES)}) : "
                          "découpez le fichier.")
    if len(text) <= MAX_LINE_CHARS:
        return
    start, number = 0, 1
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            raise FileRefused(f"ligne trop longue ({format_int(end - start)} caractères ; au plus "
                              f"{format_int(MAX_LINE_CHARS)}) : ce n'est pas un tableau attendu.", line=number)
        start, number = end + 1, number + 1


def check_csv_cells(text: str, delimiter: str) -> None:
    """Refuse a text whose cells (delimiters, lines) exceed :data:`MAX_CELLS`; counted in C, no parsing.

    Delimiters inside quoted text count too: an upper bound, far above real files.
    """
    cells = text.count(delimiter) + text.count("\n") + 1
    if cells > MAX_CELLS:
        raise FileRefused(f"trop de cellules (jusqu'à {format_int(cells)} ; au plus {format_int(MAX_CELLS)}) : "
                          "découpez le fichier.")


def check_record(record: list[str], line: int, records: int) -> None:
    """Refuse a record wider than :data:`MAX_COLUMNS` or beyond :data:`MAX_ROWS` (called while parsing)."""
    if len(record) > MAX_COLUMNS:
        raise FileRefused(f"trop de colonnes : {format_int(len(record))} (au plus "
                          f"{format_int(MAX_COLUMNS)}) ; vérifiez le séparateur ou découpez le fichier.", line=line)
    if records > MAX_ROWS:
        raise FileRefused(f"trop de lignes : plus de {format_int(MAX_ROWS)} ; découpez le fichier.", line=line)


# --------------------------------------------------------------------------- uploads and XLSX


def check_upload(data: bytes, limit_bytes: int = MAX_IMPORT_BYTES) -> None:
    """Refuse an uploaded file over the upload limit, or a workbook too big to open (see :func:`check_xlsx`)."""
    if len(data) > limit_bytes:
        raise FileRefused(too_big_message(len(data), limit_bytes))
    if data.startswith(b"PK\x03\x04"):
        check_xlsx(data)


def check_xlsx(data: bytes) -> None:
    """Refuse a workbook whose contents would cost too much to read, reading only what is bounded.

    The zip directory (declared sizes: Python's zipfile never inflates more
    than an entry declares), the compression ratio of each large part, the
    number of sheets, then the first sheet streamed through expat and counted
    (the rows and columns openpyxl would produce, ``<dimension>`` included),
    stopping as soon as a bound is crossed. Files that are not workbooks pass
    through: the reader says what they are.

    Raises:
        FileRefused: the first bound crossed, in French.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # the reader reports a damaged archive
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRefused(f"archive de {format_int(len(entries))} fichiers : ce n'est pas un classeur ordinaire.")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise FileRefused(f"classeur trop gros une fois décompressé ({format_megabytes(total)} ; au plus "
                          f"{format_megabytes(MAX_XLSX_UNCOMPRESSED)}) : enregistrez-le au format « CSV UTF-8 ».")
    for entry in entries:
        if entry.file_size > _RATIO_FROM_BYTES and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
            raise FileRefused(f"classeur suspect : une partie se décompresse {format_int(entry.file_size / max(entry.compress_size, 1))} "
                              "fois (bombe de décompression ?) ; il n'est pas ouvert.")
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        return
    sheet = _first_sheet(archive, names)
    if sheet is not None:
        _check_sheet(archive, sheet)


def _xml_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    info = archive.getinfo(name)
    if info.file_size > _XML_PART_BYTES:
        raise FileRefused(f"classeur suspect : « {shorten(name)} » fait {format_megabytes(info.file_size)}.")
    try:
        return ElementTree.fromstring(archive.read(name))
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return None  # the reader reports a damaged workbook


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part name of the workbook's first sheet (the one the importer reads); checks the sheet count."""
    book = _xml_part(archive, "xl/workbook.xml")
    if book is None:
        return None
    sheets = book.findall(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
    if len(sheets) > MAX_SHEETS:
        raise FileRefused(f"classeur de {format_int(len(sheets))} feuilles (au plus {format_int(MAX_SHEETS)}).")
    if not sheets or "xl/_rels/workbook.xml.rels" not in names:
        return None
    rels = _xml_part(archive, "xl/_rels/workbook.xml.rels")
    if rels is None:
        return None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall(f"{_PKG_REL_NS}Relationship")}
    target = targets.get(sheets[0].get(f"{_REL_NS}id"), "")
    name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return name if name in names else None


class _Over(Exception):
    """Raised inside the expat handler to stop reading at the first bound crossed."""


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _check_sheet(archive: zipfile.ZipFile, name: str) -> None:
    """Stream the sheet's XML and count what openpyxl (read-only) would produce; stop at the first bound."""
    state = {"row": 0, "col": 0, "width": 0, "declared_width": 0, "cells": 0}
    problem: list[str] = []

    def refuse(message: str) -> None:
        problem.append(message)
        raise _Over

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            ref = _CELL_REF.match(attrs.get("r", "")) if "r" in attrs else None
            state["col"] = _column_number(ref.group(1)) if ref and ref.group(1) else state["col"] + 1
            if state["col"] > state["width"]:
                state["width"] = state["col"]
                if state["width"] > MAX_COLUMNS:
                    refuse(f"trop de colonnes dans la feuille : au moins {format_int(state['width'])} (au plus "
                           f"{format_int(MAX_COLUMNS)}).")
        elif local == "row":
            number = attrs.get("r", "")
            state["row"] = int(number) if number.isdigit() else state["row"] + 1
            state["col"] = 0
            if state["row"] > MAX_ROWS:
                refuse(f"trop de lignes dans la feuille : au moins {format_int(state['row'])} (au plus "
                       f"{format_int(MAX_ROWS)}).")
            # openpyxl pads every row to the widest column it knows (the dimension's, or the row's own last cell).
            width = max(state["width"], state["declared_width"])
            if state["row"] * width > MAX_CELLS:
                refuse(f"trop de cellules dans la feuille : au moins {format_int(state['row'] * width)} "
                       f"(au plus {format_int(MAX_CELLS)}).")
        elif local == "dimension":
            corner = attrs.get("ref", "").rpartition(":")[2].replace("$", "")
            ref = _CELL_REF.match(corner)
            if ref and ref.group(1) and ref.group(2):
                columns, rows = _column_number(ref.group(1)), int(ref.group(2))
                if columns > MAX_COLUMNS or rows > MAX_ROWS or columns * rows > MAX_CELLS:
                    refuse(f"la feuille déclare {format_int(rows)} lignes sur {format_int(columns)} colonnes "
                           f"(au plus {format_int(MAX_ROWS)} lignes, {format_int(MAX_COLUMNS)} colonnes, "
                           f"{format_int(MAX_CELLS)} cellules) : enregistrez-la au format « CSV UTF-8 ».")
                state["declared_width"] = columns

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Over:
        raise FileRefused(problem[0]) from None
    except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return  # a damaged sheet: the reader says so
