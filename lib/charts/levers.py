"""Charts of « Leviers et freins »: what each side cites, and how far apart the two sides rate a link.

The sides are drawn in the order of SIDE_ORDER and GAP_SIDES, and the subtitles
are written from the same constants: they name the sides in the order drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.charts.layout import (N_EQ, QUESTIONS, SMALL_SIZE, ChartContext, FigureSpec, cell_values, chart_layout,
                               count_or_secret, group_summary, nothing_to_chart, percent_text, rows_by_key, signed_step,
                               title_lines, wrap)
from lib.formatting import format_int
from lib.metrics import OVERALL, SIDES, SMALL_COUNT_NOTE
from lib.palette import NO_QUALITY_COLOUR, SIDE_COLOURS, SMALL_COUNT_COLOUR
from lib.questionnaire import load_questionnaire


# The sides of « Écoles et centres sociaux citent-ils les mêmes … ? », top bar of each pair first.
# The bars and the subtitle both follow it, so that the subtitle names the sides in the order drawn.
SIDE_ORDER: tuple[str, ...] = ("ecole", "centre")
# The perception-gap chart, left then right: where the bars of links each side rates higher stand.
GAP_SIDES: tuple[str, str] = ("centre", "ecole")
GAP_SIDE_PHRASES = {"ecole": "l'école est plus positive", "centre": "le centre social est plus positif"}


def side_order_text(sides: list[str]) -> str:
    """The sides in the order drawn, as the subtitle says it: ``en haut, côté école ; en bas, côté centre social``."""
    names = [SIDES[s].lower() for s in sides]
    if len(names) == 1:
        return names[0]
    return f"en haut, {names[0]} ; en bas, {names[-1]}" if len(names) == 2 else \
        "de haut en bas : " + ", ".join(names)


def gap_sides_text() -> str:
    """Which side each end of the gap chart stands for, left first."""
    left, right = GAP_SIDES
    return f"à gauche, {GAP_SIDE_PHRASES[left]} ; à droite, {GAP_SIDE_PHRASES[right]}"


def side_comparison_chart(table: pd.DataFrame, list_name: str, context: ChartContext) -> go.Figure:
    """Each levier (or frein) as cited by the school side and by the centre side, most cited overall first."""
    choices = load_questionnaire()[list_name]
    singular, plural = QUESTIONS[list_name]
    title = f"Écoles et centres sociaux citent-ils les mêmes {plural} ?"
    overall = table[table["groupe"] == OVERALL]
    total = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
    fig = FigureSpec()
    sides = group_summary(table[table["groupe"] != OVERALL])
    masked = dict(zip(sides["groupe"], sides["masque"].astype(bool)))
    drawn = [code for code in SIDE_ORDER if SIDES[code] in masked and not masked[SIDES[code]]]
    hidden = [SIDES[code] for code in SIDE_ORDER if masked.get(SIDES[code])]
    subtitle = title_lines(f"Part des réponses de chaque côté citant chaque {singular} (plusieurs réponses possibles)",
                           side_order_text(drawn) if drawn else "",
                           f"{N_EQ}{format_int(total)} réponses citant au moins un {singular}", context.scope)
    note = f"Non affiché, {SMALL_COUNT_NOTE} : {', '.join(hidden)}" if hidden else ""
    if not drawn:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    order = (overall.sort_values("part", ascending=False)["code"].tolist() if len(overall) and
             overall["part"].notna().any() else choices.codes)
    labels = [wrap(choices.label(c)) for c in order]
    by_key = rows_by_key(table)
    colour_of = {label: SIDE_COLOURS[code] for code, label in SIDES.items()}
    bases = dict(zip(sides["groupe"], sides["base"]))
    # Grouped bars on a reversed axis: the first trace is the top bar of each pair.
    for side, base in [(SIDES[code], bases[SIDES[code]]) for code in drawn]:
        cells = [by_key[(side, c)] for c in order]
        share = cell_values(cells, "part")
        fig.add_bar(y=labels, x=share * 100, orientation="h", name=f"{side} ({N_EQ}{format_int(base)})",
                    marker_color=colour_of.get(side, NO_QUALITY_COLOUR), text=[percent_text(s) for s in share],
                    textposition="outside", textfont=dict(size=SMALL_SIZE), cliponaxis=False,
                    customdata=np.column_stack([[choices.label(c) for c in order],
                                                [format_int(n) for n in cell_values(cells, "n")],
                                                [percent_text(s, 1) for s in share]]),
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{side} : %{{customdata[1]}} réponses sur "
                                   f"{format_int(base)} (%{{customdata[2]}})<extra></extra>"))
    high = float(np.nanmax(table["part"].to_numpy(dtype=float))) if table["part"].notna().any() else 1.0
    top = min(100, int(math.ceil(high * 10 + 1.5)) * 10)
    step = 10 if top <= 50 else 25
    fig.update_xaxes(range=[0, top], tickvals=list(range(0, top + 1, step)),
                     ticktext=[percent_text(t / 100) for t in range(0, top + 1, step)], title_text="Part des réponses")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group", bargap=0.3, bargroupgap=0.05)
    lines = sum(label.count("<br>") + 1 for label in labels)
    return chart_layout(fig, title, subtitle, 80 + 22 * lines + 30 * len(labels), note)


def gap_chart(distribution: pd.DataFrame, context: ChartContext) -> go.Figure:
    """How far apart the school's and the centre's ratings of the same link are."""
    title = "L'école et le centre social jugent-ils leur lien de la même façon ?"
    base = count_or_secret(distribution["base"].iloc[0]) if len(distribution) else 0
    fig = FigureSpec()
    if distribution.empty or distribution["masque"].all():
        subtitle = title_lines("Liens évalués par les deux côtés", f"{N_EQ}{format_int(base)} liens", context.scope)
        empty = nothing_to_chart(fig, f"{SMALL_COUNT_NOTE} de liens évalués par les deux côtés")
        return chart_layout(empty, title, subtitle, 200, legend=False)
    agree = distribution.loc[distribution["ecart"] == 0, "part"].sum()
    steps = distribution[(distribution["ecart"] % 1 == 0) | (distribution["n"] > 0)]
    # The gap is école − centre: ascending puts the links the centre rates higher on the left.
    steps = steps.sort_values("ecart", ascending=GAP_SIDES == ("centre", "ecole"))
    labels = [signed_step(v) for v in steps["ecart"]]
    colours = [SIDE_COLOURS["ecole"] if v > 0 else SIDE_COLOURS["centre"] if v < 0 else SMALL_COUNT_COLOUR
               for v in steps["ecart"]]
    subtitle = title_lines("Écart entre les qualités données au même lien par ses deux côtés (de 1 à 4)",
                      gap_sides_text(), f"{N_EQ}{format_int(base)} liens évalués par les deux côtés",
                      f"{percent_text(agree)} sans écart", context.scope)
    counts = steps["n"].to_numpy(dtype=float)
    fig.add_bar(x=labels, y=counts, marker_color=colours, name="liens", text=[format_int(n) for n in counts],
                textposition="outside", textfont=dict(size=SMALL_SIZE), cliponaxis=False,
                customdata=np.column_stack([labels, [percent_text(s, 1) for s in steps["part"]]]),
                hovertemplate="Écart %{customdata[0]} : %{y} liens (%{customdata[1]})<extra></extra>")
    left, right = GAP_SIDES
    fig.update_xaxes(type="category", title_text=f"← {GAP_SIDE_PHRASES[left]}   ·   écart (école − centre)   ·   "
                                                 f"{GAP_SIDE_PHRASES[right]} →")
    fig.update_yaxes(title_text="Liens", rangemode="tozero", range=[0, float(np.nanmax(counts)) * 1.18 + 1])
    return chart_layout(fig, title, subtitle, 380, legend=False)
