"""What a report shows about one scope and wave, taken from the app's own tables (``lib.impact``, ``lib.metrics``)."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass, replace

import pandas as pd

from lib.dataset import Dataset
from lib.filters import ALL_WAVES, Filters, View, apply_filters
from lib.formatting import format_date, format_int
from lib.impact import Headline, headlines, impact_by_wave, method_facts
from lib.metrics import OVERALL, SMALL_COUNT_NOTE, lever_analyses, link_analyses
from lib.reports.scope import Scope
from lib.reports.wording import count_text
from lib.secrecy import secret_method_text
from lib.territories import territory_column


TOP_CODES = 5
PISTES_SHOWN = 4
PISTE_MAX_CHARS = 170


@dataclass(frozen=True)
class Figures:
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


def check_wave(dataset: Dataset, wave: str) -> None:
    """Raise ValueError (in French) when the data set has no such wave."""
    if wave not in dataset.waves:
        known = ", ".join(dataset.waves) or "aucune"
        raise ValueError(f"Vague inconnue : « {wave} ». Vagues du jeu de données : {known}.")


def scope_figures(dataset: Dataset, scope: Scope, wave: str) -> Figures:
    """The figures of ``scope`` in ``wave`` (and across every wave, for the headlines' change)."""
    filters = Filters(wave=ALL_WAVES, level=scope.level, territories=scope.territories)
    view_all = apply_filters(dataset, filters)
    view = apply_filters(dataset, replace(filters, wave=wave))
    impact = impact_by_wave(view_all)
    column = territory_column(scope.level)
    return Figures(scope, wave, view_all, view, impact, headlines(impact, wave), link_analyses(view, column),
                   lever_analyses(view, column), method_facts(view))


def overall_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ``lib.metrics`` table for the whole scope (group ``OVERALL``)."""
    return table[(table["groupe"] == OVERALL).to_numpy(dtype=bool)]


def top_pistes(view: View, limit: int = PISTES_SHOWN) -> list[tuple[str, int]]:
    """The pistes cited most often in the view (sentence by sentence), shortened; anonymous."""
    counts: Counter[str] = Counter()
    for text in view.reponses["pistes"].fillna("").astype(str).tolist():
        for sentence in re.split(r"(?<=[.!?…])\s+", text.strip()):
            sentence = " ".join(sentence.split())
            if len(sentence) >= 12:
                counts[sentence] += 1
    ranked = sorted(counts, key=lambda s: (-counts[s], len(s), s))[:limit]
    return [(textwrap.shorten(s, PISTE_MAX_CHARS, placeholder=" […]"), counts[s]) for s in ranked]


def centres_in(view: View, communes: list[str]) -> pd.DataFrame:
    """The view's centres sociaux and EVS located in ``communes`` (INSEE codes)."""
    structures = view.structures
    keep = (structures["famille"] == "centre").to_numpy(dtype=bool) & \
        structures["commune_insee"].isin(communes).to_numpy(dtype=bool)
    return structures.loc[keep, ["type", "latitude", "longitude"]].dropna()


def method_text(figures: Figures) -> str:
    """The « Méthode » paragraph: what was counted, and what is masked (small counts, or the secret)."""
    facts = figures.facts
    if facts.get("secret"):  # the funders' version: the rule of the statistical secret, no count of interviews
        return ("Un lien est un couple école – centre social ; il compte dans le territoire de son école. "
                "« Satisfaisant ou mieux » : qualité moyenne du lien (les deux côtés confondus) d'au moins 3 sur 4. "
                + secret_method_text(int(facts["secret"])))
    modes = ", ".join(f"{label[:1].lower()}{label[1:]} {format_int(n)}" for label, n in facts["modes"].items() if n)
    period = (f" entre le {format_date(facts['debut'])} et le {format_date(facts['fin'])}"
              if facts["debut"] is not None and pd.notna(facts["debut"]) else "")
    return (f"{count_text(facts['reponses'], 'réponse recueillie', 'réponses recueillies')}{period}"
            f"{f' ({modes})' if modes else ''} : {format_int(facts['cote_ecole'])} côté école, "
            f"{format_int(facts['cote_centre'])} côté centre social. Un lien est un couple école – centre "
            "social ; il compte dans le territoire de son école. « Satisfaisant ou mieux » : qualité moyenne du "
            "lien (les deux côtés confondus) d'au moins 3 sur 4. Toute part ou moyenne reposant sur moins de 5 "
            f"réponses est masquée (« {SMALL_COUNT_NOTE} ») ; les parts d'établissements liés comptent des "
            "établissements et ne le sont pas.")
