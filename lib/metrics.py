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

from lib import secrecy_tables as secrecy
from lib.filters import View, among
from lib.card_partners import PartnerRow, partner_rows
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
    # « Où agir ? » (lib/where_map.py), at the default distance of lib/opportunities.RADIUS_M.
    "densite": Indicator("densite", "Densité des liens : part des paires école – centre à moins de 1,5 km qui ont "
                         "un lien", "%", "share", False),
    "couverture_proche": Indicator("couverture_proche", "Part des écoles à moins de 1,5 km d'un centre qui ont "
                                   "un lien", "%", "share", False),
}
PROXIMITY_INDICATORS = ("densite", "couverture_proche")


def indicators_by_territory(view: View, links: pd.DataFrame, column: str, proximity: bool = False) -> pd.DataFrame:
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
        resting on answers are blanked); ``densite`` and ``couverture_proche``
        computed only when ``proximity`` (distances: the map asks, not the charts).
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
    table = table.reset_index()
    if proximity:
        from lib.where_map import proximity_indicators  # noqa: PLC0415  (it imports this module)

        table = table.merge(proximity_indicators(view, column), on="territoire", how="left")
    else:
        table = table.assign(**{name: np.nan for name in PROXIMITY_INDICATORS})
    if view.secret is not None:  # the funders' copy: no distance figure, secret figures blanked (lib/secrecy.py)
        table = secrecy.protect_indicators(view, table.assign(**{name: np.nan for name in PROXIMITY_INDICATORS}),
                                           column, OVERALL, weekly_code)
    return table


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
    closed: bool
    partners: tuple[PartnerRow, ...]  # one per partner and wave, newest wave first (lib.card_partners)
    free_text: pd.DataFrame
    network_lines: tuple[str, ...] = ()  # « Où agir ? »: partners in the wave, schools near, broker (plain French)


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
    names = structures.drop_duplicates("id").set_index("id")
    types = q["types_structure"].labels
    partners = partner_rows(links, other, names, q)
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
        position_approximative=bool(s["position_approximative"]), closed=s.get("statut", "") == "ferme",
        partners=partners, free_text=free_text,
    )


# --- analyses
# Tables behind the charts of « Liens par territoire », « Leviers et freins » and
# « Évolution ». Shares are long tables (one row per group and category) carrying
# the number of answers they rest on, so that one rule blanks them everywhere.
# Plain numpy on integer codes: the same tables at national scale (50,000
# answers a wave) in tens of milliseconds rather than seconds.

from lib.text import fold  # noqa: E402  (kept with the section it serves)

OVERALL = "Ensemble"
SIDES = {"ecole": "Côté école", "centre": "Côté centre social"}
TEXT_COLUMNS = {"ressources": "Ressources", "outils": "Outils", "pistes": "Pistes", "commentaire": "Commentaire"}
# Perception gaps are counted by steps of half a level (a side's view may be the mean of two answers).
GAP_STEP = 0.5


def suppress_small_counts(table: pd.DataFrame, values: list[str], count: str = "reponses") -> pd.DataFrame:
    """The small-count rule, for every chart and table: below MIN_ANSWERS answers, a value is not shown.

    Args:
        table: one row per figure shown (a territory, or a territory and a category).
        values: the columns to blank on the rows resting on too few answers.
        count: the column holding the number of answers each row rests on.

    Returns:
        A copy with ``values`` set to NaN (as floats) where ``count`` < MIN_ANSWERS,
        and ``masque`` flagging those rows (a row already flagged stays flagged).
    """
    out = table.copy()
    small = (pd.to_numeric(out[count], errors="coerce").fillna(0) < MIN_ANSWERS).to_numpy(dtype=bool, copy=True)
    if "masque" in out:
        small = small | out["masque"].fillna(False).to_numpy(dtype=bool)
    out["masque"] = small
    for column in values:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).where(~small)
    return out


