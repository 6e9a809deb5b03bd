"""Report panels: a drawing with its question, what it shows and its n, as searchable PDF text."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from reportlab.platypus import Flowable, Spacer

from lib.charts.layout import SECRET_ROW_NOTE, count_or_secret
from lib.dataset import Dataset
from lib.filters import View
from lib.formatting import format_decimal, format_int
from lib.metrics import SMALL_COUNT_NOTE, aggregate_links, indicators_by_territory
from lib.palette import OTHER_TYPE_COLOUR, QUALITY_COLOURS, SEQUENTIAL
from lib.questionnaire import load_questionnaire
from lib.reports.drawings import bar_chart, coverage_map, figure_image
from lib.reports.figures import Figures, PISTES_SHOWN, TOP_CODES, centres_in, overall_rows, top_pistes
from lib.reports.scope import scope_communes
from lib.reports.styles import ACCENT, BRAKE_COLOUR, LEVER_COLOUR, paragraph
from lib.reports.wording import N_EQ, count_text


def _hidden_note(rows: pd.DataFrame) -> str:
    """Why a panel is empty: the statistical secret (funders) or too few answers (comité)."""
    return SECRET_ROW_NOTE if "secret" in rows else SMALL_COUNT_NOTE


def panel(title: str, description: str, n_text: str, fig: Figure) -> list[Flowable]:
    """A chart with its question, what it shows and its n, as text of the PDF (searchable, read aloud)."""
    return [paragraph(title, "panel"), paragraph(description, "panel_n"), paragraph(n_text, "panel_n"), Spacer(1, 1),
            figure_image(fig)]


def frequency_panel(figures: Figures, size: tuple[float, float], label_mm: float) -> list[Flowable]:
    """Links by frequency (the highest declared), as bars."""
    choices = load_questionnaire()["frequences"]
    rows = overall_rows(figures.links["frequence"]).set_index("code")
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if rows["masque"].all() else None
    shares = [rows["part"].get(c) for c in choices.codes]
    colours = SEQUENTIAL[-len(choices.codes):] if len(choices.codes) <= len(SEQUENTIAL) else ACCENT
    fig = bar_chart([choices.label(c) for c in choices.codes], shares, colours, size, label_mm, message)
    return panel("À quel rythme les liens se font-ils ?", "Part des liens par fréquence (la plus haute déclarée)",
                 f"{N_EQ}{count_text(base, 'lien', 'liens')}", fig)


def quality_panel(figures: Figures, size: tuple[float, float], label_mm: float) -> list[Flowable]:
    """Answers by quality level, as bars, with the mean quality."""
    choices = load_questionnaire()["qualites"]
    rows = overall_rows(figures.links["qualite"]).set_index("code")
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    masked = not rows.empty and bool(rows["masque"].all())
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if masked else None
    mean = rows["moyenne"].iloc[0] if len(rows) else np.nan
    mean_text = f" · qualité moyenne {format_decimal(float(mean), 2)} sur 4" if pd.notna(mean) else ""
    fig = bar_chart([choices.label(c) for c in choices.codes], [rows["part"].get(c) for c in choices.codes],
                    [QUALITY_COLOURS.get(int(c), OTHER_TYPE_COLOUR) for c in choices.codes], size, label_mm, message)
    return panel("Les liens sont-ils jugés satisfaisants ?",
                 "Part des réponses par niveau de qualité (chaque côté compte)",
                 f"{N_EQ}{count_text(base, 'réponse', 'réponses')}{mean_text}", fig)


def top_codes_panel(figures: Figures, list_name: str, size: tuple[float, float], label_mm: float,
                    limit: int = TOP_CODES, wrap_at: int = 30) -> list[Flowable]:
    """The leviers (or freins) cited most often, as bars."""
    choices = load_questionnaire()[list_name]
    rows = overall_rows(figures.levers[f"{list_name}_cote"])
    base = count_or_secret(rows["base"].iloc[0]) if len(rows) else 0
    singular = "levier" if list_name == "leviers" else "frein"
    message = "aucune réponse" if rows.empty or base == 0 else _hidden_note(rows) if rows["masque"].all() else None
    top = rows[rows["n"].fillna(0) > 0].sort_values(["part", "code"], ascending=[False, True]).head(limit)
    colour = LEVER_COLOUR if list_name == "leviers" else BRAKE_COLOUR
    fig = bar_chart([choices.label(c) for c in top["code"]], top["part"].tolist(), colour, size, label_mm, message,
                    wrap_at=wrap_at)
    title = ("Ce qui fait que ça marche : les leviers les plus cités" if list_name == "leviers"
             else "Ce qui freine : les freins les plus cités")
    return panel(title, f"Part des réponses citant chaque {singular} (plusieurs réponses possibles)",
                 f"{N_EQ}{count_text(base, 'réponse', 'réponses')} citant au moins un {singular}", fig)


def map_panel(dataset: Dataset, figures: Figures, size: tuple[float, float], legend_height_mm: float = 21,
              legend_columns: int = 2) -> list[Flowable]:
    """The fiche's map: the scope's communes by share of schools with a link (as on the map page), centres."""
    communes = scope_communes(dataset, figures.scope)
    links = aggregate_links(figures.view.reponses, with_codes=False)
    table = indicators_by_territory(figures.view, links, "commune")
    by_name = dict(zip(table["territoire"].astype(str), table["couverture"].astype(float)))
    names = dict(zip(dataset.reference.communes["code_insee"], dataset.reference.communes["nom"]))
    values = {code: by_name[names[code]] for code in communes if names.get(code) in by_name}
    centres = centres_in(figures.view, communes)
    fig = coverage_map(dataset, "commune", values, communes, centres, size, legend_height_mm, legend_columns)
    schools = int(table["ecoles"].sum()) if len(table) else 0
    return panel("Où sont les établissements ayant un lien ?",
                 f"Part des établissements ayant au moins un lien, par commune, en {figures.wave}",
                 f"{N_EQ}{count_text(schools, 'établissement scolaire', 'établissements scolaires')} · "
                 f"{count_text(len(centres), 'centre social ou EVS', 'centres sociaux et EVS')} (points)", fig)


def pistes_block(view: View, heading: str, heading_style: str, limit: int = PISTES_SHOWN) -> list[Flowable]:
    """The pistes cited most often (comité de pilotage versions only), anonymous and escaped."""
    pistes = top_pistes(view, limit)
    blocks: list[Flowable] = [paragraph(heading, heading_style)]
    if not pistes:
        return blocks + [paragraph("Aucune piste n'a été proposée dans ce territoire pour cette vague.", "small")]
    for text, count in pistes:
        cited = f" — citée {format_int(count)} fois" if count > 1 else ""
        blocks.append(paragraph(f"« {text} »{cited}", "quote"))
    return blocks
