"""Charts of « Évolution »: indicators wave by wave, and links new and lost between two waves."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib.charts.layout import (N_EQ, SMALL_SIZE, TEXT_DARK, ChartContext, FigureSpec, Panel, chart_layout,
                               count_or_secret, facet_bars, nice_step, nothing_to_chart, pick_groups, right_labels,
                               row_label, rows_by_key, rows_height, short_territory, text_colour_on, title_lines)
from lib.formatting import format_decimal, format_int, format_percent
from lib.metrics import INDICATORS, OVERALL, SMALL_COUNT_NOTE
from lib.palette import CHANGE_COLOURS, QUALITY_COLOURS, SEQUENTIAL, quality_colour
from lib.questionnaire import load_questionnaire


EVOLUTION_TITLES = {
    "liens": "Combien de liens chaque vague recense-t-elle ?",
    "couverture": "La part des établissements ayant un lien progresse-t-elle ?",
    "qualite": "La qualité des liens s'améliore-t-elle ?",
    "hebdomadaire": "Les liens deviennent-ils plus réguliers ?",
    "reponses": "Combien de réponses chaque vague a-t-elle recueillies ?",
}
EVOLUTION_INDICATORS = {"liens": "Liens", "couverture": "Couverture", "qualite": "Qualité moyenne",
                        "hebdomadaire": "Hebdomadaires ou plus"}


def format_indicator_value(value: float | None, kind: str) -> str:
    """An indicator's value in French: ``12,5 %``, ``2,84``, ``1 234``; missing → ``–``."""
    if value is None or pd.isna(value):
        return "–"
    if kind == "share":
        return format_percent(float(value))
    if kind == "mean":
        return format_decimal(float(value), 2)
    return format_int(float(value))


def wave_colours(waves: list[str]) -> list[str]:
    """One colour per wave, lighter for older ones (sequential, colour-blind safe)."""
    if len(waves) == 1:
        return [SEQUENTIAL[-1]]
    return sample_colorscale(SEQUENTIAL, np.linspace(0.45, 1.0, len(waves)).tolist())


def quality_key() -> str:
    """The quality colours' legend as two lines of chart text: what the colour says, then each level's square."""
    labels = load_questionnaire()["qualites"].labels
    keys = [f"<span style='color:{QUALITY_COLOURS[int(code)]}'>\u25a0</span>\u00a0{html.escape(label.lower())}"
            for code, label in labels.items()]
    return "Couleur de la barre : qualité moyenne arrondie, comme les liens de la carte<br>" + "   ".join(keys)


