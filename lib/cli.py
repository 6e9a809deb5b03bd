"""Command line: ``check [DIR]``, ``import-schools FILE``, ``bench map`` (``python -m lib.cli …``).

Without a folder, the data set is the one the app would show (see
``lib.dataset.resolve_data_dir``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib.dataset import ERROR, load_dataset, resolve_data_dir
from lib.formatting import format_int


def check(folder: Path | None, out=sys.stdout) -> int:
    """Print the validation report of a data set; 1 when it has an error, else 0."""
    folder = folder or resolve_data_dir()
    dataset = load_dataset(folder)
    print(f"Jeu de données : {folder}" + (" (démonstration)" if dataset.is_demo else ""), file=out)
    print(
        f"Structures : {format_int(len(dataset.structures))} · réponses : {format_int(len(dataset.reponses))} · "
        f"rencontres : {format_int(len(dataset.rencontres))} · "
        f"participations : {format_int(len(dataset.participations))}",
        file=out,
    )
    for problem in dataset.problems:
        label = "ERREUR" if problem.severity == ERROR else "AVERTISSEMENT"
        print(f"{label} {problem}", file=out)
    n_errors, n_warnings = len(dataset.errors), len(dataset.warnings)
    if n_errors:
        print(f"{format_int(n_errors)} erreur(s), {format_int(n_warnings)} avertissement(s).", file=out)
        return 1
    print(f"Aucune erreur, {format_int(n_warnings)} avertissement(s).", file=out)
    return 0


def print_preview(preview, out=sys.stdout) -> None:
    """An import's preview on the terminal: the summary, notes, then every rejected line and warning."""
    from lib.imports import preview_summary

    print(preview_summary(preview), file=out)
    for note in preview.notes:
        print(f"  {note}", file=out)
    for problem in preview.problems:
        label = "REJETÉ" if problem.severity == ERROR else "AVERTISSEMENT"
        print(f"{label} {problem}", file=out)


def import_schools(path: Path, dry_run: bool, out=sys.stdout) -> int:
    """``import-schools FILE``: preview the Ministry directory, write it unless ``dry_run``."""
    from lib.annuaire import preview_school_directory

    def preview(data, dataset, _store):
        return preview_school_directory(data, path.name, dataset)

    return _import(path, dry_run, ["id"], preview, out)


def import_survey(path: Path, mapping_name: str, dry_run: bool, out=sys.stdout) -> int:
    """``import-survey FILE --mapping NAME``: preview a survey export with a saved mapping, write unless ``dry_run``."""
    from lib.importers import Mapping, mapping_filename, preview_export

    def preview(data, dataset, store):
        filename = mapping_filename(mapping_name)
        if filename not in store.mapping_names():
            known = ", ".join(name.removesuffix(".json") for name in store.mapping_names()) or "aucun"
            raise ValueError(f"paramétrage « {mapping_name} » introuvable (paramétrages enregistrés : {known}).")
        return preview_export(data, path.name, Mapping.from_json(store.read_mapping(filename)), dataset)

    return _import(path, dry_run, ["reponse_id"], preview, out)


def _import(path: Path, dry_run: bool, key: list[str], make_preview, out) -> int:
    """Preview an import, print it, write it unless ``dry_run``; 1 when nothing valid could be imported."""
    from lib.imports import apply_preview
    from lib.store import Store, StoreError

    folder = resolve_data_dir()
    dataset = load_dataset(folder)
    store = Store(folder)
    try:
        data = path.read_bytes()
        preview = make_preview(data, dataset, store)
    except (OSError, ValueError, StoreError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        print(f"ERREUR {path.name} : {reason}", file=out)
        return 1
    print(f"Jeu de données : {folder}", file=out)
    print_preview(preview, out)
    if not preview.has_changes and not preview.unchanged:  # not one valid row in the file
        return 1
    if dry_run or not preview.has_changes:
        print("Essai : rien n'a été écrit." if dry_run else "Rien à écrire.", file=out)
        return 0
    try:
        added, updated = apply_preview(preview, store, key)
    except StoreError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    print(f"Écrit : {added} ajout(s), {updated} mise(s) à jour.", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description="Passerelles en ligne de commande")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="vérifier un jeu de données")
    check_parser.add_argument("folder", nargs="?", type=Path, help="dossier du jeu de données")
    bench_parser = commands.add_parser("bench", help="mesurer les performances (JSON)")
    bench_parser.add_argument("target", choices=["map", "charts"], help="ce qui est mesuré")
    bench_parser.add_argument("--scales", default="demo,national", help="échelles, séparées par des virgules")
    bench_parser.add_argument("--repeat", type=int, default=3, help="répétitions (la médiane est donnée)")
    schools_parser = commands.add_parser("import-schools", help="importer l'annuaire de l'éducation")
    schools_parser.add_argument("file", type=Path, help="CSV de l'annuaire ou de la géolocalisation")
    schools_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    survey_parser = commands.add_parser("import-survey", help="importer un export d'outil d'enquête")
    survey_parser.add_argument("file", type=Path, help="export CSV ou XLSX")
    survey_parser.add_argument("--mapping", required=True, help="nom du paramétrage enregistré depuis l'application")
    survey_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    args = parser.parse_args(argv)
    if args.command == "import-survey":
        return import_survey(args.file, args.mapping, args.dry_run)
    if args.command == "import-schools":
        return import_schools(args.file, args.dry_run)
    if args.command == "check":
        return check(args.folder)
    if args.command == "bench":
        from lib.bench import bench_charts, bench_map

        run = bench_charts if args.target == "charts" else bench_map
        print(json.dumps(run(args.scales.split(","), args.repeat), indent=2, ensure_ascii=False))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
