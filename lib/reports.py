"""Reports for funders and the comité de pilotage: « fiche territoire », département report, XLSX aggregates.

Every figure comes from the tables the app's pages show (``lib.impact``, ``lib.metrics``, ``lib.charts``), so a
number in a PDF is the number on screen. Plain Python, DataFrames in, bytes out: charts and maps are drawn with
matplotlib's object API (no pyplot global state, safe in Streamlit's threads) and laid out with reportlab.

Funder versions (``free_text=False``) hold no free text at all; the comité de pilotage versions add a few
short, anonymous « pistes ». Every text from the data set (territory names, pistes) is escaped before it
reaches reportlab's paragraph markup.
"""

from __future__ import annotations

import difflib
import io
import math
import re
import textwrap
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
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
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (CondPageBreak, Flowable, Image, KeepInFrame, KeepTogether, PageBreak, Paragraph,
                                SimpleDocTemplate, Spacer, Table, TableStyle)
from shapely.geometry import shape
from shapely.geometry.polygon import orient

from lib.charts import Chart, evolution_charts, lever_charts, link_charts
from lib.charts.layout import SECRET_ROW_NOTE, count_or_secret
from lib.dataset import Dataset
from lib.export import to_xlsx_bytes
from lib.filters import ALL_WAVES, Filters, View, apply_filters
from lib.formatting import NBSP, format_date, format_decimal, format_int, format_percent
from lib.impact import HEADLINES, Headline, headlines, impact_by_wave, impact_table, method_facts
from lib.maps import colour_classes, colour_for
from lib.report_where import where_section
from lib.metrics import (INDICATORS, OVERALL, SIDES, SMALL_COUNT_NOTE, aggregate_links, indicators_by_territory,
                         indicators_by_wave, lever_analyses, link_analyses)
from lib.palette import (EP_COLOURS, NO_DATA_COLOUR, OTHER_TYPE_COLOUR, QUALITY_COLOURS, SEQUENTIAL, SIDE_COLOURS,
                         TYPE_COLOURS)
from lib.questionnaire import load_questionnaire
from lib.secrecy import SECRET, secret_method_text, secret_note
from lib.territories import EPCI_PREFIXES, LEVELS, NO_TERRITORY, short_territory_name, territory_column, territory_options
from lib.text import fold

# Images as binary streams: without reportlab's C accelerator, ASCII85-encoding them costs 20 % of a fiche's time.
rl_config.useA85 = 0

DEMO_LABEL = "Données de démonstration — structures et réponses fictives"
FUNDER_LINE = "Version financeurs : aucune réponse libre, petits effectifs masqués (moins de 5 réponses)."
COMITE_LINE = ("Version comité de pilotage : extraits anonymes de réponses libres (pistes), à ne pas diffuser "
               "hors du comité ; petits effectifs masqués (moins de 5 réponses).")
PROJECT = "Liens École – Centres sociaux"
N_EQ = f"n{NBSP}={NBSP}"
PDF_MIME = "application/pdf"

# Colours: the app's palette (lib/palette.py), plus the text greys of lib/charts/layout.py.
INK, MUTED, RULE = "#1b1f23", "#555555", "#d0d3d8"
ACCENT, ACCENT_LIGHT = SEQUENTIAL[4], SEQUENTIAL[0]
DEMO_INK, DEMO_BACKGROUND = "#8a5a00", "#fff4dc"
LEVER_COLOUR, BRAKE_COLOUR = QUALITY_COLOURS[4], "#D55E00"  # Okabe–Ito blue and vermillion
CONTEXT_FILL = "#ececec"
DPI = 200
TOP_CODES = 5
PISTES_SHOWN = 4
PISTE_MAX_CHARS = 170

LEVEL_KINDS = {"commune": "Commune", "epci": "Intercommunalité", "territoire": "Territoire du projet"}
SHEET_NOUNS = {"commune": "commune", "epci": "intercommunalité", "territoire": "territoire",
               "education_prioritaire": "groupe EP", "qpv": "groupe QPV"}
SHEET_TITLES = {
    "frequence-par-territoire": "Fréquence par {noun}",
    "qualite-par-territoire": "Qualité par {noun}",
    "couverture-par-territoire": "Couverture par {noun}",
    "formes": "Formes des liens",
    "formes-par-territoire": "Formes par {noun}",
    "objets": "Objets des liens",
    "objets-par-territoire": "Objets par {noun}",
    "leviers-par-cote": "Leviers par côté",
    "leviers-par-territoire": "Leviers par {noun}",
    "leviers-par-qualite": "Leviers selon la qualité",
    "freins-par-cote": "Freins par côté",
    "freins-par-territoire": "Freins par {noun}",
    "freins-par-qualite": "Freins selon la qualité",
    "ecarts-de-perception": "Écarts de perception",
    "evolution-liens": "Évolution des liens",
    "evolution-couverture": "Évolution de la couverture",
    "evolution-qualite": "Évolution de la qualité",
    "evolution-hebdomadaire": "Évolution liens hebdomadaires",
}
_ACCENTED = {"frequence": "fréquence", "qualite": "qualité", "cote": "côté", "ecarts": "écarts",
             "evolution": "évolution", "departement": "département"}


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The territory a report is about.

    ``level`` is a key of ``LEVELS``; ``territories`` the values of the structures' territory column at that
    level (empty: the whole département); ``name`` the French display name; ``code`` the INSEE code, SIREN
    or département code when there is one.
    """

    level: str
    territories: tuple[str, ...]
    name: str
    code: str = ""

    @property
    def is_departement(self) -> bool:
        return not self.territories

    @property
    def kind(self) -> str:
        """``Commune``, ``Intercommunalité``, ``Département``…"""
        if self.is_departement:
            return "Département"
        return LEVEL_KINDS.get(self.level, LEVELS.get(self.level, "Territoire"))


def short_epci(name: object) -> str:
    """An EPCI's name with its legal form abbreviated: ``CA Val Parisis`` (plain text, not escaped)."""
    return short_territory_name(name)


def _bare_epci(name: str) -> str:
    """An EPCI's name without its legal form and article: ``Val Parisis``, ``Cergy-Pontoise``."""
    text = str(name)
    for long, _short in EPCI_PREFIXES:
        if text.startswith(long):
            text = text[len(long):]
            break
    return re.sub(r"^(de la |de l'|du |des |de |d')", "", text)


def _key(text: object) -> str:
    """What people type, compared loosely: accents, case, hyphens and apostrophes ignored."""
    return " ".join(re.sub(r"[-'’ʼ‘`_.,()]", " ", fold(text)).split())


def _departement_scope(dataset: Dataset) -> Scope:
    reference = dataset.reference
    name = reference.departement_name or "Département"
    return Scope("epci", (), f"{name} (département)", reference.departement)


