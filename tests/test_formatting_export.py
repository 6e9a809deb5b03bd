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
