"""Plotly figures of the analysis pages, and the tables behind them.

Tables in (from ``lib/metrics.py``), ``go.Figure`` out. Every figure is
French, states the question it answers in its title, shows its n (title,
axis or hover), hides what rests on fewer than MIN_ANSWERS answers with a
note, and stays readable projected at 1280×720 (fonts of 14 px and more,
territories on horizontal bars, at most MAX_TERRITORIES of them).

- ``layout``: the house layout, texts, the view a chart shows, shared building blocks;
- ``links``, ``heatmaps``, ``levers``, ``evolution``: the builders, page by page;
- ``tables``: the table behind each chart (``*_table``) and its French display;
- here: :class:`Chart` and the charts of each page (``link_charts``, ``lever_charts`` …).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lib.charts.evolution import EVOLUTION_INDICATORS, evolution_chart, link_changes_chart
from lib.charts.heatmaps import lever_quality_heatmap, lever_territory_heatmap, territory_heatmap
from lib.charts.layout import context_for
from lib.charts.levers import gap_chart, side_comparison_chart
from lib.charts.links import coverage_chart, frequency_chart, quality_chart, ranked_shares_chart
from lib.charts.tables import (coverage_table, display_table, evolution_table, gap_table, link_changes_table,
                               shares_table)
from lib.filters import View
from lib.metrics import OVERALL, gap_list, indicators_by_wave, lever_analyses, link_analyses, link_changes
from lib.territories import territory_column


@dataclass(frozen=True)
class Chart:
    """A chart ready to show: its figure as plotly JSON, the table behind it, and that table in French formats.

    Plain data, so that a page's charts can be cached (``st.cache_data``) and
    redrawn without building them again.
    """

    name: str
    figure: dict
    table: pd.DataFrame
    shown: pd.DataFrame

    @classmethod
    def of(cls, name: str, figure: go.Figure, table: pd.DataFrame) -> Chart:
        return cls(name, figure.to_plotly_json(), table, display_table(table))

    @property
    def title(self) -> str:
        """The chart's question as plain text (for screen readers)."""
        text = self.figure.get("layout", {}).get("title", {}).get("text", "")
        return html.unescape(re.sub(r"<[^>]+>", "", text))

    def to_figure(self) -> go.Figure:
        """The figure again, without plotly's validation (done when it was built)."""
        return go.Figure(data=self.figure.get("data", []), layout=self.figure.get("layout", {}), _validate=False)


def link_charts(view: View) -> dict[str, Chart]:
    """Every chart of « Liens par territoire » for a view."""
    context = context_for(view.filters)
    label = context.label
    tables = link_analyses(view, territory_column(view.filters.level))
    found = {
        "frequence": Chart.of("frequence-par-territoire", frequency_chart(tables["frequence"], context),
                              shares_table(tables["frequence"], "frequences", label, "liens")),
        "qualite": Chart.of("qualite-par-territoire", quality_chart(tables["qualite"], context),
                            shares_table(tables["qualite"], "qualites", label, "réponses", mean=True)),
        "couverture": Chart.of("couverture-par-territoire", coverage_chart(tables["couverture"], context),
                               coverage_table(tables["couverture"], label)),
    }
    titles = {"formes": ("Quelles formes prennent les liens ?",
                         "Les formes des liens changent-elles d'un territoire à l'autre ?"),
              "objets": ("Sur quoi portent les liens ?",
                         "Les objets des liens changent-ils d'un territoire à l'autre ?")}
    for question, (overall_title, title) in titles.items():
        overall = tables[f"{question}_ensemble"]
        found[f"{question}_ensemble"] = Chart.of(
            question, ranked_shares_chart(overall, question, context, overall_title, "liens"),
            shares_table(overall, question, "Périmètre", "liens"))
        found[question] = Chart.of(
            f"{question}-par-territoire",
            territory_heatmap(tables[question], overall, question, context, title, "liens"),
            shares_table(tables[question], question, label, "liens"))
    return found


def lever_charts(view: View) -> dict[str, Chart | pd.DataFrame]:
    """Every chart of « Leviers et freins » for a view, and the list of links whose sides disagree."""
    context = context_for(view.filters)
    label = context.label
    tables = lever_analyses(view, territory_column(view.filters.level))
    found: dict[str, Chart | pd.DataFrame] = {}
    for question in ("leviers", "freins"):
        by_side = tables[f"{question}_cote"]
        overall = by_side[by_side["groupe"] == OVERALL]
        found[f"{question}_cote"] = Chart.of(f"{question}-par-cote", side_comparison_chart(by_side, question, context),
                                             shares_table(by_side, question, "Côté qui répond", "réponses"))
        found[f"{question}_territoire"] = Chart.of(
            f"{question}-par-territoire",
            lever_territory_heatmap(tables[f"{question}_territoire"], overall, question, context),
            shares_table(tables[f"{question}_territoire"], question, label, "réponses"))
        found[f"{question}_qualite"] = Chart.of(
            f"{question}-par-qualite", lever_quality_heatmap(tables[f"{question}_qualite"], question, context),
            shares_table(tables[f"{question}_qualite"], question, "Qualité du lien", "réponses"))
    distribution = tables["ecarts_distribution"]
    found["ecarts"] = Chart.of("ecarts-de-perception", gap_chart(distribution, context), gap_table(distribution))
    found["ecarts_liste"] = pd.DataFrame() if distribution["masque"].all() else \
        gap_list(tables["ecarts"], view.structures, label)
    return found


def evolution_charts(view: View) -> dict[str, Chart | list[str] | int]:
    """The charts of « Évolution » for a view over every wave, one per indicator, with its waves and answers."""
    context = context_for(view.filters)
    table = indicators_by_wave(view, territory_column(view.filters.level))
    found: dict[str, Chart | list[str] | int] = {
        indicator: Chart.of(f"evolution-{indicator}", evolution_chart(table, indicator, context),
                            evolution_table(table, indicator, context.label))
        for indicator in EVOLUTION_INDICATORS
    }
    found["vagues"] = sorted(table["vague"].astype(str).unique().tolist())
    found["reponses"] = int(table.loc[table["territoire"] == OVERALL, "reponses"].sum())
    return found


def changes_chart(view: View, before: str, after: str) -> Chart:
    """Links new and lost between two waves, for a view over every wave."""
    context = context_for(view.filters)
    table = link_changes(view, territory_column(view.filters.level), before, after)
    return Chart.of(f"liens-{before}-{after}", link_changes_chart(table, before, after, context),
                    link_changes_table(table, before, after, context.label))