def _scope_index(dataset: Dataset) -> tuple[dict[str, Scope], dict[str, str]]:
    """Every way of naming a scope (folded key → scope), most exact first, and the names to suggest."""
    reference = dataset.reference
    departement = _departement_scope(dataset)
    index: dict[str, Scope] = {}
    names: dict[str, str] = {}

    def add(text: object, scope: Scope, suggest: bool = True) -> None:
        key = _key(text)
        if key:
            index.setdefault(key, scope)
            if suggest:
                names.setdefault(key, scope.name)

    for alias in ("département", "tout le département", "departement " + reference.departement,
                  reference.departement, reference.departement_name, departement.name):
        add(alias, departement, suggest=alias in ("département", reference.departement_name))
    communes = [Scope("commune", (name,), name, code)
                for code, name in zip(reference.communes["code_insee"], reference.communes["nom"])]
    epcis = [Scope("epci", (name,), short_epci(name), code)
             for code, name in zip(reference.epci["epci_code"], reference.epci["epci_nom"])]
    custom = [Scope("territoire", (label,), label) for label in sorted(set(dataset.territoires.values()), key=fold)]
    for scope in [*communes, *epcis]:
        add(scope.code, scope, suggest=False)
    for scope in communes:
        add(scope.name, scope)
    for scope in epcis:
        add(scope.territories[0], scope)
        add(scope.name, scope)
    for scope in custom:
        add(scope.name, scope)
    for scope in epcis:
        add(_bare_epci(scope.territories[0]), scope, suggest=False)
    return index, names


def resolve_scope(dataset: Dataset, territoire: str | None) -> Scope:
    """The scope named by ``territoire``: département, commune (INSEE code or name), EPCI (SIREN or name), custom.

    Names are matched ignoring accents, case, hyphens and apostrophes; None or "" mean the whole département.

    Raises:
        ValueError: unknown territory (French message with close matches).
    """
    text = "" if territoire is None else str(territoire).strip()
    if not text:
        return _departement_scope(dataset)
    index, names = _scope_index(dataset)
    found = index.get(_key(text))
    if found is not None:
        return found
    close = difflib.get_close_matches(_key(text), list(names), n=8, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[key] for key in close))[:5]
    message = f"Territoire inconnu : « {text} »."
    if suggestions:
        message += " Territoires proches : " + ", ".join(f"« {s} »" for s in suggestions) + "."
    message += (" Indiquez « département », un code INSEE ou un nom de commune, un numéro SIREN ou un nom "
                "d'intercommunalité (EPCI)" + (", ou un territoire du projet" if dataset.territoires else "") + ".")
    raise ValueError(message)


def funder_scope(public: Dataset, scope: Scope) -> tuple[Scope, str | None]:
    """The scope a funders' document is about: the one asked for when it is offered, else the enclosing one
    (intercommunalité, else département), with the reason in French (None when unchanged)."""
    secret = public.secret
    if secret is None or scope.is_departement:
        return scope, None
    name = scope.territories[0]
    level, shown = secret.enclosing(scope.level, name)
    if shown is not None and (level, shown) == (scope.level, name):
        return scope, None
    if shown is None:
        enclosing = _departement_scope(public)
    else:
        codes = dict(zip(public.reference.epci["epci_nom"], public.reference.epci["epci_code"]))
        enclosing = Scope(level, (shown,), short_epci(shown), codes.get(shown, "")) if level == "epci" else \
            Scope(level, (shown,), shown)
    return enclosing, (f"« {scope.name} » : trop peu de structures y ont répondu pour en publier les chiffres sans "
                       f"risque de désigner l'une d'elles (secret statistique, moins de {secret.k} structures) ; "
                       f"le document porte sur « {enclosing.name} ».")


def scope_choices(dataset: Dataset) -> list[Scope]:
    """Scopes to choose from: the département, then the EPCI, the communes (holding structures), custom territories."""
    reference = dataset.reference
    structures = dataset.structures
    epci_codes = dict(zip(reference.epci["epci_nom"], reference.epci["epci_code"]))
    commune_codes = dict(zip(reference.communes["nom"], reference.communes["code_insee"]))
    epcis = [Scope("epci", (name,), short_epci(name), epci_codes.get(name, ""))
             for name in territory_options(structures, "epci")]
    communes = [Scope("commune", (name,), name, commune_codes.get(name, ""))
                for name in territory_options(structures, "commune")]
    custom = [Scope("territoire", (label,), label) for label in territory_options(structures, "territoire")
              if dataset.territoires and label != NO_TERRITORY]
    by_name = lambda scope: fold(scope.name)  # noqa: E731
    scopes = [*sorted(epcis, key=by_name), *sorted(communes, key=by_name), *sorted(custom, key=by_name)]
    if dataset.secret is not None:  # funders: only the territories offered under the statistical secret
        scopes = [s for s in scopes if s.territories[0] in dataset.secret.offered.get(s.level, ())]
    return [_departement_scope(dataset), *scopes]


def _count(n: object, singular: str, plural: str) -> str:
    """``1 réponse``, ``0 réponse``, ``12 réponses`` (French: 0 and 1 take the singular)."""
    if isinstance(n, str):  # « secret »
        return f"{n} ({plural})"
    value = 0 if n is None or pd.isna(n) else int(n)
    return f"{format_int(value)} {singular if abs(value) <= 1 else plural}"


def _slug(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60].strip("-")


def report_filename(kind: str, scope: Scope | None, wave: str, suffix: str) -> str:
    """``fiche-argenteuil-2019.pdf``: an ASCII file name for a report (no scope: the département)."""
    parts = [_slug(kind), _slug(scope.name) if scope is not None else "departement",
             _slug("toutes vagues" if wave == ALL_WAVES else wave)]
    return "-".join(p for p in parts if p) + "." + (_slug(suffix) or "pdf")


# --------------------------------------------------------------------------- figures of a scope


@dataclass(frozen=True)
class _Figures:
    """Everything a report shows about one scope and wave, from the app's own tables."""

    scope: Scope
    wave: str
    view_all: View  # every wave (headlines and their change)
    view: View  # the wave
    impact: pd.DataFrame
    headlines: list[Headline]
    links: dict[str, pd.DataFrame]
    levers: dict[str, pd.DataFrame]
    facts: dict


def _check_wave(dataset: Dataset, wave: str) -> None:
    if wave not in dataset.waves:
        known = ", ".join(dataset.waves) or "aucune"
        raise ValueError(f"Vague inconnue : « {wave} ». Vagues du jeu de données : {known}.")


def _figures(dataset: Dataset, scope: Scope, wave: str) -> _Figures:
    filters = Filters(wave=ALL_WAVES, level=scope.level, territories=scope.territories)
    view_all = apply_filters(dataset, filters)
    view = apply_filters(dataset, replace(filters, wave=wave))
    impact = impact_by_wave(view_all)
    column = territory_column(scope.level)
    return _Figures(scope, wave, view_all, view, impact, headlines(impact, wave), link_analyses(view, column),
                    lever_analyses(view, column), method_facts(view))


def _overall(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["groupe"] == OVERALL).to_numpy(dtype=bool)]


def _scope_communes(dataset: Dataset, scope: Scope) -> list[str]:
    """INSEE codes of the scope's communes."""
    communes = dataset.reference.communes
    if scope.is_departement:
        return communes["code_insee"].tolist()
    if scope.level == "commune":
        keep = communes["nom"].isin(scope.territories)
    elif scope.level == "epci":
        keep = communes["epci_nom"].isin(scope.territories)
    elif scope.level == "territoire":
        keep = communes["code_insee"].map(lambda c: dataset.territoires.get(c, NO_TERRITORY)).isin(scope.territories)
    else:
        return communes["code_insee"].tolist()
    return communes.loc[keep.to_numpy(dtype=bool), "code_insee"].tolist()


