"""Presentations leave the room: a PowerPoint or a PDF, one page per step, with the map of each map step.

A step of the Carte page is drawn again from its URL (filters, indicator, zoom and centre) as the page's
« Préparer l'image » draws it. Other steps keep their title, comment and page (their charts are the
page's own, made from its widgets: not drawn again here).
"""

from __future__ import annotations

import io
from datetime import date

from lib.presentations import Step

MAP_PAGE = "pages/1_Carte.py"
SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5  # 16:9, as projected


def step_images(dataset, steps: list[Step], when: date | None = None) -> dict[str, bytes]:
    """PNG of the map of each Carte step (``lib.map_image.carte_png`` at the step's view), by step id.

    Raises ``lib.images.ImageExportError`` (French message) when no browser can draw them.
    """
    from lib.filters import apply_filters, filters_from_query  # noqa: PLC0415
    from lib.map_image import MapView, carte_png  # noqa: PLC0415
    from lib.map_wall import parse_view  # noqa: PLC0415

    images = {}
    for step in steps:
        if step.page != MAP_PAGE:
            continue
        params = step.query_params
        view = apply_filters(dataset, filters_from_query(params, dataset))
        indicator = (params.get("indicateur") or ["liens"])[0]
        shown = parse_view((params.get("zoom") or [None])[0], (params.get("centre") or [None])[0])
        at = MapView(*shown) if shown else None  # the same reading of the URL as the Carte page's
        large = (params.get("texte") or [""])[0] == "grand"
        images[step.id] = carte_png(dataset, view, indicator, at, large=large, when=when)
    return images


def presentation_pptx(name: str, steps: list[Step], images: dict[str, bytes] | None = None,
                      footer: str = "") -> bytes:
    """A PowerPoint file (16:9), one slide per step: title, image of the view when given, comment, page.

    ``images`` maps step ids to PNG bytes (the map or a chart of the step).
    """
    from pptx import Presentation  # noqa: PLC0415  (only when exporting)
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    layout = deck.slide_layouts[5]  # « Title Only »
    images = images or {}
    for number, step in enumerate(steps, start=1):
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = step.title
        title = slide.shapes.title
        title.left, title.top, title.width, title.height = Inches(0.5), Inches(0.3), Inches(12.3), Inches(1.0)
        title.text_frame.paragraphs[0].runs[0].font.size = Pt(32)
        image = images.get(step.id)
        text_top = Inches(1.4)
        if image:
            from PIL import Image  # noqa: PLC0415

            width, height = Image.open(io.BytesIO(image)).size
            box_w, box_h = Inches(12.3), Inches(4.6)
            scale = min(box_w / width, box_h / height)
            pic_w, pic_h = Emu(int(width * scale)), Emu(int(height * scale))
            slide.shapes.add_picture(io.BytesIO(image), Inches(0.5) + (box_w - pic_w) // 2, Inches(1.35),
                                     pic_w, pic_h)
            text_top = Inches(6.05)
        body = slide.shapes.add_textbox(Inches(0.5), text_top, Inches(12.3), Inches(7.0) - text_top).text_frame
        body.word_wrap = True
        body.text = step.comment or ""
        for paragraph in body.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(18 if image else 24)
        foot = slide.shapes.add_textbox(Inches(0.5), Inches(7.0), Inches(12.3), Inches(0.4)).text_frame
        foot.text = " · ".join(part for part in (name, f"étape {number}/{len(steps)}", step.page_label, footer) if part)
        foot.paragraphs[0].runs[0].font.size = Pt(11)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()



def presentation_pdf(name: str, steps: list[Step], images: dict[str, bytes] | None = None, footer: str = "") -> bytes:
    """The same pages as :func:`presentation_pptx`, as a PDF (16:9) for people who were not in the room."""
    from xml.sax.saxutils import escape  # noqa: PLC0415

    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415  (only when exporting)
    from reportlab.lib.units import inch  # noqa: PLC0415
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer  # noqa: PLC0415

    from lib.reports import FONT, FONT_BOLD, report_styles  # noqa: PLC0415

    report_styles()  # registers the fonts (DejaVu Sans: French typography)
    title_style = ParagraphStyle("diapo_titre", fontName=FONT_BOLD, fontSize=26, leading=31, spaceAfter=10)
    body_style = ParagraphStyle("diapo_texte", fontName=FONT, fontSize=15, leading=20)
    images = images or {}
    width, height = SLIDE_W_IN * inch, SLIDE_H_IN * inch
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=(width, height), leftMargin=0.5 * inch, rightMargin=0.5 * inch,
                                 topMargin=0.4 * inch, bottomMargin=0.6 * inch, title=name, author="Passerelles")
    frame_w = width - inch

    def foot(canvas, doc) -> None:
        number = doc.page
        canvas.saveState()
        canvas.setFont(FONT, 10)
        parts = (name, f"étape {number}/{len(steps)}", steps[number - 1].page_label if number <= len(steps) else "",
                 footer)
        canvas.drawString(0.5 * inch, 0.3 * inch, " · ".join(part for part in parts if part))
        canvas.restoreState()

    story = []
    for number, step in enumerate(steps, start=1):
        story.append(Paragraph(escape(step.title), title_style))
        image = images.get(step.id)
        if image:
            from PIL import Image as Picture  # noqa: PLC0415

            w, h = Picture.open(io.BytesIO(image)).size
            scale = min(frame_w / w, 4.9 * inch / h)
            story.append(Image(io.BytesIO(image), width=w * scale, height=h * scale))
            story.append(Spacer(1, 0.1 * inch))
        if step.comment:
            story.append(Paragraph(escape(step.comment).replace("\n", "<br/>"), body_style))
        if number < len(steps):
            story.append(PageBreak())
    if not steps:
        story.append(Paragraph(escape(name), title_style))
    document.build(story, onFirstPage=foot, onLaterPages=foot)
    return out.getvalue()
