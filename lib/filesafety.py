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
# Parts openpyxl loads whole (shared strings, styles…), unlike the sheets it streams.
MAX_LOADED_PART = 128 * BYTES_PER_MB
_CHUNK = 1024 * 1024
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
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > _RATIO_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise FileRefused(f"classeur suspect : une partie se décompresse {format_int(ratio)} fois (bombe de "
                              "décompression ?) ; il n'est pas ouvert.")
        if entry.file_size > MAX_LOADED_PART and not entry.filename.startswith("xl/worksheets/"):
            raise FileRefused(f"classeur suspect : « {shorten(entry.filename)} » fait "
                              f"{format_megabytes(entry.file_size)} une fois décompressé (au plus "
                              f"{format_megabytes(MAX_LOADED_PART)}).")
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


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(char) - 64
    return number


class _SheetCount:
    """What openpyxl (read-only) would produce from a sheet: rows (gaps filled) × widest row."""

    def __init__(self) -> None:
        self.rows = 0  # highest row number, or number of rows
        self.width = 0  # widest column referenced
        self.declared_width = 0  # the <dimension>'s, to which openpyxl pads every row

    def check(self) -> None:
        if self.width > MAX_COLUMNS:
            raise FileRefused(f"trop de colonnes dans la feuille : au moins {format_int(self.width)} (au plus "
                              f"{format_int(MAX_COLUMNS)}).")
        if self.rows > MAX_ROWS:
            raise FileRefused(f"trop de lignes dans la feuille : au moins {format_int(self.rows)} (au plus "
                              f"{format_int(MAX_ROWS)}).")
        cells = self.rows * max(self.width, self.declared_width)
        if cells > MAX_CELLS:
            raise FileRefused(f"trop de cellules dans la feuille : au moins {format_int(cells)} (au plus "
                              f"{format_int(MAX_CELLS)}) ; enregistrez-la au format « CSV UTF-8 ».")

    def dimension(self, ref: str) -> None:
        corner = _CELL_REF.match(ref.rpartition(":")[2].replace("$", ""))
        if corner and corner.group(1) and corner.group(2):
            columns, rows = _column_number(corner.group(1)), int(corner.group(2))
            if columns > MAX_COLUMNS or rows > MAX_ROWS or columns * rows > MAX_CELLS:
                raise FileRefused(f"la feuille déclare {format_int(rows)} lignes sur {format_int(columns)} colonnes "
                                  f"(au plus {format_int(MAX_ROWS)} lignes, {format_int(MAX_COLUMNS)} colonnes, "
                                  f"{format_int(MAX_CELLS)} cellules) : enregistrez-la au format « CSV UTF-8 ».")
            self.declared_width = columns


_DIMENSION = re.compile(rb'<dimension\s[^>]*?ref="([^"]{1,40})"')
_ROOT = re.compile(rb"<worksheet[\s>]")
_ROW_NUMBER = re.compile(rb'<row r="(\d{1,12})"')
_CELL_COLUMN = re.compile(rb'<c r="([A-Za-z]{1,4})')
_UNREFERENCED = re.compile(rb'<(?:c|row)(?:>|/|\s(?!r="))')  # a cell or row not starting with its reference


def _check_sheet(archive: zipfile.ZipFile, name: str) -> None:
    """Count the sheet's rows and columns as openpyxl would produce them; refuse at the first bound crossed.

    Tags are counted in 1 MiB chunks with byte counts and literal-prefixed regular expressions (C speed: a
    10,000 × 300 export in about a second). A sheet written otherwise (prefixed tags, cells without their
    reference first) is parsed with expat instead, slower but just as bounded.
    """
    count = _SheetCount()
    carry = b""
    first = True
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                data = carry + chunk
                cut = data.rfind(b">") + 1  # whole tags only; the rest waits for the next chunk
                data, carry = data[:cut], data[cut:]
                if len(carry) > _CHUNK:  # no tag end in a whole chunk: not a sheet anyone wrote
                    raise FileRefused("feuille illisible : balise XML démesurée.")
                if first:
                    first = False
                    if not _ROOT.search(data):
                        return _check_sheet_by_parsing(archive, name)
                    dimension = _DIMENSION.search(data)
                    if dimension:
                        count.dimension(dimension.group(1).decode("ascii", "replace"))
                if _UNREFERENCED.search(data):
                    return _check_sheet_by_parsing(archive, name)
                columns = _CELL_COLUMN.findall(data)
                if columns:
                    longest = len(max(columns, key=len))
                    widest = max(c.upper() for c in set(columns) if len(c) == longest)
                    count.width = max(count.width, _column_number(widest))
                count.rows = max(count.rows, max(map(int, _ROW_NUMBER.findall(data)), default=0))
                count.check()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return  # a damaged sheet: the reader says so


class _Over(Exception):
    """Raised inside the expat handler to stop reading at the first bound crossed."""


def _check_sheet_by_parsing(archive: zipfile.ZipFile, name: str) -> None:
    """:func:`_check_sheet` for sheets whose cells omit their reference: every element through expat."""
    count = _SheetCount()
    column = 0
    problem: list[FileRefused] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal column
        local = tag.rpartition(":")[2]
        try:
            if local == "c":
                ref = _CELL_REF.match(attrs.get("r", ""))
                column = _column_number(ref.group(1)) if ref and ref.group(1) else column + 1
                if column > count.width:
                    count.width = column
                    count.check()
            elif local == "row":
                number = attrs.get("r", "")
                count.rows = int(number) if number.isdigit() and len(number) < 13 else count.rows + 1
                column = 0
                count.check()
            elif local == "dimension":
                count.dimension(attrs.get("ref", ""))
        except FileRefused as err:
            problem.append(err)
            raise _Over from None

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Over:
        raise problem[0] from None
    except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return  # a damaged sheet: the reader says so
