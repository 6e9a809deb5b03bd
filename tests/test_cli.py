"""`python -m lib.cli check`: exit code and a report naming file, line and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import small_tables, write_tables

ROOT = Path(__file__).resolve().parents[1]


def run_check(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib.cli", "check", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)


def test_demo_data_set_is_clean():
    result = run_check("data/demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Aucune erreur" in result.stdout and "(démonstration)" in result.stdout


def test_planted_problems_are_each_named(tmp_path):
    tables = small_tables()
    tables["structures"].loc[2, "commune_insee"] = "75056"
    tables["reponses"].loc[3, "formes"] = "clas;periscolair"
    tables["reponses"].loc[4, "qualite"] = "7"
    tables["participations"].loc[1, "structure_id"] = "CS-404"
    folder = write_tables(tmp_path / "jeu", tables)
    result = run_check(str(folder))
    assert result.returncode == 1
    out = result.stdout
    assert "ERREUR structures.csv, ligne 4, colonne « commune_insee » : code commune « 75056 » inconnu" in out
    assert "ERREUR reponses.csv, ligne 5, colonne « formes » : code « periscolair » inconnu" in out
    assert "ERREUR reponses.csv, ligne 6, colonne « qualite » : qualité « 7 » invalide" in out
    assert "ERREUR participations.csv, ligne 3, colonne « structure_id » : structure « CS-404 » absente" in out
    # the collège lost with its commune drags its answer along, reported too
    assert "colonne « ecole_id »" in out
    assert "erreur(s)" in out.splitlines()[-1]


def test_without_folder_the_cli_uses_the_app_rule(tmp_path):
    import os

    folder = write_tables(tmp_path / "jeu", small_tables())
    result = run_check(env={**os.environ, "PASSERELLES_DATA": str(folder)})
    assert result.returncode == 0 and str(folder) in result.stdout


def test_import_schools_previews_then_writes(tmp_path):
    import os

    from test_annuaire import ANNUAIRE_HEADER, csv_bytes, school

    folder = write_tables(tmp_path / "jeu", small_tables())
    env = {**os.environ, "PASSERELLES_DATA": str(folder)}
    annuaire = tmp_path / "fr-en-annuaire-education.csv"
    annuaire.write_bytes(csv_bytes(ANNUAIRE_HEADER, [school(11, "École Nouvelle", commune="95127"),
                                                     school(12, "Collège Neuf", kind="Collège", ep="REP")]))
    before = (folder / "structures.csv").read_bytes()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "lib.cli", "import-schools", *args], cwd=ROOT,
                              capture_output=True, text=True, env=env, timeout=120)

    dry = run(str(annuaire), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "2 à ajouter" in dry.stdout and "rien n'a été écrit" in dry.stdout
    assert (folder / "structures.csv").read_bytes() == before

    real = run(str(annuaire))
    assert real.returncode == 0 and "Écrit : 2 ajout(s)" in real.stdout
    assert "Collège Neuf" in (folder / "structures.csv").read_text(encoding="utf-8")
    assert list((folder / "versions").glob("*structures.csv"))  # the previous version is kept

    junk = tmp_path / "notes.csv"
    junk.write_text("nom;telephone\nx;y\n", encoding="utf-8")
    refused = run(str(junk))
    assert refused.returncode == 1 and "REJETÉ notes.csv" in refused.stdout


def test_import_survey_with_a_saved_mapping(tmp_path):
    import os

    from lib.importers import read_export, suggest_mapping
    from lib.store import Store

    folder = write_tables(tmp_path / "jeu", small_tables())
    env = {**os.environ, "PASSERELLES_DATA": str(folder)}
    export = ROOT / "tests" / "fixtures" / "enquetes" / "kobo_labels.csv"
    mapping = suggest_mapping(read_export(export.read_bytes(), export.name))
    mapping.constants["vague"] = "2024"
    Store(folder).save_mapping("kobo-mars.json", mapping.to_json())

    def run(*args):
        return subprocess.run([sys.executable, "-m", "lib.cli", "import-survey", str(export), *args], cwd=ROOT,
                              capture_output=True, text=True, env=env, timeout=120)

    missing = run("--mapping", "inconnu")
    assert missing.returncode == 1 and "paramétrage « inconnu » introuvable" in missing.stdout
    before = (folder / "reponses.csv").read_bytes()
    dry = run("--mapping", "Kobo mars", "--dry-run")
    assert dry.returncode == 0 and "à ajouter" in dry.stdout and (folder / "reponses.csv").read_bytes() == before
    real = run("--mapping", "Kobo mars")
    assert real.returncode == 0 and "Écrit :" in real.stdout
    again = run("--mapping", "Kobo mars")  # next month's export, same rows: nothing new
    assert again.returncode == 0 and "Rien à écrire" in again.stdout


def test_import_survey_suggest_then_mapping_file_then_json(tmp_path, capfd):
    """Issue 11: the page's proposal as JSON, used unedited, and the preview's counts as JSON; French errors."""
    import json

    from lib import cli

    folder = write_tables(tmp_path / "jeu", small_tables())
    export = ROOT / "tests" / "fixtures" / "enquetes" / "kobo_labels.csv"
    assert cli.main(["import-survey", str(export), "--suggest"]) == 0
    suggested = capfd.readouterr().out
    assert json.loads(suggested)["format"] == "passerelles-correspondance"
    mapping = tmp_path / "kobo.json"
    mapping.write_text(suggested, encoding="utf-8")

    before = (folder / "reponses.csv").read_bytes()
    args = ["import-survey", str(export), "--data", str(folder), "--dry-run", "--json"]
    assert cli.main([*args, "--mapping-file", str(mapping)]) == 0
    captured = capfd.readouterr()
    report = json.loads(captured.out)
    assert (report["read"], report["skipped"], report["added"], report["updated"]) == (5, 0, 3, 0)
    assert [r["line"] for r in report["rejected"]] == [4, 5] and all(r["reason"] for r in report["rejected"])
    assert "proposée" not in captured.err
    assert (folder / "reponses.csv").read_bytes() == before

    assert cli.main(args) == 0  # neither --mapping nor --mapping-file: the proposal, said on stderr
    captured = capfd.readouterr()
    assert json.loads(captured.out)["added"] == 3 and "Correspondance proposée" in captured.err

    assert cli.main(["import-survey", str(tmp_path / "absent.tsv"), "--data", str(folder)]) == 1
    out = capfd.readouterr().out
    assert "absent.tsv : fichier introuvable" in out and "No such file" not in out
    assert cli.main(["import-survey", str(export), "--data", str(folder), "--mapping-file",
                     str(tmp_path / "absent.json")]) == 1
    assert "absent.json : fichier introuvable" in capfd.readouterr().out

    with pytest.raises(SystemExit):
        cli.main(["import-survey", str(export), "--mapping", "a", "--mapping-file", "b"])
    assert "--mapping-file et --mapping ne vont pas ensemble" in capfd.readouterr().err
