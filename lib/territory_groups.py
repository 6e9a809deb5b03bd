"""A grouping of communes imported from a CSV (« code_insee;groupe »): the level « Territoire » of every filter,
chart and map (``territoires.csv`` of the data set; issue 16).

A fédération's own level beyond commune and EPCI, e.g. the Département's « territoires d'action sociale ».
Pure: the page shows the preview, the store writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from lib.csvio import CsvError, decode_bytes, parse_text
from lib.dataset import ERROR, Dataset, Problem, check_rows
from lib.formatting import format_int
from lib.filesafety import MAX_IMPORT_BYTES, too_big_message

# Header names accepted for each column (compared lower-case, as csvio normalises them).
CODE_COLUMNS = ("code_insee", "commune_insee", "code_commune", "insee", "codgeo")
GROUP_COLUMNS = ("groupe", "territoire", "nom_groupe", "groupement")


@dataclass(frozen=True)
class GroupsPreview:
    """What an import of a grouping would write, and what is wrong in the file (line and column named)."""

    file: str
    table: pd.DataFrame  # commune_insee, territoire: the rows kept
    problems: list[Problem] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # communes of the département in no group (names)

    @property
    def refused(self) -> bool:
        return self.table.empty

    @property
    def groups(self) -> pd.Series:
        """Number of communes per group, largest first."""
        return self.table["territoire"].value_counts()

    def summary(self) -> str:
        errors = sum(p.severity == ERROR for p in self.problems)
        return (f"{format_int(len(self.table))} commune(s) dans {format_int(self.table['territoire'].nunique())} "
                f"groupe(s) ; {format_int(len(self.outside))} commune(s) du département dans aucun groupe ; "
                f"{format_int(errors)} ligne(s) écartée(s)")


def preview_groups_csv(data: bytes, filename: str, dataset: Dataset) -> GroupsPreview:
    """Read a « code_insee;groupe » CSV and check it with the loader's own rules for ``territoires.csv``."""
    empty = pd.DataFrame(columns=["commune_insee", "territoire"])

    def refused(message: str, column: str | None = None) -> GroupsPreview:
        return GroupsPreview(filename, empty, [Problem(filename, None, column, None, message)])

    if len(data) > MAX_IMPORT_BYTES:
        return refused(too_big_message(len(data), MAX_IMPORT_BYTES))
    try:
        text, _encoding = decode_bytes(data, filename)
        raw = parse_text(text, filename, "")
    except CsvError as err:
        return refused(err.message)
    code = next((c for c in raw.header if c in CODE_COLUMNS), None)
    group = next((c for c in raw.header if c in GROUP_COLUMNS), None)
    if code is None or group is None:
        wanted = "une colonne de code commune (code_insee)" if code is None else "une colonne de groupe (groupe)"
        return refused(f"il manque {wanted} ; colonnes trouvées : {', '.join(raw.original_header)}")
    at = {name: i for i, name in enumerate(raw.header)}
    rows = pd.DataFrame({
        "commune_insee": [r[at[code]].strip() if at[code] < len(r) else "" for r in raw.rows],
        "territoire": [r[at[group]].strip() if at[group] < len(r) else "" for r in raw.rows],
        "_line": raw.lines,
    })
    kept, problems = check_rows("territoires", rows, dataset, filename)
    original = dict(zip(raw.header, raw.original_header))
    named = {"commune_insee": original[code], "territoire": original[group]}  # the file's own column names
    problems = [replace(p, column=named.get(p.column, p.column)) for p in problems]
    table = rows.loc[kept, ["commune_insee", "territoire"]].reset_index(drop=True)
    communes = dataset.reference.communes
    outside = sorted(communes.loc[~communes["code_insee"].isin(table["commune_insee"]), "nom"].tolist())
    return GroupsPreview(filename, table, problems, outside)
