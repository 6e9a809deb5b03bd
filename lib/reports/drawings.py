"""Charts and maps drawn with matplotlib's object API (no pyplot global state, safe in Streamlit's threads),
sized as they will be on paper."""

from __future__ import annotations

import io
import math
import textwrap
import threading

import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from reportlab.platypus import Image
from shapely.geometry import shape
from shapely.geometry.polygon import orient

from lib.dataset import Dataset
from lib.formatting import format_int, format_percent
from lib.maps import colour_classes, colour_for
from lib.metrics import INDICATORS, SIDES, SMALL_COUNT_NOTE
from lib.palette import NO_DATA_COLOUR, OTHER_TYPE_COLOUR, SIDE_COLOURS, TYPE_COLOURS
from lib.questionnaire import load_questionnaire
from lib.reports.figures import overall_rows
from lib.reports.styles import CONTEXT_FILL, INK, MUTED, RULE
from lib.reports.wording import N_EQ, count_text
from lib.secrecy import SECRET


DPI = 200


def _figure(width_mm: float, height_mm: float) -> Figure:
    """A figure of the size it will have on paper: 1 pt of font in matplotlib is 1 pt in the PDF."""
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def figure_image(fig: Figure) -> Image:
    """The figure as a PNG image flowable, at its paper size."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    buffer.seek(0)
    width, height = fig.get_size_inches()
    return Image(buffer, width=width * 72, height=height * 72)


def _message_axes(ax, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=7.5, color=MUTED, transform=ax.transAxes,
            bbox=dict(boxstyle="round,pad=0.5", facecolor="#f5f5f5", edgecolor=RULE, linewidth=0.6))


def _clean_axes(ax) -> None:
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#9a9a9a")
    ax.spines["left"].set_linewidth(0.6)
    ax.tick_params(axis="y", length=0, pad=3, labelsize=6.5, labelcolor=INK)
    ax.xaxis.set_visible(False)


def bar_chart(labels: list[str], shares: list[float], colours: list[str] | str, size: tuple[float, float],
              label_mm: float, message: str | None = None, wrap_at: int = 30) -> Figure:
    """Horizontal bars of shares, largest scale fitted, each bar labelled with its percentage."""
    fig = _figure(*size)
    fig.subplots_adjust(left=label_mm / size[0], right=0.97, top=0.97, bottom=0.03)
    ax = fig.add_subplot()
    if message:
        fig.subplots_adjust(left=0.02, right=0.98)
        _message_axes(ax, message)
        return fig
    hidden = [s is None or pd.isna(s) for s in shares]  # only ever a funder's statistical secret here
    values = np.array([0.0 if h else float(s) * 100 for s, h in zip(shares, hidden)])
    positions = np.arange(len(labels))
    ax.barh(positions, values, color=colours, height=0.66)
    ax.set_yticks(positions, [textwrap.fill(label, wrap_at) for label in labels])
    ax.invert_yaxis()
    top = max(values.max() if len(values) else 0, 1) * 1.28
    ax.set_xlim(0, top)
    for y, value, secret in zip(positions, values, hidden):
        ax.text(value + top * 0.015, y, SECRET if secret else format_percent(value / 100, 0), va="center",
                fontsize=6.5, color=INK)
    _clean_axes(ax)
    return fig


def grouped_bar_chart(categories: list[str], series: list[tuple[str, list[float | None], str]],
                      size: tuple[float, float], percent: bool, missing_text: str = "–") -> Figure:
    """Vertical grouped bars: one group per category (wave), one bar per series, values written on top."""
    fig = _figure(*size)
    fig.subplots_adjust(left=0.03, right=0.99, top=0.80, bottom=0.12)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    highest = max([v for _n, values, _c in series for v in values if v is not None and not pd.isna(v)] or [1])
    for i, (name, values, colour) in enumerate(series):
        x = np.arange(len(categories)) - 0.4 + width * (i + 0.5)
        heights = [0 if v is None or pd.isna(v) else float(v) for v in values]
        ax.bar(x, heights, width=width * 0.9, color=colour, label=name)
        for xi, value in zip(x, values):
            text = missing_text if value is None or pd.isna(value) else \
                (format_percent(float(value), 0) if percent else format_int(value))
            ax.text(xi, (0 if value is None or pd.isna(value) else float(value)) + highest * 0.02, text,
                    ha="center", va="bottom", fontsize=6.3, color=INK)
    ax.set_xticks(np.arange(len(categories)), [f"Vague {c}" for c in categories], fontsize=7)
    ax.set_ylim(0, highest * 1.18)
    ax.yaxis.set_visible(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#9a9a9a")
    ax.tick_params(axis="x", length=0)
    fig.legend(loc="upper left", bbox_to_anchor=(0.02, 0.995), ncol=len(series), fontsize=6.5, frameon=False,
               handlelength=1.1, columnspacing=1.4)
    return fig


def side_bar_chart(table: pd.DataFrame, list_name: str, size: tuple[float, float],
                   label_mm: float) -> tuple[Figure, str]:
    """Each levier (or frein) as cited by the school side and the centre side, most cited overall first.

    Returns the figure and the note on sides left out (small counts).
    """
    choices = load_questionnaire()[list_name]
    overall = overall_rows(table).set_index("code")
    fig = _figure(*size)
    ax = fig.add_subplot()
    sides = [(label, SIDE_COLOURS[code], table[(table["groupe"] == label).to_numpy(dtype=bool)].set_index("code"))
             for code, label in SIDES.items()]
    shown = [(label, colour, rows) for label, colour, rows in sides if len(rows) and not rows["masque"].all()]
    hidden = [label for label, _c, rows in sides if len(rows) and rows["masque"].all()]
    note = f"Non affiché, {SMALL_COUNT_NOTE} : {', '.join(hidden)}." if hidden else ""
    if not shown:
        _message_axes(ax, SMALL_COUNT_NOTE if hidden or len(overall) else "aucune réponse")
        return fig, note
    fig.subplots_adjust(left=label_mm / size[0], right=0.97, top=0.90, bottom=0.02)
    order = [c for c in overall["part"].astype(float).sort_values(ascending=False, na_position="last").index
             if overall.at[c, "n"] > 0 or c != "autre"] if overall["part"].notna().any() else list(choices.codes)
    positions = np.arange(len(order))
    height = 0.8 / len(shown)
    top = 1.0
    for i, (label, colour, rows) in enumerate(shown):
        values = np.array([float(rows.at[c, "part"]) * 100 if c in rows.index and pd.notna(rows.at[c, "part"])
                           else 0.0 for c in order])
        top = max(top, values.max())
        y = positions - 0.4 + height * (i + 0.5)
        ax.barh(y, values, height=height * 0.92, color=colour,
                label=f"{label} ({N_EQ}{count_text(rows['base'].iloc[0], 'réponse', 'réponses')})")
        for yi, value in zip(y, values):
            ax.text(value + 0.6, yi, format_percent(value / 100, 0), va="center", fontsize=5.8, color=INK)
    ax.set_yticks(positions, [textwrap.fill(choices.label(c), 44) for c in order])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    _clean_axes(ax)
    fig.legend(loc="upper left", bbox_to_anchor=(label_mm / size[0], 0.999), ncol=2, fontsize=6.5, frameon=False,
               handlelength=1.1)
    return fig, note


_SHAPES: dict[tuple[str, str], dict[str, tuple[object, MplPath]]] = {}
_SHAPES_LOCK = threading.Lock()


def _path(geometry) -> MplPath:
    """A shapely (multi)polygon as one matplotlib path, holes included."""
    vertices, codes = [], []
    for polygon in getattr(geometry, "geoms", [geometry]):
        polygon = orient(polygon, 1.0)
        for ring in [polygon.exterior, *polygon.interiors]:
            points = np.asarray(ring.coords)[:, :2]
            ring_codes = np.full(len(points), MplPath.LINETO, dtype=MplPath.code_type)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            vertices.append(points)
            codes.append(ring_codes)
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _area_shapes(dataset: Dataset, level: str) -> dict[str, tuple[object, MplPath]]:
    """Commune (by INSEE code) or EPCI (by name) geometries and their paths, made once per reference."""
    reference = dataset.reference
    key = (str(reference.folder), level)
    with _SHAPES_LOCK:
        if key not in _SHAPES:
            if level == "epci":
                features = [(f["properties"]["epci_nom"], shape(f["geometry"]))
                            for f in reference.epci_geojson["features"]]
            else:
                features = list(reference.commune_shapes.items())
            _SHAPES[key] = {name: (geometry, _path(geometry)) for name, geometry in features}
        return _SHAPES[key]


def _fit_extent(bounds: tuple[float, float, float, float],
                box_ratio: float) -> tuple[float, float, float, float, float]:
    """Bounds padded and widened to the box's width/height ratio (in km), and the longitude scale cos(lat)."""
    minx, miny, maxx, maxy = bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    pad = max((maxx - minx) * k, maxy - miny) * 0.04 + 0.003  # in degrees of latitude
    minx, miny, maxx, maxy = minx - pad / k, miny - pad, maxx + pad / k, maxy + pad
    width, height = (maxx - minx) * k, maxy - miny
    if width / height > box_ratio:
        grow = (width / box_ratio - height) / 2
        miny, maxy = miny - grow, maxy + grow
    else:
        grow = (height * box_ratio - width) / 2 / k
        minx, maxx = minx - grow, maxx + grow
    return minx, miny, maxx, maxy, k


