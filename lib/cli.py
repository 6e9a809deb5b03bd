"""Command line (``python -m lib.cli …``): ``init --departement N --data DIR``, ``demo --departement N --out DIR``,
``check [DIR]``, ``import-schools FILE``, ``import-survey FILE``, ``add-user NAME ROLE``, ``add-dataset ID DIR``,
``backup``, ``restore``, ``report … -o FILE``, ``bench map|charts|pages|concurrent|import|opportunities|reports``.

Without a folder, the data set is the one the app would show (see
``lib.dataset.resolve_data_dir``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NoReturn

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


def init(departement: str, folder: Path, federation: str | None, wave: str | None, out=None) -> int:
    """``init``: a new, empty data set for one département in ``folder``; 1 (with ERREUR) when refused."""
    from datetime import date

    out = out or sys.stdout

    from lib.dataset_init import DatasetInitError, create_dataset

    try:
        info = create_dataset(folder, departement, federation, wave or str(date.today().year))
    except DatasetInitError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    dataset = load_dataset(folder)
    communes, epci = len(dataset.reference.communes), len(dataset.reference.epci)
    print(f"Jeu de données créé : {folder}", file=out)
    print(f"  {info.departement_nom} ({info.departement_code}) : {format_int(communes)} communes, "
          f"{format_int(epci)} intercommunalités", file=out)
    print(f"  {info.federation} · première vague {info.premiere_vague}", file=out)
    print("Ensuite : importez l'annuaire de l'éducation, puis les centres sociaux, par exemple :", file=out)
    print(f"  python -m lib.cli import-schools fr-en-annuaire-education.csv --data {folder}", file=out)
    return 0


def demo(departement: str, folder: Path, seed: int | None, out=None) -> int:
    """``demo``: a fictional demo data set for one département in ``folder``; 1 (with ERREUR) when refused."""
    from lib.demo_generator import create_demo_dataset
    from lib.demo_vocabulary import DEFAULT_SEED, DemoError

    out = out or sys.stdout
    try:
        made = create_demo_dataset(folder, departement, DEFAULT_SEED if seed is None else seed)
    except DemoError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    counts = made.counts
    print(f"Démonstration (fictive) créée : {folder}", file=out)
    print(f"  {made.departement.nom} ({made.departement.code}), graine {made.seed} : "
          f"{format_int(counts['structures'])} structures, {format_int(counts['reponses'])} réponses, "
          f"{format_int(counts['rencontres'])} rencontres", file=out)
    print(f"Pour l'ouvrir : PASSERELLES_DATA={folder} make run", file=out)
    return 0


def import_schools(path: Path, dry_run: bool, out=sys.stdout, data: Path | None = None) -> int:
    """``import-schools FILE``: preview the Ministry directory, write it unless ``dry_run``."""
    from lib.annuaire import preview_school_directory

    def preview(data, dataset, _store):
        return preview_school_directory(data, path.name, dataset)

    return _import(path, dry_run, ["id"], preview, out, data)


def file_error(err: OSError) -> str:
    """Why a file could not be read, in French (never the system's English message)."""
    if isinstance(err, FileNotFoundError):
        return "fichier introuvable (vérifiez le chemin)."
    if isinstance(err, IsADirectoryError):
        return "c'est un dossier, pas un fichier."
    if isinstance(err, PermissionError):
        return "lecture refusée : droits insuffisants sur ce fichier."
    return "fichier illisible (erreur du système de fichiers)."


def import_survey(path: Path, mapping_name: str | None = None, dry_run: bool = False, out=None, *,
                  mapping_file: Path | None = None, suggest: bool = False, as_json: bool = False,
                  data: Path | None = None, err=None) -> int:
    """``import-survey FILE``: preview a survey export, write it unless ``dry_run``.

    The mapping is a saved one (``--mapping NAME``), a JSON file (``--mapping-file``) or, with neither, the one the
    import page proposes (said on the output, on stderr with ``--json``). ``--suggest`` only prints that proposed
    mapping (saved-mapping JSON). ``--json`` prints the preview's counts (:class:`lib.imports.ImportCounts`).
    """
    from lib.importers import ExportRefused, Mapping, mapping_filename, preview_survey, read_export, suggest_mapping
    from lib.importers.preview import refused
    from lib.imports import apply_preview, import_counts
    from lib.store import Store, StoreError

    out, err = out or sys.stdout, err or sys.stderr  # looked up at call time: redirections apply
    try:
        payload = path.read_bytes()
    except OSError as error:
        print(f"ERREUR {path.name} : {file_error(error)}", file=out)
        return 1
    try:
        table = read_export(payload, path.name)
    except ExportRefused as error:
        table = None
        refusal = refused(path.name, "Enquête", [error.message])
    if suggest:
        if table is None:
            print(f"ERREUR {path.name} : {refusal.problems[0].message}", file=out)
            return 1
        print(suggest_mapping(table).to_json(), file=out)
        return 0
    folder = data or resolve_data_dir()
    dataset = load_dataset(folder)
    store = Store(folder)
    try:
        if mapping_file is not None:
            try:
                mapping, source = Mapping.from_json(mapping_file.read_text(encoding="utf-8")), str(mapping_file)
            except OSError as error:
                raise ValueError(f"correspondance {mapping_file.name} : {file_error(error)}") from None
            except UnicodeDecodeError:
                raise ValueError(f"correspondance {mapping_file.name} : pas un texte UTF-8") from None
        elif mapping_name is not None:
            filename = mapping_filename(mapping_name)
            if filename not in store.mapping_names():
                known = ", ".join(name.removesuffix(".json") for name in store.mapping_names()) or "aucun"
                raise ValueError(f"paramétrage « {mapping_name} » introuvable "
                                 f"(paramétrages enregistrés : {known}).")
            mapping, source = Mapping.from_json(store.read_mapping(filename)), mapping_name
        else:
            mapping, source = (suggest_mapping(table) if table else Mapping()), "proposée"
            print("Correspondance proposée d'après les colonnes du fichier (ni --mapping ni --mapping-file) : "
                  "vérifiez-la avec --suggest.", file=err if as_json else out)
    except (ValueError, StoreError) as error:
        print(f"ERREUR {path.name} : {error}", file=out)
        return 1
    preview = refusal if table is None else preview_survey(table, mapping, dataset)
    counts = import_counts(preview)
    report: dict[str, object] = {"file": path.name, "kind": preview.kind, "data": str(folder), "mapping": source,
                                 **counts.as_dict(), "notes": preview.notes,
                                 "problems": [str(p) for p in preview.problems]}
    if not as_json:
        print(f"Jeu de données : {folder}", file=out)
        print_preview(preview, out)
    code, written = 0, None
    if not preview.has_changes and not preview.unchanged:  # not one valid row in the file
        code = 1
    elif dry_run or not preview.has_changes:
        if not as_json:
            print("Essai : rien n'a été écrit." if dry_run else "Rien à écrire.", file=out)
    else:
        try:
            written = apply_preview(preview, store, ["reponse_id"])
        except StoreError as error:
            print(f"ERREUR {error}", file=err if as_json else out)
            code = 1
        else:
            if not as_json:
                print(f"Écrit : {written[0]} ajout(s), {written[1]} mise(s) à jour.", file=out)
    if as_json:
        report["written"] = {"added": written[0], "updated": written[1]} if written else None
        print(json.dumps(report, ensure_ascii=False, indent=2), file=out)
    return code


def _import(path: Path, dry_run: bool, key: list[str], make_preview, out, folder: Path | None = None) -> int:
    """Preview an import, print it, write it unless ``dry_run``; 1 when nothing valid could be imported."""
    from lib.imports import apply_preview
    from lib.store import Store, StoreError

    folder = folder or resolve_data_dir()
    dataset = load_dataset(folder)
    store = Store(folder)
    try:
        data = path.read_bytes()
        preview = make_preview(data, dataset, store)
    except (OSError, ValueError, StoreError) as err:
        reason = file_error(err) if isinstance(err, OSError) else str(err)
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
             stdin=sys.stdin, datasets: list[str] | None = None) -> int:
    """``add-user NAME ROLE [--jeu ID …]``: ask for a password (twice) and write its argon2 hash to the secrets
    file; ``datasets``: the data sets the account opens (None: those it had, else the default one)."""
    import getpass

    from lib.access import save_user
    from lib.dataset import secrets_file

    path = secrets or secrets_file()
    if datasets:
        problem = unknown_datasets_problem(path, datasets)
        if problem:
            print(f"ERREUR {problem} ; rien n'a été modifié.", file=out)
            return 1
    if password_stdin:
        password = stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Mot de passe de {name} : ")
        if getpass.getpass("Le même, encore une fois : ") != password:
            print("ERREUR les deux mots de passe diffèrent ; rien n'a été modifié.", file=out)
            return 1
    try:
        created = save_user(path, name, role, password, datasets or None)
    except (ValueError, OSError) as err:
        print(f"ERREUR {err}", file=out)
        return 1
    verb = "ajouté" if created else "mis à jour (nouveau mot de passe)"
    print(f"Compte « {name.strip().lower()} » ({role}) {verb} dans {path} ; seule l'empreinte argon2 du mot de "
          "passe y est écrite.", file=out)
    if datasets:
        print(f"Jeux de données ouverts à ce compte : {', '.join(dict.fromkeys(datasets))}.", file=out)
    return 0


