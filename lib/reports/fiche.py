"""The « fiche territoire »: one A4 page of a scope's headline figures, map and main charts."""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

from lib.dataset import Dataset
from lib.formatting import format_date
from lib.report_where import where_section
from lib.reports.figures import check_wave, method_text, scope_figures
from lib.reports.furniture import FRAME_PADDING, draw_footer, footer_lines, footer_top, numbered_canvas
from lib.reports.panels import frequency_panel, map_panel, pistes_block, quality_panel, top_codes_panel
from lib.reports.scope import Scope, short_epci
from lib.reports.styles import demo_banner, headline_cards, paragraph, report_styles, side_by_side
from lib.reports.wording import PROJECT, french_spaces, source_line, version_line


FICHE_MARGINS = dict(left=14 * mm, right=14 * mm, top=11 * mm)  # bottom: above the footer


def fiche_pdf(dataset: Dataset, scope: Scope, wave: str, free_text: bool, generated: date | None = None) -> bytes:
    """The « fiche territoire »: one printable A4 page of a scope's headline figures, map and main charts.

    Args:
        free_text: the comité de pilotage version (adds a few pistes); False for funders (no free text).
        generated: the date printed as generation date (today by default).
    """
    check_wave(dataset, wave)
    generated = generated or date.today()
    figures = scope_figures(dataset, scope, wave)
    footer = footer_lines([source_line(dataset), version_line(dataset, free_text)],
                          FICHE_MARGINS["left"], numbered=False)
    bottom = footer_top(footer, dataset.is_demo) + 3 * mm
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
        paragraph(f"FICHE TERRITOIRE · {PROJECT.upper()}", "kicker"),
        paragraph(scope.name, "title"),
        paragraph(" · ".join([*where, f"vague {wave}", f"document généré le {format_date(generated)}"]), "subtitle"),
        Spacer(1, 4),
    ]
    if dataset.is_demo:
        story += [demo_banner(width), Spacer(1, 3)]
    story += [paragraph(f"Chiffres clés de la vague {wave}", "h2"), headline_cards(figures.headlines, width),
              Spacer(1, 5)]
    gap = 4 * mm
    map_width = 84 * mm
    right_width = width - map_width - gap
    size_right = (right_width / mm, 31)
    charts = [*frequency_panel(figures, size_right, 30), Spacer(1, 6), *quality_panel(figures, size_right, 30)]
    row = side_by_side([map_panel(dataset, figures, (map_width / mm, 84)), charts], [map_width + gap, right_width])
    half = (width - gap) / 2
    size_half = (half / mm, 40)
    levers = side_by_side([top_codes_panel(figures, "leviers", size_half, 48, wrap_at=34),
                           top_codes_panel(figures, "freins", size_half, 48, wrap_at=34)], [half + gap, half])
    story += [row, Spacer(1, 6), levers, Spacer(1, 4)]
    if free_text:
        story += pistes_block(figures.view, "Pistes proposées par les répondants (comité de pilotage)", "h2")
        story.append(Spacer(1, 3))
    section = where_section(dataset, scope, wave, free_text)  # comité: named opportunities; funders: counts
    story += [paragraph(section.heading, "h2"), *(paragraph(f"• {line}", "item") for line in section.lines),
              paragraph(section.note, "small"), Spacer(1, 3)]
    story.append(Paragraph(f"<b>Méthode.</b> {escape(french_spaces(method_text(figures)))}", report_styles()["small"]))

    def decorate(canvas: Canvas, _number: int, _total: int) -> None:
        draw_footer(canvas, footer, dataset.is_demo, FICHE_MARGINS["left"])

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=FICHE_MARGINS["left"], rightMargin=FICHE_MARGINS["right"],
        topMargin=FICHE_MARGINS["top"], bottomMargin=bottom, lang="fr-FR",
        title=f"Fiche territoire — {scope.name} — vague {wave}", author="Passerelles", creator="Passerelles",
        subject=f"{PROJECT} : chiffres clés, carte et graphiques")
    # One page whatever the data: the content shrinks to fit rather than flowing onto a second page.
    document.build([KeepInFrame(width, height, story, mode="shrink")], canvasmaker=numbered_canvas(decorate))
    return buffer.getvalue()