def _top_pistes(view: View, limit: int = PISTES_SHOWN) -> list[tuple[str, int]]:
    """The pistes cited most often in the view (sentence by sentence), shortened; anonymous."""
    counts: Counter[str] = Counter()
    for text in view.reponses["pistes"].fillna("").astype(str).tolist():
        for sentence in re.split(r"(?<=[.!?…])\s+", text.strip()):
            sentence = " ".join(sentence.split())
            if len(sentence) >= 12:
                counts[sentence] += 1
    ranked = sorted(counts, key=lambda s: (-counts[s], len(s), s))[:limit]
    return [(textwrap.shorten(s, PISTE_MAX_CHARS, placeholder=" […]"), counts[s]) for s in ranked]


# --------------------------------------------------------------------------- fonts and styles

FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = ("PasserellesSans", "PasserellesSans-Bold",
                                                  "PasserellesSans-Oblique", "PasserellesSans-BoldOblique")
_FONT_LOCK = threading.Lock()
_STYLES: dict[str, ParagraphStyle] = {}


def report_styles() -> dict[str, ParagraphStyle]:
    """Register DejaVu Sans (shipped with matplotlib: French typography, no system font) and the house styles."""
    with _FONT_LOCK:
        if _STYLES:
            return _STYLES
        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf"),
                           (FONT_ITALIC, "DejaVuSans-Oblique.ttf"), (FONT_BOLD_ITALIC, "DejaVuSans-BoldOblique.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                      boldItalic=FONT_BOLD_ITALIC)

        def style(name: str, size: float, font: str = FONT, colour: str = INK, leading: float | None = None,
                  **options) -> None:
            _STYLES[name] = ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.25,
                                           textColor=colors.HexColor(colour), **options)

        style("kicker", 7.5, FONT_BOLD, ACCENT)
        style("title", 20, FONT_BOLD, leading=24, spaceBefore=1)
        style("cover_title", 24, FONT_BOLD, "#ffffff", leading=29)
        style("cover_sub", 12, FONT, "#ffffff", leading=16)
        style("subtitle", 8.5, FONT, MUTED, spaceBefore=2)
        style("h1", 13, FONT_BOLD, ACCENT, leading=16, spaceBefore=4, spaceAfter=4)
        style("h2", 9.5, FONT_BOLD, INK, leading=12, spaceBefore=5, spaceAfter=2)
        style("panel", 7.5, FONT_BOLD, INK, leading=9.5)
        style("panel_n", 6.5, FONT, MUTED, leading=8.5)
        style("body", 8.5, leading=11.5, spaceAfter=3)
        style("small", 7, FONT, MUTED, leading=9)
        style("quote", 7.5, FONT_ITALIC, INK, leading=9.8, leftIndent=8, spaceAfter=1.5)
        style("item", 7.5, FONT, INK, leading=9.8, leftIndent=8, spaceAfter=1.5)
        style("card_label", 7, FONT_BOLD, MUTED, leading=8.5)
        style("card_value", 17, FONT_BOLD, ACCENT, leading=20)
        style("card_value_small", 11, FONT_BOLD, ACCENT, leading=13, spaceBefore=4, spaceAfter=3)
        style("card_detail", 7, FONT, INK, leading=8.5)
        style("card_delta", 6.5, FONT, MUTED, leading=8)
        style("cell", 7, leading=8.6)
        style("cell_right", 7, leading=8.6, alignment=TA_RIGHT)
        style("cell_head", 6.5, FONT_BOLD, INK, leading=8)
        style("cell_head_right", 6.5, FONT_BOLD, INK, leading=8, alignment=TA_RIGHT)
        style("demo", 8, FONT_BOLD, DEMO_INK, alignment=TA_CENTER)
        return _STYLES


def _french_spaces(text: str) -> str:
    """« guillemets » never left alone at the end or the start of a line."""
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


def _p(text: object, style: str) -> Paragraph:
    """A paragraph of plain text (escaped: never markup)."""
    return Paragraph(escape(_french_spaces(str(text))), report_styles()[style])


def _demo_banner(width: float) -> Table:
    banner = Table([[_p(DEMO_LABEL, "demo")]], colWidths=[width])
    banner.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(DEMO_BACKGROUND)),
                                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#E69F00")),
                                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return banner


def _headline_cards(items: list[Headline], width: float, columns: int = 3) -> Flowable:
    """The headline figures as cards: label, value, what it rests on, change since the previous wave."""
    if not items:
        return _p("Aucune réponse d'enquête dans ce territoire pour cette vague : pas de chiffres clés.", "body")
    cells = []
    for item in items:
        cells.append([_p(item.label, "card_label"),
                      _p(item.value, "card_value" if len(item.value) <= 10 else "card_value_small"),
                      _p(item.detail, "card_detail"),
                      _p(item.delta or "première vague du territoire", "card_delta")])
    while len(cells) % columns:
        cells.append("")
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, colWidths=[width / columns] * columns, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(ACCENT_LIGHT)),
        ("GRID", (0, 0), (-1, -1), 3, colors.white),
        ("LEFTPADDING", (0, 0), (-1, -1), 7), ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        *[("LINEBEFORE", (c, r), (c, r), 2.2, colors.HexColor(ACCENT))
          for r in range(len(rows)) for c in range(columns) if rows[r][c] != ""],
    ]))
    return table


def _columns(cells: list[list[Flowable]], widths: list[float]) -> Table:
    """Blocks side by side (a layout table: no padding, no rules); the gap is in the widths."""
    table = Table([cells], colWidths=widths)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _grid(rows: list[list[object]], widths: list[float], right: set[int] = frozenset(),
          spans: list[tuple[int, int, int]] = (), bold_last: bool = False) -> Table:
    """A data table in the house style: header row, thin rules, numbers right-aligned; text cells escaped.

    Args:
        rows: header first; cells are texts (escaped here) or flowables.
        widths: column widths (points).
        right: the columns aligned right (numbers).
        spans: (row, first column, last column) cells merged on one row.
        bold_last: the last row is a total (bold, shaded).
    """
    data = []
    for r, row in enumerate(rows):
        style = "cell_head" if r == 0 or (bold_last and r == len(rows) - 1) else "cell"
        data.append([cell if isinstance(cell, Flowable) else _p(cell, style + ("_right" if c in right else ""))
                     for c, cell in enumerate(row)])
    table = Table(data, colWidths=widths, repeatRows=1)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT_LIGHT)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(ACCENT)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor(RULE)),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for row, first, last in spans:
        commands.append(("SPAN", (first, row), (last, row)))
    if bold_last:
        commands += [("BACKGROUND", (0, -1), (-1, -1), colors.HexColor(ACCENT_LIGHT)),
                     ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor(ACCENT))]
    table.setStyle(TableStyle(commands))
    return table


# --------------------------------------------------------------------------- matplotlib drawings