def unknown_datasets_problem(path: Path, datasets: list[str]) -> str | None:
    """Why ``add-user --jeu`` refuses these ids (not declared in the secrets file), or None."""
    from lib.datasets_registry import load_registry, unknown_datasets

    registry = load_registry(path)
    unknown = unknown_datasets(registry, datasets)
    if not unknown:
        return None
    return (f"jeu(x) de données inconnu(s) : {', '.join(unknown)} (déclarés : {', '.join(registry.entries)} ; "
            "déclarez-en un avec python -m lib.cli add-dataset ID DOSSIER --nom NOM)")


def add_dataset(dataset_id: str, folder: Path, name: str | None, secrets: Path | None, out=None) -> int:
    """``add-dataset ID DIR --nom NAME``: declare a data set ``[jeux.ID]`` in the secrets file."""
    from lib.dataset import secrets_file
    from lib.datasets_registry import save_dataset

    out = out or sys.stdout  # looked up at call time: redirections apply
    path = secrets or secrets_file()
    folder = folder.expanduser().resolve()  # as the administrator meant it, whatever the app's folder
    try:
        created = save_dataset(path, dataset_id, folder, name)
    except (ValueError, OSError) as err:
        print(f"ERREUR {err} ; rien n'a été modifié.", file=out)
        return 1
    print(f"Jeu de données « {dataset_id} » {'déclaré' if created else 'mis à jour'} dans {path} : {folder}"
          + ("" if folder.is_dir() else " (dossier encore absent)") + ". Donnez-le à un compte avec "
          f"python -m lib.cli add-user NOM ROLE --jeu {dataset_id} ; il s'ouvre à l'adresse ?jeu={dataset_id}.",
          file=out)
    return 0


