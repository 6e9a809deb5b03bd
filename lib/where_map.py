"""« Où agir ? » on the map and its cards: proximity indicators, the opportunity layer's points, card lines.

Kept apart from ``lib/opportunities.py`` (the rules) to keep both short; the
rules and thresholds all live there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.filters import View, among
from lib.formatting import format_int
from lib.network import BROKER_EXPLANATION
from lib.opportunities import (CARD_URL, KINDS, RADIUS_M, WhereAnalysis, format_km, lambert93, pairs_within, placed,
                               proximity_by_territory)


def proximity_indicators(view: View, column: str, radius_m: float = RADIUS_M) -> pd.DataFrame:
    """The map's two proximity indicators per territory: ``densite`` and ``couverture_proche``.

    The view's schools against the view's centres (the map's points),
    links of the view's answers.
    """
    schools = view.schools.reset_index(drop=True)
    centres = view.structures[(view.structures["famille"] == "centre").to_numpy(dtype=bool)].reset_index(drop=True)
    school_xy, centre_xy = lambert93(schools), lambert93(centres)
    si, _ci, _d = pairs_within(school_xy, centre_xy, radius_m)
    n_centres_near = np.bincount(si, minlength=len(schools))
    links = view.reponses[["ecole_id", "centre_id"]].drop_duplicates()
    lk_s = pd.Index(schools["id"].to_numpy(dtype=object)).get_indexer(links["ecole_id"].to_numpy(dtype=object))
    lk_c = pd.Index(centres["id"].to_numpy(dtype=object)).get_indexer(links["centre_id"].to_numpy(dtype=object))
    both = (lk_s >= 0) & (lk_c >= 0)
    near_link = np.zeros(len(links), dtype=bool)
    near_link[both] = np.hypot(*(school_xy[lk_s[both]] - centre_xy[lk_c[both]]).T) <= radius_m
    table = proximity_by_territory(schools, column, among(schools["id"], links["ecole_id"]), n_centres_near,
                                   near_link, lk_s)
    return table[["territoire", "densite", "couverture_proche"]]


def structure_lines(figures: pd.DataFrame, structure_id: str, radius_m: float = RADIUS_M) -> tuple[str, ...]:
    """What the map's card says of a structure's place in the network, in plain French (no « betweenness »)."""
    rows = figures[(figures["id"] == structure_id).to_numpy(dtype=bool)]
    if rows.empty:
        return ("Partenaires dans la vague : 0 (aucun lien recensé)",)
    row = rows.iloc[0]
    lines = [f"Partenaires dans la vague : {format_int(row['partenaires'])}"]
    if row["ecoles_proches"] > 0:
        lines.append(f"{format_int(row['partenaires_proches'])} école(s) partenaire(s) sur "
                     f"{format_int(row['ecoles_proches'])} à moins de {format_km(radius_m)}")
    if row["courtier"]:
        lines.append(f"Elle {BROKER_EXPLANATION} : {format_int(row['structures_dependantes'])} structure(s) "
                     "ne seraient plus reliées au reste sans elle.")
    elif row["paire_isolee"]:
        lines.append("Paire isolée : son partenaire et elle ne sont liés à personne d'autre.")
    return tuple(lines)


def opportunity_points(analysis: WhereAnalysis, structures: pd.DataFrame) -> list[list]:
    """Points of the map's « Où agir ? » layer: [lat, lon, id, name, reason, kind] (kind 0: a school to link,
    1: a centre with few partners, 2: a structure that holds groups together). Texts are not escaped here."""
    placed_rows = structures[placed(structures)].drop_duplicates("id").set_index("id")
    points = []
    chosen = analysis.opportunities
    for kind, occasion in ((0, KINDS["ecole_sans_lien"]), (1, KINDS["centre_peu_partenaire"])):
        rows = chosen[(chosen["Occasion"] == occasion).to_numpy(dtype=bool)]
        for link, who, why in zip(rows["Fiche"].tolist(), rows["Qui"].tolist(), rows["Pourquoi"].tolist()):
            sid = link[len(CARD_URL):]
            if sid in placed_rows.index:
                points.append([float(placed_rows.at[sid, "latitude"]), float(placed_rows.at[sid, "longitude"]),
                               sid, who, why, kind])
    brokers = analysis.figures[analysis.figures["courtier"].to_numpy(dtype=bool)]
    for sid, depending in zip(brokers["id"].tolist(), brokers["structures_dependantes"].tolist()):
        if sid in placed_rows.index:
            points.append([float(placed_rows.at[sid, "latitude"]), float(placed_rows.at[sid, "longitude"]), sid,
                           str(placed_rows.at[sid, "nom"]),
                           f"{BROKER_EXPLANATION} ({format_int(depending)} structure(s) en dépendent)", 2])
    return points


def blank_zones(analysis: WhereAnalysis, area_level: str) -> list[str]:
    """The map's territories at ``area_level`` with schools and no link at all (« zones blanches »).

    Communes and EPCI from the analysis' blank lists; the project's own territories from its territory
    table, which is at the map's level whenever the map shows them (the filters' level).
    """
    if area_level == "commune":
        return analysis.blank_communes["Commune"].astype(str).tolist()
    if area_level == "epci":
        return analysis.blank_epci["Intercommunalité"].astype(str).tolist()
    table = analysis.territories
    chosen = (table["Écoles"] > 0) & (table["Écoles liées"] == 0)
    return table.loc[chosen.to_numpy(dtype=bool), "Territoire"].astype(str).tolist()


def map_layers(analysis: WhereAnalysis, structures: pd.DataFrame, area_level: str) -> dict:
    """What ``maps.build_map`` draws for « Où agir ? »: its keyword arguments ``opportunity_points``,
    ``network`` (points sized by partners, structures-relais haloed) and ``blank_zones``."""
    return {"opportunity_points": opportunity_points(analysis, structures), "network": analysis.figures,
            "blank_zones": blank_zones(analysis, area_level)}
