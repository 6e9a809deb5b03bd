"""The French wording every report shares: project name, version lines, counts, source line."""

from __future__ import annotations

from datetime import date

import pandas as pd

from lib.dataset import Dataset
from lib.formatting import NBSP, format_date, format_int
from lib.secrecy import secret_note


PROJECT = "Liens École – Centres sociaux"
N_EQ = f"n{NBSP}={NBSP}"
PDF_MIME = "application/pdf"
DEMO_LABEL = "Données de démonstration — structures et réponses fictives"
FUNDER_LINE = "Version financeurs : aucune réponse libre, petits effectifs masqués (moins de 5 réponses)."
COMITE_LINE = ("Version comité de pilotage : extraits anonymes de réponses libres (pistes), à ne pas diffuser "
               "hors du comité ; petits effectifs masqués (moins de 5 réponses).")


def count_text(n: object, singular: str, plural: str) -> str:
    """``1 réponse``, ``0 réponse``, ``12 réponses`` (French: 0 and 1 take the singular)."""
    if isinstance(n, str):  # « secret »
        return f"{n} ({plural})"
    value = 0 if n is None or pd.isna(n) else int(n)
    return f"{format_int(value)} {singular if abs(value) <= 1 else plural}"


def french_spaces(text: str) -> str:
    """« guillemets » never left alone at the end or the start of a line."""
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


def source_line(dataset: Dataset, generated: date | None = None) -> str:
    """The sources (surveys, reference data and licence), and the production date when given."""
    millesime = dataset.reference.meta.get("millesime")
    reference = f"communes et contours {millesime}" if millesime else "communes et contours"
    line = f"Source : enquêtes « {PROJECT} » ; {reference} : INSEE, IGN (ADMIN EXPRESS COG), Licence Ouverte 2.0."
    return line + (f" Document produit par Passerelles le {format_date(generated)}." if generated else "")


def version_line(dataset: Dataset, free_text: bool) -> str:
    """The footer's line saying which version this is; the funders' copy states its own K (never a fixed 5)."""
    if free_text:
        return COMITE_LINE
    if dataset.secret is not None:
        return f"Version financeurs : aucune réponse libre, {secret_note(dataset.secret.k)}."
    return FUNDER_LINE
