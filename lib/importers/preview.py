"""What importing an export would do to the data set: checks, rows, comparison; nothing is written."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lib.dataset import ERROR, FILES, Dataset, Problem, check_rows
from lib.importers.mapping import DATE_ORDERS, DEFAULT_MODE, FIELDS, MULTI_FIELDS, Mapping
from lib.importers.reading import ExportRefused, SourceTable, read_export
from lib.importers.rows import RowBuilder, date_column_order
from lib.importers.ticks import unknown_tick_values
from lib.structure_match import StructureMatch, StructureMatcher, match_values, structure_key
from lib.text import fold_cached as fold
from lib.importers.tools import PLAIN, TARGET, detect_tool
from lib.imports import ImportPreview, import_counts
from lib.questionnaire import Questionnaire, load_questionnaire, split_codes


def check_mapping(table: SourceTable, mapping: Mapping, questionnaire: Questionnaire | None = None) -> list[str]:
    """What stops the import altogether (French messages); empty when the file can be previewed."""
    q = questionnaire or load_questionnaire()
    used = mapping.source_columns()
    if not used or not set(used) & set(table.headers):
        found = ", ".join(table.headers[:12]) + (" …" if len(table.headers) > 12 else "")
        return [f"aucune colonne reconnue : aucune colonne du fichier n'est associée à un champ "
                f"(colonnes trouvées : {found})"]
    messages = []
    for field_name, column in mapping.columns.items():
        if column not in table.headers:
            messages.append(f"colonne « {column} » ({FIELDS[field_name]}) absente du fichier")
    for field_name, choice in mapping.multi.items():
        for column in choice.columns:
            if column not in table.headers:
                messages.append(f"colonne « {column} » ({FIELDS[field_name]}) absente du fichier")
    for field_name in ("structure", "partenaire"):
        if field_name not in mapping.columns:
            messages.append(f"choisissez la colonne « {FIELDS[field_name]} »")
    if "vague" not in mapping.columns and not mapping.constants.get("vague", "").strip():
        messages.append("indiquez la vague d'enquête : une colonne du fichier, ou une valeur pour tout le "
                        "fichier (ex. 2024)")
    mode = mapping.constants.get("mode", DEFAULT_MODE)
    if "mode" not in mapping.columns and mode not in q["modes"].codes:
        messages.append(f"mode de recueil « {mode} » inconnu (codes possibles : {', '.join(q['modes'].codes)})")
    return messages


HEADER_ONLY = "Le fichier ne contient que la ligne d'en-tête : aucune réponse à importer."


def preview_export(data: bytes, filename: str, mapping: Mapping, dataset: Dataset) -> ImportPreview:
    """Read an uploaded export and preview it with a saved mapping (the command line's one call)."""
    try:
        table = read_export(data, filename)
    except ExportRefused as err:
        refusal = refused(filename, mapping.tool, [err.message])
        refusal.problems[0] = replace(refusal.problems[0], line=err.line)
        return refusal
    return preview_survey(table, mapping, dataset)


def refused(file: str, kind: str, messages: list[str], rows_read: int = 0) -> ImportPreview:
    return ImportPreview(file=file, kind=kind, target=TARGET, rows_read=rows_read,
                         problems=[Problem(file, None, None, None, m) for m in messages])


def preview_survey(table: SourceTable, mapping: Mapping, dataset: Dataset,
                   questionnaire: Questionnaire | None = None) -> ImportPreview:
    """What importing ``table`` with ``mapping`` would do to ``dataset``'s answers; nothing is written.

    Builds ``reponses.csv`` rows (strings, codes joined with ";"), checks them
    with the loader's rules, and splits them into added / updated / unchanged
    by ``reponse_id`` (the tool's own submission id, so re-importing next
    month's export updates instead of duplicating).
    """
    q = questionnaire or load_questionnaire()
    kind = mapping.tool if mapping.tool != PLAIN else table.format
    if not table.rows and not table.problems:
        notes = [*table.notes, f"Format reconnu : {detect_tool(table)}.", HEADER_ONLY]
        preview = ImportPreview(file=table.file, kind=kind, target=TARGET, notes=notes)
        preview.notes.append(import_counts(preview).sentence())
        return preview
    blocking = check_mapping(table, mapping, q)
    if blocking:
        return refused(table.file, kind, blocking, table.rows_read)
    builder = RowBuilder(table, mapping, dataset, q)
    rows = [row for row in (builder.build(cells, line) for cells, line in zip(table.rows, table.lines)) if row]
    rows, clashes = split_clashing_ids(rows, table.file)
    problems = list(table.problems) + builder.problems + clashes
    columns = list(FILES["reponses"].columns)
    frame = pd.DataFrame(rows, columns=[*columns, "_line"]) if rows else pd.DataFrame(columns=[*columns, "_line"])
    if rows:
        ok, found = check_rows("reponses", frame, dataset, table.file)
        problems += found
        for problem in found:  # what the loader would leave out of a kept row is left out here too
            if problem.severity == ERROR and not problem.row_dropped and problem.column in frame:
                frame.loc[frame["_line"] == problem.line, problem.column] = ""
        frame = frame[ok]
    problems.sort(key=lambda p: (p.line or 0, p.severity != ERROR))
    added, updated, unchanged = compare(frame, dataset)
    notes = [*table.notes, f"Format reconnu : {detect_tool(table)}."]
    if detect_tool(table) != mapping.tool:
        notes.append(f"Attention : la correspondance a été faite pour un export {mapping.tool}.")
    ignored = [h for h in table.headers if h not in mapping.source_columns()]
    if ignored:
        notes.append(f"{len(ignored)} colonne(s) non associée(s) à un champ, jamais importée(s) : "
                     + ", ".join(f"« {h} »" for h in ignored) + ".")
    notes += question_notes(table, mapping, builder.skipped)
    preview = ImportPreview(file=table.file, kind=kind, target=TARGET, rows_read=table.rows_read, added=added,
                            updated=updated, unchanged=unchanged, problems=problems, notes=notes,
                            skipped=builder.skipped)
    preview.notes.append(import_counts(preview).sentence())
    return preview


def split_clashing_ids(rows: list[dict[str, object]], file: str) -> tuple[list[dict[str, object]], list[Problem]]:
    """Rows whose submission id another row with different answers has too: all of them are rejected, each
    naming the others (never merged, never one chosen). Exact repeats are left to the loader's duplicate check
    (the first is kept, the others named)."""
    by_id: dict[object, list[dict[str, object]]] = {}
    for row in rows:
        by_id.setdefault(row["reponse_id"], []).append(row)
    clashing, problems = set(), []
    for answer_id, group in by_id.items():
        contents = {tuple(str(r[c]) for c in FILES["reponses"].columns) for r in group}
        if len(group) < 2 or len(contents) == 1:
            continue
        lines = [int(r["_line"]) for r in group]
        for row in group:
            others = ", ".join(str(n) for n in lines if n != row["_line"])
            problems.append(Problem(file, int(row["_line"]), "reponse_id", str(answer_id),
                                    f"identifiant de réponse aussi ligne(s) {others} avec d'autres réponses : "
                                    "aucune des deux n'est importée, corrigez l'export (ligne ignorée)",
                                    row_dropped=True))
            clashing.add(id(row))
    return [r for r in rows if id(r) not in clashing], problems


def structure_matches(table: SourceTable, mapping: Mapping, dataset: Dataset,
                      field_name: str) -> list[tuple[StructureMatch, bool]]:
    """Each distinct value of the structure (or partner) column, with its commune column's value: its match (best
    candidates with their score, the structure kept, sure or not) and whether the user decided it.

    The user's choices are ``mapping.values[field_name]`` by :func:`lib.structure_match.structure_key`:
    a structure id, or "" for « aucune ».
    """
    column = mapping.columns.get(field_name)
    if column not in table.headers:
        return []
    commune_column = mapping.columns.get(f"{field_name}_commune")
    communes = table.values(commune_column) if commune_column in table.headers else [""] * len(table.rows)
    decided = mapping.values.get(field_name, {})
    matcher = StructureMatcher(dataset.structures, dataset.reference.communes)
    matches = match_values(matcher, zip(table.values(column), communes), decided)
    folded_keys = {fold(k) for k in decided}
    return [(m, fold(structure_key(m.value, m.commune)) in folded_keys) for m in matches]


def structures_table(matches: list[tuple[StructureMatch, bool]]) -> pd.DataFrame:
    """The page's table of structure matches: value, commune, what is kept and why, best candidates with score."""
    rows = []
    for match, decided in matches:
        names = {c.id: f"{c.nom} ({c.commune})" for c in match.candidates}
        kept = names.get(match.chosen, match.chosen or "") if match.chosen else ("aucune" if decided else "")
        how = "votre choix" if decided else "reconnue" if match.sure else "à choisir"
        rows.append({"valeur du fichier": match.value, "commune": match.commune, "structure retenue": kept,
                     "": how, "propositions (score)": " ; ".join(f"{c.nom} ({c.commune}) {c.score:.0f}"
                                                               for c in match.candidates[:3])})
    return pd.DataFrame(rows, columns=["valeur du fichier", "commune", "structure retenue", "",
                                       "propositions (score)"])


NO_STRUCTURE = "__aucune__"


def structure_choice(match: StructureMatch, decided: bool) -> tuple[list[str], dict[str, str], str]:
    """The page's choice for one value: options ("" to choose, :data:`NO_STRUCTURE`, candidate ids best first),
    their French labels with the score, and the current option."""
    options = ["", NO_STRUCTURE, *(c.id for c in match.candidates)]
    labels = {"": "— à choisir —", NO_STRUCTURE: "aucune (ligne non importée)",
              **{c.id: f"{c.nom} ({c.commune}) — score {c.score:.0f}" for c in match.candidates}}
    current = NO_STRUCTURE if decided and match.chosen is None else (match.chosen or "")
    return options, labels, current if current in options else ""


def unknown_ticks(table: SourceTable, mapping: Mapping, decided_too: bool = False) -> dict[str, list[str]]:
    """Values of the mapping's option columns that no vocabulary knows (value → columns holding it), not decided
    by the user yet; ``decided_too``: the decided ones as well (the page lists them to let the user change)."""
    columns = {column: table.values(column) for choice in mapping.multi.values() for column in choice.options
               if column in table.headers}
    return unknown_tick_values(columns, None if decided_too else mapping.ticks)


def question_notes(table: SourceTable, mapping: Mapping, skipped: dict[int, str]) -> list[str]:
    """What the preview says about skipped rows and what the user still has to decide (French)."""
    notes = []
    reasons: dict[str, int] = {}
    for reason in skipped.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in reasons.items():
        what = "brouillon(s)" if reason.startswith("brouillon") else "réponse(s) inachevée(s) (sans date d'envoi)"
        hint = " ; cochez « Garder les réponses inachevées » pour les importer" if "inachev" in what else ""
        notes.append(f"{count} {what} écartée(s){hint}.")
    order, how = date_column_order(table, mapping)
    if how == "defaut":
        notes.append(f"Dates de la colonne « {mapping.columns['date']} » : rien ne dit si 05/06 est le 5 juin ou le "
                     f"6 mai ; lues en {DATE_ORDERS[order]} (convention de l'outil) — choisissez l'ordre.")
    for value, columns in unknown_ticks(table, mapping).items():
        notes.append(f"Valeur « {value} » inconnue dans {len(columns)} colonne(s) à cocher "
                     f"(« {columns[0]} »…) : "
                     "jamais comptée comme cochée ; dites ce qu'elle veut dire.")
    return notes


def normalised(row: dict[str, object]) -> tuple:
    values = []
    for column in FILES["reponses"].columns:
        value = row.get(column)
        if isinstance(value, list):
            values.append(tuple(sorted(value)))
        elif column in MULTI_FIELDS:
            values.append(tuple(sorted(split_codes(value))))
        elif value is None or (not isinstance(value, str) and pd.isna(value)):
            values.append("")
        elif isinstance(value, pd.Timestamp):
            values.append(value.date().isoformat())
        else:
            values.append(str(value))
    return tuple(values)


def compare(frame: pd.DataFrame, dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Rows split into added and updated (same reponse_id, different content), and the unchanged count."""
    columns = list(FILES["reponses"].columns)
    existing = {str(r["reponse_id"]): normalised(r) for r in dataset.reponses.to_dict("records")}
    frame = frame.set_index("_line").rename_axis("ligne")[columns] if "_line" in frame else frame[columns]
    status = [("added" if r["reponse_id"] not in existing else
               "same" if existing[r["reponse_id"]] == normalised(r) else "updated")
              for r in frame.to_dict("records")]
    status = pd.Series(status, index=frame.index, dtype=object)
    return frame[status == "added"], frame[status == "updated"], int((status == "same").sum())

