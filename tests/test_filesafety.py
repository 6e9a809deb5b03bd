"""Hostile files (issue 12 §4) and the upload limit's unit (§7).

A zip bomb and a million-column CSV, generated here, are refused by every
entry point that reads a file within 2 s and 100 MB (measured in a separate
process with ``resource.getrusage``); the bounds still accept files shaped
like the real ones; refusal messages stay short.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import time
import tomllib
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from lib import filesafety
from lib.annuaire import preview_school_directory
from lib.csvio import CsvError, parse_text, read_table
from lib.dataset import load_dataset
from lib.filesafety import FileRefused, check_csv_cells, check_csv_lines, check_xlsx
from lib.importers import ExportRefused, read_export
from lib.imports import MAX_IMPORT_BYTES, preview_structures_csv
from tests.conftest import small_dataset  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
SHORT = 300  # characters: a refusal reads in one glance

_WORKBOOK = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}'
             '</sheets></workbook>')
_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
         '</Relationships>')


def workbook_parts(sheet_xml: bytes, sheets: int = 1) -> dict[str, bytes]:
    """The parts of a minimal workbook whose first sheet is ``sheet_xml``."""
    return {
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": _WORKBOOK.format(sheets="".join(
            f'<sheet name="F{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1))).encode(),
        "xl/_rels/workbook.xml.rels": _RELS.format(rels="".join(
            f'<Relationship Id="rId{i}" Type="worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, sheets + 1))).encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def sheet(rows: str, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def zip_bomb(uncompressed: int = 1_400_000_000) -> bytes:
    """An XLSX whose first sheet inflates to ``uncompressed`` bytes of rows, in about 3.4 MB.

    One 10 MB block of rows is deflated once and repeated (a full flush makes
    each copy independent), so the bomb costs a fraction of a second to make.
    """
    head, tail = sheet("").split(b"</sheetData>")
    head = head.removesuffix(b"<sheetData/>").removesuffix(b"<sheetData>") + b"<sheetData>"
    tail = b"</sheetData>" + tail
    chunk = b"<row><c><v>0</v></c></row>" * 400_000
    repeats = uncompressed // len(chunk)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    body += block * repeats + compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(chunk) * repeats + len(tail)
    # zipfile cannot store an already deflated stream: the archive is written by hand (stored small parts).
    out, central, count = io.BytesIO(), io.BytesIO(), 0
    parts = {name: (data, zlib.crc32(data), len(data), 0) for name, data in workbook_parts(b"").items()}
    parts["xl/worksheets/sheet1.xml"] = (body, crc, size, 8)
    for name, (stored, crc32, length, method) in parts.items():
        raw_name, offset, count = name.encode(), out.tell(), count + 1
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc32, len(stored), length,
                              len(raw_name), 0) + raw_name + stored)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc32, len(stored),
                                  length, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), out.tell(), 0)
    return out.getvalue() + directory + end


def wide_csv(columns: int = 1_000_000) -> bytes:
    """A CSV with a million columns: a header and one row."""
    return (";".join(f"c{i}" for i in range(columns)) + "\n" + ";".join("1" * columns) + "\n").encode()


def test_the_generated_bomb_really_inflates_to_gigabytes():
    bomb = zip_bomb()
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/worksheets/sheet1.xml")
    assert len(bomb) < 4_000_000 and info.file_size > 1_300_000_000
    with zipfile.ZipFile(io.BytesIO(bomb)).open(info) as stream:  # a valid stream: it does inflate
        assert stream.read(1_000_000).count(b"<row>") > 30_000


# What a child process runs: each entry point on each file, timed, with its peak memory over the RSS before
# (the peak reset just before the call; Linux /proc, as the deployment).
_PROBE = r"""
import gc, json, resource, sys, time
from pathlib import Path
from lib.annuaire import preview_school_directory
from lib.csvio import CsvError, read_table
from lib.importers import ExportRefused, read_export
from lib.imports import preview_structures_csv

def rss_kb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() // 1024

def reset_peak():
    # Linux: the peak RSS starts again from the current RSS, else the imports' peak would hide the call's.
    Path("/proc/self/clear_refs").write_text("5")

