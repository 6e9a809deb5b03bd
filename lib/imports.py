"""What every import produces before anything is written: a preview the user confirms.

Shared by the Ministry directory importer (``lib/annuaire.py``), the survey
importers (``lib/importers/``), the Données page and the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from lib.dataset import ERROR, Problem
# The upload limit of every import: server.maxUploadSize of .streamlit/config.toml (re-exported here).
from lib.filesafety import MAX_IMPORT_BYTES, shorten_list, too_big_message


@dataclass
class ImportPreview:
    """The outcome of reading an import file, before the user confirms it.

    Attributes:
        file: the file's name, as the user gave it.
        kind: the format recognised, in French (e.g. "Annuaire de l'éducation",
            "KoboToolbox").
        target: the data-set file the rows go to ("structures" or "reponses").
        rows_read: data rows read from the file.
        added: rows that will be added, in the target file's columns (strings).
        updated: rows that will replace existing ones (same key), same columns.
        unchanged: rows already in the data set exactly as imported.
        problems: rejected rows (errors: line, column, reason in French) and
            warnings; a rejected row is never written.
        notes: facts worth saying in the preview (encoding, delimiter,
            rows outside the département…), in French.
        skipped: line → French reason, for rows left out on purpose rather than
            rejected (drafts, unfinished answers); they also have a problem
            naming the line, so that every list shows them.
    """

    file: str
    kind: str
    target: str
    rows_read: int = 0
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    updated: pd.DataFrame = field(default_factory=pd.DataFrame)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def has_changes(self) -> bool:
        return not self.added.empty or not self.updated.empty


@dataclass(frozen=True)
class ImportCounts:
    """The one set of figures an import shows: preview, result, journal line, command line ``--json``.

    ``read = skipped + added + updated + unchanged + rejected``: every data
    line of the file is in exactly one of them ("unchanged": already in the
    data set exactly as imported, so neither added nor updated).
    """

    read: int
    skipped: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    skipped_by_reason: dict[str, list[int]]
    rejected_by_reason: dict[str, list[int]]
    rejected_lines: list[dict[str, object]]

    def as_dict(self) -> dict[str, object]:
        """The figures for ``--json``: ``rejected`` is the list of ``{line, reason}``."""
        return {"read": self.read, "skipped": self.skipped, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected_lines,
                "rejected_count": self.rejected, "skipped_by_reason": self.skipped_by_reason,
                "rejected_by_reason": self.rejected_by_reason}

    def sentence(self) -> str:
        """The counts in French, in the order of the sum."""
        skipped = f"{self.skipped} écartée(s) (brouillons, réponses inachevées), " if self.skipped else ""
        return (f"{self.read} ligne(s) lue(s) : {skipped}{self.added} à ajouter, {self.updated} à mettre à jour, "
                f"{self.unchanged} inchangée(s), {self.rejected} rejetée(s).")


def reason_of(message: str) -> str:
    """A rejection message without its values, to group lines by reason (« X » → « … »)."""
    message = message.removesuffix(" (ligne ignorée)")
    return re.sub(r"(ligne|lignes) \d+(, \d+)*", r"\1 …", re.sub(r"« [^»]*»", "« … »", message))


def import_counts(preview: ImportPreview) -> ImportCounts:
    """Count a preview once, for every screen and output (see :class:`ImportCounts`)."""
    first: dict[int, str] = {}
    for problem in preview.problems:
        if problem.row_dropped and problem.line is not None and problem.line not in preview.skipped:
            first.setdefault(problem.line, problem.message.removesuffix(" (ligne ignorée)"))
    by_reason: dict[str, list[int]] = {}
    for line, message in sorted(first.items()):
        by_reason.setdefault(reason_of(message), []).append(line)
    skipped: dict[str, list[int]] = {}
    for line, reason in sorted(preview.skipped.items()):
        skipped.setdefault(reason, []).append(line)
    return ImportCounts(read=preview.rows_read, skipped=len(preview.skipped), added=len(preview.added),
                        updated=len(preview.updated), unchanged=preview.unchanged, rejected=len(first),
                        skipped_by_reason=skipped, rejected_by_reason=by_reason,
                        rejected_lines=[{"line": line, "reason": message} for line, message in sorted(first.items())])


def reasons_table(counts: ImportCounts) -> pd.DataFrame:
    """Lines left aside, grouped by reason (skipped first, then rejected), for the preview."""
    rows = [{"raison": reason, "ligne(s)": what, "nombre": len(lines), "lignes du fichier": ", ".join(map(str, lines))}
            for what, groups in (("écartée", counts.skipped_by_reason), ("rejetée", counts.rejected_by_reason))
            for reason, lines in groups.items()]
    return pd.DataFrame(rows, columns=["raison", "ligne(s)", "nombre", "lignes du fichier"])


def refused(file: str, kind: str, target: str, message: str) -> ImportPreview:
    """A preview for a file that cannot be imported at all (empty, binary, too big, no known column…)."""
    return ImportPreview(file=file, kind=kind, target=target, problems=[Problem(file, None, None, None, message)])


def apply_preview(preview: ImportPreview, store, key: list[str]) -> tuple[int, int]:
    """Write what a confirmed preview adds and updates, in one locked, backed-up store write.

    Returns:
        (added, updated) as the store counted them.
    """
    rows = pd.concat([preview.added, preview.updated], ignore_index=True).fillna("").astype(str)
    if rows.empty:
        return 0, 0
    description = f"Import de {preview.file} ({preview.kind}) — {import_counts(preview).sentence()}"
    return store.upsert(preview.target, rows, key, description, action="import")


def preview_summary(preview: ImportPreview) -> str:
    """One French sentence: what the import would do."""
    return f"{preview.kind} — {import_counts(preview).sentence()}"


def preview_structures_csv(data: bytes, filename: str, dataset, current: pd.DataFrame) -> ImportPreview:
    """A CSV of centres sociaux / EVS (the columns of structures.csv) as an import preview.

    Schools come from the Ministry's directory; this file may only add or
    update centres and espaces de vie sociale. ``current`` is structures.csv
    as stored (strings): an empty cell in an update keeps its value, so a
    file without coordinates does not erase them.
    """
    from lib.csvio import CsvError, decode_bytes, fit_width, parse_text
    from lib.dataset import FILES, Problem, check_rows
    from lib.questionnaire import load_questionnaire

    kind, spec = "Tableau de structures (CSV)", FILES["structures"]
    if len(data) > MAX_IMPORT_BYTES:
        return refused(filename, kind, "structures", too_big_message(len(data), MAX_IMPORT_BYTES))
    try:
        text, _encoding = decode_bytes(data, filename)
        raw = parse_text(text, filename, "", expected=set(spec.columns))
    except CsvError as err:
        return refused(filename, kind, "structures", err.message)
    missing = [c for c in spec.required_columns if c not in raw.header]
    if missing:
        return refused(filename, kind, "structures", f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} "
                                                     f"(colonnes trouvées : {shorten_list(raw.original_header)})")
    preview = ImportPreview(file=filename, kind=kind, target="structures", rows_read=len(raw.rows))
    rows, lines = [], []
    for row, line in zip(raw.rows, raw.lines):
        row, broken = fit_width(row, len(raw.header), raw.delimiter)
        if broken:
            preview.problems.append(Problem(filename, line, None, None, broken + " (ligne ignorée)", row_dropped=True))
            continue
        rows.append(dict(zip(raw.header, (v.strip() for v in row))))
        lines.append(line)
    table = pd.DataFrame(rows).reindex(columns=list(spec.columns), fill_value="").fillna("").astype(str)
    table["_line"] = lines
    centres = table["type"].isin(load_questionnaire().centre_types)
    for line in table.loc[~centres, "_line"]:
        preview.problems.append(Problem(filename, int(line), "type", None, "seuls les centres sociaux et espaces de "
                                        "vie sociale s'ajoutent ici ; les écoles viennent de l'annuaire (ligne "
                                        "ignorée)", row_dropped=True))
    table = table[centres]
    ok, problems = check_rows("structures", table, dataset, filename)
    preview.problems += problems
    table = table[ok].drop(columns="_line")
    known = table["id"].isin(dataset.structures["id"])
    preview.added = table[~known].reset_index(drop=True)
    updated = table[known].set_index("id")
    stored = current.drop_duplicates("id").set_index("id").reindex(index=updated.index, columns=updated.columns)
    preview.updated = updated.where(updated != "", stored.fillna("")).reset_index()
    return preview
