"""The département report of a wave, for funding requests."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer,
                                Table, TableStyle)

from lib.charts.layout import count_or_secret
from lib.dataset import Dataset
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.formatting import NBSP, format_date, format_decimal, format_int, format_percent
from lib.impact import HEADLINES, headlines, impact_by_wave, impact_table
from lib.metrics import OVERALL, SMALL_COUNT_NOTE, indicators_by_wave
from lib.palette import EP_COLOURS, SEQUENTIAL
from lib.reports.drawings import coverage_map, figure_image, grouped_bar_chart, side_bar_chart
from lib.reports.figures import centres_in, check_wave, method_text, overall_rows, scope_figures
from lib.reports.furniture import FRAME_PADDING, draw_footer, footer_lines, footer_top, numbered_canvas
from lib.reports.panels import frequency_panel, map_panel, panel, pistes_block, quality_panel
from lib.reports.scope import departement_scope, short_epci
from lib.reports.styles import (ACCENT, FONT, LEVER_COLOUR, MUTED, RULE, data_table, demo_banner, headline_cards,
                                paragraph, report_styles, side_by_side)
from lib.reports.wording import N_EQ, PROJECT, count_text, french_spaces, source_line, version_line
from lib.secrecy import SECRET
from lib.territories import territory_options
from lib.text import fold


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
    schools = ", ".join(f"{count_text(n, 'établissement', 'établissements')} en {w}"
                        for w, n in zip(waves, impact["ecoles"]))
    answers = ", ".join(f"{count_text(n, 'réponse', 'réponses')} en {w}" for w, n in zip(waves, impact["reponses"]))
    size = (width_mm, 52)
    return [
        *panel("Les liens progressent-ils d'une vague à l'autre ?",
               "Parts des établissements liés à un centre social et des liens jugés satisfaisants ou mieux, "
               "par vague", f"{N_EQ}{schools} · « < 5 rép. » : {SMALL_COUNT_NOTE}",
               grouped_bar_chart(waves, shares, size, True, "< 5 rép.")),
        Spacer(1, 6),
        *panel("Combien de structures et de liens chaque vague compte-t-elle ?",
               "Structures ayant répondu, liens école – centre social identifiés, structures venues aux "
               "rencontres", f"{N_EQ}{answers}", grouped_bar_chart(waves, counts, size, False)),
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
    facts = (f"{count_text(at['ecoles'].iloc[0], 'établissement scolaire', 'établissements scolaires')} · "
             f"{count_text(at['reponses'].iloc[0], 'réponse', 'réponses')} en {wave}") if len(at) else \
        f"aucune réponse en {wave}"
    heading = Table([[paragraph(f"{number}. {short_epci(name)}", "panel"), paragraph(facts, "panel_n")]],
                    colWidths=[width * 0.55, width * 0.45])
    heading.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    if not items:
        return KeepTogether([heading, paragraph(f"Aucune réponse d'enquête dans cette intercommunalité en {wave}.",
                                                "small"), Spacer(1, 6)])
    rows = [["Indicateur", "Valeur", "Sur quoi il repose", "Depuis la vague précédente"]]
    rows += [[h.label, h.value, h.detail, h.delta or "première vague"] for h in items]
    table = data_table(rows, [width * 0.34, width * 0.17, width * 0.27, width * 0.22], right={1})
    return KeepTogether([heading, Spacer(1, 1.5), table, Spacer(1, 7)])


def departement_pdf(dataset: Dataset, wave: str, free_text: bool, generated: date | None = None) -> bytes:
    """The département report of a wave, for funding requests: cover and headlines, evolution, EPCI, leviers
    and freins, method (plus a few pistes in the comité de pilotage version, ``free_text=True``)."""
    check_wave(dataset, wave)
    generated = generated or date.today()
    scope = departement_scope(dataset)
    figures = scope_figures(dataset, scope, wave)
    footer = footer_lines([source_line(dataset), version_line(dataset, free_text)],
                          REPORT_MARGINS["left"], numbered=True)
    width = A4[0] - REPORT_MARGINS["left"] - REPORT_MARGINS["right"] - 2 * FRAME_PADDING
    width_mm = width / mm
    department = dataset.reference.departement_name or "département"
    epcis = territory_options(dataset.structures, "epci")
    numbers = {name: i for i, name in enumerate(sorted(epcis, key=lambda n: fold(short_epci(n))), start=1)}
    by_wave = indicators_by_wave(figures.view_all, "epci_nom")
    in_wave = by_wave[(by_wave["vague"].astype(str) == wave).to_numpy(dtype=bool)]

    cover = Table([[[paragraph(f"{PROJECT.upper()} · RAPPORT DÉPARTEMENTAL", "cover_sub"), Spacer(1, 4),
                     paragraph(f"Les liens entre écoles et centres sociaux {dataset.reference.in_departement}",
                               "cover_title"),
                     Spacer(1, 6), paragraph(f"Vague d'enquête {wave} · document généré le {format_date(generated)}",
                                             "cover_sub")]]], colWidths=[width])
    cover.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(ACCENT)),
                               ("LEFTPADDING", (0, 0), (-1, -1), 14), ("RIGHTPADDING", (0, 0), (-1, -1), 14),
                               ("TOPPADDING", (0, 0), (-1, -1), 16), ("BOTTOMPADDING", (0, 0), (-1, -1), 18)]))
    waves_text = ", ".join(figures.impact["vague"].astype(str))
    story: list[Flowable] = [cover, Spacer(1, 8)]
    if dataset.is_demo:
        story += [demo_banner(width), Spacer(1, 6)]
    story += [
        paragraph("Ce rapport rend compte des liens entre les établissements scolaires (écoles, collèges, lycées) "
                  "et les centres sociaux et espaces de vie sociale "
                  f"{dataset.reference.of_departement}, recensés par les enquêtes du projet « valorisation et "
                  "développement des liens École – Centres sociaux » (Fédération "
                  f"des centres sociaux {dataset.reference.of_departement} et association École et Famille). "
                  f"Vagues d'enquête disponibles : {waves_text}. "
                  "Les chiffres sont ceux du tableau de bord Passerelles, calculés de la même façon.", "body"),
        paragraph(f"Chiffres clés de la vague {wave}", "h1"),
        headline_cards(figures.headlines, width),
        Spacer(1, 8),
    ]
    sections = ["1. Évolution d'une vague à l'autre", "2. Les intercommunalités", "3. Chaque intercommunalité",
                "4. Leviers, freins, fréquence et qualité des liens"]
    if free_text:
        sections.append("5. Pistes proposées par les répondants")
    sections.append(f"{len(sections) + 1}. Méthode et définitions")
    map_width = width - 58 * mm
    story.append(side_by_side([map_panel(dataset, figures, (map_width / mm, 72), legend_height_mm=17, legend_columns=3),
                               [Spacer(1, 8), paragraph("Sommaire", "h2"), *[paragraph(s, "body") for s in sections]]],
                              [map_width + 6 * mm, width - map_width - 6 * mm]))

    # 1. Evolution
    story += [PageBreak(), paragraph(sections[0], "h1"), paragraph(
        "Les chiffres clés de chaque vague, pour l'ensemble du département. Une part d'établissements liés compte "
        "des établissements ; la part de liens satisfaisants repose sur des réponses et n'est pas montrée sous "
        "5 réponses.", "body"), Spacer(1, 2)]
    rows = _impact_rows(figures.impact)
    first = width * 0.46
    story += [data_table(rows, [first] + [(width - first) / (len(rows[0]) - 1)] * (len(rows[0]) - 1),
                         right=set(range(1, len(rows[0])))), Spacer(1, 10)]
    story += _evolution_figures(figures.impact, width_mm)

    # 2. EPCI: map and table
    story += [PageBreak(), paragraph(sections[1], "h1"),
              paragraph(f"Part des établissements scolaires ayant au moins un lien, par intercommunalité, vague {wave} "
                        "(même calcul que la carte du tableau de bord). Les numéros renvoient au tableau.", "body")]
    values = {r["territoire"]: float(r["couverture"]) for r in in_wave.to_dict("records") if r["territoire"] != OVERALL}
    all_communes = dataset.reference.communes["code_insee"].tolist()
    centres = centres_in(figures.view, all_communes)
    epci_names = dataset.reference.epci["epci_nom"].tolist()
    fig = coverage_map(dataset, "epci", values, epci_names, centres, (width_mm, 100), legend_height_mm=15,
                       legend_columns=4, numbers=numbers)
    story += [figure_image(fig), Spacer(1, 6)]
    epci_rows, spans = _epci_rows(in_wave, numbers)
    widths = [w * mm for w in (8, 46, 16, 16, 16, 16, 13, 19)]
    story.append(data_table(epci_rows, [*widths, width - sum(widths)], right=set(range(2, 9)), spans=spans,
                            bold_last=True))
    story.append(paragraph(f"Qualité moyenne et liens hebdomadaires : « {SMALL_COUNT_NOTE} » quand l'intercommunalité "
                           "compte moins de 5 réponses dans la vague.", "small"))

    # 3. One table per EPCI
    story += [PageBreak(), paragraph(sections[2], "h1"),
              paragraph("Les chiffres clés de chaque intercommunalité, calculés comme ceux du département (page des "
                        "chiffres clés du tableau de bord, intercommunalité choisie).", "body"), Spacer(1, 2)]
    for name in sorted(epcis, key=lambda n: numbers[n]):
        story.append(_epci_table(dataset, name, numbers[name], wave, width))

    # 4. Leviers, freins, frequency and quality
    story += [PageBreak(), paragraph(sections[3], "h1")]
    for list_name, title in (("leviers", "Ce qui fait que ça marche : les leviers"),
                             ("freins", "Ce qui freine : les freins")):
        table = figures.levers[f"{list_name}_cote"]
        overall = overall_rows(table)
        base = count_or_secret(overall["base"].iloc[0]) if len(overall) else 0
        fig, note = side_bar_chart(table, list_name, (width_mm, 78), 62)
        singular = list_name[:-1]
        story += panel(title, f"Part des réponses de chaque côté citant chaque {singular} (plusieurs réponses "
                               "possibles), les plus cités d'abord",
                       f"{N_EQ}{count_text(base, 'réponse', 'réponses')} citant au moins un {singular}", fig)
        if note:
            story.append(paragraph(note, "small"))
        story.append(Spacer(1, 6))
    half = (width - 6 * mm) / 2
    pair = side_by_side([frequency_panel(figures, (half / mm, 34), 28), quality_panel(figures, (half / mm, 34), 28)],
                        [half + 6 * mm, half])
    story += [CondPageBreak(60 * mm), pair]

    # 5. Pistes (comité only), then method
    story.append(PageBreak())
    if free_text:
        heading, *quotes = pistes_block(figures.view, sections[4], "h1", limit=8)
        story += [heading, paragraph(f"Les pistes les plus citées en {wave} (phrases identiques regroupées), sans "
                                     "nom de personne ni de structure. Version réservée au comité de pilotage.",
                                     "body"),
                  *quotes, Spacer(1, 10)]
    story += [paragraph(sections[-1], "h1"), paragraph(method_text(figures), "body"), paragraph("Définitions", "h2")]
    story += [Paragraph(f"<b>{escape(h.label)}</b>{NBSP}: {escape(french_spaces(h.help))}", report_styles()["body"])
              for h in figures.headlines]
    story += [
        paragraph("Petits effectifs", "h2"),
        paragraph("Une part ou une moyenne qui repose sur moins de 5 réponses n'est pas publiée "
                  f"(« {SMALL_COUNT_NOTE} ») : trop peu de réponses pour dire quelque chose, et trop près d'une "
                  "réponse individuelle. Les nombres d'établissements, de liens et de structures ne sont pas "
                  "concernés.", "body"),
        paragraph("Réponses libres", "h2"),
        paragraph("Ce document reprend quelques pistes formulées par les répondants, sans nom de personne ni de "
                  "structure." if free_text else "Ce document ne contient aucune réponse libre (ressources, outils, "
                                                 "pistes, commentaires) : seulement des chiffres agrégés.", "body"),
        paragraph("Sources", "h2"), paragraph(source_line(dataset, generated), "body"),
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
        draw_footer(canvas, footer, dataset.is_demo, REPORT_MARGINS["left"], f"page {number} sur {total}")

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=REPORT_MARGINS["left"], rightMargin=REPORT_MARGINS["right"],
        topMargin=REPORT_MARGINS["top"], bottomMargin=footer_top(footer, dataset.is_demo) + 4 * mm, lang="fr-FR",
        title=f"Rapport départemental — {department} — vague {wave}", author="Passerelles", creator="Passerelles",
        subject=f"{PROJECT} : rapport départemental")
    document.build(story, canvasmaker=numbered_canvas(decorate))
    return buffer.getvalue()
