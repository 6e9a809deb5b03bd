"""French number and date formats: ``1 234``, ``12,5 %``, ``05/06/2018``."""

from __future__ import annotations

import math
from datetime import date, datetime

# Non-breaking space: a number never wraps between its thousands.
NBSP = "\u00a0"


def format_int(value: float | int | None) -> str:
    """``12345`` → ``12 345``; missing → ``–``; a text (« secret ») is kept as it is."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,}".replace(",", NBSP)


def format_decimal(value: float | None, digits: int = 1) -> str:
    """``1234.56`` → ``1 234,6``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")


def format_percent(share: float | None, digits: int = 1) -> str:
    """A share between 0 and 1 → ``12,5 %``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return f"{format_decimal(share * 100, digits)}{NBSP}%"


def format_date(value: date | datetime | None) -> str:
    """``2018-06-05`` → ``05/06/2018``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        return value.strftime("%d/%m/%Y")
    except (AttributeError, ValueError):
        return "–"
