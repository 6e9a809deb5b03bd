"""What every import produces before anything is written: a preview the user confirms.

Shared by the Ministry directory importer (``lib/annuaire.py``), the survey
importers (``lib/importers.py``), the Données page and the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lib.dataset import ERROR, Problem

# Upload limit for any imported file (also server.maxUploadSize in .streamlit/config.toml).
MAX_IMPORT_BYTES = 50 * 1024 * 1024


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

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def has_changes(self) -> bool:
        return not self.added.empty or not self.updated.empty


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
    description = (f"Import de {preview.file} ({preview.kind}) : {len(preview.added)} ajout(s), "
                   f"{len(preview.updated)} mise(s) à jour, {len(preview.rejected)} ligne(s) rejetée(s)")
    return store.upsert(preview.target, rows, key, description, action="import")


def preview_summary(preview: ImportPreview) -> str:
    """One French sentence: what the import would do."""
    return (f"{preview.kind} — {preview.rows_read} ligne(s) lue(s) : {len(preview.added)} à ajouter, "
            f"{len(preview.updated)} à mettre à jour, {preview.unchanged} inchangée(s), "
            f"{len({p.line for p in preview.rejected})} rejetée(s).")
