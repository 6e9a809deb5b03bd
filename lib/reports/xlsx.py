"""The aggregates behind the reports as an Excel workbook: one sheet per chart, never per-link lists."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pandas as pd

from lib.charts import Chart, evolution_charts, lever_charts, link_charts
from lib.dataset import Dataset
from lib.export import to_xlsx_bytes
from lib.filters import ALL_WAVES, Filters, View, apply_filters
from lib.formatting import format_date
from lib.impact import impact_by_wave, impact_table
from lib.metrics import SMALL_COUNT_NOTE
from lib.reports.figures import check_wave
from lib.reports.scope import Scope
from lib.reports.wording import DEMO_LABEL, PROJECT, source_line
from lib.territories import LEVELS


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
    check_wave(dataset, wave)
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
         ("Source", source_line(dataset, generated))]
        + [(f"Feuille « {title} »", description) for title, description in contents],
        columns=["Rubrique", "Contenu"])
    return to_xlsx_bytes({"À lire": about, **sheets})