def _figure(width_mm: float, height_mm: float) -> Figure:
    """A figure of the size it will have on paper: 1 pt of font in matplotlib is 1 pt in the PDF."""
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _image(fig: Figure) -> Image:
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


def _bars(labels: list[str], shares: list[float], colours: list[str] | str, size: tuple[float, float],
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


def _grouped_bars(categories: list[str], series: list[tuple[str, list[float | None], str]], size: tuple[float, float],
                  percent: bool, missing_text: str = "–") -> Figure:
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


def _side_bars(table: pd.DataFrame, list_name: str, size: tuple[float, float], label_mm: float) -> tuple[Figure, str]:
    """Each levier (or frein) as cited by the school side and the centre side, most cited overall first.

    Returns the figure and the note on sides left out (small counts).
    """
    choices = load_questionnaire()[list_name]
    overall = _overall(table).set_index("code")
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
                label=f"{label} ({N_EQ}{_count(rows['base'].iloc[0], 'réponse', 'réponses')})")
        for yi, value in zip(y, values):
            ax.text(value + 0.6, yi, format_percent(value / 100, 0), va="center", fontsize=5.8, color=INK)
    ax.set_yticks(positions, [textwrap.fill(choices.label(c), 44) for c in order])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    _clean_axes(ax)
    fig.legend(loc="upper left", bbox_to_anchor=(label_mm / size[0], 0.999), ncol=2, fontsize=6.5, frameon=False,
               handlelength=1.1)
    return fig, note


# --------------------------------------------------------------------------- panels (title + n + chart)


def _hidden_note(rows: pd.DataFrame) -> str:
    """Why a panel is empty: the statistical secret (funders) or too few answers (comité)."""
    return SECRET_ROW_NOTE if "secret" in rows else SMALL_COUNT_NOTE


def _panel(title: str, description: str, n_text: str, fig: Figure) -> list[Flowable]:
    """A chart with its question, what it shows and its n, as text of the PDF (searchable, read aloud)."""
    return [_p(title, "panel"), _p(description, "panel_n"), _p(n_text, "panel_n"), Spacer(1, 1), _image(fig)]


def _frequency_panel(figures: _Figures, size: tuple[float, float], label_mm: float) -> list[Flowable]:
    choices = load_questionnaire()["frequences"]
    rows = _overall(figures.links["frequence"]).set_index("code")
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if rows["masque"].all() else None
    shares = [rows["part"].get(c) for c in choices.codes]
    colours = SEQUENTIAL[-len(choices.codes):] if len(choices.codes) <= len(SEQUENTIAL) else ACCENT
    fig = _bars([choices.label(c) for c in choices.codes], shares, colours, size, label_mm, message)
    return _panel("À quel rythme les liens se font-ils ?", "Part des liens par fréquence (la plus haute déclarée)",
                  f"{N_EQ}{_count(base, 'lien', 'liens')}", fig)


def _quality_panel(figures: _Figures, size: tuple[float, float], label_mm: float) -> list[Flowable]:
    choices = load_questionnaire()["qualites"]
    rows = _overall(figures.links["qualite"]).set_index("code")
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    masked = not rows.empty and bool(rows["masque"].all())
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if masked else None
    mean = rows["moyenne"].iloc[0] if len(rows) else np.nan
    mean_text = f" · qualité moyenne {format_decimal(float(mean), 2)} sur 4" if pd.notna(mean) else ""
    fig = _bars([choices.label(c) for c in choices.codes], [rows["part"].get(c) for c in choices.codes],
                [QUALITY_COLOURS.get(int(c), OTHER_TYPE_COLOUR) for c in choices.codes], size, label_mm, message)
    return _panel("Les liens sont-ils jugés satisfaisants ?",
                  "Part des réponses par niveau de qualité (chaque côté compte)",
                  f"{N_EQ}{_count(base, 'réponse', 'réponses')}{mean_text}", fig)


def _top_codes_panel(figures: _Figures, list_name: str, size: tuple[float, float], label_mm: float,
                     limit: int = TOP_CODES, wrap_at: int = 30) -> list[Flowable]:
    choices = load_questionnaire()[list_name]
    rows = _overall(figures.levers[f"{list_name}_cote"])
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    singular = "levier" if list_name == "leviers" else "frein"
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if rows["masque"].all() else None
    top = rows[rows["n"].fillna(0) > 0].sort_values(["part", "code"], ascending=[False, True]).head(limit)
    colour = LEVER_COLOUR if list_name == "leviers" else BRAKE_COLOUR
    fig = _bars([choices.label(c) for c in top["code"]], top["part"].tolist(), colour, size, label_mm, message,
                wrap_at=wrap_at)
    title = ("Ce qui fait que ça marche : les leviers les plus cités" if list_name == "leviers"
             else "Ce qui freine : les freins les plus cités")
    return _panel(title, f"Part des réponses citant chaque {singular} (plusieurs réponses possibles)",
                  f"{N_EQ}{_count(base, 'réponse', 'réponses')} citant au moins un {singular}", fig)


# --------------------------------------------------------------------------- maps


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


