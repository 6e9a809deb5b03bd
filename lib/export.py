"""Exports people open in a spreadsheet: CSV files that cannot run a formula."""

from __future__ import annotations

import pandas as pd

# A cell starting with one of these is read as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a formula-like text with an apostrophe so a spreadsheet shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells (and column names) cannot be read as formulas."""
    out = table.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """CSV for French spreadsheets: ``;``, UTF-8 with BOM (Excel opens it right), formulas neutralised."""
    return neutralise_formulas(table).to_csv(index=False, sep=";").encode("utf-8-sig")
