"""Tables as the screen shows them: within a 1440 px laptop's page width, no column behind a scroll bar.

Pure functions for the pages (``lib/ui``): a share table with one column per category is read long
(``screen_table``), and any other table gets column widths that fit its box (``fitted_widths``), long
texts ending in « … » on screen (the full row shows when selected; downloads keep everything).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.territories import short_territory_name

# A page's table box is about 940 px wide on a 1440 px laptop (measured: 944–978 px, sidebar open).
SCREEN_BOX_PX = 900
# Beyond this many share columns (« … (%) », one per category, with headers such as
# « Accompagnement à la scolarité (%) ») a wide share table cannot fit its box.
MAX_SCREEN_SHARE_COLUMNS = 4
CATEGORY_COLUMN = "Catégorie"
SHARE_COLUMN = "Part (%)"
# Glide's grid at Streamlit's 14 px font: about 7.5 px per character, 16 px of padding per cell.
CHAR_PX = 7.5
CELL_PADDING_PX = 16
MIN_COLUMN_PX = 70
# The estimate is rough (a table estimated under 900 px was drawn 960 px wide by Glide): below this share of
# the box a table is left to Glide's own sizing, above it every column gets its width.
LEFT_ALONE_SHARE = 0.75
# Columns of EPCI names: the short name on screen (« CA Val Parisis »), the official one in downloads.
TERRITORY_COLUMNS = ("Intercommunalité", "Territoire")


def is_read_long(shown: pd.DataFrame) -> bool:
    """Whether ``screen_table`` reshapes this table (the page then says the download keeps it wide)."""
    return sum(str(c).endswith(" (%)") for c in shown.columns) > MAX_SCREEN_SHARE_COLUMNS


def screen_table(shown: pd.DataFrame) -> pd.DataFrame:
    """A display table as the screen shows it: read long when it has more share columns than fit.

    Long means one row per group and category (``Catégorie``, ``Part (%)``), the group's other columns
    (territory, n, mean) and its note repeated on each of its rows, groups in their order and categories in
    the order of the columns. The downloads keep the wide table, one column per category.
    """
    if not is_read_long(shown):
        return shown
    shares = [c for c in shown.columns if str(c).endswith(" (%)")]
    keep = [c for c in shown.columns if c not in shares]
    long = shown.melt(id_vars=keep, value_vars=shares, var_name=CATEGORY_COLUMN, value_name=SHARE_COLUMN,
                      ignore_index=False)
    long[CATEGORY_COLUMN] = [str(c).removesuffix(" (%)") for c in long[CATEGORY_COLUMN]]
    long = long.sort_index(kind="stable").reset_index(drop=True)  # melt lists category by category
    ahead = [c for c in keep if c != "Note"]
    return long[ahead + [CATEGORY_COLUMN, SHARE_COLUMN] + [c for c in keep if c == "Note"]]


def short_names(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the EPCI names of its territory columns shortened, as everywhere on screen."""
    columns = [c for c in TERRITORY_COLUMNS if c in table.columns]
    if not columns:
        return table
    out = table.copy()
    for column in columns:
        out[column] = [short_territory_name(v) if isinstance(v, str) else v for v in out[column]]
    return out


def natural_width(column: str, values: pd.Series, fixed: int | None = None) -> int:
    """The width (px) Glide gives a column sized to its header and its longer cells (the 90th percentile)."""
    if fixed is not None:
        return fixed
    # numpy, not Series.map/quantile: this runs for every column of every table on every rerun (same figure:
    # both interpolate linearly)
    lengths = np.fromiter((len(str(v)) if v is not None and v == v else 0 for v in values), dtype=float,
                          count=len(values))
    longest = int(np.quantile(lengths, 0.9)) if len(lengths) else 0
    return round(max(len(str(column)), longest) * CHAR_PX + CELL_PADDING_PX)


def fitted_widths(table: pd.DataFrame, box_px: int = SCREEN_BOX_PX,
                  fixed: dict[str, int] | None = None) -> dict[str, int]:
    """Column widths (px) that fit ``box_px``; ``{}`` when the table surely fits as it is.

    The widest columns give way first (a common cap on their width, never below ``MIN_COLUMN_PX``):
    short columns (counts, codes, priority) keep their natural width. ``fixed``: known widths of columns
    drawn otherwise (e.g. a link shown as « Voir sur la carte »).
    """
    fixed = fixed or {}
    natural = {str(c): max(MIN_COLUMN_PX, natural_width(str(c), table[c], fixed.get(str(c)))) for c in table.columns}
    if sum(natural.values()) <= box_px * LEFT_ALONE_SHARE:
        return {}
    low, high = MIN_COLUMN_PX, max(natural.values())
    while high - low > 1:  # the largest cap that fits: total width grows with the cap
        cap = (low + high) // 2
        if sum(min(w, cap) for w in natural.values()) <= box_px:
            low = cap
        else:
            high = cap
    return {c: min(w, low) for c, w in natural.items()}