def _coverage_map(dataset: Dataset, level: str, values: dict[str, float], scope_areas: list[str],
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


def _centres(view: View, communes: list[str]) -> pd.DataFrame:
    """The view's centres sociaux and EVS located in ``communes`` (INSEE codes)."""
    structures = view.structures
    keep = (structures["famille"] == "centre").to_numpy(dtype=bool) & \
        structures["commune_insee"].isin(communes).to_numpy(dtype=bool)
    return structures.loc[keep, ["type", "latitude", "longitude"]].dropna()


def _map_panel(dataset: Dataset, figures: _Figures, size: tuple[float, float], legend_height_mm: float = 21,
               legend_columns: int = 2) -> list[Flowable]:
    """The fiche's map: the scope's communes by share of schools with a link (as on the map page), centres."""
    communes = _scope_communes(dataset, figures.scope)
    links = aggregate_links(figures.view.reponses, with_codes=False)
    table = indicators_by_territory(figures.view, links, "commune")
    by_name = dict(zip(table["territoire"].astype(str), table["couverture"].astype(float)))
    names = dict(zip(dataset.reference.communes["code_insee"], dataset.reference.communes["nom"]))
    values = {code: by_name[names[code]] for code in communes if names.get(code) in by_name}
    centres = _centres(figures.view, communes)
    fig = _coverage_map(dataset, "commune", values, communes, centres, size, legend_height_mm, legend_columns)
    schools = int(table["ecoles"].sum()) if len(table) else 0
    return _panel("Où sont les établissements ayant un lien ?",
                  f"Part des établissements ayant au moins un lien, par commune, en {figures.wave}",
                  f"{N_EQ}{_count(schools, 'établissement scolaire', 'établissements scolaires')} · "
                  f"{_count(len(centres), 'centre social ou EVS', 'centres sociaux et EVS')} (points)", fig)


# --------------------------------------------------------------------------- page furniture


def _numbered_canvas(decorate: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas that draws each page's furniture once the page count is known (« page 2 sur 7 »)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802  (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


FOOTER_LINE_HEIGHT = 3.6 * mm


def _footer_lines(lines: list[str], margin: float, numbered: bool) -> list[str]:
    """The footer's lines wrapped to the page (leaving room for « page 2 sur 7 »)."""
    report_styles()
    room = A4[0] - 2 * (margin + FRAME_PADDING) - (22 * mm if numbered else 0)
    return [part for line in lines for part in simpleSplit(_french_spaces(line), FONT, 6.5, room)]


def _footer_top(lines: list[str], demo: bool) -> float:
    """Height of the footer's rule above the bottom of the page: the page's bottom margin must be above it."""
    return 8 * mm + FOOTER_LINE_HEIGHT * len(lines) + (4 * mm if demo else 0)


def _footer(canvas: Canvas, lines: list[str], demo: bool, margin: float, page: str = "") -> None:
    """Footer lines (plain text, already wrapped: drawn, never parsed as markup) at the bottom of the page."""
    left, right = margin + FRAME_PADDING, A4[0] - margin - FRAME_PADDING
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor(RULE))
    canvas.setLineWidth(0.5)
    top = _footer_top(lines, demo)
    canvas.line(left, top, right, top)
    y = top - FOOTER_LINE_HEIGHT
    if demo:
        canvas.setFont(FONT_BOLD, 7)
        canvas.setFillColor(colors.HexColor(DEMO_INK))
        canvas.drawString(left, y, DEMO_LABEL)
        y -= 4 * mm
    canvas.setFont(FONT, 6.5)
    canvas.setFillColor(colors.HexColor(MUTED))
    for line in lines:
        canvas.drawString(left, y, line)
        y -= FOOTER_LINE_HEIGHT
    if page:
        canvas.drawRightString(right, top - FOOTER_LINE_HEIGHT, page)
    canvas.restoreState()


def _source_line(dataset: Dataset, generated: date | None = None) -> str:
    millesime = dataset.reference.meta.get("millesime")
    reference = f"communes et contours {millesime}" if millesime else "communes et contours"
    line = f"Source : enquêtes « {PROJECT} » ; {reference} : INSEE, IGN (ADMIN EXPRESS COG), Licence Ouverte 2.0."
    return line + (f" Document produit par Passerelles le {format_date(generated)}." if generated else "")


def _version_line(dataset: Dataset, free_text: bool) -> str:
    """The footer's line saying which version this is; the funders' copy states its own K (never a fixed 5)."""
    if free_text:
        return COMITE_LINE
    if dataset.secret is not None:
        return f"Version financeurs : aucune réponse libre, {secret_note(dataset.secret.k)}."
    return FUNDER_LINE


def _method_text(figures: _Figures) -> str:
    facts = figures.facts
    if facts.get("secret"):  # the funders' version: the rule of the statistical secret, no count of interviews
        return ("Un lien est un couple école – centre social ; il compte dans le territoire de son école. "
                "« Satisfaisant ou mieux » : qualité moyenne du lien (les deux côtés confondus) d'au moins 3 sur 4. "
                + secret_method_text(int(facts["secret"])))
    modes = ", ".join(f"{label[:1].lower()}{label[1:]} {format_int(n)}" for label, n in facts["modes"].items() if n)
    period = (f" entre le {format_date(facts['debut'])} et le {format_date(facts['fin'])}"
              if facts["debut"] is not None and pd.notna(facts["debut"]) else "")
    return (f"{_count(facts['reponses'], 'réponse recueillie', 'réponses recueillies')}{period}"
            f"{f' ({modes})' if modes else ''} : {format_int(facts['cote_ecole'])} côté école, "
            f"{format_int(facts['cote_centre'])} côté centre social. Un lien est un couple école – centre "
            "social ; il compte dans le territoire de son école. « Satisfaisant ou mieux » : qualité moyenne du "
            "lien (les deux côtés confondus) d'au moins 3 sur 4. Toute part ou moyenne reposant sur moins de 5 "
            f"réponses est masquée (« {SMALL_COUNT_NOTE} ») ; les parts d'établissements liés comptent des "
            "établissements et ne le sont pas.")


def _pistes_block(view: View, heading: str, heading_style: str, limit: int = PISTES_SHOWN) -> list[Flowable]:
    """The pistes cited most often (comité de pilotage versions only), anonymous and escaped."""
    pistes = _top_pistes(view, limit)
    blocks: list[Flowable] = [_p(heading, heading_style)]
    if not pistes:
        return blocks + [_p("Aucune piste n'a été proposée dans ce territoire pour cette vague.", "small")]
    for text, count in pistes:
        cited = f" — citée {format_int(count)} fois" if count > 1 else ""
        blocks.append(_p(f"« {text} »{cited}", "quote"))
    return blocks


# --------------------------------------------------------------------------- fiche territoire


FRAME_PADDING = 6  # reportlab's default padding inside a page frame (points)
FICHE_MARGINS = dict(left=14 * mm, right=14 * mm, top=11 * mm)  # bottom: above the footer


def fiche_pdf(dataset: Dataset, scope: Scope, wave: str, free_text: bool, generated: date | None = None) -> bytes:
    """The « fiche territoire »: one printable A4 page of a scope's headline figures, map and main charts.

    Args:
        free_text: the comité de pilotage version (adds a few pistes); False for funders (no free text).
        generated: the date printed as generation date (today by default).
    """
    _check_wave(dataset, wave)
    generated = generated or date.today()
    figures = _figures(dataset, scope, wave)
    footer = _footer_lines([_source_line(dataset), _version_line(dataset, free_text)],
                           FICHE_MARGINS["left"], numbered=False)
    bottom = _footer_top(footer, dataset.is_demo) + 3 * mm
    width = A4[0] - FICHE_MARGINS["left"] - FICHE_MARGINS["right"] - 2 * FRAME_PADDING
    height = A4[1] - FICHE_MARGINS["top"] - bottom - 2 * FRAME_PADDING
    department = dataset.reference.departement_name
    where = [scope.kind]
    if scope.level == "commune" and not scope.is_departement:
        epci = dataset.structures.loc[dataset.structures["commune"].isin(scope.territories), "epci_nom"].dropna()
        epci = epci if len(epci) else dataset.reference.communes.loc[
            dataset.reference.communes["nom"].isin(scope.territories), "epci_nom"]
        where += [short_epci(epci.iloc[0])] if len(epci) else []
    if not scope.is_departement and department:
        where.append(department)
    story: list[Flowable] = [
        _p(f"FICHE TERRITOIRE · {PROJECT.upper()}", "kicker"),
        _p(scope.name, "title"),
        _p(" · ".join([*where, f"vague {wave}", f"document généré le {format_date(generated)}"]), "subtitle"),
        Spacer(1, 4),
    ]
    if dataset.is_demo:
        story += [_demo_banner(width), Spacer(1, 3)]
    story += [_p(f"Chiffres clés de la vague {wave}", "h2"), _headline_cards(figures.headlines, width),
              Spacer(1, 5)]
    gap = 4 * mm
    map_width = 84 * mm
    right_width = width - map_width - gap
    size_right = (right_width / mm, 31)
    charts = [*_frequency_panel(figures, size_right, 30), Spacer(1, 6), *_quality_panel(figures, size_right, 30)]
    row = _columns([_map_panel(dataset, figures, (map_width / mm, 84)), charts], [map_width + gap, right_width])
    half = (width - gap) / 2
    size_half = (half / mm, 40)
    levers = _columns([_top_codes_panel(figures, "leviers", size_half, 48, wrap_at=34),
                       _top_codes_panel(figures, "freins", size_half, 48, wrap_at=34)], [half + gap, half])
    story += [row, Spacer(1, 6), levers, Spacer(1, 4)]
    if free_text:
        story += _pistes_block(figures.view, "Pistes proposées par les répondants (comité de pilotage)", "h2")
        story.append(Spacer(1, 3))
    section = where_section(dataset, scope, wave, free_text)  # comité: named opportunities; funders: counts
    story += [_p(section.heading, "h2"), *(_p(f"• {line}", "item") for line in section.lines),
              _p(section.note, "small"), Spacer(1, 3)]
    story.append(Paragraph(f"<b>Méthode.</b> {escape(_french_spaces(_method_text(figures)))}", report_styles()["small"]))

    def decorate(canvas: Canvas, _number: int, _total: int) -> None:
        _footer(canvas, footer, dataset.is_demo, FICHE_MARGINS["left"])

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=FICHE_MARGINS["left"], rightMargin=FICHE_MARGINS["right"],
        topMargin=FICHE_MARGINS["top"], bottomMargin=bottom, lang="fr-FR",
        title=f"Fiche territoire — {scope.name} — vague {wave}", author="Passerelles", creator="Passerelles",
        subject=f"{PROJECT} : chiffres clés, carte et graphiques")
    # One page whatever the data: the content shrinks to fit rather than flowing onto a second page.
    document.build([KeepInFrame(width, height, story, mode="shrink")], canvasmaker=_numbered_canvas(decorate))
    return buffer.getvalue()


