"""Command line: ``python -m lib.cli check [DIR]`` and ``python -m lib.cli bench map``.

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description="Passerelles en ligne de commande")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="vérifier un jeu de données")
    check_parser.add_argument("folder", nargs="?", type=Path, help="dossier du jeu de données")
    bench_parser = commands.add_parser("bench", help="mesurer les performances (JSON)")
    bench_parser.add_argument("target", choices=["map"], help="ce qui est mesuré")
    bench_parser.add_argument("--scales", default="demo,national", help="échelles, séparées par des virgules")
    bench_parser.add_argument("--repeat", type=int, default=3, help="répétitions (la médiane est donnée)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.folder)
    if args.command == "bench":
        from lib.bench import bench_map

        print(json.dumps(bench_map(args.scales.split(","), args.repeat), indent=2, ensure_ascii=False))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
