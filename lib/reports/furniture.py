"""Page furniture: footers, and the canvas that numbers pages once their count is known."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from lib.reports.styles import DEMO_INK, FONT, FONT_BOLD, MUTED, RULE, report_styles
from lib.reports.wording import DEMO_LABEL, french_spaces


FRAME_PADDING = 6  # reportlab's default padding inside a page frame (points)


def numbered_canvas(decorate: Callable[[Canvas, int, int], None]) -> type[Canvas]:
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


def footer_lines(lines: list[str], margin: float, numbered: bool) -> list[str]:
    """The footer's lines wrapped to the page (leaving room for « page 2 sur 7 »)."""
    report_styles()
    room = A4[0] - 2 * (margin + FRAME_PADDING) - (22 * mm if numbered else 0)
    return [part for line in lines for part in simpleSplit(french_spaces(line), FONT, 6.5, room)]


def footer_top(lines: list[str], demo: bool) -> float:
    """Height of the footer's rule above the bottom of the page: the page's bottom margin must be above it."""
    return 8 * mm + FOOTER_LINE_HEIGHT * len(lines) + (4 * mm if demo else 0)


def draw_footer(canvas: Canvas, lines: list[str], demo: bool, margin: float, page: str = "") -> None:
    """Footer lines (plain text, already wrapped: drawn, never parsed as markup) at the bottom of the page."""
    left, right = margin + FRAME_PADDING, A4[0] - margin - FRAME_PADDING
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor(RULE))
    canvas.setLineWidth(0.5)
    top = footer_top(lines, demo)
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
