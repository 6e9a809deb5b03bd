"""Aggregations of survey answers: links, key figures, small-count suppression.

A **link** is the pair (school, centre) in one survey wave. Both sides may
answer about it; their views are combined: mean quality, highest frequency,
union of forms, objects, leviers and freins, and the perception gap between
the two sides when both answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.filters import View, among
from lib.formatting import format_decimal
from lib.questionnaire import load_questionnaire

LINK_KEY = ["vague", "ecole_id", "centre_id"]
MULTI_COLUMNS = ("formes", "objets", "leviers", "freins")


def _union(values: pd.Series, group: np.ndarray, n_groups: int) -> list[list[str]]:
    """Per group, the union of the codes of a multi-valued column, in questionnaire order.

    Plain Python: pandas' per-group aggregation costs ~40 µs a group.
    """
    sets: list[set[str]] = [set() for _ in range(n_groups)]
    for index, codes in zip(group, values):
        sets[index].update(codes)
    rank = _code_rank(str(values.name))
    last = len(rank)
    return [sorted(codes, key=lambda c: (rank.get(c, last), c)) for codes in sets]


def _code_rank(column: str) -> dict[str, int]:
    choices = load_questionnaire().for_column("reponses", column)
    return {code: rank for rank, code in enumerate(choices.codes)} if choices else {}


def aggregate_links(reponses: pd.DataFrame, with_codes: bool = True) -> pd.DataFrame:
    """One row per link and wave, combining the answers of both sides.

    Returns:
        Columns ``vague``, ``ecole_id``, ``centre_id``, ``n_reponses``,
        ``deux_cotes`` (both sides answered), ``qualite`` (mean of all
        answers), ``qualite_ecole``, ``qualite_centre``, ``ecart_perception``
        (absolute gap between the sides' mean quality, when both answered),
        ``frequence`` (highest), and the unions ``formes``, ``objets``,
        ``leviers``, ``freins`` (left empty when ``with_codes`` is False,
        which the map does for speed).
    """
    columns = [*LINK_KEY, "n_reponses", "deux_cotes", "qualite", "qualite_ecole", "qualite_centre",
               "ecart_perception", "frequence", *MULTI_COLUMNS]
    if reponses.empty:
        return pd.DataFrame(columns=columns)
    answers = reponses.assign(qualite_f=reponses["qualite"].astype("Float64"))
    grouped = answers.groupby(LINK_KEY, sort=True, observed=True)
    links = grouped.agg(
        n_reponses=("reponse_id", "size"),
        n_cotes=("cote", "nunique"),
        qualite=("qualite_f", "mean"),
        frequence=("frequence", "max"),
    )
    by_side = answers.pivot_table(index=LINK_KEY, columns="cote", values="qualite_f", aggfunc="mean", observed=True)
    by_side = by_side.reindex(links.index)
    links["qualite_ecole"] = by_side["ecole"] if "ecole" in by_side else pd.NA
    links["qualite_centre"] = by_side["centre"] if "centre" in by_side else pd.NA
    links["deux_cotes"] = links.pop("n_cotes") >= 2
    links["ecart_perception"] = (links["qualite_ecole"] - links["qualite_centre"]).abs()
    if with_codes:
        group = grouped.ngroup().to_numpy()
        for column in MULTI_COLUMNS:
            links[column] = _union(answers[column], group, len(links))
    else:
        for column in MULTI_COLUMNS:
            links[column] = [[] for _ in range(len(links))]
    return links.reset_index()[columns]


@dataclass(frozen=True)
class KeyFigures:
    """The home page's headline numbers for the current view."""

    schools: int
    centres: int
    answers: int
    links: int
    waves: int
    schools_linked: int

    @property
    def share_schools_linked(self) -> float | None:
        return self.schools_linked / self.schools if self.schools else None


def key_figures(view: View) -> KeyFigures:
    """Structures, answers, distinct links and schools with at least one link, in the view."""
    reponses = view.reponses
    links = reponses[LINK_KEY].drop_duplicates()
    return KeyFigures(
        schools=len(view.schools),
        centres=int((view.structures["famille"] == "centre").sum()),
        answers=len(reponses),
        links=len(links),
        waves=reponses["vague"].nunique(),
        schools_linked=int(among(view.schools["id"], reponses["ecole_id"]).sum()),
    )



# Below this many answers a mean or a share is not shown: too few to mean
# anything, and close to pointing at one respondent. One rule, used everywhere.
MIN_ANSWERS = 5
SMALL_COUNT_NOTE = "moins de 5 réponses"


@dataclass(frozen=True)
class Indicator:
    """A figure a territory can be coloured by."""

    code: str
    label: str
    unit: str
    kind: str  # "count", "share" (0–1) or "mean"
    needs_answers: bool  # subject to the small-count rule


INDICATORS: dict[str, Indicator] = {
    "liens": Indicator("liens", "Nombre de liens école – centre social", "liens", "count", False),
    "couverture": Indicator("couverture", "Part des établissements scolaires ayant au moins un lien", "%",
                            "share", False),
    "qualite": Indicator("qualite", "Qualité moyenne des liens", "de 1 (difficile) à 4 (très satisfaisante)",
                         "mean", True),
    "hebdomadaire": Indicator("hebdomadaire", "Part des liens hebdomadaires ou plus", "%", "share", True),
    "reponses": Indicator("reponses", "Nombre de réponses", "réponses", "count", False),
}


def indicators_by_territory(view: View, links: pd.DataFrame, column: str) -> pd.DataFrame:
    """Every indicator per territory (a link belongs to its school's territory).

    Args:
        view: the filtered data.
        links: ``aggregate_links(view.reponses)``.
        column: the structures' column naming the territory (see
            ``territories.territory_column``).

    Returns:
        One row per territory holding at least one school of the view, with
        ``ecoles``, ``ecoles_liees``, ``reponses``, ``liens`` (distinct
        school–centre pairs), ``couverture``, ``qualite``, ``hebdomadaire``
        and ``masque`` (fewer than MIN_ANSWERS answers: means and shares
        resting on answers are blanked).
    """
    schools = view.schools[["id", column]].rename(columns={column: "territoire"})
    school_territory = schools.set_index("id")["territoire"]
    per_school = schools.groupby("territoire", observed=True).size().rename("ecoles")
    linked = schools[among(schools["id"], view.reponses["ecole_id"])].groupby("territoire", observed=True).size()
    answers = view.reponses["ecole_id"].map(school_territory).value_counts()
    weekly_code = load_questionnaire()["frequences"].codes[-1]
    link_rows = links.assign(territoire=links["ecole_id"].map(school_territory),
                             hebdo=(links["frequence"] == weekly_code).astype(float))
    by_link = link_rows.groupby("territoire", observed=True)
    table = pd.DataFrame({
        "ecoles": per_school,
        "ecoles_liees": linked,
        "reponses": answers,
        "liens": link_rows.drop_duplicates(["territoire", "ecole_id", "centre_id"]).groupby("territoire").size(),
        "qualite": by_link["qualite"].mean() if len(link_rows) else pd.Series(dtype=float),
        "hebdomadaire": by_link["hebdo"].mean() if len(link_rows) else pd.Series(dtype=float),
    })
    table = table[table["ecoles"].notna()]
    for column_name in ("ecoles_liees", "reponses", "liens"):
        table[column_name] = table[column_name].fillna(0).astype(int)
    table["ecoles"] = table["ecoles"].astype(int)
    table["couverture"] = table["ecoles_liees"] / table["ecoles"]
    table["masque"] = table["reponses"] < MIN_ANSWERS
    for name, indicator in INDICATORS.items():
        if indicator.needs_answers:
            table[name] = table[name].astype("Float64").mask(table["masque"])
    table.index.name = "territoire"
    return table.reset_index()


@dataclass(frozen=True)
class StructureCard:
    """What the map shows beside itself when a structure is clicked."""

    id: str
    nom: str
    type_label: str
    famille: str
    commune: str
    epci: str
    education_prioritaire: str
    qpv: str
    position_approximative: bool
    partners: pd.DataFrame
    free_text: pd.DataFrame


def _quality_text(row: pd.Series, labels: dict[str, str]) -> str:
    if pd.isna(row["qualite"]):
        return "non renseignée"
    text = f"{labels.get(str(int(round(float(row['qualite'])))), '')} ({format_decimal(float(row['qualite']), 1)})"
    if row["deux_cotes"] and pd.notna(row["qualite_ecole"]) and pd.notna(row["qualite_centre"]):
        text += (f" — école {format_decimal(float(row['qualite_ecole']), 1)}, "
                 f"centre {format_decimal(float(row['qualite_centre']), 1)}")
    return text


def structure_card(structures: pd.DataFrame, reponses: pd.DataFrame, structure_id: str) -> StructureCard | None:
    """A structure's identity and its partners per wave (all waves, both sides combined).

    Args:
        structures: the data set's structures (territories assigned).
        reponses: the answers to look in (the page passes every wave).
        structure_id: the structure clicked.
    """
    found = structures[structures["id"] == structure_id]
    if found.empty:
        return None
    s = found.iloc[0]
    q = load_questionnaire()
    own = "ecole_id" if s["famille"] == "ecole" else "centre_id"
    other = "centre_id" if own == "ecole_id" else "ecole_id"
    answers = reponses[reponses[own] == structure_id]
    links = aggregate_links(answers)
    names = structures.set_index("id")
    forms, frequencies, qualities = q["formes"].labels, q["frequences"].labels, q["qualites"].labels
    types = q["types_structure"].labels
    partners = pd.DataFrame({
        "Vague": links["vague"],
        "Partenaire": links[other].map(names["nom"]),
        "Type": links[other].map(names["type"].astype(str)).map(types),
        "Commune": links[other].map(names["commune"]),
        "Formes": links["formes"].map(lambda codes: ", ".join(forms.get(c, c) for c in codes)),
        "Fréquence": links["frequence"].astype(object).map(frequencies).fillna("non renseignée"),
        "Qualité": links.apply(_quality_text, axis=1, labels=qualities) if len(links) else pd.Series(dtype=str),
        "Réponses": links["n_reponses"],
    }).sort_values(["Vague", "Partenaire"], ascending=[False, True], ignore_index=True)
    text_columns = {"ressources": "Ressources", "outils": "Outils", "pistes": "Pistes", "commentaire": "Commentaire"}
    texts = answers[answers[list(text_columns)].ne("").any(axis=1)]
    free_text = pd.DataFrame({
        "Vague": texts["vague"],
        "Partenaire": texts[other].map(names["nom"]),
        "Répondu par": texts["cote"].map({"ecole": "l'école", "centre": "le centre"}),
        **{label: texts[column] for column, label in text_columns.items()},
    }).sort_values(["Vague", "Partenaire"], ascending=[False, True], ignore_index=True)
    ep = s["education_prioritaire"]
    return StructureCard(
        id=structure_id, nom=str(s["nom"]), type_label=types.get(str(s["type"]), str(s["type"])),
        famille=str(s["famille"]), commune=str(s["commune"]), epci=str(s["epci_nom"]),
        education_prioritaire="" if pd.isna(ep) else str(ep), qpv=str(s["qpv"]),
        position_approximative=bool(s["position_approximative"]), partners=partners, free_text=free_text,
    )
