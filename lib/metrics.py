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


# --- analyses
# Tables behind the charts of « Liens par territoire », « Leviers et freins » and
# « Évolution ». Shares are long tables (one row per group and category) carrying
# the number of answers they rest on, so that one rule can blank them.

from lib.text import fold  # noqa: E402  (kept with the section it serves)

OVERALL = "Ensemble"
SIDES = {"ecole": "Côté école", "centre": "Côté centre social"}
TEXT_COLUMNS = {"ressources": "Ressources", "outils": "Outils", "pistes": "Pistes", "commentaire": "Commentaire"}
# Perception gaps are shown by steps of half a level (a side's view may be the mean of two answers).
GAP_STEP = 0.5


def suppress_small_counts(table: pd.DataFrame, values: list[str], count: str = "reponses") -> pd.DataFrame:
    """The small-count rule, for every chart and table: below MIN_ANSWERS answers, a value is not shown.

    Args:
        table: one row per figure shown (a territory, or a territory and a category).
        values: the columns to blank on the rows resting on too few answers.
        count: the column holding the number of answers each row rests on.

    Returns:
        A copy with ``values`` set to NaN (as floats) where ``count`` < MIN_ANSWERS,
        and ``masque`` flagging those rows (kept when already set).
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


def _link_index(reponses: pd.DataFrame) -> np.ndarray:
    """An integer per link (wave, school, centre) for each answer."""
    if reponses.empty:
        return np.zeros(0, dtype=np.int64)
    return reponses.groupby(LINK_KEY, sort=False, observed=True).ngroup().to_numpy()


def _group_codes(groups: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of the groups (-1 for a missing group) and the group names, in order of appearance."""
    codes, names = pd.factorize(groups.astype(object), use_na_sentinel=True)
    return np.asarray(codes), list(names)


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
    """Long table groupe × code from count matrices (groups × codes, and per group)."""
    n_groups, n_codes = len(names), len(codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = cited / base[:, None]
    table = pd.DataFrame({
        "groupe": np.repeat(np.asarray(names, dtype=object), n_codes),
        "code": np.tile(np.asarray(codes, dtype=object), n_groups),
        "n": cited.reshape(-1).astype(int),
        "base": np.repeat(base, n_codes).astype(int),
        "reponses": np.repeat(answers, n_codes).astype(int),
        "part": share.reshape(-1),
    })
    return suppress_small_counts(table, ["n", "part"])


def share_citing(reponses: pd.DataFrame, column: str, groups: pd.Series, by_link: bool = False) -> pd.DataFrame:
    """Per group and code of a multi-valued question, the share of answers (or links) citing the code.

    The base is what answered the question: answers (or links) citing at least
    one code. A link cites a code when one of its answers does; with
    ``by_link`` the groups must not split a link (territories never do).

    Args:
        reponses: typed answers.
        column: ``formes``, ``objets``, ``leviers`` or ``freins``.
        groups: each answer's group, aligned on ``reponses``; answers without a group are left out.
        by_link: count links rather than answers.

    Returns:
        One row per group and code (questionnaire order): ``groupe``, ``code``,
        ``n`` (citing), ``base``, ``reponses`` (answers in the base), ``part``
        and ``masque`` (small-count rule applied).
    """
    codes = load_questionnaire().for_column("reponses", column).codes
    group, names = _group_codes(groups)
    rows, found = _code_pairs(reponses[column], codes)
    keep = group[rows] >= 0 if len(rows) else np.zeros(0, dtype=bool)
    rows, found = rows[keep], found[keep]
    n_groups, n_codes = len(names), len(codes)
    answered = np.unique(rows)
    answers = np.bincount(group[answered], minlength=n_groups)
    unit = _link_index(reponses) if by_link else np.arange(len(reponses))
    n_units = int(unit.max()) + 1 if len(unit) else 0
    unit_group = np.full(n_units, -1, dtype=np.int64)
    unit_group[unit[::-1]] = group[::-1]  # each unit takes the group of its first answer
    pairs = np.unique(unit[rows] * n_codes + found) if len(rows) else np.zeros(0, dtype=np.int64)
    pair_unit, pair_code = pairs // max(n_codes, 1), pairs % max(n_codes, 1)
    grouped = unit_group[pair_unit] >= 0
    pair_unit, pair_code = pair_unit[grouped], pair_code[grouped]
    cited = np.zeros((n_groups, n_codes), dtype=np.int64)
    np.add.at(cited, (unit_group[pair_unit], pair_code), 1)
    base = np.bincount(unit_group[np.unique(pair_unit)], minlength=n_groups)
    return _long_shares(names, codes, cited, np.asarray(base), answers)


def frequency_by_group(reponses: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group, the links by frequency (a link's highest declared frequency).

    Returns:
        One row per group and frequency code: ``groupe``, ``code``, ``n``
        (links), ``base`` (links with a frequency), ``reponses`` (their
        answers), ``part``, ``masque``.
    """
    codes = load_questionnaire()["frequences"].codes
    group, names = _group_codes(groups)
    level = reponses["frequence"].cat.codes.to_numpy() if len(reponses) else np.zeros(0, dtype=np.int64)
    unit = _link_index(reponses)
    n_units = int(unit.max()) + 1 if len(unit) else 0
    highest = np.full(n_units, -1, dtype=np.int64)
    np.maximum.at(highest, unit, level.astype(np.int64))
    unit_group = np.full(n_units, -1, dtype=np.int64)
    unit_group[unit[::-1]] = group[::-1]
    known = (highest >= 0) & (unit_group >= 0)
    counts = np.zeros((len(names), len(codes)), dtype=np.int64)
    np.add.at(counts, (unit_group[known], highest[known]), 1)
    answered = (group >= 0) & known[unit] if len(unit) else np.zeros(0, dtype=bool)
    answers = np.bincount(group[answered], minlength=len(names))
    return _long_shares(names, codes, counts, counts.sum(axis=1), answers)


def quality_by_group(reponses: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group, the answers by quality level, and their mean.

    Every answer is a rating (a link answered by both sides counts twice),
    as usual for a Likert scale.

    Returns:
        One row per group and level (``code`` "1"–"4"): ``groupe``, ``code``,
        ``n``, ``base`` = ``reponses`` (rated answers), ``part``,
        ``moyenne`` (the group's mean rating), ``masque``.
    """
    codes = load_questionnaire()["qualites"].codes
    group, names = _group_codes(groups)
    rating = reponses["qualite"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rated = (group >= 0) & ~np.isnan(rating)
    index = {int(code): i for i, code in enumerate(codes)}
    level = np.array([index.get(int(r), -1) if not np.isnan(r) else -1 for r in rating], dtype=np.int64)
    rated &= level >= 0
    counts = np.zeros((len(names), len(codes)), dtype=np.int64)
    np.add.at(counts, (group[rated], level[rated]), 1)
    answers = counts.sum(axis=1)
    table = _long_shares(names, codes, counts, answers, answers)
    sums = np.bincount(group[rated], weights=rating[rated], minlength=len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / answers
    table["moyenne"] = np.repeat(means, len(codes))
    return suppress_small_counts(table, ["moyenne"])


def coverage_by_group(view: View, column: str) -> pd.DataFrame:
    """Per territory and éducation prioritaire group, the schools with at least one link.

    Coverage counts schools, not answers: like the map's indicator it is not
    subject to the small-count rule.

    Returns:
        One row per territory and group (``groupe_ep``: REP+, REP, hors EP,
        and ``OVERALL`` for all the territory's schools), plus the rows of
        the territory ``OVERALL``: ``groupe``, ``groupe_ep``, ``ecoles``,
        ``ecoles_liees``, ``couverture``.
    """
    schools = view.schools
    linked = among(schools["id"], view.reponses["ecole_id"])
    frame = pd.DataFrame({"groupe": schools[column].astype(object).to_numpy(),
                          "groupe_ep": schools["education_prioritaire_groupe"].astype(object).to_numpy(),
                          "liee": linked})
    whole = frame.assign(groupe=OVERALL)
    parts = []
    for part in (frame, whole):
        parts.append(part)
        parts.append(part.assign(groupe_ep=OVERALL))
    every = pd.concat(parts, ignore_index=True)
    table = every.groupby(["groupe", "groupe_ep"], sort=False).agg(ecoles=("liee", "size"),
                                                                    ecoles_liees=("liee", "sum")).reset_index()
    table["ecoles_liees"] = table["ecoles_liees"].astype(int)
    table["couverture"] = table["ecoles_liees"] / table["ecoles"]
    return table


def _with_overall(reponses: pd.DataFrame, territories: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The answers twice: once by territory, once all together under ``OVERALL``."""
    both = pd.concat([reponses, reponses], ignore_index=True)
    groups = pd.concat([territories, pd.Series(OVERALL, index=territories.index, dtype=object)], ignore_index=True)
    return both, groups


def link_analyses(view: View, column: str) -> dict[str, pd.DataFrame]:
    """Every table of « Liens par territoire »: frequency, forms, objects, quality, coverage.

    Territory tables include an ``OVERALL`` group (the whole view).
    """
    territories = answer_territories(view, column)
    both, groups = _with_overall(view.reponses, territories)
    overall = pd.Series(OVERALL, index=view.reponses.index, dtype=object)
    # A link's index must not mix the two copies: the overall copy gets its own waves.
    both_links = both.assign(vague=np.r_[view.reponses["vague"].to_numpy(dtype=object),
                                         ("*" + view.reponses["vague"].astype(str)).to_numpy(dtype=object)])
    return {
        "frequence": frequency_by_group(both_links, groups),
        "formes": share_citing(view.reponses, "formes", territories, by_link=True),
        "formes_ensemble": share_citing(view.reponses, "formes", overall, by_link=True),
        "objets": share_citing(view.reponses, "objets", territories, by_link=True),
        "objets_ensemble": share_citing(view.reponses, "objets", overall, by_link=True),
        "qualite": quality_by_group(both, groups),
        "couverture": coverage_by_group(view, column),
    }


def quality_groups(reponses: pd.DataFrame) -> pd.Series:
    """Each answer's quality level as its French label (missing when not rated)."""
    labels = load_questionnaire()["qualites"].labels
    return reponses["qualite"].astype("Float64").map(
        lambda q: labels.get(str(int(q))) if pd.notna(q) else None).astype(object)


def perception_gaps(view: View, column: str) -> pd.DataFrame:
    """Links rated by both sides, with the gap between the school's and the centre's view.

    Returns:
        One row per link (wave, school, centre) rated by both sides:
        ``vague``, ``groupe`` (territory), ``ecole_id``, ``centre_id``,
        ``qualite_ecole``, ``qualite_centre``, ``ecart`` (school minus
        centre: positive when the school is the more positive side) and
        ``n_reponses``.
    """
    links = aggregate_links(view.reponses, with_codes=False)
    columns = ["vague", "groupe", "ecole_id", "centre_id", "qualite_ecole", "qualite_centre", "ecart", "n_reponses"]
    if links.empty:
        return pd.DataFrame(columns=columns)
    rated = links[links["deux_cotes"].astype(bool) & links["qualite_ecole"].notna() & links["qualite_centre"].notna()]
    lookup = dict(zip(view.schools["id"].tolist(), view.schools[column].tolist()))
    out = pd.DataFrame({
        "vague": rated["vague"].to_numpy(dtype=object),
        "groupe": [lookup.get(s) for s in rated["ecole_id"].tolist()],
        "ecole_id": rated["ecole_id"].to_numpy(dtype=object),
        "centre_id": rated["centre_id"].to_numpy(dtype=object),
        "qualite_ecole": rated["qualite_ecole"].astype(float).to_numpy(),
        "qualite_centre": rated["qualite_centre"].astype(float).to_numpy(),
        "n_reponses": rated["n_reponses"].astype(int).to_numpy(),
    })
    out["ecart"] = out["qualite_ecole"] - out["qualite_centre"]
    return out[columns]


def gap_distribution(gaps: pd.DataFrame) -> pd.DataFrame:
    """How many links rated by both sides show each gap (by half levels), from -3 to +3.

    Returns:
        One row per gap step: ``ecart``, ``n`` (links), ``base`` (all links
        rated by both sides), ``reponses`` (their answers), ``part``,
        ``masque``: the whole distribution rests on those answers.
    """
    steps = np.arange(-3, 3 + GAP_STEP, GAP_STEP)
    rounded = (gaps["ecart"].astype(float) / GAP_STEP).round() * GAP_STEP
    counts = rounded.value_counts().reindex(steps, fill_value=0).to_numpy()
    base = len(gaps)
    answers = int(gaps["n_reponses"].sum()) if base else 0
    table = pd.DataFrame({"ecart": steps, "n": counts.astype(int), "base": base, "reponses": answers,
                          "part": counts / base if base else np.nan})
    return suppress_small_counts(table, ["n", "part"])


def lever_analyses(view: View, column: str) -> dict[str, pd.DataFrame]:
    """Every table of « Leviers et freins »: by side, territory and quality, and the perception gaps."""
    territories = answer_territories(view, column)
    sides = view.reponses["cote"].astype(object).map(SIDES)
    qualities = quality_groups(view.reponses)
    overall = pd.Series(OVERALL, index=view.reponses.index, dtype=object)
    tables: dict[str, pd.DataFrame] = {}
    for question in ("leviers", "freins"):
        tables[f"{question}_cote"] = pd.concat([share_citing(view.reponses, question, sides),
                                                share_citing(view.reponses, question, overall)], ignore_index=True)
        tables[f"{question}_territoire"] = share_citing(view.reponses, question, territories)
        tables[f"{question}_qualite"] = share_citing(view.reponses, question, qualities)
    gaps = perception_gaps(view, column)
    tables["ecarts"] = gaps
    tables["ecarts_distribution"] = gap_distribution(gaps)
    return tables


def gap_list(gaps: pd.DataFrame, structures: pd.DataFrame, level_label: str) -> pd.DataFrame:
    """The links whose two sides disagree, largest gap first, in French (comité de pilotage only)."""
    names = dict(zip(structures["id"].tolist(), structures["nom"].tolist()))
    differ = gaps[gaps["ecart"].abs() > 0]
    order = differ.assign(taille=differ["ecart"].abs()).sort_values(["taille", "vague", "groupe"],
                                                                      ascending=[False, False, True])
    return pd.DataFrame({
        "Vague": order["vague"].astype(str),
        level_label: order["groupe"].astype(str),
        "École": order["ecole_id"].map(names),
        "Centre social": order["centre_id"].map(names),
        "Qualité selon l'école": order["qualite_ecole"].round(2),
        "Qualité selon le centre": order["qualite_centre"].round(2),
        "Écart (école − centre)": order["ecart"].round(2),
    }).reset_index(drop=True)


def free_text_answers(view: View, column: str, level_label: str) -> pd.DataFrame:
    """The answers with free text (ressources, outils, pistes, commentaire), by territory (comité de pilotage only).

    Returns:
        French columns: the territory (``level_label``), ``Vague``, ``École``,
        ``Centre social``, ``Répondu par`` and the four texts; sorted by
        territory, then latest wave first.
    """
    reponses = view.reponses
    has_text = reponses[list(TEXT_COLUMNS)].fillna("").ne("").any(axis=1)
    texts = reponses[has_text.to_numpy(dtype=bool)]
    names = dict(zip(view.structures["id"].tolist(), view.structures["nom"].tolist()))
    territory = answer_territories(view, column)[has_text.to_numpy(dtype=bool)]
    table = pd.DataFrame({
        level_label: territory.astype(str).to_numpy(),
        "Vague": texts["vague"].astype(str).to_numpy(),
        "École": texts["ecole_id"].map(names).to_numpy(dtype=object),
        "Centre social": texts["centre_id"].map(names).to_numpy(dtype=object),
        "Répondu par": texts["cote"].astype(object).map(SIDES).to_numpy(dtype=object),
        **{label: texts[name].fillna("").to_numpy(dtype=object) for name, label in TEXT_COLUMNS.items()},
    })
    key = table[level_label].map(fold)
    return table.assign(_cle=key).sort_values(["_cle", "Vague"], ascending=[True, False]).drop(columns="_cle") \
        .reset_index(drop=True)


def search_answers(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows of ``table`` where every word of ``query`` appears in some text (accents and case ignored)."""
    words = fold(query).split()
    if not words or table.empty:
        return table
    text = table.astype(str).agg(" ".join, axis=1).map(fold)
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
        ``vague``, ``territoire`` and the columns of ``indicators_by_territory``,
        one row per wave and territory holding schools, and per wave for ``OVERALL``.
    """
    links = aggregate_links(view.reponses, with_codes=False)
    schools = view.schools.assign(_ensemble=OVERALL)
    parts = []
    for wave in sorted(view.reponses["vague"].dropna().unique().tolist()):
        in_wave = View(filters=view.filters, structures=view.structures,
                       reponses=view.reponses[(view.reponses["vague"] == wave).to_numpy(dtype=bool)], schools=schools)
        wave_links = links[(links["vague"] == wave).to_numpy(dtype=bool)]
        for by in (column, "_ensemble"):
            parts.append(indicators_by_territory(in_wave, wave_links, by).assign(vague=wave))
    if not parts:
        return pd.DataFrame(columns=["vague", "territoire", "ecoles", "ecoles_liees", "reponses", "liens",
                                     "couverture", "qualite", "hebdomadaire", "masque"])
    table = pd.concat(parts, ignore_index=True)
    masked = [name for name, indicator in INDICATORS.items() if indicator.needs_answers]
    table = suppress_small_counts(table, masked)
    return table[["vague", "territoire", *[c for c in table.columns if c not in ("vague", "territoire")]]]


def link_changes(view: View, column: str, before: str, after: str) -> pd.DataFrame:
    """Links (school–centre pairs) kept, new and lost between two waves, per territory and overall.

    A link missing from a wave may also be a link nobody was asked about
    that year: the counts describe the surveys as much as the partnerships.

    Returns:
        ``groupe``, ``avant``, ``apres``, ``maintenus``, ``nouveaux``, ``perdus``.
    """
    reponses = view.reponses
    lookup = dict(zip(view.schools["id"].tolist(), view.schools[column].tolist()))

    def pairs(wave: str) -> set[tuple[str, str]]:
        rows = reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
        return set(zip(rows["ecole_id"].tolist(), rows["centre_id"].tolist()))

    first, second = pairs(before), pairs(after)
    status = ([(pair, "maintenus") for pair in first & second] + [(pair, "nouveaux") for pair in second - first]
              + [(pair, "perdus") for pair in first - second])
    frame = pd.DataFrame({"groupe": [lookup.get(pair[0]) for pair, _ in status],
                          "statut": [s for _, s in status]}, columns=["groupe", "statut"])
    frame = pd.concat([frame, frame.assign(groupe=OVERALL)], ignore_index=True)
    table = pd.crosstab(frame["groupe"], frame["statut"]).reindex(columns=["maintenus", "nouveaux", "perdus"],
                                                                   fill_value=0)
    if OVERALL not in table.index:
        table.loc[OVERALL] = 0
    table = table.astype(int)
    table["avant"] = table["maintenus"] + table["perdus"]
    table["apres"] = table["maintenus"] + table["nouveaux"]
    table.index.name = "groupe"
    table.columns.name = None
    return table.reset_index()[["groupe", "avant", "apres", "maintenus", "nouveaux", "perdus"]]
