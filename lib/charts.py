"""Plotly figures of the analysis pages, and the tables behind them.

Tables in (from ``lib/metrics.py``), ``go.Figure`` out. Every figure is
French, states the question it answers in its title, shows its n (title,
axis or hover), hides what rests on fewer than MIN_ANSWERS answers with a
note, and stays readable projected at 1280×720 (fonts of 14 px and more,
territories on horizontal bars, at most MAX_TERRITORIES of them).
The ``*_table`` functions give the table behind each chart, with French
headers and plain numbers, for "voir les données" and the downloads.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib.filters import ALL_WAVES, Filters, View
from lib.formatting import format_decimal, format_int, format_percent
from lib.secrecy import SECRET
from lib.metrics import (INDICATORS, OVERALL, SIDES, SMALL_COUNT_NOTE, gap_list, indicators_by_wave, lever_analyses,
                         link_analyses, link_changes)
from lib.palette import (CHANGE_COLOURS, EP_COLOURS, NO_QUALITY_COLOUR, QUALITY_COLOURS, SEQUENTIAL,
                         SIDE_COLOURS, SMALL_COUNT_COLOUR, quality_colour)
from lib.questionnaire import load_questionnaire
from lib.territories import LEVELS, OUTSIDE_EP, short_territory_name, territory_column
from lib.text import fold

# Projected at 1280×720: nothing smaller than 14 px.
FONT_SIZE = 16
TITLE_SIZE = 22
SMALL_SIZE = 14
ROW_PX = 34
# More territories than this and the chart shows those with the most answers (with a note).
MAX_TERRITORIES = 25
# Category labels are wrapped to this many characters a line.
LABEL_WIDTH = 30
NOTE_COLOUR = "#555555"
TEXT_DARK, TEXT_LIGHT = "#1b1f23", "#ffffff"
GRID_COLOUR = "#e5e8ec"
# The little of "plotly_white" the charts need: the full template costs 40 ms a figure to copy.
LIGHT_TEMPLATE = {"layout": {
    "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
    "xaxis": {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "zerolinecolor": GRID_COLOUR, "ticks": ""},
    "yaxis": {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "zerolinecolor": GRID_COLOUR, "ticks": ""},
}}

LEVEL_NOUNS: dict[str, tuple[str, str, bool]] = {  # singular, plural, feminine
    "commune": ("commune", "communes", True),
    "epci": ("intercommunalité", "intercommunalités", True),
    "territoire": ("territoire", "territoires", False),
    "education_prioritaire": ("groupe d'éducation prioritaire", "groupes d'éducation prioritaire", False),
    "qpv": ("groupe QPV", "groupes QPV", False),
}
QUESTIONS: dict[str, tuple[str, str]] = {  # list name → (singular, plural), lower case
    "formes": ("forme", "formes"),
    "objets": ("objet", "objets"),
    "leviers": ("levier", "leviers"),
    "freins": ("frein", "freins"),
}
N_EQ = "n\u00a0=\u00a0"
SECRET_ROW_NOTE = "secret statistique : trop peu de structures"
SECRET_CELL_NOTE = "secret statistique sur certaines cases"  # "n = 12" never broken across lines
PNG_HINT = "Image (PNG) : bouton « appareil photo » en haut à droite du graphique."


@dataclass(frozen=True)
class ChartContext:
    """What every chart says about the view it shows."""

    level: str
    scope: str

    @property
    def label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def noun(self) -> str:
        return LEVEL_NOUNS.get(self.level, ("territoire", "territoires", False))[0]

    @property
    def plural(self) -> str:
        return LEVEL_NOUNS.get(self.level, ("territoire", "territoires", False))[1]

    def sorted_by(self, key: str) -> str:
        """``communes triées par …`` / ``territoires triés par …``."""
        feminine = LEVEL_NOUNS.get(self.level, ("", "", False))[2]
        return f"{self.plural} {'triées' if feminine else 'triés'} {key}"


def describe_scope(filters: Filters) -> str:
    """The view in a few French words, for subtitles: ``vague 2019 · 2 territoires choisis``."""
    q = load_questionnaire()
    parts = ["toutes vagues" if filters.wave == ALL_WAVES else f"vague {filters.wave}"]
    if filters.territories:
        shown = ", ".join(map(short_territory, filters.territories)) if len(filters.territories) <= 2 else \
            f"{len(filters.territories)} territoires choisis"
        parts.append(shown)
    if filters.types:
        parts.append("types : " + ", ".join(q["types_structure"].label(t) for t in filters.types))
    if filters.forms or filters.frequencies or filters.qualities:
        parts.append("réponses filtrées (forme, fréquence ou qualité)")
    return " · ".join(parts)


def context_for(filters: Filters) -> ChartContext:
    return ChartContext(level=filters.level, scope=describe_scope(filters))


def empty_reason(filters: Filters, schools: int, answers: int, answers_in_data_set: int) -> str | None:
    """Why there is nothing to chart, in French, or None when there is something.

    Args:
        filters: the filters of the view.
        schools: schools in the view.
        answers: answers in the view.
        answers_in_data_set: answers in the whole data set.
    """
    if answers_in_data_set == 0:
        return "le jeu de données ne contient encore aucune réponse d'enquête."
    if schools == 0:
        return "aucun établissement scolaire ne correspond aux filtres (territoires, types de structure)."
    if answers == 0:
        return (f"aucune réponse ne correspond aux filtres choisis ({describe_scope(filters)}). "
                "Élargissez la vague, les territoires ou les filtres sur les réponses.")
    return None


# --------------------------------------------------------------------------- text helpers


def short_territory(name: object) -> str:
    """A territory's name for a chart: an EPCI's legal form abbreviated (``CA de Cergy-Pontoise``).

    Escaped: plotly reads its texts as HTML, and custom territory names are data.
    """
    return html.escape(short_territory_name(name), quote=False)


def wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """Plotly has no automatic wrapping: break long labels into lines."""
    return "<br>".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _percent(share: float | None, digits: int = 0) -> str:
    return format_percent(None if share is None or pd.isna(share) else float(share), digits)


def _signed(value: float) -> str:
    text = format_decimal(abs(value), 1).removesuffix(",0")
    return "0" if value == 0 else ("+" if value > 0 else "−") + text


def _text_colour(background: str) -> str:
    """Dark text on light colours, white text on dark ones."""
    rgb = [int(background.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return TEXT_DARK if luminance > 0.5 else TEXT_LIGHT


def title_lines(*parts: str, width: int = 110) -> str:
    """Subtitle or note text: parts joined, wrapped to ``width`` characters."""
    text = " · ".join(p for p in parts if p)
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False))


def _note(text: str) -> str:
    """Small grey text, wrapped, for what a chart leaves out."""
    if not text:
        return ""
    lines = [line for part in text.split("<br>") for line in textwrap.wrap(part, 100, break_long_words=False)]
    return "<br>".join(f"<span style='font-size:{SMALL_SIZE}px;color:{NOTE_COLOUR}'>{line}</span>" for line in lines)


# --------------------------------------------------------------------------- territories shown


@dataclass(frozen=True)
class Shown:
    """The groups a chart shows, top to bottom, and why others are not there."""

    groups: list[str]
    note: str


def pick_groups(summary: pd.DataFrame, sort_by: str, context: ChartContext, size: str = "reponses",
                size_label: str = "de réponses", limit: int = MAX_TERRITORIES) -> Shown:
    """Which territories a chart shows: not masked, at most ``limit`` (the largest by ``size``), sorted.

    Args:
        summary: one row per group: ``groupe``, ``masque``, ``size`` and ``sort_by``.
        sort_by: the column that orders the bars, largest first (the chart's finding).
        context: the level, for the note.
        size: the column choosing the largest groups when there are too many.
        size_label: how the note says what ``size`` counts.
        limit: how many territories at most.

    Returns:
        ``OVERALL`` first when present and shown, then the territories; the
        note names what is left out.
    """
    rows = summary[summary["groupe"] != OVERALL]
    masked = rows[rows["masque"].astype(bool)]
    kept = rows[~rows["masque"].astype(bool)]
    notes = []
    if len(kept) > limit:
        notes.append(f"les {limit} {context.plural} comptant le plus {size_label} sur {len(kept)} "
                     "(choisissez des territoires dans les filtres pour en voir d'autres)")
        kept = kept.sort_values([size, "groupe"], ascending=[False, True]).head(limit)
    if len(masked):
        names = sorted(masked["groupe"].astype(str).map(short_territory))
        listed = ", ".join(names[:6]) + (f" et {len(names) - 6} autre(s)" if len(names) > 6 else "")
        notes.append(f"non affiché(s), {SMALL_COUNT_NOTE} : {listed}")
    ordered = kept.sort_values([sort_by, "groupe"], ascending=[False, True], na_position="last")
    groups = ordered["groupe"].tolist()
    overall = summary[(summary["groupe"] == OVERALL) & ~summary["masque"].astype(bool)]
    if len(overall):
        groups = [OVERALL, *groups]
    note = " ; ".join(notes)
    return Shown(groups, note[:1].upper() + note[1:])


def _summary(table: pd.DataFrame, key_code: str | None = None) -> pd.DataFrame:
    """One row per group of a long share table: ``groupe``, ``base``, ``reponses``, ``masque`` and the key share."""
    first = table.groupby("groupe", sort=False).agg(base=("base", "first"), reponses=("reponses", "first"),
                                                    masque=("masque", "first")).reset_index()
    if key_code is not None:
        key = table[table["code"] == key_code].set_index("groupe")["part"]
        first["cle"] = first["groupe"].map(key)
    return first


def _index(table: pd.DataFrame, keys: tuple[str, ...] = ("groupe", "code")) -> dict[tuple, dict]:
    """Rows by key, as dicts: pandas' own lookups cost a few hundred µs each, a chart makes hundreds."""
    return {tuple(row[k] for k in keys): row for row in table.to_dict("records")}


def _column(cells: list[dict], name: str) -> np.ndarray:
    return np.array([c[name] for c in cells], dtype=float)


def _label(group: str) -> str:
    return "<b>Ensemble</b>" if group == OVERALL else short_territory(group)


# --------------------------------------------------------------------------- layout


# Plotly properties whose own name holds an underscore.
_UNDERSCORE_NAMES = {"paper_bgcolor", "plot_bgcolor"}


def _expand(options: dict) -> dict:
    """Plotly's "magic underscores" (``title_text``, ``marker_color``) as nested dicts."""
    out: dict = {}
    for key, value in options.items():
        value = _expand(value) if isinstance(value, dict) else value
        parts = [key] if key in _UNDERSCORE_NAMES else key.split("_")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if isinstance(value, dict) and isinstance(target.get(parts[-1]), dict):
            _merge(target[parts[-1]], value)
        else:
            target[parts[-1]] = value
    return out


def _merge(target: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


class FigureSpec:
    """A figure assembled as plain dicts and made into a ``go.Figure`` once.

    Plotly validates and copies the whole figure on every ``add_*`` and
    ``update_*``: a chart built step by step took 250 ms, built at once 25 ms.
    The methods mirror the few of ``go.Figure`` the builders use.
    """

    def __init__(self) -> None:
        self.data: list[dict] = []
        self.layout: dict = {"xaxis": {}, "yaxis": {}, "annotations": [], "shapes": []}

    def add_bar(self, **options) -> None:
        self.data.append({"type": "bar", **_expand(options)})

    def add_heatmap(self, **options) -> None:
        self.data.append({"type": "heatmap", **_expand(options)})

    def update_layout(self, **options) -> None:
        _merge(self.layout, _expand(options))

    def _update_axes(self, letter: str, options: dict) -> None:
        for key in [k for k in self.layout if re.fullmatch(rf"{letter}axis\d*", k)]:
            _merge(self.layout[key], _expand(options))

    def update_xaxes(self, **options) -> None:
        self._update_axes("x", options)

    def update_yaxes(self, **options) -> None:
        self._update_axes("y", options)

    def add_annotation(self, **options) -> None:
        self.layout["annotations"].append(_expand(options))

    def add_vline(self, x: float, line_color: str, line_width: int) -> None:
        self.layout["shapes"].append(dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                                          line=dict(color=line_color, width=line_width)))

    def figure(self) -> go.Figure:
        # Plain lists rather than numpy arrays: plotly would send those base64-encoded, which the
        # AppTest checks (and anyone reading the JSON) could not read.
        self.data = [_plain(trace) for trace in self.data]
        # Unvalidated: validating costs 25 ms a chart, most of a page's time. The unit tests
        # rebuild every chart with validation (tests/test_charts.py), so a wrong property fails there.
        return go.Figure(data=self.data, layout=self.layout, _validate=False)


def _plain(node):
    """Numpy arrays (and scalars) inside a trace as Python lists and numbers; NaN as None."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(value) for value in node]
    if isinstance(node, np.ndarray):
        return _plain(node.tolist())
    if isinstance(node, np.generic):
        node = node.item()
    if isinstance(node, float) and math.isnan(node):
        return None
    return node


def _legend_rows(fig: FigureSpec, width: int = 560) -> int:
    """How many rows a horizontal legend takes above a plot area about ``width`` pixels wide."""
    names = [t.get("name") for t in fig.data if t.get("showlegend") is not False and t.get("name")]
    rows, used = 1, 0
    for name in names:
        item = 50 + int(len(name) * 8.5)
        if used and used + item > width:
            rows, used = rows + 1, 0
        used += item
    return rows


def chart_layout(fig: FigureSpec, title: str, subtitle: str, height: int, note: str = "", legend: bool = True,
            right: int = 20, header: bool = False) -> go.Figure:
    """The house layout: white, French separators, big fonts, title and subtitle, note under the plot.

    Args:
        height: of the plot area and its axes (title, subtitle and legend are added).
        note: what the chart leaves out, under the x axis.
        legend: a horizontal legend above the plot.
        right: the right margin (for ``_right_labels``).
        header: leave room above the plot for panel titles.
    """
    subtitle_lines = subtitle.count("<br>") + 1 if subtitle else 0
    top = 62 + 21 * subtitle_lines + (10 + 26 * _legend_rows(fig) if legend else 0) + (34 if header else 0)
    fig.update_layout(
        template=LIGHT_TEMPLATE,
        separators=", ",
        font=dict(size=FONT_SIZE, color=TEXT_DARK),
        title=dict(text=f"<b>{title}</b>", x=0.01, xanchor="left", y=1 - 14 / (height + top), yanchor="top",
                   yref="container", font=dict(size=TITLE_SIZE),
                   subtitle=dict(text=subtitle, font=dict(size=15, color=NOTE_COLOUR))),
        height=height + top,
        margin=dict(l=10, r=right, t=top, b=20),
        hoverlabel=dict(font_size=15, align="left"),
        uniformtext=dict(minsize=SMALL_SIZE, mode="hide"),
        showlegend=legend,
        # Above the plot; plotly wraps it to the plot's width (names kept short for that).
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom", font=dict(size=15),
                    traceorder="normal", title=None),
    )
    fig.update_xaxes(automargin=True, tickfont=dict(size=15))
    fig.update_yaxes(automargin=True, tickfont=dict(size=15))
    if note and header:
        # Panels have an x axis each: the note goes under all of them, from the left.
        fig.add_annotation(text=_note(note), x=0, xref="paper", xanchor="left", y=0, yref="paper", yanchor="top",
                           yshift=-34, showarrow=False, align="left")
        fig.update_layout(margin_b=50 + 20 * (_note(note).count("<br>") + 1))
    elif note:
        current = fig.layout["xaxis"].get("title", {}).get("text") or ""
        fig.update_layout(xaxis_title_text="<br>".join(t for t in (current, _note(note)) if t))
    return fig.figure()


def _nothing(fig: FigureSpec, why: str) -> FigureSpec:
    fig.add_annotation(text=f"Rien à afficher : {why}", x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=18, color=NOTE_COLOUR))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _add_annotations(fig: FigureSpec, annotations: list[dict]) -> None:
    fig.layout["annotations"].extend(_expand(a) for a in annotations)


def _right_labels(fig: FigureSpec, rows: list[str], texts: list[str], header: str) -> int:
    """n (and a mean) at the right end of each bar's row; returns the right margin they need."""
    style = dict(x=1, xref="paper", xanchor="left", xshift=10, showarrow=False,
                 font=dict(size=SMALL_SIZE, color=NOTE_COLOUR))
    _add_annotations(fig, [dict(text=text, y=row, yref="y", align="left", **style) for row, text in zip(rows, texts)]
                     + [dict(text=f"<b>{header}</b>", y=1, yref="paper", yanchor="bottom", **style)])
    longest = max([len(t) for t in texts] + [len(header)])
    return 24 + int(longest * 8.2)


def _percent_axis(fig: FigureSpec, title: str, low: int = 0, high: int = 100, axis: str = "x") -> None:
    ticks = list(range(low, high + 1, 25))
    getattr(fig, f"update_{axis}axes")(range=[low, high], tickvals=ticks,
                                        ticktext=[_percent(abs(t) / 100) for t in ticks], title_text=title)


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw`` (and at least 1)."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _rows_height(n_rows: int, per_row: int = ROW_PX) -> int:
    return 120 + per_row * max(n_rows, 1)


@dataclass(frozen=True)
class Panel:
    """One panel of side-by-side bars: its title, bar lengths, texts, hover data and colours."""

    title: str
    values: list
    texts: list[str]
    custom: list[list[str]]
    colours: list[str] | str
    hover: str


def _facet_bars(fig: FigureSpec, rows: list[str], panels: list[Panel], axis: dict, base: float | None = None) -> None:
    """Panels of horizontal bars side by side, sharing the rows (territories) and one scale."""
    width = 1.0 / len(panels)
    titles: list[dict] = []
    for i, panel in enumerate(panels):
        name = "x" if i == 0 else f"x{i + 1}"
        fig.add_bar(y=rows, x=panel.values, base=base, orientation="h", marker_color=panel.colours, xaxis=name,
                    yaxis="y", text=panel.texts, textposition="outside", textfont=dict(size=SMALL_SIZE),
                    cliponaxis=False, customdata=panel.custom, hovertemplate=panel.hover, showlegend=False,
                    name=panel.title)
        domain = [i * width + (0.0 if i == 0 else 0.03), (i + 1) * width - 0.03]
        fig.update_layout(**{"xaxis" if i == 0 else f"xaxis{i + 1}": dict(
            domain=domain, anchor="y", showgrid=True, automargin=True, tickfont=dict(size=SMALL_SIZE), **axis)})
        titles.append(dict(text=f"<b>{panel.title}</b>", x=(domain[0] + domain[1]) / 2, xref="paper", y=1.0,
                           yref="paper", yanchor="bottom", yshift=6, showarrow=False, font=dict(size=FONT_SIZE)))
    _add_annotations(fig, titles)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    fig.update_layout(bargap=0.3)


# --------------------------------------------------------------------------- Liens par territoire


def _share_bar(fig: FigureSpec, rows: list[str], groups: list[str], cells: list[dict], name: str, colour: str, unit: str,
               sign: int = 1, legendrank: int | None = None) -> None:
    """One category's stacked bar across the territories: its share written inside, counts in the hover.

    ``sign=-1`` draws it to the left of zero (the low end of a diverging scale).
    """
    share = _column(cells, "part")
    options = {} if legendrank is None else {"legendrank": legendrank}
    fig.add_bar(
        y=rows, x=sign * share * 100, orientation="h", name=name, marker_color=colour, **options,
        text=[_percent(s) if s >= 0.08 else "" for s in share], textposition="inside",
        insidetextanchor="middle", textfont=dict(size=SMALL_SIZE, color=_text_colour(colour)),
        customdata=np.column_stack([[short_territory(g) for g in groups],
                                    [format_int(n) for n in _column(cells, "n")],
                                    [format_int(b) for b in _column(cells, "base")],
                                    [_percent(s, 1) for s in share]]),
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
    summary = _summary(table, key_code)
    shown = pick_groups(summary, "cle", context)
    fig = FigureSpec()
    overall = summary[summary["groupe"] == OVERALL]
    total = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
    subtitle = title_lines(f"Part des {unit} par {choices.title.lower()}", context.sorted_by(key_text),
                      f"{N_EQ}{format_int(total)} {unit}", context.scope)
    if not shown.groups:
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    rows = [_label(g) for g in shown.groups]
    colours = SEQUENTIAL[-len(choices.codes):] if len(choices.codes) <= len(SEQUENTIAL) else \
        sample_colorscale(SEQUENTIAL, len(choices.codes))
    by_key = _index(table)
    for code, colour in zip(choices.codes, colours):
        _share_bar(fig, rows, shown.groups, [by_key[(g, code)] for g in shown.groups], choices.label(code),
                   colour, unit)
    counts = summary.set_index("groupe").loc[shown.groups]
    right = _right_labels(fig, rows, [f"{N_EQ}{format_int(b)}" for b in counts["base"]], unit)
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    _percent_axis(fig, f"Part des {unit}")
    return chart_layout(fig, title, subtitle, _rows_height(len(rows)), shown.note, right=right)


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
        return chart_layout(_nothing(fig, SECRET_ROW_NOTE if "secret" in table else SMALL_COUNT_NOTE), title, subtitle,
                       200, legend=False)
    labels = [wrap(choices.label(c)) for c in shown["code"]]
    share = shown["part"].to_numpy(dtype=float)
    fig.add_bar(y=labels, x=share * 100, orientation="h", marker_color=SEQUENTIAL[3], name=plural,
                text=[_percent(s) for s in share], textposition="outside", textfont=dict(size=SMALL_SIZE),
                cliponaxis=False,
                customdata=np.column_stack([[choices.label(c) for c in shown["code"]],
                                            [format_int(n) for n in shown["n"]], [_percent(s, 1) for s in share]]),
                hovertemplate=(f"<b>%{{customdata[0]}}</b><br>%{{customdata[1]}} {unit} sur {total} "
                               "(%{customdata[2]})<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    high = min(100, int(math.ceil(share.max() * 10 + 1.5)) * 10)
    fig.update_xaxes(range=[0, high], tickvals=list(range(0, high + 1, 10 if high <= 50 else 25)),
                     ticktext=[_percent(t / 100) for t in range(0, high + 1, 10 if high <= 50 else 25)],
                     title_text=f"Part des {unit}")
    lines = sum(label.count("<br>") + 1 for label in labels)
    return chart_layout(fig, title, subtitle, 90 + 22 * lines + 14 * len(labels), note, legend=False)


def _heatmap(fig: FigureSpec, rows: list[str], row_names: list[str], columns: list[str], column_names: list[str],
             table: pd.DataFrame, unit: str, colour_title: str) -> None:
    """Shares as a heatmap: rows (codes) × columns (groups) of a ``share_citing`` table."""
    cells = _index(table)
    z = np.array([[cells[(c, r)]["part"] * 100 for c in column_names] for r in rows], dtype=float)
    n = np.array([[cells[(c, r)]["n"] for c in column_names] for r in rows], dtype=float)
    base = np.array([[cells[(c, r)]["base"] for c in column_names] for r in rows], dtype=float)
    show_text = len(columns) <= 13
    text = [[_percent(v / 100) if show_text and not np.isnan(v) else "" for v in row] for row in z]
    custom = np.dstack([
        np.array([[short_territory(c) for c in column_names]] * len(rows), dtype=object),
        np.array([[name] * len(columns) for name in row_names], dtype=object),
        np.vectorize(format_int, otypes=[object])(n), np.vectorize(format_int, otypes=[object])(base),
        np.vectorize(lambda v: _percent(v / 100, 1), otypes=[object])(z),
    ])
    high = float(np.nanmax(z)) if np.isfinite(z).any() else 100.0
    high = min(100.0, max(10.0, math.ceil(high / 10) * 10))
    scale = [[i / (len(SEQUENTIAL) - 1), colour] for i, colour in enumerate(SEQUENTIAL)]
    fig.add_heatmap(
        z=z, x=columns, y=[wrap(name) for name in row_names], zmin=0, zmax=high, colorscale=scale, xgap=2, ygap=2,
        text=text, texttemplate="%{text}", textfont=dict(size=SMALL_SIZE), customdata=custom,
        hovertemplate=(f"<b>%{{customdata[0]}}</b><br>%{{customdata[1]}}<br>%{{customdata[2]}} {unit} sur "
                       "%{customdata[3]} (%{customdata[4]})<extra></extra>"),
        colorbar=dict(title=dict(text=colour_title, side="right", font=dict(size=SMALL_SIZE)), ticksuffix="\u00a0%",
                      tickfont=dict(size=SMALL_SIZE), thickness=14),
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    # Rotated labels do not touch while the columns are 20 px apart or more.
    fig.update_xaxes(showgrid=False, side="bottom", tickangle=0 if len(columns) <= 5 else -40 if len(columns) <= 12
                     else -65)


def territory_heatmap(table: pd.DataFrame, overall: pd.DataFrame, list_name: str, context: ChartContext,
                      title: str, unit: str) -> go.Figure:
    """Share of links (or answers) citing each category, territories in columns, categories by overall share.

    Args:
        table: ``share_citing`` by territory.
        overall: ``share_citing`` of the whole view (orders the rows).
    """
    choices = load_questionnaire()[list_name]
    singular, _plural = QUESTIONS.get(list_name, (list_name, list_name))
    summary = _summary(table)
    shown = pick_groups(summary.assign(cle=summary["base"]), "cle", context)
    territories = [g for g in shown.groups if g != OVERALL]
    total = int(summary["base"].sum())
    subtitle = title_lines(f"Part des {unit} de chaque {context.noun} citant chaque {singular}",
                      context.sorted_by(f"par nombre de {unit}"), f"{N_EQ}{format_int(total)} {unit}",
                      context.scope)
    fig = FigureSpec()
    if not territories:
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    order = overall.sort_values("part", ascending=False)["code"].tolist() if len(overall) else choices.codes
    bases = summary.set_index("groupe").loc[territories, "base"]
    # With many columns the labels stand on their own; n stays in the hover and the table.
    columns = [f"{short_territory(t)} ({N_EQ}{format_int(b)})" if len(territories) <= 12 else short_territory(t)
               for t, b in zip(territories, bases)]
    _heatmap(fig, order, [choices.label(c) for c in order], columns, territories, table, unit, f"% des {unit}")
    lines = sum(len(textwrap.wrap(choices.label(c), LABEL_WIDTH)) for c in order)
    longest = max(len(c) for c in columns)
    tick_room = int(longest * (6.5 if len(columns) <= 12 else 8.5)) if len(columns) > 5 else 40
    return chart_layout(fig, title, subtitle, 60 + 24 * lines + 8 * len(order) + tick_room, shown.note, legend=False)


def quality_chart(table: pd.DataFrame, context: ChartContext) -> go.Figure:
    """Quality by territory as diverging stacked bars centred between « à améliorer » and « satisfaisante »."""
    choices = load_questionnaire()["qualites"]
    codes = choices.codes
    low, high = codes[: len(codes) // 2], codes[len(codes) // 2:]
    summary = _summary(table)
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
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, shown.note, legend=False)
    rows = [_label(g) for g in shown.groups]
    by_key = _index(table)
    # Negative bars stack away from zero in trace order: the middle levels first.
    for code in [*reversed(low), *high]:
        _share_bar(fig, rows, shown.groups, [by_key[(g, code)] for g in shown.groups], choices.label(code),
                   QUALITY_COLOURS.get(int(code), NO_QUALITY_COLOUR), "réponses", sign=-1 if code in low else 1,
                   legendrank=codes.index(code) + 1)
    counts = summary.set_index("groupe").loc[shown.groups]
    right = _right_labels(fig, rows, [f"{format_decimal(m, 2)} · {N_EQ}{format_int(b)}"
                                      for m, b in zip(counts["moyenne"], counts["base"])], "moyenne · n")
    fig.update_layout(barmode="relative", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    _percent_axis(fig, f"← {choices.label(low[-1]).lower()} ou {choices.label(low[0]).lower()}   ·   "
                       f"{choices.label(high[0]).lower()} ou {choices.label(high[-1]).lower()} →", -100, 100)
    fig.add_vline(x=0, line_color=TEXT_DARK, line_width=1)
    return chart_layout(fig, title, subtitle, _rows_height(len(rows)), shown.note, right=right)


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
        return chart_layout(_nothing(fig, "aucun établissement scolaire"), title, subtitle, 200, legend=False)
    rows = [_label(g) for g in shown.groups]
    cells = _index(table, ("groupe", "groupe_ep"))
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
            texts.append(_percent(row["couverture"]) if found else "–")
            custom.append([short_territory(g),
                           format_int(row["ecoles_liees"]) if found else "0",
                           format_int(row["ecoles"]) if found else "0",
                           _percent(row["couverture"], 1) if found else "pas d'établissement"])
        colour = SEQUENTIAL[3] if group_ep == OVERALL else EP_COLOURS.get(group_ep, NO_QUALITY_COLOUR)
        panels.append(Panel(name, values, texts, custom, colour,
                            f"<b>%{{customdata[0]}}</b> — {name}<br>%{{customdata[1]}} établissement(s) "
                            "avec un lien sur %{customdata[2]} (%{customdata[3]})<extra></extra>"))
    rows = [wrap(r, 26) for r in rows] if len(panels) > 2 else rows  # narrower panels, more room for names
    _facet_bars(fig, rows, panels, dict(range=[0, 150], tickvals=[0, 100], ticktext=["0", "100\u00a0%"]))
    sizes = whole.set_index("groupe").loc[shown.groups, "taille"]
    right = _right_labels(fig, rows, [f"{N_EQ}{format_int(v)}" for v in sizes], "établissements")
    return chart_layout(fig, title, subtitle, _rows_height(len(rows)), shown.note, legend=False, header=True,
                   right=right)


# --------------------------------------------------------------------------- Leviers et freins


def side_comparison_chart(table: pd.DataFrame, list_name: str, context: ChartContext) -> go.Figure:
    """Each levier (or frein) as cited by the school side and by the centre side, most cited overall first."""
    choices = load_questionnaire()[list_name]
    singular, plural = QUESTIONS[list_name]
    title = f"Écoles et centres sociaux citent-ils les mêmes {plural} ?"
    overall = table[table["groupe"] == OVERALL]
    total = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
    subtitle = title_lines(f"Part des réponses de chaque côté citant chaque {singular} (plusieurs réponses possibles)",
                      f"{N_EQ}{format_int(total)} réponses citant au moins un {singular}", context.scope)
    fig = FigureSpec()
    sides = _summary(table[table["groupe"] != OVERALL])
    shown_sides = sides[~sides["masque"].astype(bool)]
    hidden = sides[sides["masque"].astype(bool)]["groupe"].tolist()
    note = f"Non affiché, {SMALL_COUNT_NOTE} : {', '.join(hidden)}" if hidden else ""
    if shown_sides.empty:
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    order = (overall.sort_values("part", ascending=False)["code"].tolist() if len(overall) and
             overall["part"].notna().any() else choices.codes)
    labels = [wrap(choices.label(c)) for c in order]
    by_key = _index(table)
    colour_of = {label: SIDE_COLOURS[code] for code, label in SIDES.items()}
    for side, base in zip(shown_sides["groupe"], shown_sides["base"]):
        cells = [by_key[(side, c)] for c in order]
        share = _column(cells, "part")
        fig.add_bar(y=labels, x=share * 100, orientation="h", name=f"{side} ({N_EQ}{format_int(base)})",
                    marker_color=colour_of.get(side, NO_QUALITY_COLOUR), text=[_percent(s) for s in share],
                    textposition="outside", textfont=dict(size=SMALL_SIZE), cliponaxis=False,
                    customdata=np.column_stack([[choices.label(c) for c in order],
                                                [format_int(n) for n in _column(cells, "n")],
                                                [_percent(s, 1) for s in share]]),
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{side} : %{{customdata[1]}} réponses sur "
                                   f"{format_int(base)} (%{{customdata[2]}})<extra></extra>"))
    high = float(np.nanmax(table["part"].to_numpy(dtype=float))) if table["part"].notna().any() else 1.0
    top = min(100, int(math.ceil(high * 10 + 1.5)) * 10)
    step = 10 if top <= 50 else 25
    fig.update_xaxes(range=[0, top], tickvals=list(range(0, top + 1, step)),
                     ticktext=[_percent(t / 100) for t in range(0, top + 1, step)], title_text="Part des réponses")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group", bargap=0.3, bargroupgap=0.05)
    lines = sum(label.count("<br>") + 1 for label in labels)
    return chart_layout(fig, title, subtitle, 80 + 22 * lines + 30 * len(labels), note)


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
    summary = _summary(table)
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
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    valid = table[~table["masque"].astype(bool)]
    pooled = valid.assign(bon=valid["groupe"].isin(good_labels)).groupby(["code", "bon"])[["n", "base"]].sum()
    share = (pooled["n"] / pooled["base"]).unstack("bon")
    gap = share.get(True, pd.Series(0.0, index=share.index)).fillna(0) - \
        share.get(False, pd.Series(0.0, index=share.index)).fillna(0)
    towards = 1.0 if lever else -1.0  # leviers: most tied to good links first; freins: to the others
    order = sorted(choices.codes, key=lambda c: -towards * gap.get(c, 0.0))
    bases = summary.set_index("groupe")["base"]
    columns = [f"{wrap(lvl, 14)}<br>({N_EQ}{format_int(bases[lvl])})" for lvl in kept]
    _heatmap(fig, order, [choices.label(c) for c in order], columns, kept, table, "réponses", "% des réponses")
    fig.update_xaxes(tickangle=0)
    lines = sum(len(textwrap.wrap(choices.label(c), LABEL_WIDTH)) for c in order)
    return chart_layout(fig, title, subtitle, 110 + 24 * lines + 8 * len(order), note, legend=False)


def gap_chart(distribution: pd.DataFrame, context: ChartContext) -> go.Figure:
    """How far apart the school's and the centre's ratings of the same link are."""
    title = "L'école et le centre social jugent-ils leur lien de la même façon ?"
    base = count_or_secret(distribution["base"].iloc[0]) if len(distribution) else 0
    fig = FigureSpec()
    if distribution.empty or distribution["masque"].all():
        subtitle = title_lines("Liens évalués par les deux côtés", f"{N_EQ}{format_int(base)} liens", context.scope)
        return chart_layout(_nothing(fig, f"{SMALL_COUNT_NOTE} de liens évalués par les deux côtés"), title, subtitle,
                       200, legend=False)
    agree = distribution.loc[distribution["ecart"] == 0, "part"].sum()
    steps = distribution[(distribution["ecart"] % 1 == 0) | (distribution["n"] > 0)]
    labels = [_signed(v) for v in steps["ecart"]]
    colours = [SIDE_COLOURS["ecole"] if v > 0 else SIDE_COLOURS["centre"] if v < 0 else SMALL_COUNT_COLOUR
               for v in steps["ecart"]]
    subtitle = title_lines("Écart entre la qualité donnée par l'école et celle donnée par le centre social, "
                      "lien par lien (de 1 à 4)", f"{N_EQ}{format_int(base)} liens évalués par les deux côtés",
                      f"{_percent(agree)} sans écart", context.scope)
    counts = steps["n"].to_numpy(dtype=float)
    fig.add_bar(x=labels, y=counts, marker_color=colours, name="liens", text=[format_int(n) for n in counts],
                textposition="outside", textfont=dict(size=SMALL_SIZE), cliponaxis=False,
                customdata=np.column_stack([labels, [_percent(s, 1) for s in steps["part"]]]),
                hovertemplate="Écart %{customdata[0]} : %{y} liens (%{customdata[1]})<extra></extra>")
    fig.update_xaxes(type="category", title_text="← le centre social est plus positif   ·   écart (école − "
                                                 "centre)   ·   l'école est plus positive →")
    fig.update_yaxes(title_text="Liens", rangemode="tozero", range=[0, float(np.nanmax(counts)) * 1.18 + 1])
    return chart_layout(fig, title, subtitle, 380, legend=False)


# --------------------------------------------------------------------------- Évolution

EVOLUTION_TITLES = {
    "liens": "Combien de liens chaque vague recense-t-elle ?",
    "couverture": "La part des établissements ayant un lien progresse-t-elle ?",
    "qualite": "La qualité des liens s'améliore-t-elle ?",
    "hebdomadaire": "Les liens deviennent-ils plus réguliers ?",
    "reponses": "Combien de réponses chaque vague a-t-elle recueillies ?",
}


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
        return chart_layout(_nothing(fig, "aucune vague d'enquête"), title, subtitle, 200, legend=False)
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
        return chart_layout(_nothing(fig, SMALL_COUNT_NOTE), title, subtitle, 200, note, legend=False)
    rows = [_label(g) for g in groups]
    cells = _index(table, ("vague", "territoire"))
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
    _facet_bars(fig, rows, panels, axis, base=1.0 if spec.kind == "mean" else None)
    return chart_layout(fig, title, subtitle, _rows_height(len(rows)), note, legend=False, header=True)


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
        return chart_layout(_nothing(fig, f"aucun lien en {before} ni en {after}"), title, subtitle, 200, legend=False)
    note = " · ".join(n for n in (shown.note, note) if n)
    rows = [short_territory(g) for g in groups]
    cells = territories.set_index("groupe").loc[groups]
    parts = [("perdus", "Perdus", -1), ("maintenus", "Maintenus", 1), ("nouveaux", "Nouveaux", 1)]
    for column, name, sign in parts:
        values = cells[column].to_numpy(dtype=float)
        colour = CHANGE_COLOURS[column]
        fig.add_bar(y=rows, x=sign * values, orientation="h", name=name, marker_color=colour,
                    text=[format_int(v) if v else "" for v in values], textposition="inside",
                    insidetextanchor="middle", textfont=dict(size=SMALL_SIZE, color=_text_colour(colour)),
                    customdata=np.column_stack([rows, [format_int(v) for v in values],
                                                [format_int(v) for v in cells["avant"]],
                                                [format_int(v) for v in cells["apres"]]]),
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{name} : %{{customdata[1]}}<br>%{{customdata[2]}} "
                                   f"liens en {before}, %{{customdata[3]}} en {after}<extra></extra>"))
    right = _right_labels(fig, rows, [f"{format_int(a)} → {format_int(b)}" for a, b in zip(cells["avant"],
                                                                                          cells["apres"])],
                          f"{before} → {after}")
    fig.update_layout(barmode="relative", bargap=0.25)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
    low = float(cells["perdus"].max())
    high = float((cells["maintenus"] + cells["nouveaux"]).max())
    step = _nice_step(max(low, high) / 3)
    ticks = [t * step for t in range(-int(math.ceil(low / step)), int(math.ceil(high / step)) + 1)]
    fig.update_xaxes(title_text="← liens perdus   ·   liens maintenus et nouveaux →", tickvals=ticks,
                     ticktext=[format_int(abs(t)) for t in ticks])
    fig.add_vline(x=0, line_color=TEXT_DARK, line_width=1)
    return chart_layout(fig, title, subtitle, _rows_height(len(rows)), note, right=right)


# --------------------------------------------------------------------------- tables behind the charts


def _ordered_groups(table: pd.DataFrame) -> list[str]:
    """``OVERALL`` first, then the territories in French alphabetical order."""
    groups = table["groupe"].drop_duplicates().tolist()
    rest = sorted((g for g in groups if g != OVERALL), key=fold)
    return ([OVERALL] if OVERALL in groups else []) + rest


def shares_table(table: pd.DataFrame, list_name: str, group_label: str, unit: str,
                 mean: bool = False) -> pd.DataFrame:
    """A long share table as people read it: one row per group, one column per category (in %).

    Masked groups keep their row with blank shares and the note « moins de 5 réponses ».
    """
    choices = load_questionnaire()[list_name]
    if table.empty:
        return pd.DataFrame(columns=[group_label, f"{unit.capitalize()} (n)", "Réponses", "Note"])
    cells = _index(table)
    first = {row["groupe"]: row for row in table.drop_duplicates("groupe").to_dict("records")}
    secret = "secret" in table  # the funders' copy: secret figures say so (lib/secrecy.py)
    rows = []
    for group in _ordered_groups(table):
        head = first[group]
        row = {group_label: str(group), f"{unit.capitalize()} (n)": count_or_secret(head["base"])}
        if unit != "réponses":
            row["Réponses"] = count_or_secret(head["reponses"])
        if mean:
            row["Qualité moyenne (1 à 4)"] = round(float(head["moyenne"]), 2) if pd.notna(head["moyenne"]) else \
                (SECRET if secret and head["masque"] else np.nan)
        for code in choices.codes:
            cell = cells.get((group, code), {})
            value = cell.get("part", np.nan)
            row[f"{choices.label(code)} (%)"] = round(float(value) * 100, 1) if pd.notna(value) else \
                SECRET if secret and (cell.get("secret") or head["masque"]) else np.nan
        row["Note"] = (SECRET_ROW_NOTE if secret else SMALL_COUNT_NOTE) if bool(head["masque"]) else \
            SECRET_CELL_NOTE if secret and any(cells.get((group, c), {}).get("secret") for c in choices.codes) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def count_or_secret(value: object) -> object:
    """A count as an int, or « secret » when a funder may not read it (a blank count is only ever secret)."""
    return SECRET if value is None or pd.isna(value) else int(value)


def coverage_table(table: pd.DataFrame, group_label: str) -> pd.DataFrame:
    """Coverage by territory and éducation prioritaire group, in French."""
    order = {name: i for i, name in enumerate(_ordered_groups(table))}
    ep_order = {OVERALL: 0, "REP+": 1, "REP": 2, OUTSIDE_EP: 3}
    ordered = table.assign(_g=table["groupe"].map(order), _e=table["groupe_ep"].map(ep_order).fillna(9)) \
        .sort_values(["_g", "_e"])
    return pd.DataFrame({
        group_label: ordered["groupe"].astype(str).to_numpy(dtype=object),
        "Éducation prioritaire": ordered["groupe_ep"].replace({OVERALL: "Tous les établissements"})
        .to_numpy(dtype=object),
        "Établissements": ordered["ecoles"].astype(int).to_numpy(),
        "Établissements avec au moins un lien": [count_or_secret(v) for v in ordered["ecoles_liees"].tolist()],
        "Couverture (%)": [SECRET if v != v and secret else round(v * 100, 1)
                           for v, secret in zip(ordered["couverture"].astype(float).tolist(),
                                                ordered.get("secret", pd.Series(False, index=ordered.index)).tolist())],
    })


def gap_table(distribution: pd.DataFrame) -> pd.DataFrame:
    """The perception-gap distribution in French."""
    shown = distribution[(distribution["ecart"] % 1 == 0) | (distribution["n"].fillna(0) > 0)]
    return pd.DataFrame({
        "Écart de qualité (école − centre)": [_signed(v) for v in shown["ecart"]],
        "Liens": shown["n"].to_numpy(dtype=float),
        "Part des liens (%)": (shown["part"].astype(float) * 100).round(1).to_numpy(),
        "Note": [SMALL_COUNT_NOTE if m else "" for m in shown["masque"]],
    })


def evolution_table(table: pd.DataFrame, indicator: str, group_label: str) -> pd.DataFrame:
    """One indicator per territory, waves side by side, with the answers of each wave, in French."""
    spec = INDICATORS[indicator]
    waves = sorted(table["vague"].astype(str).unique().tolist())
    cells = _index(table, ("territoire", "vague"))
    unit = " (%)" if spec.kind == "share" else ""
    name = EVOLUTION_INDICATORS.get(indicator, spec.label)
    rows = []
    for group in _ordered_groups(table.rename(columns={"territoire": "groupe"})):
        row: dict = {group_label: str(group)}
        masked = []
        secret = []
        for wave in waves:
            cell = cells.get((group, wave))
            value = np.nan if cell is None or pd.isna(cell[indicator]) else float(cell[indicator])
            if cell is not None and value != value and bool(cell.get("secret", False)):
                row[f"{name} {wave}{unit}"] = SECRET  # a funder's statistical secret
                secret.append(wave)
                continue
            row[f"{name} {wave}{unit}"] = round(value * 100, 1) if spec.kind == "share" else \
                round(value, 2) if spec.kind == "mean" else (0 if value != value else int(value)) \
                if spec.kind == "count" else value
            if cell is not None and cell["masque"] and spec.needs_answers:
                masked.append(wave)
        for wave in waves:
            cell = cells.get((group, wave))
            row[f"Réponses {wave}"] = count_or_secret(cell["reponses"]) if cell is not None else 0
        notes = [f"{SMALL_COUNT_NOTE} en {', '.join(masked)}" if masked else "",
                 f"{SECRET_ROW_NOTE} en {', '.join(secret)}" if secret else ""]
        row["Note"] = " · ".join(n for n in notes if n)
        rows.append(row)
    return pd.DataFrame(rows)


def link_changes_table(table: pd.DataFrame, before: str, after: str, group_label: str) -> pd.DataFrame:
    """Links kept, new and lost between two waves, in French."""
    order = {name: i for i, name in enumerate(_ordered_groups(table))}
    ordered = table.assign(_g=table["groupe"].map(order)).sort_values("_g")
    return pd.DataFrame({
        group_label: ordered["groupe"].astype(str).to_numpy(dtype=object),
        f"Liens en {before}": ordered["avant"].to_numpy(), f"Liens en {after}": ordered["apres"].to_numpy(),
        "Maintenus": ordered["maintenus"].to_numpy(), "Nouveaux": ordered["nouveaux"].to_numpy(),
        "Perdus": ordered["perdus"].to_numpy(),
    })


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The same table with its numbers written the French way (``1 234``, ``12,5 %``, ``2,84``), for the screen."""
    out = {}
    for column in table.columns:
        values = table[column]
        cells = values.tolist()
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            # Text, or numbers mixed with « secret » (a funder's statistical secret): every cell as text.
            # An EPCI's short name on screen, as on the charts (the downloads keep the official name).
            percent = str(column).endswith("(%)")
            out[column] = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else
                           short_territory_name(v) if isinstance(v, str) else
                           (format_percent(v / 100, 1) if percent else format_int(v) if float(v).is_integer()
                            else format_decimal(v, 2)) if isinstance(v, (int, float, np.integer, np.floating))
                           and not isinstance(v, bool) else v for v in cells]
        elif pd.api.types.is_integer_dtype(values):
            out[column] = [format_int(v) for v in cells]
        elif str(column).endswith("(%)"):
            out[column] = ["–" if v != v else format_percent(v / 100, 1) for v in cells]
        else:
            whole = all(v != v or float(v).is_integer() for v in cells)
            out[column] = ["–" if v != v else format_int(v) if whole else format_decimal(v, 2) for v in cells]
    return pd.DataFrame(out, index=table.index, columns=table.columns, dtype=object)


# --------------------------------------------------------------------------- pages


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


EVOLUTION_INDICATORS = {"liens": "Liens", "couverture": "Couverture", "qualite": "Qualité moyenne",
                        "hebdomadaire": "Hebdomadaires ou plus"}


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
