"""Aggregations of survey answers: links, key figures, small-count suppression.

A **link** is the pair (school, centre) in one survey wave. Both sides may
answer about it; their views are combined: mean quality, highest frequency,
union of forms, objects, leviers and freins, and the perception gap between
the two sides when both answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.filters import View

LINK_KEY = ["vague", "ecole_id", "centre_id"]
MULTI_COLUMNS = ("formes", "objets", "leviers", "freins")


def _union(column: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """Per link, the sorted union of the codes of a multi-valued column."""
    exploded = pd.concat([keys, column.rename("code")], axis=1).explode("code").dropna(subset=["code"])
    grouped = exploded.groupby(LINK_KEY, sort=False)["code"].agg(lambda codes: sorted(set(codes)))
    return grouped


def aggregate_links(reponses: pd.DataFrame) -> pd.DataFrame:
    """One row per link and wave, combining the answers of both sides.

    Returns:
        Columns ``vague``, ``ecole_id``, ``centre_id``, ``n_reponses``,
        ``deux_cotes`` (both sides answered), ``qualite`` (mean of all
        answers), ``qualite_ecole``, ``qualite_centre``, ``ecart_perception``
        (absolute gap between the sides' mean quality, when both answered),
        ``frequence`` (highest), and the unions ``formes``, ``objets``,
        ``leviers``, ``freins``.
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
    links["qualite_ecole"] = by_side["ecole"] if "ecole" in by_side else pd.NA
    links["qualite_centre"] = by_side["centre"] if "centre" in by_side else pd.NA
    links["deux_cotes"] = links.pop("n_cotes") >= 2
    links["ecart_perception"] = (links["qualite_ecole"] - links["qualite_centre"]).abs()
    keys = answers[LINK_KEY]
    for column in MULTI_COLUMNS:
        union = _union(answers[column], keys)
        links[column] = union.reindex(links.index)
        links[column] = links[column].map(lambda v: v if isinstance(v, list) else [])
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
        schools_linked=int(view.schools["id"].isin(reponses["ecole_id"]).sum()),
    )