def backup_command(folder: Path | None, output: Path, force: bool, out=None) -> int:
    """``backup --data DIR --out FILE``: the whole data set in one verified archive."""
    from lib.backup import BackupError, backup

    out = out or sys.stdout
    folder = folder or resolve_data_dir()
    try:
        summary = backup(folder, output, force)
    except BackupError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    print(f"{output} : sauvegarde de {folder} écrite et vérifiée ({format_int(summary.files)} fichiers, "
          f"{format_int(summary.size)} octets, empreintes SHA-256 dans le manifeste).", file=out)
    return 0


def restore_command(archive: Path, folder: Path | None, force: bool, verify_only: bool, out=None) -> int:
    """``restore FILE --data DIR [--force]``, or ``restore FILE --verify`` (check only, nothing written)."""
    from lib.backup import BackupError, restore, verify

    out = out or sys.stdout
    try:
        if verify_only:
            summary = verify(archive)
        else:
            if folder is None:
                print("ERREUR indiquez le dossier où restaurer : --data DOSSIER (rien n'a été restauré).", file=out)
                return 1
            summary = restore(archive, folder, force)
    except BackupError as err:
        print(f"ERREUR {err}", file=out)
        return 1
    what = f"{format_int(summary.files)} fichiers, sauvegarde du {summary.created or 'date inconnue'}"
    if verify_only:
        print(f"{archive} : sauvegarde intacte ({what}) ; rien n'a été écrit.", file=out)
    else:
        print(f"{folder} : restauré depuis {archive} ({what}), chaque fichier vérifié.", file=out)
    return 0


def report(territoire: str | None, wave: str | None, role: str, output: Path, folder: Path | None,
           out=sys.stdout) -> int:
    """``report``: the fiche territoire (``--territoire``) or the département report as PDF, or the aggregates
    as XLSX (``-o …xlsx``), the same files as the « Rapports » page, for a role."""
    from lib.access import FINANCEUR, ROLES, sees_free_text
    from lib.dataset import read_secrets, secrets_file
    from lib.reports import aggregates_xlsx, departement_pdf, fiche_pdf, funder_scope, resolve_scope
    from lib.secrecy import public_dataset, secrecy_threshold

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
    if role == FINANCEUR:  # the funders' copy under the statistical secret, and the territory it may show
        dataset = public_dataset(dataset, secrecy_threshold(read_secrets(secrets_file())))
        scope, note = funder_scope(dataset, scope)
        if note:
            print(f"NOTE {note}", file=out)
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


