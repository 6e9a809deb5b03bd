"""Heatmaps: the share citing each category (form, objet, levier, frein), by territory or by link quality.

Every cell shows its value in French, in white on the darkest cells; the column
labels stay horizontal (wrapped), so a heatmap shows at most HEATMAP_COLUMNS territories.
"""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib.charts.layout import (COLUMN_LABEL_WIDTH, HEATMAP_COLUMNS, HEATMAP_ROW_WIDTH, N_EQ, QUESTIONS, SMALL_SIZE,
                               TEXT_DARK, TEXT_LIGHT, ChartContext, FigureSpec, chart_layout, group_summary,
                               nothing_to_chart, percent_text, pick_groups, rows_by_key, short_territory,
                               text_colour_on, title_lines, wrap)
from lib.formatting import format_int
from lib.metrics import OVERALL, SMALL_COUNT_NOTE
from lib.palette import SEQUENTIAL
from lib.questionnaire import load_questionnaire
from lib.secrecy import SECRET


def cell_text_colour(colour: str) -> str:
    """Dark or white text for a cell of ``colour`` (``#rrggbb`` or plotly's ``rgb(r, g, b)``)."""
    if colour.startswith("rgb"):
        red, green, blue = (float(v) for v in re.findall(r"[\d.]+", colour)[:3])
        colour = f"#{int(red):02x}{int(green):02x}{int(blue):02x}"
    return text_colour_on(colour)


def heatmap_cell_texts(z: np.ndarray, high: float, secret: np.ndarray | None = None) -> list[list[str]]:
    """Each cell's share in French (``12 %``), coloured to stand out on the cell's own colour.

    Plotly gives a heatmap's texts one colour: on the darkest cells the
    dark text vanished. White text goes in a ``<span>`` where the cell is dark.
    A blank cell says why: « – », or « secret » (a funder's statistical secret).
    """
    scale = [[i / (len(SEQUENTIAL) - 1), colour] for i, colour in enumerate(SEQUENTIAL)]
    rows = []
    for i, row in enumerate(z):
        texts = []
        for j, value in enumerate(row):
            if np.isnan(value):
                texts.append(SECRET if secret is not None and secret[i][j] else "–")
                continue
            colour = sample_colorscale(scale, [min(max(value / high, 0.0), 1.0)])[0]
            text = percent_text(value / 100)
            texts.append(text if cell_text_colour(colour) == TEXT_DARK else
                         f"<span style='color:{TEXT_LIGHT}'>{text}</span>")
        rows.append(texts)
    return rows


def _heatmap(fig: FigureSpec, rows: list[str], row_names: list[str], columns: list[str], column_names: list[str],
             table: pd.DataFrame, unit: str) -> None:
    """Shares as a heatmap: rows (codes) × columns (groups) of a ``share_citing`` table.

    Every cell shows its value, so no colour bar: its 90 px go to the columns. The column
    labels stay horizontal (wrap them with ``<br>``).
    """
    cells = rows_by_key(table)
    z = np.array([[cells[(c, r)]["part"] * 100 for c in column_names] for r in rows], dtype=float)
    n = np.array([[cells[(c, r)]["n"] for c in column_names] for r in rows], dtype=float)
    base = np.array([[cells[(c, r)]["base"] for c in column_names] for r in rows], dtype=float)
    secret = np.array([[bool(cells[(c, r)].get("secret", False)) for c in column_names] for r in rows], dtype=bool)
    custom = np.dstack([
        np.array([[short_territory(c) for c in column_names]] * len(rows), dtype=object),
        np.array([[name] * len(columns) for name in row_names], dtype=object),
        np.vectorize(format_int, otypes=[object])(n), np.vectorize(format_int, otypes=[object])(base),
        np.vectorize(lambda v: percent_text(v / 100, 1), otypes=[object])(z),
    ])
    high = float(np.nanmax(z)) if np.isfinite(z).any() else 100.0
    high = min(100.0, max(10.0, math.ceil(high / 10) * 10))
    scale = [[i / (len(SEQUENTIAL) - 1), colour] for i, colour in enumerate(SEQUENTIAL)]
    fig.add_heatmap(
        z=z, x=columns, y=[wrap(name, HEATMAP_ROW_WIDTH) for name in row_names], zmin=0, zmax=high, colorscale=scale,
        xgap=2, ygap=2,
        text=heatmap_cell_texts(z, high, secret), texttemplate="%{text}",
        textfont=dict(size=SMALL_SIZE, color=TEXT_DARK), customdata=custom,
        hovertemplate=(f"<b>%{{customdata[0]}}</b><br>%{{customdata[1]}}<br>%{{customdata[2]}} {unit} sur "
                       "%{customdata[3]} (%{customdata[4]})<extra></extra>"),
        showscale=False,
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False, side="bottom", tickangle=0, automargin=True)


def _rows_room(codes: list[str], choices) -> int:
    """Height for the rows: a heatmap's rows are all as tall, so as tall as the longest wrapped label needs."""
    lines = max(len(textwrap.wrap(choices.label(c), HEATMAP_ROW_WIDTH)) for c in codes)
    return len(codes) * max(34, 19 * lines + 8)


