"""The funders' headline figures: what the partnership work achieves, wave after wave.

One table (``impact_by_wave``) and its French headlines (``headlines``), used
by the impact page, the PDF reports and the XLSX export alike, so that the
three always say the same thing. Everything here is aggregated: counts of
structures and links, shares over the territory's schools or links, with the
small-count rule on every share resting on answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lib.filters import ALL_WAVES, Filters, View, among, apply_filters
from lib.formatting import NBSP, format_decimal, format_int, format_percent
from lib.metrics import MIN_ANSWERS, SMALL_COUNT_NOTE, link_summary
from lib.questionnaire import load_questionnaire
from lib.secrecy import SECRET
from lib.secrecy_tables import protect_impact

# A link is "satisfaisant or better" when its mean rating (both sides) reaches this level of the scale.
SATISFYING = 3

COLUMNS = ["vague", "reponses", "structures_enquetees", "ecoles_enquetees", "centres_enquetes", "liens",
           "ecoles", "ecoles_liees", "part_ecoles_liees", "ecoles_ep", "ecoles_ep_liees", "part_ep_liees",
           "liens_notes", "liens_satisfaisants", "part_satisfaisants", "reponses_notees", "rencontres",
           "structures_rencontres", "masque_qualite"]


def wave_year(wave: str) -> int | None:
    """The calendar year a wave is named after (``"2018"`` → 2018, ``"2018-2019"`` → 2018), if any."""
    found = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", str(wave))
    return int(found.group(0)) if found else None


def meetings_of_wave(rencontres: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The meetings held in the wave's calendar year (none when the wave's name holds no year)."""
    year = wave_year(wave)
    if year is None or rencontres.empty:
        return rencontres.iloc[0:0]
    dates = pd.to_datetime(rencontres["date"], errors="coerce")
    return rencontres[(dates.dt.year == year).fillna(False).to_numpy(dtype=bool)]


def impact_by_wave(view: View) -> pd.DataFrame:
    """The headline figures of every wave of a view (filtered on every wave).

    Args:
        view: the filtered data over every wave (``Filters.wave == ALL_WAVES``),
            with the data set's meetings and attendance.

    Returns:
        One row per wave, in order, with the columns of ``COLUMNS``:
        answers, structures that answered (schools, centres), distinct links,
        the view's schools and those linked in the wave (all, and REP/REP+),
        links rated and rated satisfaisante or better (per-link mean ≥ 3),
        the wave year's meetings and the view's structures that attended
        them. ``part_satisfaisants`` is blank (``masque_qualite``) when it rests
        on fewer than MIN_ANSWERS ratings.
    """
    reponses, schools = view.reponses, view.schools
    rencontres, participations = view.rencontres, view.participations
    in_ep = schools["education_prioritaire"].isin(["REP", "REP+"]).to_numpy(dtype=bool)
    links = link_summary(reponses)
    structure_ids = view.structures["id"]
    rows = []
    waves = sorted(reponses["vague"].dropna().astype(str).unique().tolist())
    for wave in waves:
        in_wave = reponses[(reponses["vague"] == wave).to_numpy(dtype=bool)]
        wave_links = links[(links["vague"] == wave).to_numpy(dtype=bool)]
        linked = among(schools["id"], in_wave["ecole_id"])
        respondents = in_wave["repondant_id"].dropna().unique()
        school_side = (in_wave["cote"] == "ecole").to_numpy(dtype=bool)
        rated = wave_links["qualite"].notna().to_numpy(dtype=bool)
        ratings = int(in_wave["qualite"].notna().sum())
        meetings = meetings_of_wave(rencontres, wave)
        attended = participations[among(participations["rencontre_id"], meetings["rencontre_id"])]
        attended = attended[among(attended["structure_id"], structure_ids)]  # the view's structures only
        attendees = attended["structure_id"].nunique()
        satisfying = int((wave_links["qualite"].to_numpy(dtype=float)[rated] >= SATISFYING).sum())
        rows.append({
            "vague": wave,
            "reponses": len(in_wave),
            "structures_enquetees": len(respondents),
            "ecoles_enquetees": in_wave.loc[school_side, "repondant_id"].nunique(),
            "centres_enquetes": in_wave.loc[~school_side, "repondant_id"].nunique(),
            "liens": len(wave_links),
            "ecoles": len(schools),
            "ecoles_liees": int(linked.sum()),
            "part_ecoles_liees": linked.mean() if len(schools) else np.nan,
            "ecoles_ep": int(in_ep.sum()),
            "ecoles_ep_liees": int((linked & in_ep).sum()),
            "part_ep_liees": (linked & in_ep).sum() / in_ep.sum() if in_ep.any() else np.nan,
            "liens_notes": int(rated.sum()),
            "liens_satisfaisants": satisfying,
            "part_satisfaisants": satisfying / rated.sum() if rated.any() else np.nan,
            "reponses_notees": ratings,
            "rencontres": attended["rencontre_id"].nunique(),  # the year's sessions they took part in
            "structures_rencontres": int(attendees),
            "masque_qualite": ratings < MIN_ANSWERS,
        })
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["part_satisfaisants"] = table["part_satisfaisants"].astype(float).where(~table["masque_qualite"].astype(bool))
    if view.secret is not None:  # the funders' copy: secret figures blanked (lib/secrecy.py)
        table = protect_impact(view, table)
    return table


