"""Applying the statistical secret to the analyses' tables (``lib.secrecy`` decides, this blanks).

``lib.metrics`` and ``lib.impact`` call these on a view of the funders' copy of a data set (``view.secret``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from lib.secrecy import ANY, DEPARTEMENT, FAMILIES, Secret
from lib.territories import OUTSIDE_EP

# --------------------------------------------------------------------------- applying the decisions


def row_node(group: object, scope: tuple[str, str], level: str, overall: str) -> tuple[str, str]:
    """The territory node of a table row: the view's scope for the overall row, else the row's territory."""
    return scope if group == overall else (level, str(group))


def view_scope(filters) -> tuple[str, str]:
    """The territory node a view is about: its one territory, or the département."""
    return (filters.level, str(filters.territories[0])) if filters.territories else DEPARTEMENT


def protect_shares(table: pd.DataFrame, secret: Secret, wave: str, question: str,
                   node_of: Callable[[object], tuple[tuple[str, str], str]], mean: str | None = None) -> pd.DataFrame:
    """Blank a long share table's secret figures (``groupe``, ``code``, ``n``, ``base``, ``reponses``, ``part``).

    A group whose base is secret loses every figure (``masque``); a secret cell
    of a published group loses ``n`` and ``part`` (``secret`` flags it).
    """
    out = table.copy()
    if out.empty:
        out["secret"] = pd.Series(dtype=bool)
        return out
    row_hidden, cell_hidden = [], []
    for group, code in zip(out["groupe"].tolist(), out["code"].tolist()):
        territory, breakdown = node_of(group)
        row = secret.hidden(wave, territory, breakdown, f"{question}:BASE")
        row_hidden.append(row)
        cell_hidden.append(row or secret.hidden(wave, territory, breakdown, f"{question}:{code}"))
    row_mask, cell_mask = np.array(row_hidden, dtype=bool), np.array(cell_hidden, dtype=bool)
    out["masque"] = row_mask  # for funders the structures rule replaces the answers rule (it is stricter)
    for column in ("n", "part"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).where(~cell_mask)
    for column in ("base", "reponses"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).where(~row_mask)
    if mean and mean in out:
        out[mean] = pd.to_numeric(out[mean], errors="coerce").astype(float).where(~row_mask)
    out["secret"] = cell_mask & ~row_mask
    return out



# --------------------------------------------------------------------------- the analyses' tables

LEVEL_OF_COLUMN = {column: level for level, column in FAMILIES.items()}
EP_GROUPS = {"REP+": "REP+", "REP": "REP", OUTSIDE_EP: "hors_ep"}


def wave_of(view) -> str | None:
    """The one wave a view is about (None when it pools several: then everything is secret)."""
    if view.filters.wave != "toutes":
        return str(view.filters.wave)
    waves = view.reponses["vague"].dropna().astype(str).unique().tolist()
    return waves[0] if len(waves) == 1 else None


def protect_link_tables(view, tables: dict[str, pd.DataFrame], column: str, overall: str) -> dict[str, pd.DataFrame]:
    """« Liens par territoire » for funders: frequency, quality, coverage, forms and objects, secret figures blanked."""
    secret: Secret = view.secret
    wave, scope, level = wave_of(view) or "", view_scope(view.filters), LEVEL_OF_COLUMN.get(column, column)
    by_territory = lambda g: (row_node(g, scope, level, overall), "all")  # noqa: E731
    out = dict(tables)
    out["frequence"] = protect_shares(tables["frequence"], secret, wave, "frequence", by_territory)
    out["qualite"] = protect_shares(tables["qualite"], secret, wave, "qualite", by_territory, mean="moyenne")
    for question in ("formes", "objets"):
        out[question] = protect_shares(tables[question], secret, wave, question, by_territory)
        out[f"{question}_ensemble"] = protect_shares(tables[f"{question}_ensemble"], secret, wave, question,
                                                     lambda g: (scope, "all"))
    coverage = tables["couverture"].copy()
    hidden = [secret.hidden(wave, row_node(g, scope, level, overall), EP_GROUPS.get(ep, "all"), ANY)
              for g, ep in zip(coverage["groupe"].tolist(), coverage["groupe_ep"].tolist())]
    hidden_mask = np.array(hidden, dtype=bool)
    for name in ("ecoles_liees", "couverture"):
        coverage[name] = coverage[name].astype(float).where(~hidden_mask)
    coverage["secret"] = hidden_mask
    out["couverture"] = coverage
    return out


def protect_lever_tables(view, tables: dict[str, pd.DataFrame], column: str, overall: str,
                         sides: Mapping[str, str], qualities: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """« Leviers et freins » for funders: by side, territory and quality, secret figures blanked; no perception
    gaps (a list of links, and a distribution over too few of them)."""
    secret: Secret = view.secret
    wave, scope, level = wave_of(view) or "", view_scope(view.filters), LEVEL_OF_COLUMN.get(column, column)
    side_of = {label: code for code, label in sides.items()}
    quality_of = {label: f"q{code}" for code, label in qualities.items()}
    out = dict(tables)
    for question in ("leviers", "freins"):
        out[f"{question}_cote"] = protect_shares(tables[f"{question}_cote"], secret, wave, question,
                                                 lambda g: (scope, side_of.get(g, "all")))
        out[f"{question}_territoire"] = protect_shares(tables[f"{question}_territoire"], secret, wave, question,
                                                       lambda g: (row_node(g, scope, level, overall), "all"))
        out[f"{question}_qualite"] = protect_shares(tables[f"{question}_qualite"], secret, wave, question,
                                                    lambda g: (scope, quality_of.get(g, "?")))
    out["ecarts"] = tables["ecarts"].iloc[0:0]
    distribution = tables["ecarts_distribution"].copy()
    for name in ("n", "base", "reponses"):
        distribution[name] = 0
    distribution["part"] = np.nan
    distribution["masque"] = True
    out["ecarts_distribution"] = distribution
    return out


def protect_indicators(view, table: pd.DataFrame, column: str, overall: str, weekly_code: str) -> pd.DataFrame:
    """``indicators_by_territory`` for funders: a territory's counts and shares blanked where secret."""
    secret: Secret = view.secret
    wave, scope, level = wave_of(view) or "", view_scope(view.filters), LEVEL_OF_COLUMN.get(column, column)
    out = table.copy()
    rows = [row_node(g, scope, level, overall) if column != "_ensemble" else scope
            for g in out["territoire"].tolist()]
    every = np.array([secret.hidden(wave, t, "all", ANY) for t in rows], dtype=bool)
    rated = every | np.array([secret.hidden(wave, t, "all", "satisfaction:BASE") for t in rows], dtype=bool)
    weekly = every | np.array([secret.hidden(wave, t, "all", f"frequence:{weekly_code}") for t in rows], dtype=bool)
    for name in ("ecoles_liees", "reponses", "liens", "couverture"):
        out[name] = out[name].astype(float).where(~every)
    out["qualite"] = out["qualite"].astype(float).where(~rated)
    out["hebdomadaire"] = out["hebdomadaire"].astype(float).where(~weekly)
    out["masque"] = every | rated
    out["secret"] = every | rated | weekly
    return out