def territory_heatmap(table: pd.DataFrame, overall: pd.DataFrame, list_name: str, context: ChartContext,
                      title: str, unit: str) -> go.Figure:
    """Share of links (or answers) citing each category, territories in columns, categories by overall share.

    Args:
        table: ``share_citing`` by territory.
        overall: ``share_citing`` of the whole view (orders the rows).
    """
    choices = load_questionnaire()[list_name]
    singular, _plural = QUESTIONS.get(list_name, (list_name, list_name))
    summary = group_summary(table)
    shown = pick_groups(summary.assign(cle=summary["base"]), "cle", context, size="base", size_label=f"de {unit}",
                        limit=HEATMAP_COLUMNS)
    territories = [g for g in shown.groups if g != OVERALL]
    total = int(summary["base"].sum())
    subtitle = title_lines(f"Part des {unit} de chaque {context.noun} citant chaque {singular}",
                      context.sorted_by(f"par nombre de {unit}"), f"{N_EQ}{format_int(total)} {unit}",
                      context.scope)
    fig = FigureSpec()
    if not territories:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    order = overall.sort_values("part", ascending=False)["code"].tolist() if len(overall) else choices.codes
    bases = summary.set_index("groupe").loc[territories, "base"]
    # Horizontal labels: the name wrapped to the column's width, n on a line of its own.
    columns = [f"{wrap(short_territory(t), COLUMN_LABEL_WIDTH)}<br>({N_EQ}{format_int(b)})"
               for t, b in zip(territories, bases)]
    _heatmap(fig, order, [choices.label(c) for c in order], columns, territories, table, unit)
    tick_room = 22 * max(c.count("<br>") + 1 for c in columns)
    return chart_layout(fig, title, subtitle, 60 + _rows_room(order, choices) + tick_room, shown.note, legend=False)


def lever_territory_heatmap(table: pd.DataFrame, overall: pd.DataFrame, list_name: str,
                            context: ChartContext) -> go.Figure:
    """Leviers (or freins) by territory: share of answers citing each."""
    _singular, plural = QUESTIONS[list_name]
    return territory_heatmap(table, overall, list_name, context,
                             f"Les {plural} cités diffèrent-ils d'un territoire à l'autre ?", "réponses")


def lever_quality_heatmap(table: pd.DataFrame, list_name: str, context: ChartContext) -> go.Figure:
    """Leviers (or freins) by the quality given to the link: which go with good (or difficult) links?

    Rows are sorted by the gap between the share among good links
    (« satisfaisante », « très satisfaisante ») and among the others:
    leviers most tied to good links first, freins most tied to difficult links first.
    """
    choices, qualities = load_questionnaire()[list_name], load_questionnaire()["qualites"]
    singular, plural = QUESTIONS[list_name]
    good_labels = [qualities.label(c) for c in qualities.codes[len(qualities.codes) // 2:]]
    summary = group_summary(table)
    levels = [qualities.label(c) for c in qualities.codes]
    kept = [lvl for lvl in levels if lvl in set(summary.loc[~summary["masque"].astype(bool), "groupe"])]
    hidden = [lvl for lvl in levels if lvl in set(summary.loc[summary["masque"].astype(bool), "groupe"])]
    total = int(summary["base"].sum())
    lever = list_name == "leviers"
    title = ("Quels leviers accompagnent les liens de bonne qualité ?" if lever
             else "Quels freins pèsent sur les liens jugés difficiles ?")
    subtitle = title_lines(f"Part des réponses citant chaque {singular}, selon la qualité donnée au lien",
                      "en haut, les plus cités pour les bons liens" if lever else
                      "en haut, les plus cités pour les liens difficiles ou à améliorer",
                      f"{N_EQ}{format_int(total)} réponses", context.scope)
    note = f"Non affiché(s), {SMALL_COUNT_NOTE} : {', '.join(hidden)}" if hidden else ""
    fig = FigureSpec()
    if not kept:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    valid = table[~table["masque"].astype(bool)]
    pooled = valid.assign(bon=valid["groupe"].isin(good_labels)).groupby(["code", "bon"])[["n", "base"]].sum()
    share = (pooled["n"] / pooled["base"]).unstack("bon")
    gap = share.get(True, pd.Series(0.0, index=share.index)).fillna(0) - \
        share.get(False, pd.Series(0.0, index=share.index)).fillna(0)
    towards = 1.0 if lever else -1.0  # leviers: most tied to good links first; freins: to the others
    order = sorted(choices.codes, key=lambda c: -towards * gap.get(c, 0.0))
    bases = summary.set_index("groupe")["base"]
    columns = [f"{wrap(lvl, COLUMN_LABEL_WIDTH)}<br>({N_EQ}{format_int(bases[lvl])})" for lvl in kept]
    _heatmap(fig, order, [choices.label(c) for c in order], columns, kept, table, "réponses")
    return chart_layout(fig, title, subtitle, 110 + _rows_room(order, choices), note, legend=False)
