"""The choropleth's classes: rounded breaks, fixed fifths for shares, greys for mean quality.

Split from ``lib/maps.py`` (which re-exports these names): the map, its legend and the PDF reports share them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lib.formatting import format_decimal, format_int, format_percent
from lib.metrics import Indicator
from lib.palette import TERRITORY_FILLS


@dataclass(frozen=True)
class ColourClass:
    """One class of the choropleth: values from ``low`` to ``high`` (inclusive) in ``colour``."""

    low: float
    high: float
    colour: str
    label: str


def _nice(value: float) -> float:
    """Round a break to a number people read easily (1, 2, 5, 10, 20, 25, 50…)."""
    if value <= 0:
        return 0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def colour_classes(values: pd.Series, indicator: Indicator) -> list[ColourClass]:
    """Classes of the legend for ``indicator`` given the territories' values.

    Shares use fixed fifths (0–20 %…); mean quality uses four of
    the territory greys (never the links' quality colours); counts get "0" as a class of its own (zero is not "no data")
    and rounded breaks from the quantiles of the others.
    """
    if indicator.kind == "share":
        edges = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
        return [ColourClass(lo, hi, TERRITORY_FILLS[i],
                            f"{format_percent(lo, 0)} à {format_percent(hi, 0)}")
                for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]
    if indicator.kind == "mean":
        edges = [1, 1.75, 2.5, 3.25, 4]
        # Greys, not the quality colours: those belong to the links drawn on top.
        return [ColourClass(lo, hi, TERRITORY_FILLS[i + 1], f"{format_decimal(lo, 2)} à {format_decimal(hi, 2)}")
                for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]
    positive = values[values > 0].dropna().astype(float)
    classes = [ColourClass(0, 0, TERRITORY_FILLS[0], "0")]
    if positive.empty:
        return classes
    top = float(positive.max())
    breaks = sorted({_nice(float(q)) for q in positive.quantile([0.25, 0.5, 0.75]).tolist()} | {_nice(top)})
    breaks = [b for b in breaks if b >= 1][:4] or [_nice(top)]
    if breaks[-1] < top:
        breaks[-1] = top
    low = 1.0
    for i, high in enumerate(breaks):
        label = format_int(low) if low == high else f"{format_int(low)} à {format_int(high)}"
        classes.append(ColourClass(low, high, TERRITORY_FILLS[min(i + 1, len(TERRITORY_FILLS) - 1)], label))
        low = high + 1
    return classes


def colour_for(value: float | None, classes: list[ColourClass]) -> str | None:
    """The class colour of ``value``; None when there is no value."""
    if value is None or pd.isna(value):
        return None
    for cls in classes:
        if value <= cls.high + 1e-9:
            return cls.colour
    return classes[-1].colour


def format_indicator(value: float | None, indicator: Indicator) -> str:
    if value is None or pd.isna(value):
        return "–"
    if indicator.kind == "share":
        return format_percent(float(value))
    if indicator.kind == "mean":
        return format_decimal(float(value), 2)
    return format_int(float(value))