IMPACT_ITEMS = {  # impact column → (breakdown, item) it rests on
    "reponses": ("all", ANY), "structures_enquetees": ("all", ANY), "liens": ("all", ANY),
    "ecoles_liees": ("all", ANY), "part_ecoles_liees": ("all", ANY),
    "ecoles_enquetees": ("ecole", ANY), "centres_enquetes": ("centre", ANY),
    "ecoles_ep_liees": ("EP", ANY), "part_ep_liees": ("EP", ANY),
    "liens_notes": ("all", "satisfaction:BASE"), "reponses_notees": ("all", "qualite:BASE"),
    "liens_satisfaisants": ("all", "satisfaction:sat"), "part_satisfaisants": ("all", "satisfaction:sat"),
}


def protect_impact(view, table: pd.DataFrame) -> pd.DataFrame:
    """``impact_by_wave`` for funders: every secret headline figure blanked, wave by wave.

    Attendance at meetings counts structures, not answers: below K structures it is blanked too, and it is
    published for the whole département only (a territory's attendance subtracted from the département's
    would count the few structures present from elsewhere: no secondary suppression covers it).
    """
    secret: Secret = view.secret
    scope = view_scope(view.filters)
    out = table.copy()
    for column, (breakdown, item) in IMPACT_ITEMS.items():
        hidden = np.array([secret.hidden(w, scope, breakdown, item) for w in out["vague"].astype(str)], dtype=bool)
        if item == "satisfaction:sat":  # a share of rated links: secret with its base too
            hidden |= np.array([secret.hidden(w, scope, "all", "satisfaction:BASE") for w in out["vague"]], dtype=bool)
        out[column] = out[column].astype(float).where(~hidden)
        out[f"secret_{column}"] = hidden
    attended = out["structures_rencontres"].astype(float)
    small = ((attended > 0) & (attended < secret.k)).to_numpy(dtype=bool) | (scope != DEPARTEMENT)
    for column in ("structures_rencontres", "rencontres"):
        out[column] = out[column].astype(float).where(~small)
        out[f"secret_{column}"] = small
    out["masque_qualite"] = out["part_satisfaisants"].isna() & out["liens_notes"].fillna(1).gt(0)
    return out