@dataclass(frozen=True)
class Headline:
    """One headline figure of a wave, in French, with its change since the previous wave."""

    code: str
    label: str
    value: str  # formatted, e.g. "42,5 %"
    detail: str  # what it rests on, e.g. "120 écoles sur 282"
    delta: str | None  # e.g. "+3,2 points depuis 2017"; None for the first wave
    help: str
    direction: int = 0  # sign of the change since the previous wave (0: none, or not comparable)


HEADLINES = {
    "structures_enquetees": ("Structures enquêtées", "count",
                             "Écoles, collèges, lycées, centres sociaux et EVS ayant répondu à l'enquête de la vague."),
    "liens": ("Liens identifiés", "count",
              "Couples école – centre social cités dans au moins une réponse de la vague."),
    "part_ecoles_liees": ("Écoles liées à un centre social", "share",
                          "Part des établissements scolaires du périmètre cités dans au moins un lien de la vague."),
    "part_ep_liees": ("Écoles REP / REP+ liées", "share",
                      "Même part, parmi les établissements de l'éducation prioritaire (REP et REP+)."),
    "part_satisfaisants": ("Liens jugés satisfaisants ou mieux", "share",
                           "Part des liens évalués dont la qualité moyenne (les deux côtés confondus) est "
                           "« satisfaisante » ou « très satisfaisante »."),
    "structures_rencontres": ("Structures aux rencontres", "count",
                              "Structures du périmètre présentes à au moins une rencontre ou un groupe de "
                              "réflexion de l'année de la vague."),
}


def count_of(n: float | int, singular: str, plural: str | None = None) -> str:
    """``1 réponse``, ``12 réponses``, ``0 réponse`` (French: 0 and 1 take the singular)."""
    return f"{format_int(n)} {singular if abs(n) < 2 else (plural or singular + 's')}"


def _is_secret(row: pd.Series, *codes: str) -> bool:
    """Whether one of the figures is a funder's statistical secret (see ``lib.secrecy_tables.protect_impact``)."""
    return any(bool(row.get(f"secret_{code}", False)) for code in codes)


DETAIL_RESTS_ON = {"structures_enquetees": ("ecoles_enquetees", "centres_enquetes"), "liens": ("reponses",),
                   "part_ecoles_liees": ("ecoles_liees",), "part_ep_liees": ("ecoles_ep_liees",),
                   "part_satisfaisants": ("liens_satisfaisants", "liens_notes"),
                   "structures_rencontres": ("rencontres",)}


def _detail(row: pd.Series, code: str) -> str:
    if _is_secret(row, *DETAIL_RESTS_ON.get(code, ())):
        return SECRET
    if code == "structures_enquetees":
        return f"{format_int(row['ecoles_enquetees'])} côté école, {format_int(row['centres_enquetes'])} côté centre"
    if code == "liens":
        return count_of(row["reponses"], "réponse")
    if code == "part_ecoles_liees":
        return f"{format_int(row['ecoles_liees'])} sur {count_of(row['ecoles'], 'établissement')}"
    if code == "part_ep_liees":
        return f"{format_int(row['ecoles_ep_liees'])} sur {count_of(row['ecoles_ep'], 'établissement')}"
    if code == "part_satisfaisants":
        if row["masque_qualite"]:
            return SMALL_COUNT_NOTE
        return f"{format_int(row['liens_satisfaisants'])} sur {count_of(row['liens_notes'], 'lien évalué', 'liens évalués')}"
    if code == "structures_rencontres":
        return f"présentes à {count_of(row['rencontres'], 'séance')} de l'année"
    return ""