def _coverage_legend(extra: list) -> tuple[list, str]:
    classes = colour_classes(pd.Series(dtype=float), INDICATORS["couverture"])
    handles = [Patch(facecolor=c.colour, edgecolor="#777777", linewidth=0.4, label=c.label) for c in classes]
    handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#777777", linewidth=0.4,
                         label="aucun établissement scolaire"))
    return handles + extra, "Part des établissements scolaires ayant au moins un lien"


def _centre_handles(centres: pd.DataFrame) -> list:
    labels = load_questionnaire()["types_structure"].labels
    return [Line2D([], [], marker="o", linestyle="", markersize=3.6, markeredgecolor="#222222", markeredgewidth=0.4,
                   markerfacecolor=TYPE_COLOURS.get(t, OTHER_TYPE_COLOUR), label=labels.get(t, t))
            for t in ("centre_social", "espace_vie_sociale") if (centres["type"].astype(str) == t).any()]


def coverage_map(dataset: Dataset, level: str, values: dict[str, float], scope_areas: list[str],
                 centres: pd.DataFrame, size: tuple[float, float], legend_height_mm: float, legend_columns: int,
                 numbers: dict[str, int] | None = None) -> Figure:
    """Areas of the scope coloured by the share of schools with a link, context areas grey, centres as points.

    Args:
        level: ``commune`` (areas keyed by INSEE code) or ``epci`` (keyed by name).
        values: coverage (0–1) per area; an area of the scope missing here has no school.
        scope_areas: the areas of the scope (others within the frame are drawn as context).
        centres: centres sociaux and EVS to draw (latitude, longitude, type).
        numbers: a number written on some areas (the département report's EPCI).
    """
    shapes = _area_shapes(dataset, level)
    classes = colour_classes(pd.Series(dtype=float), INDICATORS["couverture"])
    fig = _figure(*size)
    legend_share = legend_height_mm / size[1]
    ax = fig.add_axes((0.01, legend_share, 0.98, 0.99 - legend_share))
    ax.set_axis_off()
    inside = [shapes[a][0] for a in scope_areas if a in shapes]
    if not inside:
        _message_axes(ax, "pas de contour pour ce territoire")
        return fig
    outline = shapely.union_all(inside)
    box_ratio = (size[0] * 0.98) / (size[1] * (0.99 - legend_share))
    minx, miny, maxx, maxy, k = _fit_extent(outline.bounds, box_ratio)
    in_scope = set(scope_areas)
    context = [name for name, (geometry, _path_unused) in shapes.items() if name not in in_scope
               and geometry.bounds[0] < maxx and geometry.bounds[2] > minx
               and geometry.bounds[1] < maxy and geometry.bounds[3] > miny]
    patches, faces = [], []
    for name in context:
        patches.append(PathPatch(shapes[name][1]))
        faces.append(CONTEXT_FILL)
    for name in scope_areas:
        if name in shapes:
            patches.append(PathPatch(shapes[name][1]))
            value = values.get(name)
            faces.append(colour_for(value, classes) or NO_DATA_COLOUR)
    ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="#8c8c8c", linewidths=0.25))
    ax.add_patch(PathPatch(_path(outline), fill=False, edgecolor=INK, linewidth=0.9))
    for name, number in (numbers or {}).items():
        if name in shapes:
            point = shapes[name][0].representative_point()
            ax.text(point.x, point.y, str(number), ha="center", va="center", fontsize=7, fontweight="bold", color=INK,
                    path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")], zorder=4)
    if len(centres):
        ax.scatter(centres["longitude"].astype(float), centres["latitude"].astype(float), s=7, zorder=3,
                   c=[TYPE_COLOURS.get(str(t), OTHER_TYPE_COLOUR) for t in centres["type"]],
                   edgecolors="#222222", linewidths=0.35)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / k, adjustable="box")
    extra = _centre_handles(centres)
    if context:
        extra.append(Patch(facecolor=CONTEXT_FILL, edgecolor="#8c8c8c", linewidth=0.4, label="hors du territoire"))
    handles, title = _coverage_legend(extra)
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.02, legend_share), ncol=legend_columns,
               fontsize=6, title=title, title_fontsize=6.5, alignment="left", frameon=False, handlelength=1.3,
               handleheight=0.9, columnspacing=1.2, labelspacing=0.35)
    return fig