def evolution_chart(table: pd.DataFrame, indicator: str, context: ChartContext) -> go.Figure:
    """One indicator per territory, waves side by side (one panel per wave, same scale).

    Mean quality bars take the map's colour of their level.
    """
    spec = INDICATORS[indicator]
    waves = sorted(table["vague"].astype(str).unique().tolist())
    title = EVOLUTION_TITLES.get(indicator, spec.label)
    overall = table[table["territoire"] == OVERALL].set_index("vague")
    per_wave = ", ".join(f"{w} : {count_or_secret(overall.at[w, 'reponses']) if w in overall.index else '0'}"
                         for w in waves)
    subtitle = title_lines(f"{spec.label}, par vague", f"réponses par vague — {per_wave}", context.scope)
    if spec.kind == "mean":  # the bars take the colour of their level: say which (in the image too)
        subtitle += "<br>" + quality_key()
    fig = FigureSpec()
    if not waves:
        return chart_layout(nothing_to_chart(fig, "aucune vague d'enquête"), title, subtitle, 200, legend=False)
    counts = spec.kind == "count"
    summary = (table.groupby("territoire", sort=False)
               .agg(reponses=("reponses", "sum"), masque=("masque", "all")).reset_index()
               .rename(columns={"territoire": "groupe"}))
    latest = table[table["vague"] == waves[-1]].set_index("territoire")[indicator]
    summary["cle"] = summary["groupe"].map(latest)
    shown = pick_groups(summary, "cle", context)
    groups = [g for g in shown.groups if not (counts and g == OVERALL)]
    note = shown.note
    if counts and len(overall):
        note = " · ".join(n for n in (note, "Ensemble : " + ", ".join(
            f"{format_indicator_value(overall.at[w, indicator], spec.kind)} en {w}" for w in waves
            if w in overall.index)) if n)
    if not groups:
        return chart_layout(nothing_to_chart(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    rows = [row_label(g) for g in groups]
    cells = rows_by_key(table, ("vague", "territoire"))
    scale = 100.0 if spec.kind == "share" else 1.0
    panels = []
    for wave, colour in zip(waves, wave_colours(waves)):
        values, texts, custom, colours = [], [], [], []
        for g in groups:
            row = cells.get((wave, g))
            value = None if row is None or pd.isna(row[indicator]) else float(row[indicator])
            small = row is not None and bool(row["masque"]) and spec.needs_answers
            shown_value = format_indicator_value(value, spec.kind)
            # An empty cell keeps a zero-length bar so that its text (« – », « < 5 rép. ») shows.
            values.append(0.0 if value is None else value * scale - (1.0 if spec.kind == "mean" else 0.0))
            texts.append(shown_value if value is not None else ("< 5 rép." if small else "–"))
            custom.append([short_territory(g), wave,
                           shown_value if value is not None else (SMALL_COUNT_NOTE if small else "pas de donnée"),
                           count_or_secret(row["reponses"]) if row is not None else "0",
                           count_or_secret(row["liens"]) if row is not None else "0"])
            colours.append(quality_colour(value) if spec.kind == "mean" else colour)
        panels.append(Panel(f"Vague {wave}", values, texts, custom, colours,
                            "<b>%{customdata[0]}</b> — vague %{customdata[1]}<br>%{customdata[2]}"
                            "<br>n\u00a0=\u00a0%{customdata[3]} réponses, %{customdata[4]} liens<extra></extra>"))
    if spec.kind == "share":
        axis = dict(range=[0, 140], tickvals=[0, 100], ticktext=["0", "100\u00a0%"])
    elif spec.kind == "mean":
        axis = dict(range=[1, 4.9], tickvals=[1, 2, 3, 4])
    else:
        high = float(np.nanmax(table.loc[table["territoire"] != OVERALL, indicator].astype(float))) \
            if len(table) else 1.0
        axis = dict(range=[0, max(high, 1.0) * 1.4], nticks=3)
    facet_bars(fig, rows, panels, axis, base=1.0 if spec.kind == "mean" else None)
    return chart_layout(fig, title, subtitle, rows_height(len(rows)), note, legend=False, header=True)


def link_changes_chart(table: pd.DataFrame, before: str, after: str, context: ChartContext) -> go.Figure:
    """Links lost (left), kept and new (right) between two waves, per territory; biggest net gain first."""
    title = f"Quels liens sont apparus ou ont disparu entre {before} et {after} ?"
    overall = table[table["groupe"] == OVERALL]
    head = overall.iloc[0] if len(overall) else None
    summary_text = "" if head is None else (
        f"Ensemble : {N_EQ}{format_int(head['avant'])} liens en {before}, {format_int(head['apres'])} en {after} "
        f"({format_int(head['maintenus'])} maintenus, {format_int(head['nouveaux'])} nouveaux, "
        f"{format_int(head['perdus'])} perdus)")
    subtitle = title_lines(summary_text, f"perdu : cité en {before}, pas en {after} ; nouveau : l'inverse",
                      "un lien est un couple école – centre social", context.scope)
    note = ("Un lien absent d'une vague peut aussi être un lien sur lequel personne n'a été interrogé "
            "cette année-là.")
    territories = table[table["groupe"] != OVERALL]
    summary = territories.assign(masque=False, reponses=territories["avant"] + territories["apres"],
                                 cle=territories["nouveaux"] - territories["perdus"])
    shown = pick_groups(summary, "cle", context, size_label="de liens")
    fig = FigureSpec()
    groups = [g for g in shown.groups if g != OVERALL]
    if not groups:
        return chart_layout(nothing_to_chart(fig, f"aucun lien en {before} ni en {after}"), title, subtitle, 200,
                            legend=False)
    note = " · ".join(n for n in (shown.note, note) if n)
    rows = [short_territory(g) for g in groups]
    cells = territories.set_index("groupe").loc[groups]
    parts = [("perdus", "Perdus", -1), ("maintenus", "Maintenus", 1), ("nouveaux", "Nouveaux", 1)]
    for column, name, sign in parts:
        values = cells[column].to_numpy(dtype=float)
        colour = CHANGE_COLOURS[column]
        fig.add_bar(y=rows, x=sign * values, orientation="h", name=name, marker_color=colour,
                    text=[format_int(v) if v else "" for v in values], textposition="inside",
                    insidetextanchor="middle", textfont=dict(size=SMALL_SIZE, color=text_colour_on(colour)),
                    customdata=np.column_stack([rows, [format_int(v) for v in values],
                                                [format_int(v) for v in cells["avant"]],
                                                [format_int(v) for v in cells["apres"]]]),
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{name} : %{{customdata[1]}}<br>%{{customdata[2]}} "
                                   f"liens en {before}, %{{customdata[3]}} en {after}<extra></extra>"))
    right = right_labels(fig, rows, [f"{format_int(a)} → {format_int(b)}" for a, b in zip(cells["avant"],
                                                                                          cells["apres"])],
                          f"{before} → {after}")
    fig.update_layout(barmode="relative", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    low = float(cells["perdus"].max())
    high = float((cells["maintenus"] + cells["nouveaux"]).max())
    step = nice_step(max(low, high) / 3)
    ticks = [t * step for t in range(-int(math.ceil(low / step)), int(math.ceil(high / step)) + 1)]
    fig.update_xaxes(title_text="← liens perdus   ·   liens maintenus et nouveaux →", tickvals=ticks,
                     ticktext=[format_int(abs(t)) for t in ticks])
    fig.add_vline(x=0, line_color=TEXT_DARK, line_width=1)
    return chart_layout(fig, title, subtitle, rows_height(len(rows)), note, right=right)
