"""What every chart of the analysis pages shares: the house layout, French texts, the view they show.

Builders in the other ``lib.charts`` modules assemble a :class:`FigureSpec` and
finish it with :func:`chart_layout`: French, big enough to project at 1280×720
(fonts of 14 px and more), title as a question, subtitle with n, a note for what
is left out. Also the choice of territories a chart shows (:func:`pick_groups`).
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

from lib.filters import ALL_WAVES, Filters
from lib.formatting import format_decimal, format_percent
from lib.metrics import OVERALL, SMALL_COUNT_NOTE
from lib.questionnaire import load_questionnaire
from lib.secrecy import SECRET
from lib.territories import LEVELS, short_territory_name


# Projected at 1280×720: nothing smaller than 14 px.
FONT_SIZE = 16
TITLE_SIZE = 22
SMALL_SIZE = 14
ROW_PX = 34
# More territories than this and the chart shows those with the most answers (with a note).
MAX_TERRITORIES = 25
# Category labels are wrapped to this many characters a line.
LABEL_WIDTH = 30
# A heatmap shows at most this many territories, side by side: each column keeps room for its value
# and its name, unrotated and wrapped to COLUMN_LABEL_WIDTH characters a line (at 1280×720, sidebar open,
# the page is about 780 px wide: 6 columns of about 90 px beside rows wrapped to HEATMAP_ROW_WIDTH).
HEATMAP_COLUMNS = 6
COLUMN_LABEL_WIDTH = 12
HEATMAP_ROW_WIDTH = 24
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
    """The level and the scope of a view, for its charts."""
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


def short_territory(name: object) -> str:
    """A territory's name for a chart: an EPCI's legal form abbreviated (``CA de Cergy-Pontoise``).

    Escaped: plotly reads its texts as HTML, and custom territory names are data.
    """
    return html.escape(short_territory_name(name), quote=False)


def wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """Plotly has no automatic wrapping: break long labels into lines."""
    return "<br>".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def percent_text(share: float | None, digits: int = 0) -> str:
    """A share (0 to 1) in French, ``12 %``; missing → ``–``."""
    return format_percent(None if share is None or pd.isna(share) else float(share), digits)


def signed_step(value: float) -> str:
    """A gap with its sign, French decimals: ``+1``, ``−0,5``, ``0``."""
    text = format_decimal(abs(value), 1).removesuffix(",0")
    return "0" if value == 0 else ("+" if value > 0 else "−") + text


def text_colour_on(background: str) -> str:
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


def group_summary(table: pd.DataFrame, key_code: str | None = None) -> pd.DataFrame:
    """One row per group of a long share table: ``groupe``, ``base``, ``reponses``, ``masque`` and the key share."""
    first = table.groupby("groupe", sort=False).agg(base=("base", "first"), reponses=("reponses", "first"),
                                                    masque=("masque", "first")).reset_index()
    if key_code is not None:
        key = table[table["code"] == key_code].set_index("groupe")["part"]
        first["cle"] = first["groupe"].map(key)
    return first


def rows_by_key(table: pd.DataFrame, keys: tuple[str, ...] = ("groupe", "code")) -> dict[tuple, dict]:
    """Rows by key, as dicts: pandas' own lookups cost a few hundred µs each, a chart makes hundreds."""
    return {tuple(row[k] for k in keys): row for row in table.to_dict("records")}


def cell_values(cells: list[dict], name: str) -> np.ndarray:
    """One field of a list of cells (``rows_by_key`` rows), as floats."""
    return np.array([c[name] for c in cells], dtype=float)


def row_label(group: str) -> str:
    """A group's row label: « Ensemble » in bold, a territory by its short, escaped name."""
    return "<b>Ensemble</b>" if group == OVERALL else short_territory(group)


def count_or_secret(value: object) -> object:
    """A count as an int, or « secret » when a funder may not read it (a blank count is only ever secret)."""
    return SECRET if value is None or pd.isna(value) else int(value)


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
        right: the right margin (for ``right_labels``).
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


def nothing_to_chart(fig: FigureSpec, why: str) -> FigureSpec:
    """An empty chart that says why: « Rien à afficher : … », no axes."""
    fig.add_annotation(text=f"Rien à afficher : {why}", x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=18, color=NOTE_COLOUR))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _add_annotations(fig: FigureSpec, annotations: list[dict]) -> None:
    fig.layout["annotations"].extend(_expand(a) for a in annotations)


def right_labels(fig: FigureSpec, rows: list[str], texts: list[str], header: str) -> int:
    """n (and a mean) at the right end of each bar's row; returns the right margin they need."""
    style = dict(x=1, xref="paper", xanchor="left", xshift=10, showarrow=False,
                 font=dict(size=SMALL_SIZE, color=NOTE_COLOUR))
    _add_annotations(fig, [dict(text=text, y=row, yref="y", align="left", **style) for row, text in zip(rows, texts)]
                     + [dict(text=f"<b>{header}</b>", y=1, yref="paper", yanchor="bottom", **style)])
    longest = max([len(t) for t in texts] + [len(header)])
    return 24 + int(longest * 8.2)


def percent_axis(fig: FigureSpec, title: str, low: int = 0, high: int = 100, axis: str = "x") -> None:
    """A 0–100 (or −100–100) axis of shares, ticks every 25 in French percents."""
    ticks = list(range(low, high + 1, 25))
    getattr(fig, f"update_{axis}axes")(range=[low, high], tickvals=ticks,
                                        ticktext=[percent_text(abs(t) / 100) for t in ticks], title_text=title)


def nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw`` (and at least 1)."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def rows_height(n_rows: int, per_row: int = ROW_PX) -> int:
    """The plot height for ``n_rows`` horizontal bars."""
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


def facet_bars(fig: FigureSpec, rows: list[str], panels: list[Panel], axis: dict, base: float | None = None) -> None:
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
