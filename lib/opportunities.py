"""« Où agir ? »: where a link could be built, where one weakens, blank zones — every rule and threshold.

Distances are straight lines in metres between Lambert-93 positions
(EPSG:2154, projected with pyproj). The projection's scale error is below
0.01 % around 49° N (the Val d'Oise lies on its northern standard parallel)
and within −0.1 % / +0.3 % anywhere in metropolitan France: under 5 m at
1.5 km. An equirectangular shortcut would be as good in one département but
not France-wide, and pyproj is already pinned.

A structure without its own coordinates (placed at its town hall, flagged
« position approximative ») is never counted in a distance: it is listed
apart. Neighbours are found with a shapely ``STRtree`` (no Python double loop).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from urllib.parse import quote
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
import pyproj
import shapely

from lib.filters import ALL_WAVES, View, among, apply_filters
from lib import formatting
from lib.formatting import format_int, format_percent
from lib.metrics import link_summary
from lib.network import BROKER_EXPLANATION, network_by_territory, network_figures
from lib.questionnaire import load_questionnaire
from lib.territories import territory_column

# --- rules and thresholds (one place; the page and the tests read them from here)
RADIUS_M = 1500  # default « à proximité »: straight line, set by the user
RADIUS_CHOICES_M = (500, 3000)  # the page's slider bounds
CENTRE_MIN_NEAR = 5  # a centre is compared with the schools around it only when there are this many
CENTRE_MAX_SHARE = 0.25  # … and flagged when it works with fewer than this share of them
QUALITY_DROP = 1.0  # a link « weakened »: its mean quality fell by a level or more
DIFFICULT_MAX = 1.5  # one side rates the link « difficile » (level 1, half a level of margin)
SATISFIED_MIN = 3.0  # … while the other is satisfied (levels 3–4)
WORKS_MIN = 3  # « where the link works »: answers rating it 3 or 4
TOP_LEVERS = 3
TOP_PISTES = 2
LAMBERT_93 = "EPSG:2154"
_TO_L93 = pyproj.Transformer.from_crs("EPSG:4326", LAMBERT_93, always_xy=True)

CARD_URL = "Carte?structure="
KINDS = {
    "ecole_sans_lien": "École sans lien près d'un centre",
    "centre_peu_partenaire": "Centre avec peu d'écoles partenaires",
    "lien_disparu": "Lien disparu",
    "lien_affaibli": "Lien affaibli",
    "perceptions_opposees": "Perceptions opposées",
    "zone_blanche": "Commune sans aucun lien",
}
# Priority education first: REP+ (1), REP (2), others (3).
EP_PRIORITY = {"REP+": 1, "REP": 2}
OTHER_PRIORITY = 3


@lru_cache(maxsize=4096)
def format_decimal(value: float, digits: int = 1) -> str:
    """``formatting.format_decimal``, cached: qualities are a handful of values repeated thousands of times."""
    return formatting.format_decimal(value, digits)


@lru_cache(maxsize=4096)
def format_km(metres: float) -> str:
    """``1500`` → ``1,5 km``; ``1000`` → ``1 km`` (cached: distances repeat, by the tenth of a kilometre)."""
    text = format_decimal(round(metres / 1000, 1), 1)
    return f"{text[:-2] if text.endswith(',0') else text}\u00a0km"


def ep_priority(values: pd.Series) -> np.ndarray:
    """1 for REP+, 2 for REP, 3 otherwise."""
    return values.astype(object).map(EP_PRIORITY).fillna(OTHER_PRIORITY).to_numpy(dtype=np.int64)


# --------------------------------------------------------------------------- distances


def placed(structures: pd.DataFrame) -> np.ndarray:
    """Structures with their own coordinates (not at 0,0, not placed at the town hall)."""
    lat, lon = structures["latitude"].to_numpy(float), structures["longitude"].to_numpy(float)
    own = ~structures["position_approximative"].to_numpy(dtype=bool) if "position_approximative" in structures \
        else np.ones(len(structures), dtype=bool)
    return own & np.isfinite(lat) & np.isfinite(lon) & ~((lat == 0) & (lon == 0))


def lambert93(structures: pd.DataFrame) -> np.ndarray:
    """(x, y) in metres, Lambert-93; NaN for structures not :func:`placed`."""
    ok = placed(structures)
    xy = np.full((len(structures), 2), np.nan)
    if ok.any():
        lon, lat = structures["longitude"].to_numpy(float)[ok], structures["latitude"].to_numpy(float)[ok]
        x, y = _TO_L93.transform(lon, lat)
        xy[ok] = np.column_stack([x, y])
    return xy


def pairs_within(a: np.ndarray, b: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (i, j) with ``a[i]`` and ``b[j]`` at most ``radius_m`` apart (rows with NaN never match), in no set order.

    An ``STRtree`` of the larger set queried in bulk with a square around each
    point of the smaller one (fewer queries for the same pairs), a squared
    distance to drop the square's corners, then the exact ``hypot`` on what is
    left (the distance the rules compare and show). Faster than the tree's
    ``dwithin``.
    """
    ia, ib = np.flatnonzero(np.isfinite(a).all(axis=1)), np.flatnonzero(np.isfinite(b).all(axis=1))
    if not len(ia) or not len(ib):
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    pa, pb = a[ia], b[ib]
    swap = len(pa) > len(pb)
    tree_points, query_points = (pa, pb) if swap else (pb, pa)
    tree = shapely.STRtree(shapely.points(tree_points))
    x, y = query_points[:, 0], query_points[:, 1]
    q, t = tree.query(shapely.box(x - radius_m, y - radius_m, x + radius_m, y + radius_m))
    qx, qy = np.ascontiguousarray(x), np.ascontiguousarray(y)
    tx, ty = np.ascontiguousarray(tree_points[:, 0]), np.ascontiguousarray(tree_points[:, 1])
    dx, dy = qx.take(q) - tx.take(t), qy.take(q) - ty.take(t)
    # A hair of margin: the squared test only thins the candidates, hypot decides.
    close = np.flatnonzero(dx * dx + dy * dy <= (radius_m * (1 + 1e-9)) ** 2)
    distance = np.hypot(dx.take(close), dy.take(close))
    keep = close[distance <= radius_m]
    distance = distance[distance <= radius_m]
    q, t = q.take(keep), t.take(keep)
    if swap:
        q, t = t, q
    return ia.take(q), ib.take(t), distance


