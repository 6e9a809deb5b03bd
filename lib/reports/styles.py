"""The reports' house style in reportlab: fonts, colours, paragraph styles, and the tables built with them."""

from __future__ import annotations

import threading
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from lib.impact import Headline
from lib.palette import QUALITY_COLOURS, SEQUENTIAL
from lib.reports.wording import DEMO_LABEL, french_spaces


# Images as binary streams: without reportlab's C accelerator, ASCII85-encoding them costs 20 % of a fiche's time.
rl_config.useA85 = 0

# Colours: the app's palette (lib/palette.py), plus the text greys of lib/charts/layout.py.
INK, MUTED, RULE = "#1b1f23", "#555555", "#d0d3d8"
ACCENT, ACCENT_LIGHT = SEQUENTIAL[4], SEQUENTIAL[0]
DEMO_INK, DEMO_BACKGROUND = "#8a5a00", "#fff4dc"
LEVER_COLOUR, BRAKE_COLOUR = QUALITY_COLOURS[4], "#D55E00"  # Okabe–Ito blue and vermillion
CONTEXT_FILL = "#ececec"

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


def paragraph(text: object, style: str) -> Paragraph:
    """A paragraph of plain text (escaped: never markup)."""
    return Paragraph(escape(french_spaces(str(text))), report_styles()[style])


def demo_banner(width: float) -> Table:
    """The banner saying the data are the fictitious demo."""
    banner = Table([[paragraph(DEMO_LABEL, "demo")]], colWidths=[width])
    banner.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(DEMO_BACKGROUND)),
                                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#E69F00")),
                                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return banner


def headline_cards(items: list[Headline], width: float, columns: int = 3) -> Flowable:
    """The headline figures as cards: label, value, what it rests on, change since the previous wave."""
    if not items:
        return paragraph("Aucune réponse d'enquête dans ce territoire pour cette vague : pas de chiffres clés.", "body")
    cells = []
    for item in items:
        cells.append([paragraph(item.label, "card_label"),
                      paragraph(item.value, "card_value" if len(item.value) <= 10 else "card_value_small"),
                      paragraph(item.detail, "card_detail"),
                      paragraph(item.delta or "première vague du territoire", "card_delta")])
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


def side_by_side(cells: list[list[Flowable]], widths: list[float]) -> Table:
    """Blocks side by side (a layout table: no padding, no rules); the gap is in the widths."""
    table = Table([cells], colWidths=widths)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def data_table(rows: list[list[object]], widths: list[float], right: set[int] = frozenset(),
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
        data.append([cell if isinstance(cell, Flowable) else paragraph(cell, style + ("_right" if c in right else ""))
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
