"""Each survey tool's export, imported as a new user would (suggested mapping, no edit), stores exactly its truth.

The fixtures and their truth files are in tests/fixtures/outils/ (see its README for the documentation each
one follows). Per fixture, on a copy of the demo data set:

    python -m lib.cli import-survey FILE --data DIR --suggest > mapping.json
    python -m lib.cli import-survey FILE --data DIR --mapping-file mapping.json --dry-run --json
    python -m lib.cli import-survey FILE --data DIR --mapping-file mapping.json

The command line is called in-process when ``lib.cli.main`` accepts an ``out`` stream, else as a subprocess.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTILS = ROOT / "tests" / "fixtures" / "outils"
DEMO = ROOT / "data" / "demo"
FIXTURES = sorted(p.name for p in OUTILS.iterdir() if p.suffix in (".csv", ".tsv"))
MULTI = ("formes", "objets", "leviers", "freins")
SINGLE = ("vague", "date", "repondant_id", "ecole_id", "centre_id", "repondant_fonction", "frequence", "qualite")


def run_cli(*argv: str) -> tuple[int, str]:
    """``python -m lib.cli ARGV``: exit code and what it printed (stdout, then stderr).

    In this process when ``lib.cli.main`` takes an ``out`` stream (much faster); else in a subprocess, since
    functions whose ``out=sys.stdout`` default was bound at import cannot be redirected from here.
    """
    from lib.cli import main

    if "out" in inspect.signature(main).parameters:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            try:
                code = main(list(argv), out=buffer)
            except SystemExit as stop:  # argparse refusing the arguments
                code = stop.code
        return code, buffer.getvalue()
    done = subprocess.run([sys.executable, "-m", "lib.cli", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stdout + done.stderr


def first_json(text: str) -> dict:
    """The JSON document a command printed (a note may precede it)."""
    start = text.index("{")
    return json.JSONDecoder().raw_decode(text[start:])[0]


def count(value) -> int:
    """A count given as a number, or as numbers by reason (drafts, incomplete answers…)."""
    return sum(value.values()) if isinstance(value, dict) else int(value)


def stored_rows(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "reponses.csv", dtype=str, keep_default_na=False)


def comparable(row: dict) -> dict:
    """A row as its meaning: codes of multiple answers as sets (their order says nothing)."""
    kept = {column: str(row[column] or "") for column in SINGLE}
    kept.update({column: frozenset(c for c in (row[column] if isinstance(row[column], list)
                                               else str(row[column]).split(";")) if c) for column in MULTI})
    return kept


def test_fixtures_are_what_the_generator_writes():
    sys.path[:0] = [str(OUTILS), str(ROOT / "tests" / "fixtures" / "enquetes")]
    try:
        from make_outils import build
    finally:
        del sys.path[:2]
    built = build()
    assert sorted(built) == sorted(p.name for p in OUTILS.iterdir() if p.name not in ("make_outils.py", "README.md")
                                   and p.is_file() and not p.name.startswith("."))
    stale = [name for name, data in built.items() if (OUTILS / name).read_bytes() != data]
    assert not stale, f"run python tests/fixtures/outils/make_outils.py: {stale}"


@pytest.mark.parametrize("name", FIXTURES)
def test_suggested_mapping_imports_exactly_the_truth(tmp_path, name):
    export = OUTILS / name
    truth = json.loads((OUTILS / f"{name}.truth.json").read_text(encoding="utf-8"))
    folder = shutil.copytree(DEMO, tmp_path / "jeu")
    before = stored_rows(folder)

    code, printed = run_cli("import-survey", str(export), "--data", str(folder), "--suggest")
    assert code == 0, printed
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(first_json(printed), ensure_ascii=False), encoding="utf-8")

    code, printed = run_cli("import-survey", str(export), "--data", str(folder), "--mapping-file", str(mapping),
                            "--dry-run", "--json")
    assert code == 0, printed
    preview = first_json(printed)
    counts = truth["counts"]
    assert (count(preview["read"]), count(preview["skipped"]), count(preview["added"]),
            count(preview["updated"])) == (counts["read"], counts["skipped"], counts["added"], counts["updated"]), \
        printed
    assert sorted(r["line"] for r in preview["rejected"]) == counts["rejected"], preview["rejected"]
    assert all(str(r["reason"]).strip() for r in preview["rejected"])
    assert count(preview["read"]) == count(preview["skipped"]) + count(preview["added"]) + \
        count(preview["updated"]) + len(preview["rejected"])  # counts that add up
    assert stored_rows(folder).equals(before)  # a dry run writes nothing

    code, printed = run_cli("import-survey", str(export), "--data", str(folder), "--mapping-file", str(mapping))
    assert code == 0, printed
    after = stored_rows(folder)
    assert after.iloc[:len(before)].equals(before)  # the demo's answers are untouched
    added = after.iloc[len(before):]
    assert len(added) == counts["added"]

    expected = truth["rows"]
    with_id = {r["reponse_id"]: comparable(r) for r in expected if r["reponse_id"]}
    if with_id:
        assert {i: comparable(r) for i, r in zip(added["reponse_id"], added.to_dict("records"))} == with_id
    else:  # no submission id in the tool: one distinct id per answer, prefixed by the tool
        prefix = {"google": "GF-"}[truth["tool"]]
        assert added["reponse_id"].str.startswith(prefix).all() and added["reponse_id"].is_unique
        got = sorted((comparable(r) for r in added.to_dict("records")), key=lambda r: (r["date"], r["repondant_id"]))
        want = sorted((comparable(r) for r in expected), key=lambda r: (r["date"], r["repondant_id"]))
        assert got == want

    text = (folder / "reponses.csv").read_text(encoding="utf-8")
    leaked = [value for value in truth["personal_data"] if value in text]
    assert not leaked, f"personal data stored: {leaked}"
