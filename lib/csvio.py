"""Read the CSV files people actually produce, and say clearly when one can't be read.

Excel FR writes Windows-1252 with ``;``; online tools write UTF-8 with or
without a BOM, with ``,``; "Texte Unicode" exports are UTF-16 with tabs. This
module turns any of them into rows of strings, each with the line number where
it starts, so that every later message can name file, line and column.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from lib.filesafety import FileRefused, check_csv_cells, check_csv_lines, check_record
from lib.text import fold

DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
# Encodings people's tools produce in France; leaving the detector free makes it
# guess Central-European code pages for short French texts.
CANDIDATE_ENCODINGS = ["utf_8", "cp1252", "latin_1", "utf_16", "utf_32"]
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "utf_8": "UTF-8",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1",
    "utf_16": "UTF-16",
    "utf_32": "UTF-32",
}
_SAMPLE_BYTES = 64 * 1024
# Python's csv module refuses a field over 131,072 characters by default: one long comment then made a
# whole data set unreadable. Every CSV of the app is parsed after this module is imported, so the limit is
# raised here, once: a cell is bounded by its file's size, not by the parser (2**31 - 1 fits a C long everywhere).
FIELD_SIZE_LIMIT = 2**31 - 1
csv.field_size_limit(FIELD_SIZE_LIMIT)
_SNIFF_CHARS = 4 * 1024
_SNIFF_LINES = 20
NO_HEADER = "le fichier ne contient aucune ligne d'en-tête."


class CsvError(Exception):
    """A file that cannot be read as CSV at all; the message is French and names the file."""

    def __init__(self, file: str, message: str, line: int | None = None):
        super().__init__(message)
        self.file = file
        self.message = message
        self.line = line


@dataclass
class RawTable:
    """A CSV file as strings: normalised header, data rows and their line numbers."""

    file: str
    header: list[str]
    original_header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str
    delimiter: str

    @property
    def encoding_label(self) -> str:
        return ENCODING_NAMES.get(self.encoding, self.encoding)


def normalise_column(name: str) -> str:
    """``" Qualité "`` → ``"qualite"``: what a column is called once typed by a person."""
    return fold(name.replace("-", " ")).replace(" ", "_")


def decode_bytes(data: bytes, file: str) -> tuple[str, str]:
    """Decode a file's bytes; returns ``(text, encoding)``.

    UTF-8 (with or without BOM) is tried strictly first because it is
    unambiguous; anything else goes to charset-normalizer, restricted to the
    encodings French office tools write.

    Raises:
        CsvError: empty, binary, a spreadsheet rather than a CSV, or undecodable.
    """
    if not data.strip():
        raise CsvError(file, "le fichier est vide.")
    if data[:4] == b"PK\x03\x04":
        raise CsvError(
            file,
            "c'est un classeur (Excel .xlsx ou OpenDocument), pas un CSV : "
            "enregistrez-le au format « CSV UTF-8 » depuis votre tableur.",
        )
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf_32"), (codecs.BOM_UTF32_BE, "utf_32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf_16"),
                          (codecs.BOM_UTF16_BE, "utf_16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as err:
                raise CsvError(file, f"le fichier annonce l'encodage {ENCODING_NAMES[encoding]} "
                               f"mais contient des octets invalides (position {err.start}).") from None
    if b"\x00" in data[:_SAMPLE_BYTES]:
        utf16 = _utf16_without_bom(data)
        if utf16:
            return utf16
        raise CsvError(file, "ce n'est pas un fichier texte (contenu binaire) : attendu un fichier CSV.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None:
        raise CsvError(file, "encodage du fichier non reconnu : enregistrez-le au format « CSV UTF-8 ».")
    return str(best), best.encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text saved without its BOM: NUL bytes on every other byte of ASCII text."""
    sample = data[:_SAMPLE_BYTES - _SAMPLE_BYTES % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, encoding in ((odd, "utf_16_le"), (even, "utf_16_be")):
        if zeros.count(0) > 0.9 * len(zeros):
            try:
                return data.decode(encoding), "utf_16"
            except UnicodeDecodeError:
                return None
    return None


def _split_header(text: str, delimiter: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return [normalise_column(c) for c in first]


def detect_delimiter(text: str, expected: set[str] | None = None) -> str:
    """The field delimiter of ``text`` among ``;``, ``,`` and tab.

    ``csv.Sniffer`` decides first; when the expected column names are known,
    the delimiter that recognises the most of them wins (a ``;`` file with
    decimal commas can fool the sniffer).
    """
    sample = text[:_SAMPLE_BYTES]
    # csv.Sniffer's quote regexes take time growing with the cube of their input on hostile text
    # (2 minutes for 64 KB of `"` and newlines): it sees the first lines only, at most 4 KB.
    sniffed_sample = "\n".join(sample[:_SNIFF_CHARS].split("\n", _SNIFF_LINES)[:_SNIFF_LINES])
    try:
        sniffed = csv.Sniffer().sniff(sniffed_sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        sniffed = max(DELIMITERS, key=first_line.count)
    if not expected:
        return sniffed

    def known(delimiter: str) -> int:
        return len(set(_split_header(sample, delimiter)) & expected)

    best = max(DELIMITERS, key=lambda d: (known(d), d == sniffed))
    return best if known(best) > known(sniffed) else sniffed


def parse_text(text: str, file: str, encoding: str, expected: set[str] | None = None,
               delimiter: str | None = None) -> RawTable:
    """Split decoded text into a :class:`RawTable` (header + rows with start lines).

    Rows that are entirely empty (blank lines, or only delimiters as Excel
    leaves them) are skipped; their line numbers still count. The delimiter
    is detected unless given. Every CSV the app reads comes through here, so
    the bounds of :mod:`lib.filesafety` (lines, line length, cells, columns)
    are checked here, before and while parsing.
    """
    try:
        check_csv_lines(text)
        delimiter = delimiter or detect_delimiter(text, expected)
        check_csv_cells(text, delimiter)
    except FileRefused as err:
        raise CsvError(file, err.message, line=err.line) from None
    # strict: a quote opened and never closed would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    next_line = 1
    try:
        for record in reader:
            start, next_line = next_line, reader.line_num + 1
            check_record(record, start, len(rows))
            if not any(record) or not "".join(record).strip():
                continue
            if header is None:
                header = record
                continue
            rows.append(record)
            lines.append(start)
    except csv.Error as err:
        raise CsvError(file, csv_error_message(err, next_line), line=next_line) from None
    except FileRefused as err:
        raise CsvError(file, err.message, line=err.line) from None
    if header is None:
        raise CsvError(file, NO_HEADER)
    return RawTable(
        file=file,
        header=[normalise_column(c) for c in header],
        original_header=[c.replace("\ufeff", "").strip() for c in header],
        rows=rows,
        lines=lines,
        encoding=encoding,
        delimiter=delimiter,
    )


def fit_width(row: list[str], width: int, delimiter: str) -> tuple[list[str] | None, str | None]:
    """A row with the header's width, or None and the French reason it is broken.

    Trailing empty cells (a spreadsheet's ";;;") are harmless and cut off.
    """
    if len(row) > width and not any(v.strip() for v in row[width:]):
        return row[:width], None
    if len(row) == width:
        return row, None
    what = "tronquée" if len(row) < width else "avec des valeurs en trop"
    return None, f"ligne {what} : {len(row)} valeurs au lieu de {width} (séparateur « {delimiter} »)"


def csv_error_message(err: csv.Error, line: int) -> str:
    """A French reason for what Python's csv module refused, at the record starting on ``line``."""
    if "unexpected end of data" in str(err):
        return (f"guillemet ouvert ligne {line} et jamais refermé : la suite du fichier serait lue comme une seule "
                "cellule. Fermez le guillemet (ou retirez-le), ou ré-exportez le fichier complet.")
    if "expected after" in str(err):
        return (f"guillemet mal placé ligne {line} : dans une cellule entre guillemets, un guillemet s'écrit "
                "doublé (\"\").")
    return f"CSV mal formé ligne {line} ({err})."


def read_table(path: Path, expected: set[str] | None = None) -> RawTable:
    """Read one CSV file from disk into a :class:`RawTable`.

    Raises:
        CsvError: the file cannot be read (missing, empty, binary, undecodable).
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CsvError(path.name, f"fichier illisible ({err.strerror}).") from None
    text, encoding = decode_bytes(data, path.name)
    return parse_text(text, path.name, encoding, expected)
