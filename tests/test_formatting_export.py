"""French formats and formula-safe exports."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from lib.export import neutralise_formulas, to_csv_bytes
from lib.formatting import format_date, format_decimal, format_int, format_percent


def test_french_numbers_and_dates():
    assert format_int(1234567) == "1\u00a0234\u00a0567"
    assert format_decimal(1234.56) == "1\u00a0234,6"
    assert format_percent(0.125) == "12,5\u00a0%"
    assert format_date(date(2018, 6, 5)) == "05/06/2018"
    assert format_date(pd.NaT) == "–" and format_int(None) == "–" and format_percent(float("nan")) == "–"


def test_formula_cells_are_neutralised_in_csv():
    table = pd.DataFrame({"valeur": ["=HYPERLINK(\"http://x\")", "+33", "-2", "@SUM(A1)", "\tx", "normal"],
                          "n": [1, -2, 3, 4, 5, 6], "part": [0.125, 0.5, 1.0, 0.0, 0.25, 0.75]})
    safe = neutralise_formulas(table)
    assert safe["valeur"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+33", "'-2", "'@SUM(A1)", "'\tx", "normal"]
    assert safe["n"].tolist() == [1, -2, 3, 4, 5, 6]  # real numbers stay numbers
    data = to_csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", decimal=",")
    assert not back["valeur"].str.match(r"^[=+\-@\t]").any()
    assert "0,125" in data.decode("utf-8-sig") and back["part"].tolist()[0] == 0.125  # French Excel reads a number


def test_xlsx_keeps_the_apps_labels_as_typed_and_neutralises_texts_from_the_data():
    import openpyxl

    from lib.export import to_xlsx_bytes

    table = pd.DataFrame({"Écart": ["+1", "-0,5", "0"], "=Titre": ["=HYPERLINK(\"http://x\")", "-2+3", "@SUM(A1)"]})
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"+ Feuille": table})))
    assert book.sheetnames == ["+ Feuille"]
    cells = {c.coordinate: c for row in book["+ Feuille"].iter_rows() for c in row}
    assert [cells[k].value for k in ("A1", "B1")] == ["Écart", "=Titre"]  # headers as typed
    assert [cells[k].value for k in ("A2", "A3", "A4")] == ["+1", "-0,5", "0"]  # signed figures as typed
    assert [cells[k].value for k in ("B2", "B3", "B4")] == ["'=HYPERLINK(\"http://x\")", "'-2+3", "'@SUM(A1)"]
    assert not [c.coordinate for c in cells.values() if c.data_type == "f"]  # no formula anywhere
    unprefixed = [c for c in cells.values() if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert len(unprefixed) == 3 and all(c.quotePrefix for c in unprefixed)  # text in Excel even once edited

def test_the_aggregates_workbook_has_no_apostrophe_before_the_apps_labels():
    """The demo's perception-gap sheet showed « '+1 » for its own labels."""
    import openpyxl

    from lib.dataset import DEMO_DIR, load_dataset
    from lib.reports import aggregates_xlsx, resolve_scope

    demo = load_dataset(DEMO_DIR)
    book = openpyxl.load_workbook(io.BytesIO(aggregates_xlsx(demo, resolve_scope(demo, "departement"),
                                                             demo.waves[-1])))
    texts = [(sheet.title, c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert ("Écarts de perception", "+1") in texts
    assert [t for t in texts if t[1].startswith("'")] == []
