"""Exports people open in a spreadsheet: CSV and XLSX files that cannot run a formula.

CSV has no types: every text that starts like a formula is prefixed with an
apostrophe. XLSX has them: a text cell is never run, so the app's own labels
(column headers, sheet names, signed figures like « +1 ») are written as they
are, as text cells flagged "quote prefix" (what Excel records when one types an
apostrophe, and keeps as text when the cell is edited). Body texts that start
like a formula otherwise come from the data (names of territories, waves…):
they keep the visible apostrophe, as in CSV.
"""

from __future__ import annotations

import re

import pandas as pd

# A cell starting with one of these is read as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A signed figure as the app writes it (« +1 », « -0,5 », « +12 % »): a label, not a formula.
SIGNED_FIGURE = re.compile(r"^[+-]\d+(?:[.,]\d+)?(?:[ \u00a0\u202f]?%)?$")


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
    """CSV for French spreadsheets: ``;``, decimal comma, UTF-8 with BOM (Excel opens it right), formulas neutralised."""
    return neutralise_formulas(table).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


# --- XLSX (analysis pages)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters a sheet name may not hold, and its maximum length (Excel's rules).
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
_SHEET_MAX = 31


def _sheet_name(name: str, used: set[str]) -> str:
    base = (str(name).translate(_SHEET_FORBIDDEN).strip().strip("'") or "Feuille")[:_SHEET_MAX]
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: _SHEET_MAX - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _xml_safe(value: object) -> object:
    """Text without the control characters an .xlsx file cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _xlsx_cell(value: object) -> object:
    """A body cell for XLSX: a text from the data that starts like a formula gets its apostrophe."""
    if isinstance(value, str) and SIGNED_FIGURE.match(value):
        return value
    return neutralise_cell(value)


def _as_text(cell) -> None:
    """Make a cell a text cell flagged "quote prefix": never a formula, even once edited in Excel."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"  # openpyxl reads a text starting with "=" as a formula
        cell.quotePrefix = True


def to_xlsx_bytes(sheets: pd.DataFrame | dict[str, pd.DataFrame]) -> bytes:
    """An Excel workbook, one sheet per table: no formula, header bold and frozen, columns sized.

    Column headers and sheet names are the app's labels: written as they are.
    Body texts from the data are neutralised as in CSV (see the module's note).

    Args:
        sheets: a table, or sheet name → table (names are made valid and unique).
    """
    import io

    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if isinstance(sheets, pd.DataFrame):
        sheets = {"Données": sheets}
    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            title = _sheet_name(name, used)
            safe = table.copy()
            safe.columns = [_xml_safe(str(c)) for c in safe.columns]
            for column in safe.columns:
                if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
                    safe[column] = safe[column].map(lambda v: _xml_safe(_xlsx_cell(v)))
            safe.to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for row in sheet.iter_rows():
                for cell in row:
                    _as_text(cell)
            for position, column in enumerate(safe.columns, start=1):
                sheet.cell(row=1, column=position).font = Font(bold=True)
                longest = max([len(str(column))] + [len(str(v)) for v in safe[column].head(200).tolist()])
                sheet.column_dimensions[get_column_letter(position)].width = min(60, max(8, longest + 2))
    return buffer.getvalue()