# --------------------------------------------------------------------------- the analysis


@dataclass
class WhereAnalysis:
    """Everything « Où agir ? » shows; tables in French, ready to display and export."""

    radius_m: float
    wave: str
    before: str | None
    opportunities: pd.DataFrame  # every kind, ranked
    schools: pd.DataFrame  # schools with no link near a centre
    centres: pd.DataFrame  # every centre: partners, schools near, share reached, flagged or not
    changes: pd.DataFrame  # links weakened or gone
    gaps: pd.DataFrame  # one side difficult, the other satisfied
    blank_communes: pd.DataFrame
    blank_epci: pd.DataFrame
    far_schools: pd.DataFrame  # per commune: schools with no centre within the radius
    network: pd.DataFrame  # per structure
    territories: pd.DataFrame  # per territory: density, share linked, groups, isolated pairs, brokers
    unplaced: pd.DataFrame  # structures left out of distances
    figures: pd.DataFrame  # per structure, internal ids: partners, broker… (map and card)


def _links(reponses: pd.DataFrame) -> pd.DataFrame:
    return reponses[["ecole_id", "centre_id"]].drop_duplicates().reset_index(drop=True)


def waves_compared(waves: list[str], wave: str) -> tuple[str | None, str | None]:
    """(before, after): the chosen wave and the one before it; the last two when every wave is chosen."""
    if not waves:
        return None, None
    after = waves[-1] if wave == ALL_WAVES or wave not in waves else wave
    index = waves.index(after)
    return (waves[index - 1] if index else None), after


def _who(names: pd.Series, communes: pd.Series, ids) -> np.ndarray:
    """« Name (commune) » of each identifier."""
    ids = pd.Series(ids, dtype=object)
    return (ids.map(names).fillna(ids) + " (" + ids.map(communes).fillna("") + ")").to_numpy(dtype=object)


def card_link(structure_id: str) -> str:
    """The map page opened on a structure's card (relative: works behind any base path).

    Identifiers are URL-safe by construction (UAI, or letters, digits, ``-_.``: ``dataset.STRUCTURE_ID_PATTERN``).
    """
    return CARD_URL + structure_id


def card_links(ids: pd.Series) -> np.ndarray:
    """:func:`card_link` of many identifiers at once."""
    return (CARD_URL + ids.astype(str)).to_numpy(dtype=object)


def commune_link(commune: str) -> str:
    """The map page opened on a commune's card (the map's default level is the commune)."""
    return f"Carte?zone={quote(commune)}"