# --------------------------------------------------------------------------- département report


REPORT_MARGINS = dict(left=16 * mm, right=16 * mm, top=18 * mm)  # bottom: above the footer


def _impact_rows(impact: pd.DataFrame) -> list[list[str]]:
    """``impact_table`` with waves as columns, in French formats; masked shares say so."""
    shown = impact_table(impact)
    waves = shown["Vague"].astype(str).tolist()
    masked_label = f"{HEADLINES['part_satisfaisants'][0]} (%)"
    rows = [["Indicateur", *[f"Vague {w}" for w in waves]]]
    for column in shown.columns[1:]:
        cells = []
        for i, value in enumerate(shown[column].tolist()):
            if isinstance(value, str):  # a funder's statistical secret
                cells.append(value)
            elif column == masked_label and bool(impact["masque_qualite"].iloc[i]):
                cells.append(SMALL_COUNT_NOTE)
            elif value is None or pd.isna(value):
                cells.append("–")
            elif str(column).endswith("(%)"):
                cells.append(format_percent(float(value) / 100))
            else:
                cells.append(format_int(value))
        rows.append([str(column).removesuffix(" (%)"), *cells])
    return rows


def _evolution_figures(impact: pd.DataFrame, width_mm: float) -> list[Flowable]:
    waves = impact["vague"].astype(str).tolist()
    shares = [(HEADLINES["part_ecoles_liees"][0], impact["part_ecoles_liees"].tolist(), SEQUENTIAL[3]),
              (HEADLINES["part_ep_liees"][0], impact["part_ep_liees"].tolist(), EP_COLOURS["REP"]),
              (HEADLINES["part_satisfaisants"][0], impact["part_satisfaisants"].tolist(), LEVER_COLOUR)]
    counts = [(HEADLINES["structures_enquetees"][0], impact["structures_enquetees"].tolist(), SEQUENTIAL[2]),
              (HEADLINES["liens"][0], impact["liens"].tolist(), SEQUENTIAL[3]),
              (HEADLINES["structures_rencontres"][0], impact["structures_rencontres"].tolist(), SEQUENTIAL[4])]
    schools = ", ".join(f"{_count(n, 'établissement', 'établissements')} en {w}"
                        for w, n in zip(waves, impact["ecoles"]))
    answers = ", ".join(f"{_count(n, 'réponse', 'réponses')} en {w}" for w, n in zip(waves, impact["reponses"]))
    size = (width_mm, 52)
    return [
        *_panel("Les liens progressent-ils d'une vague à l'autre ?",
                "Parts des établissements liés à un centre social et des liens jugés satisfaisants ou mieux, "
                "par vague", f"{N_EQ}{schools} · « < 5 rép. » : {SMALL_COUNT_NOTE}",
                _grouped_bars(waves, shares, size, True, "< 5 rép.")),
        Spacer(1, 6),
        *_panel("Combien de structures et de liens chaque vague compte-t-elle ?",
                "Structures ayant répondu, liens école – centre social identifiés, structures venues aux "
                "rencontres", f"{N_EQ}{answers}", _grouped_bars(waves, counts, size, False)),
    ]


def _epci_rows(table: pd.DataFrame, numbers: dict[str, int]) -> tuple[list[list[str]], list[tuple[int, int, int]]]:
    """One row per EPCI (then the département) from ``indicators_by_wave``; small counts masked and said so."""
    rows = [["N°", "Intercommunalité", "Établ. scolaires", "Établ. avec un lien", "Part avec un lien",
             "Réponses", "Liens", "Qualité moyenne (1 à 4)", "Liens hebdomadaires ou plus"]]
    spans = []
    ordered = sorted((r for r in table.to_dict("records") if r["territoire"] != OVERALL),
                     key=lambda r: numbers.get(r["territoire"], 999))
    ordered += [r for r in table.to_dict("records") if r["territoire"] == OVERALL]
    for record in ordered:
        overall = record["territoire"] == OVERALL
        secret = bool(record.get("secret", False))  # the funders' copy: a blank figure is a secret one

        def shown(value: object, formatter: Callable[[float], str] = format_int) -> str:
            return SECRET if secret and pd.isna(value) else formatter(float(value)) if pd.notna(value) else "–"

        row = ["" if overall else str(numbers.get(record["territoire"], "")),
               "Ensemble du département" if overall else short_epci(record["territoire"]),
               format_int(record["ecoles"]), shown(record["ecoles_liees"]), shown(record["couverture"], format_percent),
               shown(record["reponses"]), shown(record["liens"])]
        if bool(record["masque"]):
            row += [SECRET if secret else SMALL_COUNT_NOTE, ""]
            spans.append((len(rows), 7, 8))
        else:
            quality, weekly = record["qualite"], record["hebdomadaire"]
            row += ["–" if pd.isna(quality) else format_decimal(float(quality), 2),
                    "–" if pd.isna(weekly) else format_percent(float(weekly))]
        rows.append(row)
    return rows, spans


