"""Charts of « Liens par territoire »: frequency, forms and objets overall, quality, coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib.charts.layout import (N_EQ, QUESTIONS, SECRET_CELL_NOTE, SECRET_ROW_NOTE, SMALL_SIZE, TEXT_DARK, ChartContext,
                               FigureSpec, Panel, cell_values, chart_layout, count_or_secret, facet_bars, group_summary,
                               nothing_to_chart, percent_axis, percent_text, pick_groups, right_labels, row_label,
                               rows_by_key, rows_height, short_territory, text_colour_on, title_lines, wrap)
from lib.formatting import format_decimal, format_int
from lib.metrics import OVERALL, SMALL_COUNT_NOTE
from lib.palette import EP_COLOURS, NO_QUALITY_COLOUR, QUALITY_COLOURS, SEQUENTIAL
from lib.questionnaire import load_questionnaire
from lib.territories import OUTSIDE_EP


def _share_bar(fig: FigureSpec, rows: list[str], groups: list[str], cells: list[dict], name: str, colour: str,
               unit: str, sign: int = 1, legendrank: int | None = None) -> None:
    """One category's stacked bar across the territories: its share written inside, counts in the hover.

    ``sign=-1`` draws it to the left of zero (the low end of a diverging scale).
    """
    share = cell_values(cells, "part")
    options = {} if legendrank is None else {"legendrank": legendrank}
    fig.add_bar(
        y=rows, x=sign * share * 100, orientation="h", name=name, marker_color=colour, **options,
        text=[percent_text(s) if s >= 0.08 else "" for s in share], textposition="inside",
        insidetextanchor="middle", textfont=dict(size=SMALL_SIZE, color=text_colour_on(colour)),
        customdata=np.column_stack([[short_territory(g) for g in groups],
                                    [format_int(n) for n in cell_values(cells, "n")],
                                    [format_int(b) for b in cell_values(cells, "base")],
                                    [percent_text(s, 1) for s in share]]),
        hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{name} : %{{customdata[1]}} {unit} "
                       "sur %{customdata[2]} (%{customdata[3]})<extra></extra>"),
    )


def distribution_chart(table: pd.DataFrame, list_name: str, context: ChartContext, title: str, unit: str,
                       key_code: str, key_text: str) -> go.Figure:
    """100 % stacked horizontal bars of an ordered answer (frequency), one bar per territory.

    Args:
        table: ``frequency_by_group``-like long table, with ``OVERALL``.
        list_name: the questionnaire list (categories, order, labels).
        unit: what is counted (``liens``).
        key_code: the category whose share sorts the territories.
        key_text: how the sort is said in the subtitle.
    """
    choices = load_questionnaire()[list_name]
    summary = group_summary(table, key_code)
    shown = pick_groups(summary, "cle", context)
    fig = FigureSpec()
    overall = summary[summary["groupe"] == OVERALL]
    total = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
    subtitle = title_lines(f"Part des {unit} par {choices.title.lower()}", context.sorted_by(key_text),
                      f"{N_EQ}{format_int(total)} {unit}", context.scope)
    if not shown.groups:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    rows = [row_label(g) for g in shown.groups]
    colours = SEQUENTIAL[-len(choices.codes):] if len(choices.codes) <= len(SEQUENTIAL) else \
        sample_colorscale(SEQUENTIAL, len(choices.codes))
    by_key = rows_by_key(table)
    for code, colour in zip(choices.codes, colours):
        _share_bar(fig, rows, shown.groups, [by_key[(g, code)] for g in shown.groups], choices.label(code),
                   colour, unit)
    counts = summary.set_index("groupe").loc[shown.groups]
    right = right_labels(fig, rows, [f"{N_EQ}{format_int(b)}" for b in counts["base"]], unit)
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    percent_axis(fig, f"Part des {unit}")
    return chart_layout(fig, title, subtitle, rows_height(len(rows)), shown.note, right=right)


def frequency_chart(table: pd.DataFrame, context: ChartContext) -> go.Figure:
    """How often links happen, territory by territory (sorted by share of weekly-or-more links)."""
    weekly = load_questionnaire()["frequences"].codes[-1]
    return distribution_chart(table, "frequences", context, "À quel rythme les liens se font-ils ?", "liens",
                              weekly, "par part de liens hebdomadaires ou plus")


def ranked_shares_chart(table: pd.DataFrame, list_name: str, context: ChartContext, title: str,
                        unit: str) -> go.Figure:
    """One bar per category, largest share first (e.g. the forms of all links of the view)."""
    choices = load_questionnaire()[list_name]
    total = count_or_secret(table["base"].iloc[0]) if len(table) else 0
    total = total if isinstance(total, str) else format_int(total)
    singular, plural = QUESTIONS.get(list_name, (list_name, list_name))
    subtitle = title_lines(f"Part des {unit} citant chaque {singular} (plusieurs réponses possibles)",
                      f"{N_EQ}{total} {unit}", context.scope)
    fig = FigureSpec()
    kept = ~table["masque"].astype(bool)
    secret = table[kept & table["part"].isna() & table.get("secret", pd.Series(False, index=table.index))]
    shown = table[kept & table["part"].notna()].sort_values("part", ascending=False)
    note = (f"{SECRET_CELL_NOTE} : {', '.join(choices.label(c) for c in secret['code'])}" if len(secret) else "")
    if shown.empty:
        empty = nothing_to_chart(fig, SECRET_ROW_NOTE if "secret" in table else SMALL_COUNT_NOTE)
        return chart_layout(empty, title, subtitle, 200, legend=False)
    labels = [wrap(choices.label(c)) for c in shown["code"]]
    share = shown["part"].to_numpy(dtype=float)
    fig.add_bar(y=labels, x=share * 100, orientation="h", marker_color=SEQUENTIAL[3], name=plural,
                text=[percent_text(s) for s in share], textposition="outside", textfont=dict(size=SMALL_SIZE),
                cliponaxis=False,
                customdata=np.column_stack([[choices.label(c) for c in shown["code"]],
                                            [format_int(n) for n in shown["n"]], [percent_text(s, 1) for s in share]]),
                hovertemplate=(f"<b>%{{customdata[0]}}</b><br>%{{customdata[1]}} {unit} sur {total} "
                               "(%{customdata[2]})<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    high = min(100, int(math.ceil(share.max() * 10 + 1.5)) * 10)
    fig.update_xaxes(range=[0, high], tickvals=list(range(0, high + 1, 10 if high <= 50 else 25)),
                     ticktext=[percent_text(t / 100) for t in range(0, high + 1, 10 if high <= 50 else 25)],
                     title_text=f"Part des {unit}")
    lines = sum(label.count("<br>") + 1 for label in labels)
    return chart_layout(fig, title, subtitle, 90 + 22 * lines + 14 * len(labels), note, legend=False)


def quality_chart(table: pd.DataFrame, context: ChartContext) -> go.Figure:
    """Quality by territory as diverging stacked bars centred between « à améliorer » and « satisfaisante »."""
    choices = load_questionnaire()["qualites"]
    codes = choices.codes
    low, high = codes[: len(codes) // 2], codes[len(codes) // 2:]
    summary = group_summary(table)
    means = table.groupby("groupe", sort=False)["moyenne"].first()
    summary["moyenne"] = summary["groupe"].map(means)
    shown = pick_groups(summary, "moyenne", context)
    overall = summary[summary["groupe"] == OVERALL]
    total = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
    title = "Les liens sont-ils jugés satisfaisants ?"
    subtitle = title_lines("Part des réponses par niveau de qualité (chaque côté qui répond compte)",
                      context.sorted_by("par qualité moyenne (de 1 à 4)"), f"{N_EQ}{format_int(total)} réponses",
                      context.scope)
    fig = FigureSpec()
    if not shown.groups:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    rows = [row_label(g) for g in shown.groups]
    by_key = rows_by_key(table)
    # Negative bars stack away from zero in trace order: the middle levels first.
    for code in [*reversed(low), *high]:
        _share_bar(fig, rows, shown.groups, [by_key[(g, code)] for g in shown.groups], choices.label(code),
                   QUALITY_COLOURS.get(int(code), NO_QUALITY_COLOUR), "réponses", sign=-1 if code in low else 1,
                   legendrank=codes.index(code) + 1)
    counts = summary.set_index("groupe").loc[shown.groups]
    right = right_labels(fig, rows, [f"{format_decimal(m, 2)} · {N_EQ}{format_int(b)}"
                                      for m, b in zip(counts["moyenne"], counts["base"])], "moyenne · n")
    fig.update_layout(barmode="relative", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    percent_axis(fig, f"← {choices.label(low[-1]).lower()} ou {choices.label(low[0]).lower()}   ·   "
                       f"{choices.label(high[0]).lower()} ou {choices.label(high[-1]).lower()} →", -100, 100)
    fig.add_vline(x=0, line_color=TEXT_DARK, line_width=1)
    return chart_layout(fig, title, subtitle, rows_height(len(rows)), shown.note, right=right)


def coverage_chart(table: pd.DataFrame, context: ChartContext) -> go.Figure:
    """Share of schools with at least one link: all schools, then REP+, REP and hors EP side by side."""
    whole = table[table["groupe_ep"] == OVERALL].rename(columns={"ecoles": "taille"})
    summary = whole.assign(masque=False, reponses=whole["taille"], cle=whole["couverture"])
    shown = pick_groups(summary, "cle", context, size="taille", size_label="d'établissements")
    overall = whole[whole["groupe"] == OVERALL]
    schools = int(overall["taille"].iloc[0]) if len(overall) else 0
    title = "Quelle part des établissements scolaires a au moins un lien ?"
    subtitle = title_lines("Part des établissements cités dans au moins un lien : tous, puis REP+, REP et hors "
                      "éducation prioritaire (EP)",
                      context.sorted_by("par part de tous les établissements"),
                      f"{N_EQ}{format_int(schools)} établissements", context.scope)
    fig = FigureSpec()
    if not shown.groups:
        return chart_layout(nothing_to_chart(fig, "aucun établissement scolaire"), title, subtitle, 200, legend=False)
    rows = [row_label(g) for g in shown.groups]
    cells = rows_by_key(table, ("groupe", "groupe_ep"))
    panels = []
    for group_ep in (OVERALL, "REP+", "REP", OUTSIDE_EP):
        if group_ep != OVERALL and not (table["groupe_ep"] == group_ep).any():
            continue
        name = {OVERALL: "Tous", OUTSIDE_EP: "Hors EP"}.get(group_ep, group_ep)
        values, texts, custom = [], [], []
        for g in shown.groups:
            found = (g, group_ep) in cells
            row = cells.get((g, group_ep))
            values.append(float(row["couverture"]) * 100 if found else 0.0)
            texts.append(percent_text(row["couverture"]) if found else "–")
            custom.append([short_territory(g),
                           format_int(row["ecoles_liees"]) if found else "0",
                           format_int(row["ecoles"]) if found else "0",
                           percent_text(row["couverture"], 1) if found else "pas d'établissement"])
        colour = SEQUENTIAL[3] if group_ep == OVERALL else EP_COLOURS.get(group_ep, NO_QUALITY_COLOUR)
        panels.append(Panel(name, values, texts, custom, colour,
                            f"<b>%{{customdata[0]}}</b> — {name}<br>%{{customdata[1]}} établissement(s) "
                            "avec un lien sur %{customdata[2]} (%{customdata[3]})<extra></extra>"))
    rows = [wrap(r, 26) for r in rows] if len(panels) > 2 else rows  # narrower panels, more room for names
    facet_bars(fig, rows, panels, dict(range=[0, 150], tickvals=[0, 100], ticktext=["0", "100\u00a0%"]))
    sizes = whole.set_index("groupe").loc[shown.groups, "taille"]
    right = right_labels(fig, rows, [f"{N_EQ}{format_int(v)}" for v in sizes], "établissements")
    return chart_layout(fig, title, subtitle, rows_height(len(rows)), shown.note, legend=False, header=True,
                   right=right)
