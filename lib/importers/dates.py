"""Dates and times as the survey tools write them."""

from __future__ import annotations

import re
from datetime import datetime

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


def iso_date(text: str) -> str:
    """``2024-03-12`` for any date the tools write; the text unchanged when it is not a date (reported later)."""
    moment = parse_moment(text)
    return moment.date().isoformat() if moment else text.strip()