def _most_cited(cited: pd.DataFrame, top: int) -> dict:
    """Per territory ``t`` (and ``None``: all of them), the ``top`` values of ``c`` cited most (ties: alphabetical)."""
    if cited.empty:
        return {}
    overall = cited.assign(t="\x00ensemble")
    counts = pd.concat([cited.dropna(subset=["t"]), overall]).value_counts(["t", "c"]).rename("n").reset_index()
    counts = counts.sort_values(["t", "n", "c"], ascending=[True, False, True], kind="stable")
    best = counts.groupby("t", sort=False).head(top).groupby("t", sort=False)["c"].agg(list).to_dict()
    best[None] = best.pop("\x00ensemble", [])
    return best


def what_works(reponses: pd.DataFrame, territory_of_school: dict, with_pistes: bool) -> tuple[dict, dict]:
    """Per territory: the most cited leviers where links work (quality ≥ WORKS_MIN), and the most cited pistes.

    Returns:
        (territory → « levier ; levier », territory → « piste / piste »), with
        ``None`` holding the whole view's answer (a territory with too little).
    """
    labels = load_questionnaire()["leviers"].labels
    good = reponses[(reponses["qualite"].astype("Float64") >= WORKS_MIN).fillna(False).to_numpy(dtype=bool)]
    territory = good["ecole_id"].map(territory_of_school).to_numpy(dtype=object)
    lengths = good["leviers"].map(len).to_numpy(dtype=np.int64)
    cited = pd.DataFrame({"t": np.repeat(territory, lengths),
                          "c": np.fromiter(chain.from_iterable(good["leviers"].tolist()), dtype=object,
                                           count=int(lengths.sum()))})
    lever_text = {k: " ; ".join(labels.get(c, c) for c in v) for k, v in _most_cited(cited, TOP_LEVERS).items()}
    piste_text: dict = {}
    if with_pistes:
        texts = good["pistes"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        said = texts != ""
        piste_text = {k: " / ".join(v) for k, v in
                      _most_cited(pd.DataFrame({"t": territory[said], "c": texts[said]}), TOP_PISTES).items()}
    return lever_text, piste_text


def analyse(view: View, centres: pd.DataFrame, wave: str, column: str, radius_m: float = RADIUS_M,
            with_pistes: bool = False) -> WhereAnalysis:
    """Every opportunity, blank zone and network figure of the view.

    Args:
        view: the filtered data over **every** wave (links of ``wave`` are
            taken from it; the wave before serves the changes).
        centres: the centres to measure distances to (every centre of the
            chosen types, the territory filter aside: a centre just over
            the border is still near).
        wave: the chosen wave (``ALL_WAVES``: links of every wave, changes
            between the last two).
        column: the structures' column naming the territory.
        radius_m: « à proximité », in metres.
        with_pistes: add the most cited pistes (free text: comité de pilotage only).
    """
    schools = view.schools.reset_index(drop=True)
    centres = centres.drop_duplicates("id").reset_index(drop=True)
    reponses = view.reponses
    waves = sorted(reponses["vague"].dropna().unique().tolist())
    before, after = waves_compared(waves, wave)
    current = reponses if wave == ALL_WAVES else reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
    links = _links(current)
    structures = pd.concat([schools, centres, view.structures]).drop_duplicates("id")
    names = pd.Series(structures["nom"].to_numpy(dtype=object), index=structures["id"].to_numpy(dtype=object))
    communes = pd.Series(structures["commune"].fillna("").to_numpy(dtype=object), index=names.index)
    territory_of_school = dict(zip(schools["id"].tolist(), schools[column].tolist()))
    levers, pistes = what_works(reponses, territory_of_school, with_pistes)
    near_km = format_km(radius_m)

    # Who is near whom.
    school_xy, centre_xy = lambert93(schools), lambert93(centres)
    si, ci, distance = pairs_within(school_xy, centre_xy, radius_m)
    n_centres_near = np.bincount(si, minlength=len(schools))
    n_schools_near = np.bincount(ci, minlength=len(centres))
    nearest = np.full(len(schools), np.inf)
    np.minimum.at(nearest, si, distance)
    is_linked = among(schools["id"], links["ecole_id"])
    partners_of_centre = links.groupby("centre_id")["ecole_id"].nunique()
    # Linked pairs within the radius: the links' own distances.
    lk_s = pd.Index(schools["id"].to_numpy(dtype=object)).get_indexer(links["ecole_id"].to_numpy(dtype=object))
    lk_c = pd.Index(centres["id"].to_numpy(dtype=object)).get_indexer(links["centre_id"].to_numpy(dtype=object))
    both = (lk_s >= 0) & (lk_c >= 0)
    link_distance = np.full(len(links), np.nan)
    link_distance[both] = np.hypot(*(school_xy[lk_s[both]] - centre_xy[lk_c[both]]).T)
    near_link = link_distance <= radius_m
    near_partners = np.bincount(lk_c[near_link], minlength=len(centres))

    ep = schools["education_prioritaire"].astype(object).fillna("")
    priority = ep_priority(schools["education_prioritaire"])

    # 1. Schools with no link and a centre near.
    chosen = (~is_linked) & (n_centres_near > 0)
    school_rows = pd.DataFrame({
        "id": schools["id"], "priorite": priority, "École": schools["nom"], "Type": schools["type"].astype(str),
        "Éducation prioritaire": ep, "Commune": schools["commune"], "Intercommunalité": schools["epci_nom"],
        "Territoire": schools[column], "Centres à proximité": n_centres_near,
        "Centre le plus proche (m)": np.where(np.isfinite(nearest), np.round(nearest), np.nan),
    })[chosen].sort_values(["priorite", "Centres à proximité", "Centre le plus proche (m)", "École"],
                           ascending=[True, False, True, True], kind="stable")
    type_labels = load_questionnaire()["types_structure"].labels
    school_rows["Type"] = school_rows["Type"].map(type_labels)

    # 2. Centres with few partner schools among those around them.
    share = np.where(n_schools_near > 0, near_partners / np.maximum(n_schools_near, 1), np.nan)
    flagged = (n_schools_near >= CENTRE_MIN_NEAR) & (share < CENTRE_MAX_SHARE)
    # The priority of a centre: the best priority among the nearby schools it does not reach.
    # Counted per level (nearby schools minus nearby partners), not pair by pair: millions of pairs at scale.
    levels = OTHER_PRIORITY
    around = np.bincount(ci * levels + priority[si] - 1, minlength=len(centres) * levels)
    partners = np.bincount(lk_c[near_link] * levels + priority[lk_s[near_link]] - 1, minlength=len(centres) * levels)
    unreached = (around - partners).reshape(len(centres), levels) > 0
    centre_priority = np.where(unreached.any(axis=1), unreached.argmax(axis=1) + 1, OTHER_PRIORITY)
    centre_rows = pd.DataFrame({
        "id": centres["id"], "priorite": centre_priority, "Centre": centres["nom"],
        "Type": centres["type"].astype(str).map(type_labels), "Commune": centres["commune"],
        "Intercommunalité": centres["epci_nom"],
        "Écoles partenaires": centres["id"].map(partners_of_centre).fillna(0).astype(int).to_numpy(),
        "Écoles à proximité": n_schools_near, "Dont partenaires": near_partners,
        "Part des écoles proches partenaires": share, "Peu de partenaires": flagged,
    })
    # Structures of another filter type or territory are not judged: only the view's centres.
    in_view = set(view.structures.loc[view.structures["famille"] == "centre", "id"].tolist())
    centre_rows = centre_rows[centre_rows["id"].isin(in_view).to_numpy(dtype=bool)]

    # 3. Links weakened or gone between two waves.
    changes = _changes(reponses, before, after, names, communes)
    # 4. One side difficult, the other satisfied.
    gaps = _opposed(current, names, communes)

    # 5. Blank zones.
    by_commune = pd.DataFrame({"Commune": schools["commune"], "Intercommunalité": schools["epci_nom"],
                               "lien": is_linked, "proche": n_centres_near > 0, "place": placed(schools),
                               "ep": priority < OTHER_PRIORITY, "prio": priority})
    communes_table = by_commune.groupby(["Commune", "Intercommunalité"], observed=True).agg(
        ecoles=("lien", "size"), liees=("lien", "sum"), ep=("ep", "sum"),
        placees=("place", "sum"), proches=("proche", "sum"), priorite=("prio", "min")).reset_index()
    blank_communes = communes_table[communes_table["liees"] == 0].rename(columns={
        "ecoles": "Écoles", "ep": "Dont éducation prioritaire", "proches": f"Écoles à moins de {near_km} d'un centre"})
    blank_communes = blank_communes.drop(columns=["liees", "placees"]).sort_values(
        ["priorite", "Dont éducation prioritaire", "Écoles"], ascending=[True, False, False], kind="stable")
    epci = by_commune.groupby("Intercommunalité", observed=True).agg(ecoles=("lien", "size"), liees=("lien", "sum"))
    blank_epci = epci[epci["liees"] == 0].reset_index().rename(columns={"ecoles": "Écoles"})[["Intercommunalité",
                                                                                             "Écoles"]]
    far = communes_table.assign(loin=communes_table["placees"] - communes_table["proches"])
    far_schools = far[far["loin"] > 0].rename(columns={
        "ecoles": "Écoles", "loin": f"Écoles sans centre à moins de {near_km}"})[
        ["Commune", "Intercommunalité", "Écoles", f"Écoles sans centre à moins de {near_km}"]]
    far_schools = far_schools.assign(**{"Toutes les écoles placées": far["loin"] == far["placees"]}).sort_values(
        f"Écoles sans centre à moins de {near_km}", ascending=False, kind="stable")

    # The shape of the network.
    figures = network_figures(links)
    centre_ids = pd.Index(centres["id"].to_numpy(dtype=object))
    at = centre_ids.get_indexer(figures["id"].to_numpy(dtype=object))
    found_centre = at >= 0
    figures = figures.assign(
        part_ecoles_proches=np.where(found_centre, share[at], np.nan),
        ecoles_proches=np.where(found_centre, n_schools_near[at], 0),
        partenaires_proches=np.where(found_centre, near_partners[at], 0))
    network = _network_table(figures, structures, type_labels)
    territories = _territory_table(schools, structures, column, is_linked, n_centres_near, near_link, lk_s, figures)

    unplaced = pd.concat([schools, centres]).drop_duplicates("id")
    unplaced = unplaced[~placed(unplaced)]
    unplaced = pd.DataFrame({"Structure": unplaced["nom"], "Type": unplaced["type"].astype(str).map(type_labels),
                             "Commune": unplaced["commune"], "Fiche": card_links(unplaced["id"])})

    opportunities = _ranked(school_rows, centre_rows[centre_rows["Peu de partenaires"]], changes, gaps,
                            blank_communes, near_km, levers, pistes, territory_of_school, schools, column,
                            centres, with_pistes)
    return WhereAnalysis(
        radius_m=radius_m, wave=wave, before=before, opportunities=opportunities,
        schools=_public(school_rows), centres=_public(centre_rows), changes=changes.drop(columns=["_ids"]),
        gaps=gaps.drop(columns=["_ids"]), blank_communes=blank_communes.drop(columns=["priorite"]),
        blank_epci=blank_epci,
        far_schools=far_schools, network=network, territories=territories, unplaced=unplaced, figures=figures,
    )


def _public(table: pd.DataFrame) -> pd.DataFrame:
    """A list for display and export: the card link instead of internal columns."""
    out = table.drop(columns=["priorite"]).reset_index(drop=True)
    out["Fiche"] = card_links(out.pop("id"))
    return out


def _changes(reponses: pd.DataFrame, before: str | None, after: str | None, names: dict, communes: dict
             ) -> pd.DataFrame:
    """Links that lost QUALITY_DROP or more, or whose partner was not cited any more, between two waves.

    A link is « gone » only when one of its two structures answered in the
    later wave without citing the other: a link nobody was asked about is
    not a lost link.
    """
    columns = ["Évolution", "École", "Centre", "Qualité avant", "Qualité après", "Fiche", "_ids"]
    if before is None or after is None:
        return pd.DataFrame(columns=columns)
    summary = link_summary(reponses[reponses["vague"].isin([before, after]).to_numpy(dtype=bool)])
    key = ["ecole_id", "centre_id"]
    first = summary.loc[(summary["vague"] == before).to_numpy(dtype=bool), [*key, "qualite"]]
    second = summary.loc[(summary["vague"] == after).to_numpy(dtype=bool), [*key, "qualite"]]
    both = first.merge(second, on=key, how="left", suffixes=("_avant", "_apres"), indicator=True)
    kept = (both["_merge"] == "both").to_numpy(dtype=bool)
    answered = reponses.loc[(reponses["vague"] == after).to_numpy(dtype=bool), "repondant_id"]
    asked = among(both["ecole_id"], answered) | among(both["centre_id"], answered)
    drop = (both["qualite_avant"] - both["qualite_apres"]).to_numpy(dtype=float)
    weakened = kept & (np.nan_to_num(drop, nan=-np.inf) >= QUALITY_DROP)
    gone = ~kept & asked
    chosen = both[weakened | gone]
    table = pd.DataFrame({"Évolution": np.where(weakened[weakened | gone], "Lien affaibli", "Lien disparu"),
                          "ecole": chosen["ecole_id"].to_numpy(dtype=object),
                          "centre": chosen["centre_id"].to_numpy(dtype=object),
                          "Qualité avant": chosen["qualite_avant"].to_numpy(dtype=float),
                          "Qualité après": np.where(weakened[weakened | gone],
                                                    chosen["qualite_apres"].to_numpy(dtype=float), np.nan)})
    table = table.sort_values(["Évolution", "Qualité avant"], ascending=[True, False], kind="stable")
    return pd.DataFrame({
        "Évolution": table["Évolution"], "École": _who(names, communes, table["ecole"]),
        "Centre": _who(names, communes, table["centre"]),
        "Qualité avant": table["Qualité avant"].astype(float).round(1),
        "Qualité après": table["Qualité après"].astype(float).round(1),
        "Fiche": card_links(table["ecole"]), "_ids": list(zip(table["ecole"], table["centre"])),
    }, columns=columns)


def _opposed(current: pd.DataFrame, names: dict, communes: dict) -> pd.DataFrame:
    """Links one side rates difficult (≤ DIFFICULT_MAX) while the other is satisfied (≥ SATISFIED_MIN)."""
    summary = link_summary(current)
    low = summary[["qualite_ecole", "qualite_centre"]].min(axis=1)
    high = summary[["qualite_ecole", "qualite_centre"]].max(axis=1)
    chosen = summary[(summary["deux_cotes"] & (low <= DIFFICULT_MAX) & (high >= SATISFIED_MIN)).to_numpy(dtype=bool)]
    chosen = chosen.sort_values("ecart_perception", ascending=False, kind="stable")
    return pd.DataFrame({
        "Vague": chosen["vague"].astype(str), "École": _who(names, communes, chosen["ecole_id"]),
        "Centre": _who(names, communes, chosen["centre_id"]),
        "Qualité selon l'école": chosen["qualite_ecole"].round(1),
        "Qualité selon le centre": chosen["qualite_centre"].round(1),
        "Fiche": card_links(chosen["ecole_id"]), "_ids": list(zip(chosen["ecole_id"], chosen["centre_id"])),
    }).reset_index(drop=True)


def _network_table(figures: pd.DataFrame, structures: pd.DataFrame, type_labels: dict) -> pd.DataFrame:
    info = structures.drop_duplicates("id").set_index("id")
    ordered = figures.sort_values(["courtier", "structures_dependantes", "partenaires"], ascending=False,
                                  kind="stable")
    return pd.DataFrame({
        "Structure": ordered["id"].map(info["nom"]),
        "Type": ordered["id"].map(info["type"].astype(str)).map(type_labels),
        "Commune": ordered["id"].map(info["commune"]),
        "Partenaires": ordered["partenaires"],
        "Part des écoles proches partenaires": ordered["part_ecoles_proches"],
        f"Relie des groupes ({BROKER_EXPLANATION})": np.where(ordered["courtier"], "oui", ""),
        "Structures qui en dépendent": ordered["structures_dependantes"],
        "Structures du groupe": ordered["taille_groupe"],
        "Paire isolée": np.where(ordered["paire_isolee"], "oui", ""),
        "Fiche": card_links(ordered["id"]),
    }).reset_index(drop=True)


def proximity_by_territory(schools: pd.DataFrame, column: str, is_linked: np.ndarray, n_centres_near: np.ndarray,
                           near_link: np.ndarray, link_school: np.ndarray) -> pd.DataFrame:
    """Per territory: ``paires_proches`` (school–centre pairs within the radius), ``liens_proches`` (linked
    among them), ``densite`` (their ratio), ``ecoles_proches`` (schools with a centre near) and
    ``couverture_proche`` (share of those with a link)."""
    territory = schools[column].to_numpy(dtype=object)
    near = n_centres_near > 0
    frame = pd.DataFrame({"territoire": territory, "paires": n_centres_near, "proche": near,
                          "proche_lie": near & is_linked})
    table = frame.groupby("territoire").agg(paires_proches=("paires", "sum"), ecoles_proches=("proche", "sum"),
                                            ecoles_proches_liees=("proche_lie", "sum"))
    counted = near_link & (link_school >= 0)
    linked_near = pd.Series(territory[link_school[counted]]).value_counts() if counted.any() else pd.Series(dtype=int)
    table["liens_proches"] = linked_near.reindex(table.index).fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["densite"] = np.where(table["paires_proches"] > 0, table["liens_proches"] / table["paires_proches"],
                                    np.nan)
        table["couverture_proche"] = np.where(table["ecoles_proches"] > 0,
                                              table["ecoles_proches_liees"] / table["ecoles_proches"], np.nan)
    return table.reset_index()


def _territory_table(schools, structures, column, is_linked, n_centres_near, near_link, link_school, figures):
    table = proximity_by_territory(schools, column, is_linked, n_centres_near, near_link, link_school)
    counts = pd.DataFrame({"territoire": schools[column], "lie": is_linked}).groupby("territoire").agg(
        ecoles=("lie", "size"), liees=("lie", "sum"))
    table = table.merge(counts.reset_index(), on="territoire", how="left")
    table = table.merge(network_by_territory(figures, schools, structures, column), on="territoire", how="left")
    for name in ("groupes", "paires_isolees", "courtiers"):
        table[name] = table[name].fillna(0).astype(int)
    return pd.DataFrame({
        "Territoire": table["territoire"], "Écoles": table["ecoles"], "Écoles liées": table["liees"],
        "Part des écoles liées": table["liees"] / table["ecoles"],
        "Paires école – centre proches": table["paires_proches"], "Dont liées": table["liens_proches"],
        "Densité des liens": table["densite"], "Groupes": table["groupes"],
        "Paires isolées": table["paires_isolees"], "Structures qui relient des groupes": table["courtiers"],
    }).sort_values("Territoire", kind="stable").reset_index(drop=True)


def _ranked(school_rows, centre_rows, changes, gaps, blank_communes, near_km, levers, pistes, territory_of_school,
            schools, column, centres, with_pistes) -> pd.DataFrame:
    """Every opportunity in one list: priority education first, then kinds in turn (each ranked within).

    Plain lists (``tolist`` first): iterating Arrow-backed columns element by
    element costs seconds at national scale.
    """
    ep_of = dict(zip(schools["id"].tolist(), ep_priority(schools["education_prioritaire"]).tolist()))
    epci_of = {**dict(zip(centres["id"].tolist(), centres["epci_nom"].tolist())),
               **dict(zip(schools["id"].tolist(), schools["epci_nom"].tolist()))}
    territory_of = {**dict(zip(centres["id"].tolist(), centres[column].tolist())), **territory_of_school}
    rows: dict[str, list] = {"priorite": [], "rang": [], "ordre": [], "Occasion": [], "Qui": [], "Pourquoi": [],
                             "Intercommunalité": [], "territoire": [], "Fiche": []}

    def add(kind: str, priority: list[int], why: list[str], who: list[str], ids: list, epci: list | None = None,
            links: list[str] | None = None) -> None:
        seen: Counter = Counter()
        for p in priority:  # rank within the kind and the priority level (the list is sorted already)
            rows["rang"].append(seen[p])
            seen[p] += 1
        rows["priorite"] += priority
        rows["ordre"] += [list(KINDS).index(kind)] * len(priority)
        rows["Occasion"] += [KINDS[kind]] * len(priority)
        rows["Pourquoi"] += why
        rows["Qui"] += who
        rows["Intercommunalité"] += epci if epci is not None else [epci_of.get(i) for i in ids]
        rows["territoire"] += [territory_of.get(i) for i in ids]
        rows["Fiche"] += links if links is not None else [card_link(i) for i in ids]

    s = {name: school_rows[name].tolist() for name in school_rows}
    add("ecole_sans_lien", s["priorite"],
        [f"{format_int(n)} centre(s) à moins de {near_km}, le plus proche à {format_km(d)} ; aucun lien recensé"
         + (f" ; {e}" if e else "") for n, d, e in zip(s["Centres à proximité"], s["Centre le plus proche (m)"],
                                                        s["Éducation prioritaire"])],
        [f"{n} ({c})" for n, c in zip(s["École"], s["Commune"])], s["id"])
    ordered = centre_rows.sort_values(["priorite", "Dont partenaires", "Écoles à proximité"],
                                      ascending=[True, True, False], kind="stable")
    c = {name: ordered[name].tolist() for name in ordered}
    add("centre_peu_partenaire", c["priorite"],
        [f"{format_int(p)} école(s) partenaire(s) sur {format_int(n)} à moins de {near_km} ({format_percent(r, 0)})"
         for p, n, r in zip(c["Dont partenaires"], c["Écoles à proximité"], c["Part des écoles proches partenaires"])],
        [f"{n} ({m})" for n, m in zip(c["Centre"], c["Commune"])], c["id"])
    for kind, label in (("lien_disparu", "Lien disparu"), ("lien_affaibli", "Lien affaibli")):
        chosen = changes[(changes["Évolution"] == label).to_numpy(dtype=bool)]
        ids = [i[0] for i in chosen["_ids"].tolist()]
        before, after = chosen["Qualité avant"].tolist(), chosen["Qualité après"].tolist()
        why = ([f"qualité {format_decimal(a, 1)} puis {format_decimal(b, 1)}" for a, b in zip(before, after)]
               if label == "Lien affaibli" else
               [f"cité en vague précédente (qualité {format_decimal(a, 1)}), plus cité depuis" for a in before])
        add(kind, [ep_of.get(i, OTHER_PRIORITY) for i in ids], why,
            [f"{e} · {c}" for e, c in zip(chosen["École"].tolist(), chosen["Centre"].tolist())], ids)
    ids = [i[0] for i in gaps["_ids"].tolist()]
    add("perceptions_opposees", [ep_of.get(i, OTHER_PRIORITY) for i in ids],
        [f"l'école note {format_decimal(a, 1)}, le centre {format_decimal(b, 1)} (sur 4)"
         for a, b in zip(gaps["Qualité selon l'école"].tolist(), gaps["Qualité selon le centre"].tolist())],
        [f"{e} · {c}" for e, c in zip(gaps["École"].tolist(), gaps["Centre"].tolist())], ids)
    blank = {name: blank_communes[name].tolist() for name in blank_communes}
    add("zone_blanche", blank["priorite"],
        [f"{format_int(n)} école(s), dont {format_int(e)} en éducation prioritaire, et aucun lien recensé"
         for n, e in zip(blank["Écoles"], blank["Dont éducation prioritaire"])],
        blank["Commune"], [None] * len(blank["Commune"]), epci=blank["Intercommunalité"],
        links=[commune_link(name) for name in blank["Commune"]])
    order = np.lexsort((np.asarray(rows["ordre"]), np.asarray(rows["rang"]), np.asarray(rows["priorite"])))
    labels = {1: "REP+", 2: "REP", OTHER_PRIORITY: ""}
    territory = [rows["territoire"][i] for i in order.tolist()]
    out = {"Priorité": [labels[rows["priorite"][i]] for i in order.tolist()]}
    for name in ("Occasion", "Qui", "Pourquoi", "Intercommunalité"):
        out[name] = [rows[name][i] for i in order.tolist()]
    out["Ce qui marche ailleurs (leviers)"] = [levers.get(t) or levers.get(None, "") for t in territory]
    if with_pistes:
        out["Pistes citées"] = [pistes.get(t) or pistes.get(None, "") for t in territory]
    out["Fiche"] = [rows["Fiche"][i] for i in order.tolist()]
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in out.items()})