_ARGPARSE_FRENCH = [
    (r"the following arguments are required: (.+)", r"argument(s) obligatoire(s) manquant(s) : \1"),
    (r"argument (\S+): not allowed with argument (\S+)", r"\1 et \2 ne vont pas ensemble"),
    (r"unrecognized arguments: (.+)", r"argument(s) inconnu(s) : \1"),
    (r"argument (\S+): invalid choice: (\S+) \(choose from (.+)\)", r"\1 : choix \2 invalide (possibles : \3)"),
    (r"argument (\S+): expected one argument", r"\1 : une valeur est attendue"),
    (r"argument (\S+): invalid (\w+) value: (\S+)", r"\1 : valeur \3 invalide"),
]


class FrenchArgumentParser(argparse.ArgumentParser):
    """argparse, with its error messages in French (the usage and help headings stay argparse's)."""

    def error(self, message: str) -> NoReturn:
        for pattern, french in _ARGPARSE_FRENCH:
            if re.fullmatch(pattern, message):
                message = re.sub(pattern, french, message)
                break
        self.exit(2, f"ERREUR {self.prog} : {message} (aide : {self.prog} --help)\n")


def bench(args: argparse.Namespace) -> int:
    """``bench TARGET``: the figures as JSON on standard output (what was loaded included), or ERREUR."""
    from lib.bench_pages import BenchError

    try:
        if args.target in ("pages", "concurrent"):
            from lib.bench_pages import bench_concurrent, bench_pages

            result = (bench_pages(args.repeat, args.pages) if args.target == "pages"
                      else bench_concurrent(args.sessions))
        elif args.target == "opportunities":
            from lib.bench_opportunities import bench_opportunities

            result = bench_opportunities(args.scales.split(","), args.repeat)
        elif args.target == "import":
            from lib.import_bench import bench_import

            result = bench_import(args.repeat)
        elif args.target == "charts":
            from lib.bench_charts import bench_charts

            result = bench_charts(args.scales.split(","), args.repeat)
        else:
            from lib.bench import bench_map, bench_reports

            result = (bench_reports(args.repeat) if args.target == "reports"  # demo scale only
                      else bench_map(args.scales.split(","), args.repeat))
    except BenchError as error:
        print(f"ERREUR {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None, out=None) -> int:
    """Run one command; ``out``: where ``import-survey`` prints (default: standard output, looked up at call time)."""
    parser = FrenchArgumentParser(prog="python -m lib.cli", description="Passerelles en ligne de commande")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=FrenchArgumentParser)
    check_parser = commands.add_parser("check", help="vérifier un jeu de données")
    check_parser.add_argument("folder", nargs="?", type=Path, help="dossier du jeu de données")
    bench_parser = commands.add_parser("bench", help="mesurer les performances (JSON)")
    bench_parser.add_argument("target", choices=["map", "charts", "pages", "concurrent", "reports", "import",
                                                 "opportunities"], help="ce qui est mesuré")
    bench_parser.add_argument("--scales", default="demo,national", help="échelles, séparées par des virgules "
                              "(map, charts, opportunities)")
    bench_parser.add_argument("--repeat", type=int, default=3, help="répétitions (la médiane est donnée)")
    bench_parser.add_argument("--pages", help="pages, par leur adresse, séparées par des virgules (bench pages ; "
                              "défaut : toutes), par exemple Carte,Impact,Accueil")
    bench_parser.add_argument("--sessions", type=int, default=20, help="sessions simultanées (bench concurrent)")
    schools_parser = commands.add_parser("import-schools", help="importer l'annuaire de l'éducation")
    schools_parser.add_argument("file", type=Path, help="CSV de l'annuaire ou de la géolocalisation")
    schools_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    schools_parser.add_argument("--data", type=Path,
                                help="dossier du jeu de données (défaut : celui de l'application)")
    init_parser = commands.add_parser("init", help="créer le jeu de données d'un département (vide)")
    init_parser.add_argument("--departement", required=True, help="code INSEE du département (95, 2A, 974…)")
    init_parser.add_argument("--data", type=Path, required=True, help="dossier à créer (vide ou inexistant)")
    init_parser.add_argument("--federation", help="nom de la fédération (défaut : Fédération des centres sociaux "
                                                  "du département)")
    init_parser.add_argument("--vague", help="première vague d'enquête (défaut : l'année en cours)")
    demo_parser = commands.add_parser("demo", help="créer un jeu de démonstration (fictif) pour un département")
    demo_parser.add_argument("--departement", required=True, help="code INSEE du département (95, 2A, 974…)")
    demo_parser.add_argument("--out", type=Path, required=True, help="dossier à créer (vide ou inexistant)")
    demo_parser.add_argument("--seed", type=int, help="graine (défaut : 2018) ; la même graine donne les mêmes "
                                                      "fichiers")
    survey_parser = commands.add_parser("import-survey", help="importer un export d'outil d'enquête")
    survey_parser.add_argument("file", type=Path, help="export CSV, TSV, TXT ou XLSX")
    chosen = survey_parser.add_mutually_exclusive_group()
    chosen.add_argument("--mapping", help="nom du paramétrage enregistré depuis l'application")
    chosen.add_argument("--mapping-file", type=Path, help="correspondance JSON (celle que --suggest écrit)")
    chosen.add_argument("--suggest", action="store_true",
                        help="écrire la correspondance que la page proposerait (JSON), sans rien importer")
    survey_parser.add_argument("--dry-run", action="store_true", help="montrer l'aperçu sans rien écrire")
    survey_parser.add_argument("--json", action="store_true", help="l'aperçu en JSON (read, skipped, added, "
                                                                   "updated, unchanged, rejected…)")
    survey_parser.add_argument("--data", type=Path,
                               help="dossier du jeu de données (défaut : celui de l'application)")
    user_parser = commands.add_parser("add-user", help="ajouter un compte, ou changer son mot de passe")
    user_parser.add_argument("name", help="identifiant (minuscules, chiffres, . _ -)")
    user_parser.add_argument("role", choices=["pilotage", "saisie", "financeur"], help="rôle du compte")
    user_parser.add_argument("--secrets", type=Path, help="fichier des secrets (défaut : .streamlit/secrets.toml)")
    user_parser.add_argument("--password-stdin", action="store_true",
                             help="lire le mot de passe sur l'entrée standard (scripts)")
    user_parser.add_argument("--jeu", action="append", dest="datasets", metavar="ID",
                             help="jeu de données ouvert à ce compte (répétable ; défaut : le jeu principal, ou ceux "
                                  "qu'avait déjà le compte)")
    dataset_parser = commands.add_parser("add-dataset", help="déclarer un jeu de données (plusieurs par serveur)")
    dataset_parser.add_argument("id", help="identifiant, dans l'adresse (?jeu=ID) : minuscules, chiffres, _ -")
    dataset_parser.add_argument("folder", type=Path, help="dossier du jeu de données")
    dataset_parser.add_argument("--nom", help="nom montré aux utilisateurs (défaut : l'identifiant)")
    dataset_parser.add_argument("--secrets", type=Path, help="fichier des secrets (défaut : .streamlit/secrets.toml)")
    backup_parser = commands.add_parser("backup", help="sauvegarder un jeu de données dans un fichier vérifié")
    backup_parser.add_argument("--data", type=Path, help="dossier du jeu de données (défaut : celui de l'application)")
    backup_parser.add_argument("--out", type=Path, required=True, help="fichier à écrire (.tar.gz)")
    backup_parser.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
    restore_parser = commands.add_parser("restore", help="restaurer une sauvegarde (ou la vérifier : --verify)")
    restore_parser.add_argument("file", type=Path, help="sauvegarde (.tar.gz)")
    restore_parser.add_argument("--data", type=Path, help="dossier où restaurer (vide, ou --force)")
    restore_parser.add_argument("--force", action="store_true", help="remplacer un dossier qui n'est pas vide")
    restore_parser.add_argument("--verify", action="store_true", help="vérifier la sauvegarde sans rien écrire")
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
        return add_user(args.name, args.role, args.secrets, args.password_stdin, datasets=args.datasets)
    if args.command == "add-dataset":
        return add_dataset(args.id, args.folder, args.nom, args.secrets)
    if args.command == "backup":
        return backup_command(args.data, args.out, args.force)
    if args.command == "restore":
        return restore_command(args.file, args.data, args.force, args.verify)
    if args.command == "report":
        return report(args.territoire, args.vague, args.role, args.output, args.data)
    if args.command == "import-survey":
        return import_survey(args.file, args.mapping, args.dry_run, out, mapping_file=args.mapping_file,
                             suggest=args.suggest, as_json=args.json, data=args.data)
    if args.command == "import-schools":
        return import_schools(args.file, args.dry_run, data=args.data)
    if args.command == "init":
        return init(args.departement, args.data, args.federation, args.vague)
    if args.command == "demo":
        return demo(args.departement, args.out, args.seed)
    if args.command == "check":
        return check(args.folder)
    if args.command == "bench":
        return bench(args)
    return 2


if __name__ == "__main__":
    from lib.dataset import SecretsError

    try:
        sys.exit(main())
    except SecretsError as error:  # an unreadable secrets.toml: said in French, no traceback
        print(f"ERREUR {error}", file=sys.stderr)
        sys.exit(1)
