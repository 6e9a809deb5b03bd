"""Dates as the survey tools and the people filling spreadsheets write them, read without guessing.

A column's day/month order is inferred from all its values: ISO dates
(``2018-06-05``, with a time or not), year-first dates (``2018/06/05``), Excel
serial numbers (``43256``) and dates with a French month name (``5 juin
2018``) say nothing about it and are read as they are; a slash or dot date
whose first number is above 12 (``25/06/2018``) decides day first, one whose
second number is above 12 decides month first. When nothing decides, the
column is ambiguous: the page asks, with the tool's convention as default,
and the mapping stores the answer. A value is never read in another order
than its column's: a date that does not exist in that order is rejected with
the reason, never swapped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

DMY, MDY, YMD, AMBIGUOUS = "dmy", "mdy", "ymd", "ambigu"
EARLIEST = date(2000, 1, 1)
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included: serial 60 is 29/02/1900)
# Serials of 2000-01-01 … 2100-01-01: a five-digit number in a date column is an Excel date.
EXCEL_SERIALS = (36526, 73051)

FRENCH_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_ZONE = r"(?:\s*(?:Z|[A-Z]{2,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}))?"  # Z, UTC+1, GMT+01:00, +02:00
_TIME = r"(?:\s*(?:-|à|a|T)?\s*\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?" + _ZONE + ")?"
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + r"\s*$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})" + _TIME + r"\s*$")
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")
_NAMED = re.compile(r"^(?:[a-z]+\.?,?\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})" + _TIME + r"\s*$")


def _fold(text: str) -> str:
    from lib.text import fold_cached as fold

    return fold(text)


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


@functools.lru_cache(maxsize=1 << 14)
def possible_orders(text: str) -> frozenset[str] | None:
    """The orders a value can be read in: ``{ymd}`` for ISO, serial and named dates, ``{dmy}``, ``{mdy}`` or both
    for a numeric date (empty set: not a date in any order); None for an empty cell."""
    text = text.strip()
    if not text:
        return None
    if _ISO.match(text) or _SERIAL.match(text) or _NAMED.match(_fold(text)):
        return frozenset({YMD}) if parse_date(text, YMD)[0] else frozenset()
    match = _NUMERIC.match(text)
    if not match:
        return frozenset()
    return frozenset(order for order in (DMY, MDY) if parse_date(text, order)[0])


def infer_order(values: Iterable[str]) -> str:
    """A date column's order from all its values: ``dmy`` or ``mdy`` when a value decides (and none contradicts),
    ``ymd`` when no value depends on the order, else :data:`AMBIGUOUS` (the user is asked)."""
    numeric, decided = False, set()
    for value in values:
        orders = possible_orders(value)
        if not orders or orders == {YMD}:
            continue
        numeric = True
        if len(orders) == 1:
            decided |= orders
    if len(decided) == 1:
        return decided.pop()
    return AMBIGUOUS if numeric else YMD


@functools.lru_cache(maxsize=1 << 14)
def parse_date(text: str, order: str) -> tuple[date | None, str]:
    """``(date, "")``, or ``(None, French reason)``: the value read in ``order`` (``dmy``, ``mdy``; ISO, serial
    and named dates are read whatever the order)."""
    text = text.strip()
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups()[:3])
        return _make(year, month, day, text)
    match = _SERIAL.match(text)
    if match:
        serial = int(match.group(1))
        if not EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]:
            return None, f"nombre « {text} » : pas une date Excel entre 2000 et 2100"
        return EXCEL_EPOCH + timedelta(days=serial), ""
    match = _NAMED.match(_fold(text))
    if match:
        month = FRENCH_MONTHS.get(match.group(2))
        if month is None:
            return None, f"mois « {match.group(2)} » inconnu dans « {text} »"
        return _make(int(match.group(3)), month, int(match.group(1)), text)
    match = _NUMERIC.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if order == MDY:
            return _make(year, first, second, text, "mois/jour/année")
        return _make(year, second, first, text, "jour/mois/année")
    return None, f"date « {text} » illisible (attendu 05/06/2018, 2018-06-05 ou 5 juin 2018)"


def _make(year: int, month: int, day: int, text: str, order_label: str = "") -> tuple[date | None, str]:
    try:
        return date(year, month, day), ""
    except ValueError:
        how = f" lue en {order_label}, l'ordre de cette colonne" if order_label else ""
        return None, f"date « {text} » impossible{how}"


def check_range(value: date, today: date | None = None) -> str:
    """The French reason a date is refused (before 2000 or after tomorrow), or ""."""
    tomorrow = (today or date.today()) + timedelta(days=1)
    if value < EARLIEST:
        return f"date {value:%d/%m/%Y} antérieure à 2000"
    if value > tomorrow:
        return f"date {value:%d/%m/%Y} dans le futur"
    return ""


def format_date(value: date, order: str) -> str:
    """A date written in ``order`` (``dmy`` 05/06/2018, ``mdy`` 06/05/2018, ``ymd`` 2018-06-05)."""
    if order == DMY:
        return value.strftime("%d/%m/%Y")
    if order == MDY:
        return value.strftime("%m/%d/%Y")
    return value.isoformat()


# --------------------------------------------------------------------------- submission times (ids, sorting)

_MOMENT_FORMATS = [
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*-?\s*(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"), "dmy"),
]


def parse_moment(text: str) -> datetime | None:
    """Dates and times as the tools write them (ISO, Google's 2024/03/12 2:31:45 PM, French 12/03/2024 14:31)."""
    text = text.strip()
    for pattern, order in _MOMENT_FORMATS:
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groups()
        year, month, day = (parts[0], parts[1], parts[2]) if order == "ymd" else (parts[2], parts[1], parts[0])
        hour, minute, second = (int(p) if p else 0 for p in parts[3:6])
        if len(parts) > 6 and parts[6]:
            hour = hour % 12 + (12 if parts[6] == "PM" else 0)
        try:
            return datetime(int(year), int(month), int(day), hour, minute, second)
        except ValueError:
            return None
    return None