def _value(row: pd.Series, code: str, kind: str) -> str:
    if code == "part_satisfaisants" and row["masque_qualite"]:
        return SMALL_COUNT_NOTE
    if _is_secret(row, code):
        return SECRET
    value = row[code]
    return format_int(value) if kind == "count" else format_percent(value)


def _direction(row: pd.Series, previous: pd.Series | None, code: str) -> int:
    if previous is None or pd.isna(previous[code]) or pd.isna(row[code]):
        return 0
    change = float(row[code]) - float(previous[code])
    return 0 if abs(change) < 1e-9 else (1 if change > 0 else -1)


def _delta(row: pd.Series, previous: pd.Series | None, code: str, kind: str) -> str | None:
    if previous is None:
        return None
    before, now = previous[code], row[code]
    if pd.isna(before) or pd.isna(now):
        return f"pas de comparaison avec {previous['vague']}"
    if kind == "count":
        change = int(now) - int(before)
        text = f"{'+' if change > 0 else ''}{format_int(change)}"
    else:
        change = (float(now) - float(before)) * 100
        text = f"{'+' if change > 0 else ''}{format_decimal(change)}{NBSP}point{'s' if abs(change) >= 2 else ''}"
    if abs(change) < 0.05:
        return f"stable depuis {previous['vague']}"
    return f"{text.replace('-', '−')} depuis {previous['vague']}"


def headlines(table: pd.DataFrame, wave: str) -> list[Headline]:
    """The headline figures of ``wave`` (a row of ``impact_by_wave``), with the change since the wave before."""
    position = table.index[table["vague"] == wave]
    if not len(position):
        return []
    at = table.index.get_loc(position[0])
    row = table.iloc[at]
    previous = table.iloc[at - 1] if at > 0 else None
    return [Headline(code, label, _value(row, code, kind), _detail(row, code), _delta(row, previous, code, kind), text,
                     _direction(row, previous, code))
            for code, (label, kind, text) in HEADLINES.items()]


def impact_table(table: pd.DataFrame) -> pd.DataFrame:
    """The headline figures of every wave as a table with French column names (page, XLSX, PDF)."""
    shown = pd.DataFrame({"Vague": table["vague"]})
    for code, (label, kind, _help) in HEADLINES.items():
        values = table[code] if kind == "count" else (table[code].astype(float) * 100).round(1)
        if f"secret_{code}" in table:  # a funder's statistical secret says so
            values = values.astype(object).where(~table[f"secret_{code}"].astype(bool), SECRET)
        shown[label] = values
        if kind == "share":
            shown = shown.rename(columns={label: f"{label} (%)"})
    for label, code in (("Réponses", "reponses"), ("Écoles du périmètre", "ecoles"), ("Liens évalués", "liens_notes")):
        values = table[code]
        if f"secret_{code}" in table:
            values = values.astype(object).where(~table[f"secret_{code}"].astype(bool), SECRET)
        shown[label] = values
    return shown


def method_facts(view: View) -> dict[str, object]:
    """What the « méthode » box says: waves, answers per mode, answers per side, first and last interview."""
    reponses = view.reponses
    if view.secret is not None:  # funders: no date, mode or count that could single out an interview
        return {"vagues": sorted(reponses["vague"].dropna().astype(str).unique().tolist()), "reponses": None,
                "modes": {}, "cote_ecole": None, "cote_centre": None, "debut": None, "fin": None,
                "secret": view.secret.k}
    modes = load_questionnaire()["modes"].labels
    per_mode = reponses["mode"].astype(object).value_counts()
    return {
        "vagues": sorted(reponses["vague"].dropna().astype(str).unique().tolist()),
        "reponses": len(reponses),
        "modes": {modes.get(code, str(code)): int(n) for code, n in per_mode.items()},
        "cote_ecole": int((reponses["cote"] == "ecole").sum()),
        "cote_centre": int((reponses["cote"] == "centre").sum()),
        "debut": reponses["date"].min() if len(reponses) else None,
        "fin": reponses["date"].max() if len(reponses) else None,
    }


def impact_for(dataset, filters: Filters) -> pd.DataFrame:
    """``impact_by_wave`` of a data set for the filters' territories and types, over every wave."""
    return impact_by_wave(apply_filters(dataset, replace(filters, wave=ALL_WAVES)))


def shown_wave(table: pd.DataFrame, wave: str) -> str | None:
    """The wave the headlines describe: the chosen one, or the latest when every wave is chosen."""
    waves = table["vague"].tolist()
    if wave in waves:
        return wave
    return waves[-1] if waves else None
