"""Command line (``python -m lib.cli …``): ``check [DIR]``, ``import-schools FILE``, ``import-survey FILE``,
``add-user NAME ROLE``, ``report … -o FILE``, ``bench map|charts``.

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


def add_user(name: str, role: str, secrets: Path | None, password_stdin: bool, out=sys.stdout,
             stdin=sys.stdin) -> int:
    """``add-user NAME ROLE``: ask for a password (twice) and write its argon2 hash to the secrets file."""
    import getpass

    from lib.access import save_user
    from lib.dataset import secrets_file

    path = secrets or secrets_file()
    if password_stdin:
        password = stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Mot de passe de {name} : ")
        if getpass.getpass("Le même, encore une fois : ") != password:
            print("ERREUR les deux mots de passe diffèrent ; rien n'a été modifié.", file=out)
            return 1
    try:
        created = save_user(path, name, role, password)
    except (ValueError, OSError) as err:
        print(f"ERREUR {err}", file=out)
        return 1
    verb = "ajouté" if created else "mis à jour (nouveau mot de passe)"
    print(f"Compte « {name.strip().lower()} » ({role}) {verb} dans {path} ; seule l'empreinte argon2 du mot de "
          "passe y est écrite.", file=out)
    return 0


def report(territoire: str | None, wave: str | None, role: str, output: Path, folder: Path | None,
           out=sys.stdout) -> int:
    """``report``: the fiche territoire (``--territoire``) or the département report as PDF, or the aggregates
    as XLSX (``-o …xlsx``), the same files as the « Rapports » page, for a role."""
    from lib.access import ROLES, sees_free_text
    from lib.reports import aggregates_xlsx, departement_pdf, fiche_pdf, resolve_scope

    if role not in ROLES:
        print(f"ERREUR rôle « {role} » inconnu (rôles : {', '.join(ROLES)}).", file=out)
        return 1
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        print(f"ERREUR {output.name} : le fichier de sortie doit finir par .pdf ou .xlsx.", file=out)
        return 1
    dataset = load_dataset(folder or resolve_data_dir())
    waves = dataset.waves
    if not waves:
        print("ERREUR le jeu de données ne contient aucune réponse d'enquête.", file=out)
        return 1
    wave = wave or waves[-1]
    if wave not in waves:
        print(f"ERREUR vague « {wave} » absente du jeu de données (vagues : {', '.join(waves)}).", file=out)
        return 1
    try:
        scope = resolve_scope(dataset, territoire)
    except ValueError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    free_text = sees_free_text(role)
    if suffix == ".xlsx":
        data, what = aggregates_xlsx(dataset, scope, wave), f"chiffres agrégés, {scope.name}"
    elif territoire:
        data, what = fiche_pdf(dataset, scope, wave, free_text), f"fiche territoire, {scope.name}"
    else:
        data, what = departement_pdf(dataset, wave, free_text), "rapport départemental"
    output.write_bytes(data)
    version = "version comité de pilotage" if free_text and suffix == ".pdf" else "version financeurs"
    print(f"{output} : {what}, vague {wave}, {version} ({format_int(len(data))} octets).", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description="Passerelles en ligne de commande")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="vérifier un jeu de données")
    check_parser.add_argument("folder", nargs="?", type=Path, help="dossier du jeu de données")
    bench_parser = commands.add_parser("bench", help="mesurer les performances (JSON)")
    bench_parser.add_argument("target", choices=["map", "charts", "reports", "opportunities"], help="ce qui est mesuré")
    bench_parser.add_argument("--scales", default="demo,national", help="échelles, séparées par des virgules")
    bench_parser.add_argument("--repeat", type=int, default=3, help="répétitions (la médiane est donnée)")
    schools_parser = commands.add_parser("import-schools", help="importer l'annuaire de l'éducation")
    schools_parser.add_argument("file", type=Path, help="CSV de l'annuaire ou de la géolocalisation")
    schools_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    survey_parser = commands.add_parser("import-survey", help="importer un export d'outil d'enquête")
    survey_parser.add_argument("file", type=Path, help="export CSV ou XLSX")
    survey_parser.add_argument("--mapping", required=True, help="nom du paramétrage enregistré depuis l'application")
    survey_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    user_parser = commands.add_parser("add-user", help="ajouter un compte, ou changer son mot de passe")
    user_parser.add_argument("name", help="identifiant (minuscules, chiffres, . _ -)")
    user_parser.add_argument("role", choices=["pilotage", "saisie", "financeur"], help="rôle du compte")
    user_parser.add_argument("--secrets", type=Path, help="fichier des secrets (défaut : .streamlit/secrets.toml)")
    user_parser.add_argument("--password-stdin", action="store_true",
                             help="lire le mot de passe sur l'entrée standard (scripts)")
    report_parser = commands.add_parser("report", help="fiche territoire ou rapport départemental (PDF), "
                                                       "chiffres agrégés (XLSX)")
    report_parser.add_argument("--territoire", help="commune (code INSEE ou nom), intercommunalité (SIREN ou nom) "
                                                    "ou « departement » ; sans lui : le rapport départemental")
    report_parser.add_argument("--vague", help="vague d'enquête (défaut : la dernière)")
    report_parser.add_argument("--role", default="financeur", help="version du document (défaut : financeur)")
    report_parser.add_argument("--data", type=Path, help="dossier du jeu de données (défaut : celui de l'application)")
    report_parser.add_argument("-o", "--output", type=Path, required=True, help="fichier à écrire (.pdf ou .xlsx)")
    args = parser.parse_args(argv)
    if args.command == "add-user":
        return add_user(args.name, args.role, args.secrets, args.password_stdin)
    if args.command == "report":
        return report(args.territoire, args.vague, args.role, args.output, args.data)
    if args.command == "import-survey":
        return import_survey(args.file, args.mapping, args.dry_run)
    if args.command == "import-schools":
        return import_schools(args.file, args.dry_run)
    if args.command == "check":
        return check(args.folder)
    if args.command == "bench":
        from lib.bench import bench_charts, bench_map, bench_reports

        if args.target == "opportunities":
            from lib.bench_opportunities import bench_opportunities

            print(json.dumps(bench_opportunities(args.scales.split(","), args.repeat), indent=2, ensure_ascii=False))
            return 0
        if args.target == "reports":
            result = bench_reports(args.repeat)  # demo scale only
        else:
            run = bench_charts if args.target == "charts" else bench_map
            result = run(args.scales.split(","), args.repeat)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
