"""The tables behind the charts, with French headers and plain numbers (downloads), and for the screen."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lib.charts.evolution import EVOLUTION_INDICATORS
from lib.charts.layout import SECRET_CELL_NOTE, SECRET_ROW_NOTE, count_or_secret, rows_by_key, signed_step
from lib.formatting import format_decimal, format_int, format_percent
from lib.metrics import INDICATORS, OVERALL, SMALL_COUNT_NOTE
from lib.questionnaire import load_questionnaire
from lib.secrecy import SECRET
from lib.territories import OUTSIDE_EP, short_territory_name
from lib.text import fold


def _ordered_groups(table: pd.DataFrame) -> list[str]:
    """``OVERALL`` first, then the territories in French alphabetical order."""
    groups = table["groupe"].drop_duplicates().tolist()
    rest = sorted((g for g in groups if g != OVERALL), key=fold)
    return ([OVERALL] if OVERALL in groups else []) + rest


def shares_table(table: pd.DataFrame, list_name: str, group_label: str, unit: str,
                 mean: bool = False) -> pd.DataFrame:
    """A long share table as people read it: one row per group, one column per category (in %).

    Masked groups keep their row with blank shares and the note « moins de 5 réponses ».
    """
    choices = load_questionnaire()[list_name]
    if table.empty:
        return pd.DataFrame(columns=[group_label, f"{unit.capitalize()} (n)", "Réponses", "Note"])
    cells = rows_by_key(table)
    first = {row["groupe"]: row for row in table.drop_duplicates("groupe").to_dict("records")}
    secret = "secret" in table  # the funders' copy: secret figures say so (lib/secrecy.py)
    rows = []
    for group in _ordered_groups(table):
        head = first[group]
        row = {group_label: str(group), f"{unit.capitalize()} (n)": count_or_secret(head["base"])}
        if unit != "réponses":
            row["Réponses"] = count_or_secret(head["reponses"])
        if mean:
            row["Qualité moyenne (1 à 4)"] = round(float(head["moyenne"]), 2) if pd.notna(head["moyenne"]) else \
                (SECRET if secret and head["masque"] else np.nan)
        for code in choices.codes:
            cell = cells.get((group, code), {})
            value = cell.get("part", np.nan)
            row[f"{choices.label(code)} (%)"] = round(float(value) * 100, 1) if pd.notna(value) else \
                SECRET if secret and (cell.get("secret") or head["masque"]) else np.nan
        row["Note"] = (SECRET_ROW_NOTE if secret else SMALL_COUNT_NOTE) if bool(head["masque"]) else \
            SECRET_CELL_NOTE if secret and any(cells.get((group, c), {}).get("secret") for c in choices.codes) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def coverage_table(table: pd.DataFrame, group_label: str) -> pd.DataFrame:
    """Coverage by territory and éducation prioritaire group, in French."""
    order = {name: i for i, name in enumerate(_ordered_groups(table))}
    ep_order = {OVERALL: 0, "REP+": 1, "REP": 2, OUTSIDE_EP: 3}
    ordered = table.assign(_g=table["groupe"].map(order), _e=table["groupe_ep"].map(ep_order).fillna(9)) \
        .sort_values(["_g", "_e"])
    return pd.DataFrame({
        group_label: ordered["groupe"].astype(str).to_numpy(dtype=object),
        "Éducation prioritaire": ordered["groupe_ep"].replace({OVERALL: "Tous les établissements"})
        .to_numpy(dtype=object),
        "Établissements": ordered["ecoles"].astype(int).to_numpy(),
        "Établissements avec au moins un lien": [count_or_secret(v) for v in ordered["ecoles_liees"].tolist()],
        "Couverture (%)": [SECRET if v != v and secret else round(v * 100, 1)
                           for v, secret in zip(ordered["couverture"].astype(float).tolist(),
                                                ordered.get("secret", pd.Series(False, index=ordered.index)).tolist())],
    })


def gap_table(distribution: pd.DataFrame) -> pd.DataFrame:
    """The perception-gap distribution in French."""
    shown = distribution[(distribution["ecart"] % 1 == 0) | (distribution["n"].fillna(0) > 0)]
    return pd.DataFrame({
        "Écart de qualité (école − centre)": [signed_step(v) for v in shown["ecart"]],
        "Liens": shown["n"].to_numpy(dtype=float),
        "Part des liens (%)": (shown["part"].astype(float) * 100).round(1).to_numpy(),
        "Note": [SMALL_COUNT_NOTE if m else "" for m in shown["masque"]],
    })


def evolution_table(table: pd.DataFrame, indicator: str, group_label: str) -> pd.DataFrame:
    """One indicator per territory, waves side by side, with the answers of each wave, in French."""
    spec = INDICATORS[indicator]
    waves = sorted(table["vague"].astype(str).unique().tolist())
    cells = rows_by_key(table, ("territoire", "vague"))
    unit = " (%)" if spec.kind == "share" else ""
    name = EVOLUTION_INDICATORS.get(indicator, spec.label)
    rows = []
    for group in _ordered_groups(table.rename(columns={"territoire": "groupe"})):
        row: dict = {group_label: str(group)}
        masked = []
        secret = []
        for wave in waves:
            cell = cells.get((group, wave))
            value = np.nan if cell is None or pd.isna(cell[indicator]) else float(cell[indicator])
            if cell is not None and value != value and bool(cell.get("secret", False)):
                row[f"{name} {wave}{unit}"] = SECRET  # a funder's statistical secret
                secret.append(wave)
                continue
            row[f"{name} {wave}{unit}"] = round(value * 100, 1) if spec.kind == "share" else \
                round(value, 2) if spec.kind == "mean" else (0 if value != value else int(value)) \
                if spec.kind == "count" else value
            if cell is not None and cell["masque"] and spec.needs_answers:
                masked.append(wave)
        for wave in waves:
            cell = cells.get((group, wave))
            row[f"Réponses {wave}"] = count_or_secret(cell["reponses"]) if cell is not None else 0
        notes = [f"{SMALL_COUNT_NOTE} en {', '.join(masked)}" if masked else "",
                 f"{SECRET_ROW_NOTE} en {', '.join(secret)}" if secret else ""]
        row["Note"] = " · ".join(n for n in notes if n)
        rows.append(row)
    return pd.DataFrame(rows)


def link_changes_table(table: pd.DataFrame, before: str, after: str, group_label: str) -> pd.DataFrame:
    """Links kept, new and lost between two waves, in French."""
    order = {name: i for i, name in enumerate(_ordered_groups(table))}
    ordered = table.assign(_g=table["groupe"].map(order)).sort_values("_g")
    return pd.DataFrame({
        group_label: ordered["groupe"].astype(str).to_numpy(dtype=object),
        f"Liens en {before}": ordered["avant"].to_numpy(), f"Liens en {after}": ordered["apres"].to_numpy(),
        "Maintenus": ordered["maintenus"].to_numpy(), "Nouveaux": ordered["nouveaux"].to_numpy(),
        "Perdus": ordered["perdus"].to_numpy(),
    })


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The same table with its numbers written the French way (``1 234``, ``12,5 %``, ``2,84``), for the screen."""
    out = {}
    for column in table.columns:
        values = table[column]
        cells = values.tolist()
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            # Text, or numbers mixed with « secret » (a funder's statistical secret): every cell as text.
            # An EPCI's short name on screen, as on the charts (the downloads keep the official name).
            percent = str(column).endswith("(%)")
            out[column] = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else
                           short_territory_name(v) if isinstance(v, str) else
                           (format_percent(v / 100, 1) if percent else format_int(v) if float(v).is_integer()
                            else format_decimal(v, 2)) if isinstance(v, (int, float, np.integer, np.floating))
                           and not isinstance(v, bool) else v for v in cells]
        elif pd.api.types.is_integer_dtype(values):
            out[column] = [format_int(v) for v in cells]
        elif str(column).endswith("(%)"):
            out[column] = ["–" if v != v else format_percent(v / 100, 1) for v in cells]
        else:
            whole = all(v != v or float(v).is_integer() for v in cells)
            out[column] = ["–" if v != v else format_int(v) if whole else format_decimal(v, 2) for v in cells]
    return pd.DataFrame(out, index=table.index, columns=table.columns, dtype=object)