def where_analysis(dataset, filters, radius_m: float = RADIUS_M, with_pistes: bool = False) -> WhereAnalysis:
    """:func:`analyse` for a data set and the sidebar filters (the page's and the bench's entry point).

    Links come from the chosen wave; the wave before it serves the changes;
    centres of the chosen types are measured to whatever their territory.
    """
    every_wave = apply_filters(dataset, replace(filters, wave=ALL_WAVES))
    centre_types = load_questionnaire().centre_types
    chosen = [t for t in filters.types if t in centre_types] or centre_types
    structures = dataset.structures
    centres = structures[(structures["famille"] == "centre").to_numpy(dtype=bool)
                         & structures["type"].isin(chosen).to_numpy(dtype=bool)]
    return analyse(every_wave, centres, filters.wave, territory_column(filters.level), radius_m, with_pistes)


def sheets(analysis: WhereAnalysis) -> dict[str, pd.DataFrame]:
    """Every list of the page, one XLSX sheet each."""
    return {"Occasions": analysis.opportunities, "Écoles sans lien": analysis.schools, "Centres": analysis.centres,
            "Liens fragilisés": analysis.changes, "Perceptions opposées": analysis.gaps,
            "Communes sans lien": analysis.blank_communes, "EPCI sans lien": analysis.blank_epci,
            "Écoles loin d'un centre": analysis.far_schools, "Réseau": analysis.network,
            "Territoires": analysis.territories, "Sans coordonnées": analysis.unplaced}