def peak_kb():
    # getrusage's ru_maxrss also keeps the peak seen when any thread exited (here: during the imports),
    # which clear_refs does not reset; VmHWM is the same peak without that memory.
    status = Path("/proc/self/status").read_text()
    hwm = int(status.split("VmHWM:")[1].split()[0])
    return min(hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

def refusal(call):
    try:
        result = call()
    except (ExportRefused, CsvError) as err:
        return err.message
    problems = [str(p) for p in getattr(result, "problems", [])]
    return problems[0] if len(problems) == 1 and not len(result.added) else None

entry_points = {
    "import d'enquête": lambda data, path: read_export(data, path.name),
    "annuaire": lambda data, path: preview_school_directory(data, path.name, None),
    "centres sociaux": lambda data, path: preview_structures_csv(data, path.name, None, None),
    "chargement": lambda data, path: read_table(path),
}
results = []
for name in sys.argv[1:]:
    path = Path(name)
    for entry, call in entry_points.items():
        if path.suffix == ".xlsx" and entry != "import d'enquête":
            continue
        data = path.read_bytes()
        gc.collect()
        reset_peak()
        before = rss_kb()
        start = time.perf_counter()
        message = refusal(lambda: call(data, path))
        seconds = time.perf_counter() - start
        peak = peak_kb()
        results.append({"file": path.name, "entry": entry, "message": message, "seconds": seconds,
                        "extra_mb": max(0, peak - before) / 1024})
print(json.dumps(results))
"""


def test_zip_bomb_and_million_column_csv_are_refused_within_2_s_and_100_mb_by_every_reader(tmp_path):
    bomb, wide = tmp_path / "bombe.xlsx", tmp_path / "large.csv"
    bomb.write_bytes(zip_bomb())
    wide.write_bytes(wide_csv())
    narrow = tmp_path / "etroit.csv"  # a million one-letter columns: short enough a line, too many columns
    narrow.write_bytes(("a;" * 1_000_000 + "\n").encode())
    run = subprocess.run([sys.executable, "-c", _PROBE, str(bomb), str(wide), str(narrow)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    assert len(results) == 1 + 4 + 4
    for result in results:
        where = f"{result['file']} par {result['entry']}"
        assert result["message"], f"{where} : pas refusé"
        assert len(result["message"]) < SHORT, f"{where} : message de {len(result['message'])} caractères"
        assert result["seconds"] < 2, f"{where} : {result['seconds']:.1f} s"
        assert result["extra_mb"] < 100, f"{where} : {result['extra_mb']:.0f} Mo"
    by_file = {r["file"]: r["message"] for r in results}
    assert "décompress" in by_file["bombe.xlsx"]
    assert "trop longue" in by_file["large.csv"] and "colonnes" in by_file["etroit.csv"]


@pytest.mark.parametrize("rows, dimension, expected", [
    ('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFD1048576", "la feuille déclare 1 048 576 lignes"),
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>', None,
     "trop de lignes dans la feuille"),
    ('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>', None, "trop de colonnes dans la feuille"),
    ("<row>" + "<c><v>1</v></c>" * 3_000 + "</row>", None, "trop de colonnes dans la feuille"),  # no references
    ('<row r="1"><c r="BXX1"><v>1</v></c></row>' * 1 + "".join(
        f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(2, 4_100)), None,
     "trop de cellules dans la feuille"),  # openpyxl would pad every row to the widest
])
def test_a_sheet_that_would_unfold_into_too_many_cells_is_refused_before_openpyxl(rows, dimension, expected):
    data = zip_of(workbook_parts(sheet(rows, dimension)))
    start = time.perf_counter()
    with pytest.raises(ExportRefused) as refused:
        read_export(data, "classeur.xlsx")
    assert time.perf_counter() - start < 2
    message = refused.value.message.replace("\u00a0", " ")
    assert expected in message and len(message) < SHORT


def test_a_workbook_with_too_many_sheets_or_parts_too_big_is_refused(monkeypatch):
    with pytest.raises(FileRefused, match="feuilles"):
        check_xlsx(zip_of(workbook_parts(sheet(""), sheets=filesafety.MAX_SHEETS + 1)))
    parts = workbook_parts(sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    parts["xl/sharedStrings.xml"] = b"<sst>" + b"<si><t>x</t></si>" * 1_000_000 + b"</sst>"  # 16 MB, ratio > 100
    with pytest.raises(FileRefused, match="bombe de décompression"):
        check_xlsx(zip_of(parts))
    monkeypatch.setattr(filesafety, "MAX_LOADED_PART", 100_000)  # openpyxl loads shared strings whole
    with zipfile.ZipFile(buffer := io.BytesIO(), "w", zipfile.ZIP_STORED) as archive:  # stored: ratio 1
        for name, content in workbook_parts(sheet("")).items():
            archive.writestr(name, content)
        archive.writestr("xl/sharedStrings.xml", b" " * 100_001)
    with pytest.raises(FileRefused, match="sharedStrings"):
        check_xlsx(buffer.getvalue())


def test_real_shaped_files_pass_the_bounds():
    # The national directory: ~70 columns, up to 65,000 rows (checked without parsing: that is the bound's job).
    row = ";".join(f"valeur {i}" for i in range(70))
    directory = "\n".join([";".join(f"colonne_{i}" for i in range(70))] + [row] * 65_000)
    check_csv_lines(directory)
    check_csv_cells(directory, ";")
    # LimeSurvey: one column per option, a few hundred columns, question texts with commas in the header.
    header = ",".join(f'"Q{i}. Vous êtes, plutôt, d\'accord [option {i}]"' for i in range(600))
    survey = "\n".join([header] + [",".join(["Oui", "", "Non"] * 200)] * 300).encode()
    assert len(read_export(survey, "limesurvey.csv").headers) == 600
    book = Workbook(write_only=True)
    sheet_ = book.create_sheet("Réponses")
    sheet_.append([f"Q{i}" for i in range(400)])
    for _ in range(200):
        sheet_.append(["Oui", "Non", "", 3] * 100)
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_export(buffer.getvalue(), "limesurvey.xlsx").headers) == 400


def test_bounds_are_above_the_real_files():
    assert filesafety.MAX_COLUMNS >= 500 and filesafety.MAX_ROWS >= 65_000
    assert filesafety.MAX_CELLS >= 65_000 * 70 and filesafety.MAX_CELLS >= 10_000 * 500


@pytest.mark.parametrize("text", ['";' * 1_000_000, '"\n' * 100_000, ('"' + " " * 400 + "\n") * 40])
def test_delimiter_detection_stays_fast_on_quote_storms(text):
    start = time.perf_counter()
    try:
        parse_text(text, "tempete.csv", "utf-8")
    except CsvError as err:
        assert len(err.message) < SHORT
    assert time.perf_counter() - start < 2


def test_a_huge_value_is_quoted_short_in_the_loaders_messages(small_dataset):  # noqa: F811
    path = small_dataset / "structures.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[0, "id"] = "x" * 100_000
    table.to_csv(path, index=False)
    dataset = load_dataset(small_dataset)
    messages = [str(p) for p in dataset.problems if p.file == "structures.csv" and p.line == 2]
    assert messages and all(len(m) < SHORT for m in messages)
    assert any("xxxxx…" in m for m in messages)


def test_a_header_is_never_echoed_whole(tmp_path):
    data = (";".join(f"colonne_{i}_" + "y" * 200 for i in range(1_500)) + "\n").encode()
    preview = preview_structures_csv(data, "centres.csv", None, None)
    assert len(preview.problems) == 1 and len(preview.problems[0].message) < 1_000
    (tmp_path / "structures.csv").write_bytes(data)
    table = read_table(tmp_path / "structures.csv")  # the loader reads it; its check then names few columns
    assert len(table.header) == 1_500


# --------------------------------------------------------------------------- the upload limit's unit (§7)


def test_the_upload_limit_has_one_source_streamlits_config_and_unit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    megabytes = config["server"]["maxUploadSize"]
    assert filesafety.MAX_UPLOAD_MB == megabytes
    assert MAX_IMPORT_BYTES == filesafety.MAX_IMPORT_BYTES == megabytes * 1024 * 1024
    # Streamlit counts server.maxUploadSize in megabytes of 1024 × 1024 bytes: the messages must too.
    import streamlit.web.server.starlette.starlette_routes as routes
    source = Path(routes.__file__).read_text()
    assert re.search(r'get_option\("server\.maxUploadSize"\)\s*\*\s*1024\s*\*\s*1024', source)


def test_every_importer_states_the_limit_in_the_configurations_number_and_unit(small_dataset):  # noqa: F811
    megabytes = filesafety.MAX_UPLOAD_MB
    data = b"a" * (MAX_IMPORT_BYTES + 1)
    stated = f"la limite est de {megabytes} Mo."
    with pytest.raises(ExportRefused) as survey:
        read_export(data, "export.csv")
    dataset = load_dataset(small_dataset)
    directory = preview_school_directory(data, "annuaire.csv", dataset)
    centres = preview_structures_csv(data, "centres.csv", dataset, dataset.structures)
    for message in (survey.value.message, directory.problems[0].message, centres.problems[0].message):
        assert message.replace("\u00a0", " ").endswith(stated), message


def test_upload_limit_is_read_from_the_configuration_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[server]\nmaxUploadSize = 120\n")
    assert filesafety.upload_limit_mb(config) == 120
    config.write_text("[server]\nheadless = true\n")
    assert filesafety.upload_limit_mb(config) == filesafety.STREAMLIT_DEFAULT_UPLOAD_MB
    assert filesafety.format_megabytes(120 * 1024 * 1024) == "120 Mo"
    assert filesafety.format_megabytes(int(50.25 * 1024 * 1024)).replace("\u00a0", " ") == "50,2 Mo"