def _epci_table(dataset: Dataset, name: str, number: int, wave: str, width: float) -> Flowable:
    """One EPCI's headline figures, as on the impact page with that EPCI chosen."""
    view_all = apply_filters(dataset, Filters(wave=ALL_WAVES, level="epci", territories=(name,)))
    impact = impact_by_wave(view_all)
    items = headlines(impact, wave)
    at = impact[impact["vague"] == wave]
    facts = (f"{_count(at['ecoles'].iloc[0], 'établissement scolaire', 'établissements scolaires')} · "
             f"{_count(at['reponses'].iloc[0], 'réponse', 'réponses')} en {wave}") if len(at) else \
        f"aucune réponse en {wave}"
    heading = Table([[_p(f"{number}. {short_epci(name)}", "panel"), _p(facts, "panel_n")]],
                    colWidths=[width * 0.55, width * 0.45])
    heading.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    if not items:
        return KeepTogether([heading, _p(f"Aucune réponse d'enquête dans cette intercommunalité en {wave}.",
                                         "small"), Spacer(1, 6)])
    rows = [["Indicateur", "Valeur", "Sur quoi il repose", "Depuis la vague précédente"]]
    rows += [[h.label, h.value, h.detail, h.delta or "première vague"] for h in items]
    table = _grid(rows, [width * 0.34, width * 0.17, width * 0.27, width * 0.22], right={1})
    return KeepTogether([heading, Spacer(1, 1.5), table, Spacer(1, 7)])


def departement_pdf(dataset: Dataset, wave: str, free_text: bool, generated: date | None = None) -> bytes:
    """The département report of a wave, for funding requests: cover and headlines, evolution, EPCI, leviers
    and freins, method (plus a few pistes in the comité de pilotage version, ``free_text=True``)."""
    _check_wave(dataset, wave)
    generated = generated or date.today()
    scope = _departement_scope(dataset)
    figures = _figures(dataset, scope, wave)
    footer = _footer_lines([_source_line(dataset), _version_line(dataset, free_text)],
                           REPORT_MARGINS["left"], numbered=True)
    width = A4[0] - REPORT_MARGINS["left"] - REPORT_MARGINS["right"] - 2 * FRAME_PADDING
    width_mm = width / mm
    department = dataset.reference.departement_name or "département"
    epcis = territory_options(dataset.structures, "epci")
    numbers = {name: i for i, name in enumerate(sorted(epcis, key=lambda n: fold(short_epci(n))), start=1)}
    by_wave = indicators_by_wave(figures.view_all, "epci_nom")
    in_wave = by_wave[(by_wave["vague"].astype(str) == wave).to_numpy(dtype=bool)]

    cover = Table([[[_p(f"{PROJECT.upper()} · RAPPORT DÉPARTEMENTAL", "cover_sub"), Spacer(1, 4),
                     _p(f"Les liens entre écoles et centres sociaux {dataset.reference.in_departement}",
                        "cover_title"),
                     Spacer(1, 6), _p(f"Vague d'enquête {wave} · document généré le {format_date(generated)}",
                                      "cover_sub")]]], colWidths=[width])
    cover.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(ACCENT)),
                               ("LEFTPADDING", (0, 0), (-1, -1), 14), ("RIGHTPADDING", (0, 0), (-1, -1), 14),
                               ("TOPPADDING", (0, 0), (-1, -1), 16), ("BOTTOMPADDING", (0, 0), (-1, -1), 18)]))
    waves_text = ", ".join(figures.impact["vague"].astype(str))
    story: list[Flowable] = [cover, Spacer(1, 8)]
    if dataset.is_demo:
        story += [_demo_banner(width), Spacer(1, 6)]
    story += [
        _p(f"Ce rapport rend compte des liens entre les établissements scolaires (écoles, collèges, lycées) et les "
           f"centres sociaux et espaces de vie sociale {dataset.reference.of_departement}, recensés par les "
           "enquêtes du projet « valorisation et développement des liens École – Centres sociaux » (Fédération "
           f"des centres sociaux {dataset.reference.of_departement} et association École et Famille). "
           f"Vagues d'enquête disponibles : {waves_text}. "
           "Les chiffres sont ceux du tableau de bord Passerelles, calculés de la même façon.", "body"),
        _p(f"Chiffres clés de la vague {wave}", "h1"),
        _headline_cards(figures.headlines, width),
        Spacer(1, 8),
    ]
    sections = ["1. Évolution d'une vague à l'autre", "2. Les intercommunalités", "3. Chaque intercommunalité",
                "4. Leviers, freins, fréquence et qualité des liens"]
    if free_text:
        sections.append("5. Pistes proposées par les répondants")
    sections.append(f"{len(sections) + 1}. Méthode et définitions")
    map_width = width - 58 * mm
    story.append(_columns([_map_panel(dataset, figures, (map_width / mm, 72), legend_height_mm=17, legend_columns=3),
                           [Spacer(1, 8), _p("Sommaire", "h2"), *[_p(s, "body") for s in sections]]],
                          [map_width + 6 * mm, width - map_width - 6 * mm]))

    # 1. Evolution
    story += [PageBreak(), _p(sections[0], "h1"), _p(
        "Les chiffres clés de chaque vague, pour l'ensemble du département. Une part d'établissements liés compte "
        "des établissements ; la part de liens satisfaisants repose sur des réponses et n'est pas montrée sous "
        "5 réponses.", "body"), Spacer(1, 2)]
    rows = _impact_rows(figures.impact)
    first = width * 0.46
    story += [_grid(rows, [first] + [(width - first) / (len(rows[0]) - 1)] * (len(rows[0]) - 1),
                    right=set(range(1, len(rows[0])))), Spacer(1, 10)]
    story += _evolution_figures(figures.impact, width_mm)

    # 2. EPCI: map and table
    story += [PageBreak(), _p(sections[1], "h1"),
              _p(f"Part des établissements scolaires ayant au moins un lien, par intercommunalité, vague {wave} "
                 "(même calcul que la carte du tableau de bord). Les numéros renvoient au tableau.", "body")]
    values = {r["territoire"]: float(r["couverture"]) for r in in_wave.to_dict("records") if r["territoire"] != OVERALL}
    all_communes = dataset.reference.communes["code_insee"].tolist()
    centres = _centres(figures.view, all_communes)
    epci_names = dataset.reference.epci["epci_nom"].tolist()
    fig = _coverage_map(dataset, "epci", values, epci_names, centres, (width_mm, 100), legend_height_mm=15,
                        legend_columns=4, numbers=numbers)
    story += [_image(fig), Spacer(1, 6)]
    epci_rows, spans = _epci_rows(in_wave, numbers)
    widths = [w * mm for w in (8, 46, 16, 16, 16, 16, 13, 19)]
    story.append(_grid(epci_rows, [*widths, width - sum(widths)], right=set(range(2, 9)), spans=spans,
                       bold_last=True))
    story.append(_p(f"Qualité moyenne et liens hebdomadaires : « {SMALL_COUNT_NOTE} » quand l'intercommunalité "
                    "compte moins de 5 réponses dans la vague.", "small"))

    # 3. One table per EPCI
    story += [PageBreak(), _p(sections[2], "h1"),
              _p("Les chiffres clés de chaque intercommunalité, calculés comme ceux du département (page des "
                 "chiffres clés du tableau de bord, intercommunalité choisie).", "body"), Spacer(1, 2)]
    for name in sorted(epcis, key=lambda n: numbers[n]):
        story.append(_epci_table(dataset, name, numbers[name], wave, width))

    # 4. Leviers, freins, frequency and quality
    story += [PageBreak(), _p(sections[3], "h1")]
    for list_name, title in (("leviers", "Ce qui fait que ça marche : les leviers"),
                             ("freins", "Ce qui freine : les freins")):
        table = figures.levers[f"{list_name}_cote"]
        overall = _overall(table)
        base = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
        fig, note = _side_bars(table, list_name, (width_mm, 78), 62)
        singular = list_name[:-1]
        story += _panel(title, f"Part des réponses de chaque côté citant chaque {singular} (plusieurs réponses "
                               "possibles), les plus cités d'abord",
                        f"{N_EQ}{_count(base, 'réponse', 'réponses')} citant au moins un {singular}", fig)
        if note:
            story.append(_p(note, "small"))
        story.append(Spacer(1, 6))
    half = (width - 6 * mm) / 2
    pair = _columns([_frequency_panel(figures, (half / mm, 34), 28), _quality_panel(figures, (half / mm, 34), 28)],
                    [half + 6 * mm, half])
    story += [CondPageBreak(60 * mm), pair]

    # 5. Pistes (comité only), then method
    story.append(PageBreak())
    if free_text:
        heading, *quotes = _pistes_block(figures.view, sections[4], "h1", limit=8)
        story += [heading, _p(f"Les pistes les plus citées en {wave} (phrases identiques regroupées), sans nom de "
                              "personne ni de structure. Version réservée au comité de pilotage.", "body"),
                  *quotes, Spacer(1, 10)]
    story += [_p(sections[-1], "h1"), _p(_method_text(figures), "body"), _p("Définitions", "h2")]
    story += [Paragraph(f"<b>{escape(h.label)}</b>{NBSP}: {escape(_french_spaces(h.help))}", report_styles()["body"])
              for h in figures.headlines]
    story += [
        _p("Petits effectifs", "h2"),
        _p(f"Une part ou une moyenne qui repose sur moins de 5 réponses n'est pas publiée (« {SMALL_COUNT_NOTE} ») "
           ": trop peu de réponses pour dire quelque chose, et trop près d'une réponse individuelle. Les nombres "
           "d'établissements, de liens et de structures ne sont pas concernés.", "body"),
        _p("Réponses libres", "h2"),
        _p("Ce document reprend quelques pistes formulées par les répondants, sans nom de personne ni de structure."
           if free_text else "Ce document ne contient aucune réponse libre (ressources, outils, pistes, "
                             "commentaires) : seulement des chiffres agrégés.", "body"),
        _p("Sources", "h2"), _p(_source_line(dataset, generated), "body"),
    ]

    running = f"{PROJECT} · {department} · rapport départemental · vague {wave}"

    def decorate(canvas: Canvas, number: int, total: int) -> None:
        if number > 1:
            canvas.saveState()
            canvas.setFont(FONT, 7)
            canvas.setFillColor(colors.HexColor(MUTED))
            left, right = REPORT_MARGINS["left"] + FRAME_PADDING, A4[0] - REPORT_MARGINS["right"] - FRAME_PADDING
            canvas.drawString(left, A4[1] - 10 * mm, running)
            canvas.setStrokeColor(colors.HexColor(RULE))
            canvas.setLineWidth(0.5)
            canvas.line(left, A4[1] - 11.5 * mm, right, A4[1] - 11.5 * mm)
            canvas.restoreState()
        _footer(canvas, footer, dataset.is_demo, REPORT_MARGINS["left"], f"page {number} sur {total}")

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=REPORT_MARGINS["left"], rightMargin=REPORT_MARGINS["right"],
        topMargin=REPORT_MARGINS["top"], bottomMargin=_footer_top(footer, dataset.is_demo) + 4 * mm, lang="fr-FR",
        title=f"Rapport départemental — {department} — vague {wave}", author="Passerelles", creator="Passerelles",
        subject=f"{PROJECT} : rapport départemental")
    document.build(story, canvasmaker=_numbered_canvas(decorate))
    return buffer.getvalue()