def answer_territories(view: View, column: str) -> pd.Series:
    """Each answer's territory: its school's (the structures' ``column``)."""
    lookup = dict(zip(view.schools["id"].tolist(), view.schools[column].tolist()))
    return pd.Series([lookup.get(school) for school in view.reponses["ecole_id"].tolist()],
                     index=view.reponses.index, dtype=object, name="groupe")


def _unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy 2.4's hash-based unique takes 70 ms on 100,000 integers, this 2 ms."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _link_index(reponses: pd.DataFrame) -> np.ndarray:
    """An integer per link (wave, school, centre) for each answer, in order of first appearance."""
    if reponses.empty:
        return np.zeros(0, dtype=np.int64)
    return reponses.groupby(LINK_KEY, sort=False, observed=True).ngroup().to_numpy(dtype=np.int64)


def _first_of(unit: np.ndarray, values: np.ndarray, n_units: int, missing=-1) -> np.ndarray:
    """Per unit, the value of its first row."""
    out = np.full(n_units, missing, dtype=values.dtype if len(values) else np.int64)
    out[unit[::-1]] = values[::-1]
    return out


def _group_codes(groups: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of the groups (-1 for a missing group) and the group names, in order of appearance."""
    codes, names = pd.factorize(groups.astype(object), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), list(names)


def _ratings(reponses: pd.DataFrame) -> np.ndarray:
    """The quality of each answer as floats (NaN when not rated)."""
    return reponses["qualite"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _mean_by(index: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``values[mask]`` per ``index`` (NaN where nothing counts)."""
    sums = np.bincount(index[mask], weights=values[mask], minlength=size)
    counts = np.bincount(index[mask], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def link_summary(reponses: pd.DataFrame) -> pd.DataFrame:
    """``aggregate_links`` without the code lists, in a fraction of its time (same definitions).

    Returns:
        One row per link and wave, in order of first answer: ``vague``,
        ``ecole_id``, ``centre_id``, ``n_reponses``, ``deux_cotes``,
        ``qualite``, ``qualite_ecole``, ``qualite_centre``, ``ecart_perception``
        and ``frequence`` (highest).
    """
    link = _link_index(reponses)
    n = int(link.max()) + 1 if len(link) else 0
    rows = _first_of(link, np.arange(len(link)), n)
    rating = _ratings(reponses)
    rated = ~np.isnan(rating)
    side = reponses["cote"].astype(object).to_numpy()
    school, centre = side == "ecole", side == "centre"
    level = reponses["frequence"].cat.codes.to_numpy(dtype=np.int64)
    highest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(highest, link, level)
    out = pd.DataFrame({
        "vague": reponses["vague"].to_numpy(dtype=object)[rows],
        "ecole_id": reponses["ecole_id"].to_numpy(dtype=object)[rows],
        "centre_id": reponses["centre_id"].to_numpy(dtype=object)[rows],
        "n_reponses": np.bincount(link, minlength=n),
        "deux_cotes": (np.bincount(link[school], minlength=n) > 0) & (np.bincount(link[centre], minlength=n) > 0),
        "qualite": _mean_by(link, rating, rated, n),
        "qualite_ecole": _mean_by(link, rating, rated & school, n),
        "qualite_centre": _mean_by(link, rating, rated & centre, n),
        "frequence": pd.Categorical.from_codes(highest, dtype=reponses["frequence"].dtype),
    })
    out.insert(8, "ecart_perception", (out["qualite_ecole"] - out["qualite_centre"]).abs())
    return out


def _code_pairs(values: pd.Series, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row, code index) of every known code of a multi-valued column; unknown codes are left out."""
    rank = {code: i for i, code in enumerate(codes)}
    rows: list[int] = []
    found: list[int] = []
    for row, cited in enumerate(values.tolist()):
        for code in cited:
            j = rank.get(code)
            if j is not None:
                rows.append(row)
                found.append(j)
    return np.asarray(rows, dtype=np.int64), np.asarray(found, dtype=np.int64)


def _long_shares(names: list, codes: list[str], cited: np.ndarray, base: np.ndarray,
                 answers: np.ndarray) -> pd.DataFrame:
    """Long table groupe × code from count matrices (groups × codes, and per group), small counts blanked."""
    n_groups, n_codes = len(names), len(codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = cited / np.asarray(base, dtype=float)[:, None]
    table = pd.DataFrame({
        "groupe": np.repeat(np.asarray(names, dtype=object), n_codes),
        "code": np.tile(np.asarray(codes, dtype=object), n_groups),
        "n": cited.reshape(-1).astype(int),
        "base": np.repeat(np.asarray(base), n_codes).astype(int),
        "reponses": np.repeat(np.asarray(answers), n_codes).astype(int),
        "part": share.reshape(-1),
    })
    return suppress_small_counts(table, ["n", "part"])


def _shares_from_pairs(pairs: tuple[np.ndarray, np.ndarray], codes: list[str], groups: pd.Series,
                       unit: np.ndarray) -> pd.DataFrame:
    """``share_citing`` once the codes are found (so that one question serves several groupings)."""
    rows, found = pairs
    group, names = _group_codes(groups)
    n_groups, n_codes = len(names), len(codes)
    n_units = int(unit.max()) + 1 if len(unit) else 0
    unit_group = _first_of(unit, group, n_units)
    cited_pairs = _unique(unit[rows] * n_codes + found) if len(rows) else np.zeros(0, dtype=np.int64)
    pair_unit, pair_code = cited_pairs // n_codes, cited_pairs % n_codes
    keep = unit_group[pair_unit] >= 0
    pair_unit, pair_code = pair_unit[keep], pair_code[keep]
    cited = np.zeros((n_groups, n_codes), dtype=np.int64)
    np.add.at(cited, (unit_group[pair_unit], pair_code), 1)
    base = np.bincount(unit_group[_unique(pair_unit)], minlength=n_groups)
    answered = _unique(rows)
    answered = answered[group[answered] >= 0]
    answers = np.bincount(group[answered], minlength=n_groups)
    return _long_shares(names, codes, cited, base, answers)


def share_citing(reponses: pd.DataFrame, column: str, groups: pd.Series, by_link: bool = False) -> pd.DataFrame:
    """Per group and code of a multi-valued question, the share of answers (or links) citing the code.

    The base is what answered the question: the answers (or links) citing at
    least one code. A link cites a code when one of its answers does; with
    ``by_link`` the groups must not split a link (territories never do).

    Args:
        reponses: typed answers.
        column: ``formes``, ``objets``, ``leviers`` or ``freins``.
        groups: each answer's group, aligned on ``reponses``; answers without a group are left out.
        by_link: count links rather than answers.

    Returns:
        One row per group (in order of appearance) and code (questionnaire
        order): ``groupe``, ``code``, ``n`` (citing), ``base``, ``reponses``
        (answers in the base), ``part`` and ``masque``, small counts blanked.
    """
    codes = load_questionnaire().for_column("reponses", column).codes
    unit = _link_index(reponses) if by_link else np.arange(len(reponses), dtype=np.int64)
    return _shares_from_pairs(_code_pairs(reponses[column], codes), codes, groups, unit)


def frequency_by_group(reponses: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group, the links by frequency (a link's highest declared frequency).

    Returns:
        One row per group and frequency code: ``groupe``, ``code``, ``n``
        (links), ``base`` (links with a frequency), ``reponses`` (their
        answers), ``part`` and ``masque``, small counts blanked.
    """
    codes = load_questionnaire()["frequences"].codes
    group, names = _group_codes(groups)
    unit = _link_index(reponses)
    n_units = int(unit.max()) + 1 if len(unit) else 0
    highest = np.full(n_units, -1, dtype=np.int64)
    np.maximum.at(highest, unit, reponses["frequence"].cat.codes.to_numpy(dtype=np.int64))
    unit_group = _first_of(unit, group, n_units)
    known = (highest >= 0) & (unit_group >= 0)
    counts = np.zeros((len(names), len(codes)), dtype=np.int64)
    np.add.at(counts, (unit_group[known], highest[known]), 1)
    answered = (group >= 0) & known[unit]
    answers = np.bincount(group[answered], minlength=len(names))
    return _long_shares(names, codes, counts, counts.sum(axis=1), answers)


def quality_by_group(reponses: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group, the answers by quality level, and their mean.

    Every answer is a rating (a link answered by both sides counts twice),
    as usual for a Likert scale.

    Returns:
        One row per group and level (``code`` "1"–"4"): ``groupe``, ``code``,
        ``n``, ``base`` = ``reponses`` (rated answers), ``part``, ``moyenne``
        (the group's mean rating) and ``masque``, small counts blanked.
    """
    codes = load_questionnaire()["qualites"].codes
    group, names = _group_codes(groups)
    rating = _ratings(reponses)
    level = pd.Categorical(rating, categories=[float(code) for code in codes]).codes.astype(np.int64)
    rated = (group >= 0) & (level >= 0)
    counts = np.zeros((len(names), len(codes)), dtype=np.int64)
    np.add.at(counts, (group[rated], level[rated]), 1)
    answers = counts.sum(axis=1)
    table = _long_shares(names, codes, counts, answers, answers)
    table["moyenne"] = np.repeat(_mean_by(group, rating, rated, len(names)), len(codes))
    return suppress_small_counts(table, ["moyenne"])


def coverage_by_group(view: View, column: str) -> pd.DataFrame:
    """Per territory and éducation prioritaire group, the schools with at least one link.

    Coverage counts schools, not answers: like the map's indicator it is not
    subject to the small-count rule.

    Returns:
        ``groupe`` (territory, and ``OVERALL``), ``groupe_ep`` (REP+, REP,
        hors EP, and ``OVERALL`` for all of the territory's schools),
        ``ecoles``, ``ecoles_liees``, ``couverture``; only the pairs holding schools.
    """
    schools = view.schools
    linked = among(schools["id"], view.reponses["ecole_id"]).astype(np.int64)
    territory, territories = _group_codes(schools[column])
    ep, groups_ep = _group_codes(schools["education_prioritaire_groupe"])
    names, names_ep = [*territories, OVERALL], [*groups_ep, OVERALL]
    size, size_ep = len(names), len(names_ep)
    cell = np.concatenate([territory * size_ep + ep, territory * size_ep + size_ep - 1,
                           (size - 1) * size_ep + ep, np.full(len(ep), size * size_ep - 1)])
    cell_linked = np.tile(linked, 4)
    ok = np.tile((territory >= 0) & (ep >= 0), 4)
    schools_in = np.bincount(cell[ok], minlength=size * size_ep)
    linked_in = np.bincount(cell[ok], weights=cell_linked[ok], minlength=size * size_ep).astype(np.int64)
    table = pd.DataFrame({"groupe": np.repeat(np.asarray(names, dtype=object), size_ep),
                          "groupe_ep": np.tile(np.asarray(names_ep, dtype=object), size),
                          "ecoles": schools_in, "ecoles_liees": linked_in})
    table = table[table["ecoles"] > 0].reset_index(drop=True)
    table["couverture"] = table["ecoles_liees"] / table["ecoles"]
    return table


def _with_overall(reponses: pd.DataFrame, territories: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The answers twice: once by territory, once all together under ``OVERALL``.

    The second copy's waves are marked so that its links stay apart from the first's.
    """
    copy = reponses.assign(vague="*" + reponses["vague"].astype(str))
    both = pd.concat([reponses, copy], ignore_index=True)
    groups = pd.concat([territories, pd.Series(OVERALL, index=territories.index, dtype=object)], ignore_index=True)
    return both, groups


def link_analyses(view: View, column: str) -> dict[str, pd.DataFrame]:
    """Every table of « Liens par territoire »: frequency, forms, objects, quality, coverage.

    Frequency, quality and coverage include the ``OVERALL`` group (the whole
    view); forms and objects have theirs apart (``formes_ensemble``…).
    """
    territories = answer_territories(view, column)
    both, groups = _with_overall(view.reponses, territories)
    overall = pd.Series(OVERALL, index=view.reponses.index, dtype=object)
    links = _link_index(view.reponses)
    tables = {"frequence": frequency_by_group(both, groups), "qualite": quality_by_group(both, groups),
              "couverture": coverage_by_group(view, column)}
    for question in ("formes", "objets"):
        codes = load_questionnaire().for_column("reponses", question).codes
        pairs = _code_pairs(view.reponses[question], codes)
        tables[question] = _shares_from_pairs(pairs, codes, territories, links)
        tables[f"{question}_ensemble"] = _shares_from_pairs(pairs, codes, overall, links)
    if view.secret is not None:  # the funders' copy: secret figures blanked (lib/secrecy.py)
        tables = secrecy.protect_link_tables(view, tables, column, OVERALL)
    return tables


def quality_groups(reponses: pd.DataFrame) -> pd.Series:
    """Each answer's quality level as its French label (missing when not rated)."""
    labels = load_questionnaire()["qualites"].labels
    by_value = {float(code): label for code, label in labels.items()}
    return pd.Series([by_value.get(r) for r in _ratings(reponses).tolist()], index=reponses.index, dtype=object)


def perception_gaps(view: View, column: str) -> pd.DataFrame:
    """Links rated by both sides, with the gap between the school's and the centre's view.

    Returns:
        One row per link (wave, school, centre) rated by both sides:
        ``vague``, ``groupe`` (territory), ``ecole_id``, ``centre_id``,
        ``qualite_ecole``, ``qualite_centre``, ``ecart`` (school minus
        centre: positive when the school is the more positive side) and
        ``n_reponses``.
    """
    links = link_summary(view.reponses)
    rated = links[(links["deux_cotes"] & links["qualite_ecole"].notna() & links["qualite_centre"].notna())
                  .to_numpy(dtype=bool)]
    lookup = dict(zip(view.schools["id"].tolist(), view.schools[column].tolist()))
    return pd.DataFrame({
        "vague": rated["vague"].to_numpy(dtype=object),
        "groupe": [lookup.get(s) for s in rated["ecole_id"].tolist()],
        "ecole_id": rated["ecole_id"].to_numpy(dtype=object),
        "centre_id": rated["centre_id"].to_numpy(dtype=object),
        "qualite_ecole": rated["qualite_ecole"].to_numpy(dtype=float),
        "qualite_centre": rated["qualite_centre"].to_numpy(dtype=float),
        "ecart": (rated["qualite_ecole"] - rated["qualite_centre"]).to_numpy(dtype=float),
        "n_reponses": rated["n_reponses"].to_numpy(dtype=np.int64),
    })


def gap_distribution(gaps: pd.DataFrame) -> pd.DataFrame:
    """How many links rated by both sides show each gap, by half levels from -3 to +3.

    Returns:
        One row per step: ``ecart``, ``n`` (links), ``base`` (links rated by
        both sides), ``reponses`` (their answers: the whole distribution
        rests on them), ``part`` and ``masque``, small counts blanked.
    """
    steps = np.arange(-3, 3 + GAP_STEP, GAP_STEP)
    rounded = np.round(gaps["ecart"].to_numpy(dtype=float) / GAP_STEP) * GAP_STEP
    counts = np.array([(rounded == step).sum() for step in steps], dtype=np.int64)
    base = len(gaps)
    answers = int(gaps["n_reponses"].sum()) if base else 0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = counts / base if base else np.full(len(steps), np.nan)
    table = pd.DataFrame({"ecart": steps, "n": counts, "base": base, "reponses": answers, "part": share})
    return suppress_small_counts(table, ["n", "part"])


def lever_analyses(view: View, column: str) -> dict[str, pd.DataFrame]:
    """Every table of « Leviers et freins »: by side (and overall), by territory, by quality; perception gaps."""
    reponses = view.reponses
    groupings = {
        "territoire": answer_territories(view, column),
        "qualite": quality_groups(reponses),
        "cote": reponses["cote"].astype(object).map(SIDES),
        "ensemble": pd.Series(OVERALL, index=reponses.index, dtype=object),
    }
    answers = np.arange(len(reponses), dtype=np.int64)
    tables: dict[str, pd.DataFrame] = {}
    for question in ("leviers", "freins"):
        codes = load_questionnaire().for_column("reponses", question).codes
        pairs = _code_pairs(reponses[question], codes)
        shares = {name: _shares_from_pairs(pairs, codes, groups, answers) for name, groups in groupings.items()}
        tables[f"{question}_cote"] = pd.concat([shares["cote"], shares["ensemble"]], ignore_index=True)
        tables[f"{question}_territoire"] = shares["territoire"]
        tables[f"{question}_qualite"] = shares["qualite"]
    gaps = perception_gaps(view, column)
    tables["ecarts"] = gaps
    tables["ecarts_distribution"] = gap_distribution(gaps)
    if view.secret is not None:  # the funders' copy: secret figures blanked (lib/secrecy.py)
        tables = secrecy.protect_lever_tables(view, tables, column, OVERALL, SIDES,
                                              load_questionnaire()["qualites"].labels)
    return tables


def gap_list(gaps: pd.DataFrame, structures: pd.DataFrame, level_label: str) -> pd.DataFrame:
    """The links whose two sides disagree, largest gap first, in French (comité de pilotage only)."""
    names = dict(zip(structures["id"].tolist(), structures["nom"].tolist()))
    differ = gaps[(gaps["ecart"].abs() > 0).to_numpy(dtype=bool)]
    ordered = differ.assign(taille=differ["ecart"].abs()).sort_values(["taille", "vague", "groupe"],
                                                                      ascending=[False, False, True])
    return pd.DataFrame({
        "Vague": ordered["vague"].astype(str).to_numpy(dtype=object),
        level_label: ordered["groupe"].astype(str).to_numpy(dtype=object),
        "École": [names.get(s, s) for s in ordered["ecole_id"].tolist()],
        "Centre social": [names.get(c, c) for c in ordered["centre_id"].tolist()],
        "Qualité selon l'école": ordered["qualite_ecole"].round(2).to_numpy(dtype=float),
        "Qualité selon le centre": ordered["qualite_centre"].round(2).to_numpy(dtype=float),
        "Écart (école − centre)": ordered["ecart"].round(2).to_numpy(dtype=float),
    })


def free_text_answers(view: View, column: str, level_label: str) -> pd.DataFrame:
    """The answers with free text (ressources, outils, pistes, commentaire), by territory (comité de pilotage only).

    Returns:
        French columns: the territory (``level_label``), ``Vague``, ``École``,
        ``Centre social``, ``Répondu par`` and the four texts; sorted by
        territory, then latest wave first.
    """
    reponses = view.reponses
    has_text = reponses[list(TEXT_COLUMNS)].fillna("").ne("").any(axis=1).to_numpy(dtype=bool)
    texts = reponses[has_text]
    names = dict(zip(view.structures["id"].tolist(), view.structures["nom"].tolist()))
    table = pd.DataFrame({
        level_label: answer_territories(view, column)[has_text].astype(str).to_numpy(dtype=object),
        "Vague": texts["vague"].astype(str).to_numpy(dtype=object),
        "École": [names.get(s, s) for s in texts["ecole_id"].tolist()],
        "Centre social": [names.get(c, c) for c in texts["centre_id"].tolist()],
        "Répondu par": texts["cote"].astype(object).map(SIDES).to_numpy(dtype=object),
        **{label: texts[name].fillna("").to_numpy(dtype=object) for name, label in TEXT_COLUMNS.items()},
    })
    order = table.assign(_cle=table[level_label].map(fold)).sort_values(["_cle", "Vague"], ascending=[True, False])
    return order.drop(columns="_cle").reset_index(drop=True)


def search_answers(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows of ``table`` where every word of ``query`` appears in some cell (accents and case ignored)."""
    words = fold(query).split()
    if not words or table.empty:
        return table
    text = pd.Series([fold(" ".join(map(str, row))) for row in table.itertuples(index=False)], index=table.index)
    keep = np.ones(len(table), dtype=bool)
    for word in words:
        keep &= text.str.contains(word, regex=False).to_numpy(dtype=bool)
    return table[keep].reset_index(drop=True)


def indicators_by_wave(view: View, column: str) -> pd.DataFrame:
    """Every indicator per wave and territory (``indicators_by_territory`` wave by wave), plus ``OVERALL``.

    Args:
        view: the filtered data over every wave.
        column: the structures' column naming the territory.

    Returns:
        ``vague``, ``territoire`` and the columns of ``indicators_by_territory``
        (small counts blanked), one row per wave and territory holding
        schools, and per wave for ``OVERALL``.
    """
    links = link_summary(view.reponses)
    schools = view.schools.assign(_ensemble=OVERALL)
    parts = []
    for wave in sorted(view.reponses["vague"].dropna().unique().tolist()):
        in_wave = View(filters=view.filters, structures=view.structures, schools=schools,
                       reponses=view.reponses[(view.reponses["vague"] == wave).to_numpy(dtype=bool)],
                       secret=view.secret)
        wave_links = links[(links["vague"] == wave).to_numpy(dtype=bool)]
        for by in (column, "_ensemble"):
            parts.append(indicators_by_territory(in_wave, wave_links, by).assign(vague=wave))
    columns = ["vague", "territoire", "ecoles", "ecoles_liees", "reponses", "liens", "couverture", "qualite",
               "hebdomadaire", "masque"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    masked = [name for name, indicator in INDICATORS.items() if indicator.needs_answers]
    return suppress_small_counts(table, masked)[columns]


def link_changes(view: View, column: str, before: str, after: str) -> pd.DataFrame:
    """Links (school–centre pairs) kept, new and lost between two waves, per territory and overall.

    A link missing from a wave may also be a link nobody was asked about
    that year: the counts describe the surveys as much as the partnerships.
    Counts of links, like the map's, are not subject to the small-count rule.

    Returns:
        ``groupe``, ``avant``, ``apres``, ``maintenus``, ``nouveaux``, ``perdus``.
    """
    reponses = view.reponses
    if view.secret is not None:  # links kept and lost span two waves: not published for funders
        reponses = reponses.iloc[0:0]
    lookup = dict(zip(view.schools["id"].tolist(), view.schools[column].tolist()))

    def pairs(wave: str) -> set[tuple[str, str]]:
        rows = reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
        return set(zip(rows["ecole_id"].tolist(), rows["centre_id"].tolist()))

    first, second = pairs(before), pairs(after)
    status = {"maintenus": first & second, "nouveaux": second - first, "perdus": first - second}
    frame = pd.DataFrame([(lookup.get(school), name) for name, found in status.items() for school, _ in found],
                         columns=["groupe", "statut"])
    frame = pd.concat([frame, frame.assign(groupe=OVERALL)], ignore_index=True)
    table = pd.crosstab(frame["groupe"], frame["statut"]).reindex(columns=list(status), fill_value=0)
    table = table.reindex([*[g for g in table.index if g != OVERALL], OVERALL], fill_value=0).astype(int)
    table["avant"] = table["maintenus"] + table["perdus"]
    table["apres"] = table["maintenus"] + table["nouveaux"]
    table.index.name, table.columns.name = "groupe", None
    return table.reset_index()[["groupe", "avant", "apres", "maintenus", "nouveaux", "perdus"]]