# --------------------------------------------------------------------------- XLSX of the aggregates


def _sheet_title(chart_name: str, level: str, used: set[str]) -> str:
    """A French sheet name (≤ 31 characters, unique) for a chart."""
    template = SHEET_TITLES.get(chart_name)
    if template is None:
        words = [_ACCENTED.get(word, word) for word in chart_name.split("-")]
        template = " ".join(words)
    title = template.format(noun=SHEET_NOUNS.get(level, "territoire"))
    title = re.sub(r"[\[\]:*?/\\]", " ", title[:1].upper() + title[1:])[:31].strip()
    unique, n = title, 2
    while unique.lower() in used:
        suffix = f" ({n})"
        unique, n = title[:31 - len(suffix)] + suffix, n + 1
    used.add(unique.lower())
    return unique


def report_charts(view: View, view_all: View) -> list[Chart]:
    """The charts an XLSX report holds: every chart of the analysis pages, never per-link lists."""
    found: list[Chart] = []
    for charts in (link_charts(view), lever_charts(view), evolution_charts(view_all)):
        found += [chart for chart in charts.values() if isinstance(chart, Chart)]
    return found


def aggregates_xlsx(dataset: Dataset, scope: Scope, wave: str, generated: date | None = None) -> bytes:
    """The aggregates behind the reports as an Excel workbook: one sheet per chart, plus « À lire » and the
    headline figures by wave. No free text, no row per link or per structure; formulas neutralised."""
    _check_wave(dataset, wave)
    generated = generated or date.today()
    filters = Filters(wave=ALL_WAVES, level=scope.level, territories=scope.territories)
    view_all = apply_filters(dataset, filters)
    view = apply_filters(dataset, replace(filters, wave=wave))
    impact = impact_table(impact_by_wave(view_all))
    used: set[str] = {"à lire"}
    impact_title = _sheet_title("Chiffres clés par vague", scope.level, used)
    sheets: dict[str, pd.DataFrame] = {impact_title: impact}
    contents = [(impact_title, "Chiffres clés du territoire, vague par vague (toutes vagues)")]
    for chart in report_charts(view, view_all):
        title = _sheet_title(chart.name, scope.level, used)
        sheets[title] = chart.table
        contents.append((title, chart.title + (" (toutes vagues)" if chart.name.startswith("evolution") else "")))
    about = pd.DataFrame(
        [("Document", f"Agrégats des enquêtes « {PROJECT} »"), ("Territoire", scope.name),
         ("Niveau de regroupement", LEVELS.get(scope.level, scope.level)), ("Vague", wave),
         ("Généré le", format_date(generated)),
         ("Données", DEMO_LABEL if dataset.is_demo else "Données du projet"),
         ("Petits effectifs",
          f"Parts et moyennes reposant sur moins de 5 réponses masquées (« {SMALL_COUNT_NOTE} »)."),
         ("Réponses libres", "Aucune : ce classeur ne contient que des chiffres agrégés."),
         ("Source", _source_line(dataset, generated))]
        + [(f"Feuille « {title} »", description) for title, description in contents],
        columns=["Rubrique", "Contenu"])
    return to_xlsx_bytes({"À lire": about, **sheets})
