"""lib/store.py: nothing half-written, nothing lost, concurrent writers wait for each other."""

from __future__ import annotations

import csv
import errno
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import small_tables, write_tables
from filelock import FileLock
from store_worker import answer_row

from lib import store as store_module
from lib.dataset import DEMO_DIR, FILES, LOCAL_DIR, load_dataset
from lib.store import (
    JOURNAL_COLUMNS,
    LOCK_NAME,
    TEMP_SUFFIX,
    DatasetBusy,
    ReadOnlyDataset,
    Store,
    StoreError,
    create_user_dataset,
    user_dataset_dir,
)

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "store_worker.py"
ANSWER_COLUMNS = list(FILES["reponses"].columns)


def answers(*ids: str) -> pd.DataFrame:
    return pd.DataFrame([answer_row(i) for i in ids], columns=ANSWER_COLUMNS)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a data-set folder (versions included) and its bytes; the lock file is not data."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK_NAME}


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def journal_rows(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "journal.csv").read_text(encoding="utf-8"), newline="")))


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"worker ended early: {process.communicate()[1]}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A new user data set: empty structures.csv and reponses.csv."""
    return create_user_dataset(tmp_path / "jeu")


# --------------------------------------------------------------------------- user data set


def test_a_new_user_dataset_is_empty_well_formed_and_loads(tmp_path: Path) -> None:
    folder = create_user_dataset(tmp_path / "sous" / "jeu")
    for name in ("structures", "reponses"):
        assert (folder / FILES[name].filename).read_bytes() == (",".join(FILES[name].columns) + "\n").encode()
    loaded = load_dataset(folder)
    assert loaded.errors == [] and not loaded.is_demo
    assert loaded.structures.empty and loaded.reponses.empty
    assert [row["action"] for row in journal_rows(folder)] == ["création", "création"]


def test_creating_again_never_overwrites_a_data_set(folder: Path) -> None:
    Store(folder).append("reponses", answers("R1"), "Première réponse")
    before = snapshot(folder)
    assert create_user_dataset(folder) == folder
    assert snapshot(folder) == before


def test_the_user_data_set_goes_where_configured_never_into_the_demo(tmp_path: Path) -> None:
    no_secrets = tmp_path / "absent.toml"
    assert user_dataset_dir({"PASSERELLES_DATA": str(tmp_path / "ailleurs")}, no_secrets) == tmp_path / "ailleurs"
    assert user_dataset_dir({"PASSERELLES_DATA": str(DEMO_DIR)}, no_secrets) == LOCAL_DIR
    assert user_dataset_dir({}, no_secrets) == LOCAL_DIR


# --------------------------------------------------------------------------- round trips and format


def test_append_keeps_every_value_exactly_in_the_house_csv_format(folder: Path) -> None:
    store = Store(folder)
    tricky = answers("R1", "R2")
    tricky.loc[0, "commentaire"] = "  espaces gardés  "
    tricky.loc[1, "qualite"] = ""
    assert store.append("reponses", tricky, "Deux réponses") == 2
    assert store.read("reponses").equals(tricky.astype(str))

    data = (folder / "reponses.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith((",".join(ANSWER_COLUMNS) + "\n").encode())
    assert b"\r" not in data and data.endswith(b"\n")
    rows = parse(data)
    assert rows[1][ANSWER_COLUMNS.index("pistes")] == "0042"  # a leading zero stays
    assert rows[1][ANSWER_COLUMNS.index("commentaire")] == "  espaces gardés  "
    assert "\n" in rows[2][ANSWER_COLUMNS.index("commentaire")]  # a line break inside a value, quoted


def test_replace_upsert_and_delete_round_trip(folder: Path) -> None:
    store = Store(folder)
    assert store.replace("reponses", answers("R1", "R2", "R3"), "import", "Import de 3 réponses") is True
    assert store.read("reponses")["reponse_id"].tolist() == ["R1", "R2", "R3"]

    edited = answers("R2", "R4")
    edited.loc[0, "qualite"] = "1"
    assert store.upsert("reponses", edited, ["reponse_id"], "Qualité de R2 corrigée, R4 ajoutée") == (1, 1)
    table = store.read("reponses").set_index("reponse_id")
    assert table.index.tolist() == ["R1", "R2", "R3", "R4"]
    assert table.loc["R2", "qualite"] == "1" and table.loc["R1", "qualite"] == "3"

    assert store.delete("reponses", ["reponse_id"], [("R1",), ("R3",), ("R9",)], "Deux réponses retirées") == 2
    assert store.read("reponses")["reponse_id"].tolist() == ["R2", "R4"]
    assert [(r["action"], r["lignes"], r["cles"]) for r in journal_rows(folder)[2:]] == [
        ("import", "3", ""), ("modification", "2", "R2;R4"), ("suppression", "2", "R1;R3")]


def test_upsert_updates_only_the_columns_given_and_a_no_change_writes_nothing(folder: Path) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "R1")
    partial = pd.DataFrame([{**{c: answer_row("R1")[c] for c in FILES["reponses"].required_columns},
                             "qualite": "4"}])
    assert store.upsert("reponses", partial, ["reponse_id"], "Qualité de R1") == (0, 1)
    row = store.read("reponses").iloc[0]
    assert row["qualite"] == "4" and row["commentaire"] == answer_row("R1")["commentaire"]

    before = snapshot(folder)
    assert store.upsert("reponses", partial, ["reponse_id"], "La même chose") == (0, 0)
    assert store.delete("reponses", ["reponse_id"], [("R9",)], "Rien à retirer") == 0
    assert store.replace("reponses", store.read("reponses"), "modification", "Identique") is False
    assert snapshot(folder) == before


def test_extra_columns_are_kept_and_unknown_ones_refused(folder: Path) -> None:
    store = Store(folder)
    with_extra = answers("R1").assign(suivi_interne="à rappeler")
    store.replace("reponses", with_extra[["suivi_interne", *ANSWER_COLUMNS]], "import", "Avec une colonne en plus")
    assert parse((folder / "reponses.csv").read_bytes())[0] == [*ANSWER_COLUMNS, "suivi_interne"]

    store.append("reponses", answers("R2"), "Sans la colonne en plus")
    assert store.read("reponses")["suivi_interne"].tolist() == ["à rappeler", ""]
    before = snapshot(folder)
    with pytest.raises(StoreError, match="inconnue.*qualité"):
        store.append("reponses", answers("R3").assign(**{"qualité": "4"}), "Colonne mal nommée")
    assert snapshot(folder) == before


def test_a_file_written_by_a_spreadsheet_is_read_and_its_bytes_kept_as_a_version(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "jeu", {"structures": small_tables()["structures"]})
    excel = ("Id;Type;Nom;Commune INSEE\r\n0950001Y;college;Collège Étienne;95018\r\n").encode("cp1252")
    (folder / "structures.csv").write_bytes(excel)
    store = Store(folder)
    assert store.read("structures").loc[0, "nom"] == "Collège Étienne"
    row = {"id": "CS-9", "type": "centre_social", "nom": "Centre", "commune_insee": "95018"}
    store.append("structures", pd.DataFrame([row]), "Un centre de plus")
    assert store.read("structures")["id"].tolist() == ["0950001Y", "CS-9"]
    assert (folder / "structures.csv").read_bytes().startswith(b"id,type,nom,commune_insee,")
    assert (folder / "versions" / store.versions()[0].id).read_bytes() == excel


def test_a_broken_file_is_not_rewritten_but_can_be_replaced(folder: Path) -> None:
    broken = (",".join(ANSWER_COLUMNS) + "\nR1,2018,trop court\n").encode()
    (folder / "reponses.csv").write_bytes(broken)
    store = Store(folder)
    with pytest.raises(StoreError, match="ligne 2 : 3 valeurs"):
        store.append("reponses", answers("R2"), "Ajout")
    assert (folder / "reponses.csv").read_bytes() == broken
    store.replace("reponses", answers("R2"), "import", "Fichier refait")
    assert store.read("reponses")["reponse_id"].tolist() == ["R2"]


def test_an_identifier_already_taken_is_refused(folder: Path) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "R1")
    before = snapshot(folder)
    with pytest.raises(StoreError, match="déjà présent.*R1"):
        store.append("reponses", answers("R2", "R1"), "R1 une seconde fois")
    with pytest.raises(StoreError, match="en double"):
        store.append("reponses", answers("R3", "R3"), "R3 deux fois")
    assert snapshot(folder) == before


# --------------------------------------------------------------------------- versions and journal


def test_each_write_keeps_the_previous_bytes_listed_newest_first(folder: Path) -> None:
    store = Store(folder)
    states = [(folder / "reponses.csv").read_bytes()]
    for reponse_id in ("R1", "R2", "R3"):
        store.append("reponses", answers(reponse_id), f"Ajout de {reponse_id}")
        states.append((folder / "reponses.csv").read_bytes())
    versions = store.versions("reponses")
    assert [v.description for v in versions] == ["Ajout de R3", "Ajout de R2", "Ajout de R1"]
    assert [(folder / "versions" / v.id).read_bytes() for v in versions] == states[-2::-1]
    assert [v.size for v in versions] == [len(s) for s in states[-2::-1]]
    assert versions[0].time > versions[1].time > versions[2].time
    assert store.versions("structures") == []


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-links", "copies"])
def test_versions_keep_their_bytes_even_if_the_file_is_then_edited_in_place(
        folder: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool) -> None:
    if not hard_links:  # file systems without hard links (FAT, some network shares): a copy
        def no_link(source: object, target: object) -> None:
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    store = Store(folder)
    store.append("reponses", answers("R1"), "Ajout de R1")
    kept = (folder / "reponses.csv").read_bytes()
    store.append("reponses", answers("R2"), "Ajout de R2")
    with open(folder / "reponses.csv", "r+b") as handle:  # a text editor saving over the file
        handle.write(b"X")
    assert (folder / "versions" / store.versions("reponses")[0].id).read_bytes() == kept


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_rewrite_keeps_the_file_permissions(folder: Path) -> None:
    (folder / "reponses.csv").chmod(0o600)
    Store(folder).append("reponses", answers("R1"), "Ajout de R1")
    assert (folder / "reponses.csv").stat().st_mode & 0o777 == 0o600


def test_old_versions_are_pruned_per_file(folder: Path) -> None:
    store = Store(folder, keep_versions=2)
    for number in range(5):
        store.append("reponses", answers(f"R{number}"), f"Ajout de R{number}")
    store.append("structures", pd.DataFrame([{"id": "CS-1", "type": "centre_social", "nom": "Centre",
                                              "commune_insee": "95018"}]), "Un centre")
    assert [v.description for v in store.versions("reponses")] == ["Ajout de R4", "Ajout de R3"]
    assert len(store.versions("structures")) == 1
    assert len(list((folder / "versions").iterdir())) == 3


def test_restore_brings_back_the_exact_bytes_and_can_itself_be_undone(folder: Path) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "Ajout de R1")
    store.append("reponses", answers("R2"), "Ajout de R2")
    latest = (folder / "reponses.csv").read_bytes()
    oldest = store.versions("reponses")[-1]  # before R1: just the header
    assert store.restore(oldest.id) is True
    assert (folder / "reponses.csv").read_bytes() == (folder / "versions" / oldest.id).read_bytes()
    entry = journal_rows(folder)[-1]
    assert entry["action"] == "restauration" and "avant « Ajout de R1 »" in entry["description"]

    undo = store.versions("reponses")[0]
    assert undo.action == "restauration"
    store.restore(undo.id)
    assert (folder / "reponses.csv").read_bytes() == latest
    with pytest.raises(StoreError, match="inconnue"):
        store.restore("../structures.csv")


def test_the_journal_records_each_change_and_no_personal_data(folder: Path) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "Saisie par marie.durand@example.org, tél. 06 12 34 56 78")
    assert next(csv.reader(io.StringIO((folder / "journal.csv").read_text(encoding="utf-8")))) == list(JOURNAL_COLUMNS)
    entry = journal_rows(folder)[-1]
    assert "@" not in entry["description"] and "06 12" not in entry["description"]
    assert entry["fichier"] == "reponses.csv" and entry["cles"] == "R1" and entry["lignes"] == "1"
    assert entry["horodatage"].endswith("+00:00")
    assert store.journal().iloc[0]["description"] == entry["description"]


# --------------------------------------------------------------------------- all or nothing


def _disk_full_half_way(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    write_all = store_module._write_all

    def half_then_full(fd: int, data: bytes) -> None:
        write_all(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "_write_all", half_then_full)


def _disk_full_on_the_journal(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    write_temp = store_module._write_temp

    def full_when_writing_the_journal(target: Path, data: bytes, temps: list[Path], mode: int | None) -> Path:
        if target.name == "journal.csv":  # the last file written, once the data file is ready
            write_temp(target, data[: len(data) // 2], temps, mode)
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_temp(target, data, temps, mode)

    monkeypatch.setattr(store_module, "_write_temp", full_when_writing_the_journal)


def _rename_refused(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    replace = os.replace

    def refuse_the_data_file(source: object, target: object) -> None:
        if Path(target) == folder / "reponses.csv":  # after the backup is in place: it must go too
            raise PermissionError(errno.EACCES, "Permission denied")
        replace(source, target)

    monkeypatch.setattr(os, "replace", refuse_the_data_file)


def _fsync_fails(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    def fail(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)


@pytest.mark.parametrize("failure, message", [(_disk_full_half_way, "disque plein"),
                                              (_disk_full_on_the_journal, "disque plein"),
                                              (_rename_refused, "accès refusé"),
                                              (_fsync_fails, "erreur d'écriture")])
@pytest.mark.parametrize("write", ["append", "replace", "restore"])
def test_a_write_failing_half_way_leaves_the_data_set_byte_identical(
        folder: Path, monkeypatch: pytest.MonkeyPatch, failure, message: str, write: str) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "Ajout de R1")
    before = snapshot(folder)
    failure(monkeypatch, folder)
    with pytest.raises(StoreError, match=message):
        if write == "append":
            store.append("reponses", answers("R2"), "Ajout de R2")
        elif write == "replace":
            store.replace("reponses", answers(*(f"R{n}" for n in range(500))), "import", "Import")
        else:
            store.restore(store.versions("reponses")[0].id)
    monkeypatch.undo()
    assert snapshot(folder) == before
    assert temp_files(folder) == []
    store.append("reponses", answers("R2"), "Ajout de R2")  # and the next write works
    assert store.read("reponses")["reponse_id"].tolist() == ["R1", "R2"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names file descriptors through /proc")
def test_the_bytes_are_on_disk_before_the_rename_and_the_rename_is_made_durable(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, ...]] = []
    fsync, replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def spy_replace(source: object, target: object) -> None:
        events.append(("replace", os.path.realpath(source), os.path.realpath(target)))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    Store(folder).append("reponses", answers("R1"), "Ajout de R1")
    real = Path(os.path.realpath(folder))
    for name in ("reponses.csv", "journal.csv"):
        [rename] = [e for e in events if e[0] == "replace" and e[2] == str(real / name)]
        position = events.index(rename)
        assert ("fsync", rename[1]) in events[:position]
        assert ("fsync", str(real)) in events[position:]


def _nan(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(qualite=float("nan"))


@pytest.mark.parametrize("bad_table, message", [
    (lambda t: t.drop(columns="reponse_id"), "obligatoire.*reponse_id"),
    (_nan, "nan.*non textuelle"),
    (lambda t: t.assign(qualite=3), "3 non textuelle"),
    (lambda t: t.assign(formes=[["clas", "fetes"]]), "non textuelle"),
    (lambda t: t.assign(commentaire="a\x00b"), "caractère nul"),
    (lambda t: t.assign(**{c: " " for c in t.columns}), "ligne vide"),
    (lambda t: t.rename(columns={"commentaire": "pistes"}), "en double"),
    (lambda t: t.rename(columns={"commentaire": 7}), "nom de colonne"),
])
def test_a_table_that_cannot_be_written_is_refused_before_touching_anything(
        tmp_path: Path, bad_table, message: str) -> None:
    folder = write_tables(tmp_path / "jeu", small_tables())
    before = sorted(p.name for p in folder.iterdir()), snapshot(folder)
    store = Store(folder)
    table = bad_table(answers("R9"))
    for write in (lambda: store.replace("reponses", table, "import", "x"),
                  lambda: store.append("reponses", table, "x"),
                  lambda: store.upsert("reponses", table, ["reponse_id"], "x")):
        with pytest.raises(StoreError, match=message):
            write()
    assert (sorted(p.name for p in folder.iterdir()), snapshot(folder)) == before  # not even a lock file


def test_a_character_utf8_cannot_hold_is_refused(folder: Path) -> None:
    table = answers("R1").astype(object)
    table["commentaire"] = pd.Series(["texte mal décodé \udcff"], dtype=object)  # pyarrow strings refuse it
    before = snapshot(folder)
    with pytest.raises(StoreError, match="UTF-8"):
        Store(folder).append("reponses", table, "x")
    assert snapshot(folder) == before


# --------------------------------------------------------------------------- concurrency


def test_two_processes_appending_at_once_lose_no_line(folder: Path, tmp_path: Path) -> None:
    per_writer = 200
    workers = []
    go = tmp_path / "go"
    try:
        for prefix in ("A", "B"):
            ready = tmp_path / f"ready-{prefix}"
            workers.append((subprocess.Popen(
                [sys.executable, str(WORKER), "append", str(folder), prefix, str(per_writer), str(ready), str(go)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), ready))
        for process, ready in workers:
            wait_for(ready, process)
        go.touch()  # both are imported and waiting: they start together
        for process, _ in workers:
            _, errors = process.communicate(timeout=120)
            assert process.returncode == 0, errors
    finally:
        for process, _ in workers:
            process.kill()

    rows = parse((folder / "reponses.csv").read_bytes())
    assert rows[0] == ANSWER_COLUMNS
    expected = {f"{p}-{n:03d}" for p in "AB" for n in range(per_writer)}
    assert len(rows) == 1 + 2 * per_writer
    assert {row[0] for row in rows[1:]} == expected
    assert all(row == list(answer_row(row[0]).values()) for row in rows[1:])  # no row broken or mixed
    added = [r["cles"] for r in journal_rows(folder) if r["action"] == "ajout"]
    assert len(added) == 2 * per_writer and set(added) == expected
    switches = sum(a[0] != b[0] for a, b in zip(added, added[1:]))
    assert switches > 0, "the two writers never alternated: they did not run at the same time"


def test_sessions_of_one_process_wait_for_each_other(folder: Path) -> None:
    failures: list[BaseException] = []

    def add(prefix: str) -> None:
        writer = Store(folder)  # a session's own store, as each Streamlit session would have
        try:
            for number in range(30):
                writer.append("reponses", answers(f"{prefix}-{number:03d}"), "Ajout")
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    threads = [threading.Thread(target=add, args=(prefix,)) for prefix in "CD"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(Store(folder).read("reponses")) == 60


def test_a_write_waits_for_the_lock_then_says_the_data_set_is_busy(folder: Path) -> None:
    before = snapshot(folder)
    with FileLock(folder / LOCK_NAME):
        started = time.monotonic()
        with pytest.raises(DatasetBusy, match="réessayez"):
            Store(folder, lock_timeout=0.3).append("reponses", answers("R1"), "Ajout")
        assert time.monotonic() - started >= 0.3
    assert snapshot(folder) == before


def test_a_writer_killed_mid_write_leaves_the_file_intact_and_no_stale_lock(folder: Path, tmp_path: Path) -> None:
    store = Store(folder)
    store.append("reponses", answers("R1"), "Ajout de R1")
    before = snapshot(folder)
    ready = tmp_path / "ready"
    process = subprocess.Popen([sys.executable, str(WORKER), "slow-replace", str(folder), "2000", str(ready)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, process)
        [partial] = temp_files(folder)  # half of the new file is on disk…
        assert 0 < partial.stat().st_size
        with pytest.raises(DatasetBusy):  # …and the worker holds the lock
            Store(folder, lock_timeout=0.2).append("reponses", answers("R2"), "Ajout de R2")
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode != 0

    assert {k: v for k, v in snapshot(folder).items() if not k.endswith(TEMP_SUFFIX)} == before
    assert (folder / LOCK_NAME).exists()  # the lock file stays; the OS released the lock with the process
    started = time.monotonic()
    Store(folder, lock_timeout=5).append("reponses", answers("R2"), "Ajout de R2")
    assert time.monotonic() - started < 2
    assert store.read("reponses")["reponse_id"].tolist() == ["R1", "R2"]
    assert temp_files(folder) == []  # the dead writer's half file is swept


def killed_before(folder: Path, tmp_path: Path, name: str) -> None:
    """Run a writer that appends answer KILLED and kill it just before its rename onto ``name``."""
    ready = tmp_path / f"ready-{name}"
    process = subprocess.Popen([sys.executable, str(WORKER), "stop-before", str(folder), name, str(ready)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, process)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode != 0


def test_a_writer_killed_before_its_journal_line_is_reconciled_on_the_next_opening(
        folder: Path, tmp_path: Path) -> None:
    Store(folder).append("reponses", answers("R1"), "Ajout de R1")
    killed_before(folder, tmp_path, "journal.csv")
    assert "KILLED" in (folder / "reponses.csv").read_text(encoding="utf-8")  # the change is made…
    [orphan] = [p.name for p in (folder / "versions").glob("*-reponses.csv")
                if p.name not in {row["version"] for row in journal_rows(folder)}]  # …the journal does not say so
    assert len(journal_rows(folder)) == 3
    Store(folder)  # the next opening of the data set mends the journal
    lines = journal_rows(folder)
    assert len(lines) == 5
    line, summary = lines[-2], lines[-1]
    assert (line["fichier"], line["action"], line["lignes"], line["version"]) == \
        ("reponses.csv", "ajout", "2", orphan)
    assert line["description"].startswith("[ligne reconstituée] reponses.csv a été modifié le ")
    assert summary["action"] == "reconstitution" and "1 modification(s) absente(s) du journal ajoutée(s)" in \
        summary["description"]
    assert Store(folder).versions("reponses")[0].action == "ajout"  # the version is explained again
    assert Store(folder).reconcile_journal() == []  # mended once
    assert Store(folder).read("reponses")["reponse_id"].tolist() == ["R1", "KILLED"]


def test_a_writer_killed_before_replacing_the_file_leaves_no_false_version(folder: Path, tmp_path: Path) -> None:
    Store(folder).append("reponses", answers("R1"), "Ajout de R1")
    before = (folder / "reponses.csv").read_bytes()
    killed_before(folder, tmp_path, "reponses.csv")
    assert (folder / "reponses.csv").read_bytes() == before
    assert len(list((folder / "versions").glob("*-reponses.csv"))) == 2  # a copy of the unchanged file
    Store(folder)  # opening the data set mends it
    assert len(list((folder / "versions").glob("*-reponses.csv"))) == 1
    summary = journal_rows(folder)[-1]
    assert summary["action"] == "reconstitution" and "1 copie(s) d'un fichier resté inchangé" in summary["description"]
    assert [v.action for v in Store(folder).versions("reponses")] == ["ajout"]


# --------------------------------------------------------------------------- demo


def test_the_demo_data_set_cannot_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(str(p) for p in DEMO_DIR.rglob("*")), snapshot(DEMO_DIR)
    demo = Store(DEMO_DIR)
    assert demo.read_only and not demo.read("reponses").empty
    row = demo.read("reponses").head(1)
    writes = [
        lambda: demo.replace("reponses", row, "import", "x"),
        lambda: demo.append("reponses", answers("R-neuf"), "x"),
        lambda: demo.upsert("reponses", row, ["reponse_id"], "x"),
        lambda: demo.delete("reponses", ["reponse_id"], [(row.iloc[0]["reponse_id"],)], "x"),
        lambda: demo.restore("20180101T000000000000Z-reponses.csv"),
        lambda: create_user_dataset(DEMO_DIR),
        lambda: Store(DEMO_DIR / ".." / "demo").append("reponses", answers("R-neuf"), "x"),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyDataset, match="démonstration ne sont pas modifiables"):
            write()
    assert (sorted(str(p) for p in DEMO_DIR.rglob("*")), snapshot(DEMO_DIR)) == before


def test_import_mappings_are_saved_atomically_and_listed(tmp_path):
    from lib.store import Store, StoreError, create_user_dataset

    store = Store(create_user_dataset(tmp_path / "jeu"))
    assert store.mapping_names() == []
    store.save_mapping("kobo-mars.json", '{"tool": "KoboToolbox"}')
    store.save_mapping("kobo-mars.json", '{"tool": "KoboToolbox", "v": 2}')
    assert store.mapping_names() == ["kobo-mars.json"]
    assert store.read_mapping("kobo-mars.json") == '{"tool": "KoboToolbox", "v": 2}'
    assert [p.name for p in (tmp_path / "jeu" / "mappings").iterdir()] == ["kobo-mars.json"]  # no temp left
    with pytest.raises(StoreError):
        store.save_mapping("../structures.json", "{}")


def test_a_long_text_is_read_back_and_a_new_one_over_the_hard_maximum_is_refused(folder: Path) -> None:
    from lib.textlimits import STORE_MAX_CHARS

    store = Store(folder)
    longest = 'a "quoted", long\ntext ' + "x" * (STORE_MAX_CHARS - 22)
    assert len(longest) == STORE_MAX_CHARS
    store.append("reponses", answers("L1").assign(commentaire=longest), "Texte au maximum")
    assert store.read("reponses").set_index("reponse_id").at["L1", "commentaire"] == longest
    before = snapshot(folder)
    for write in (lambda t: store.append("reponses", t, "trop long"),
                  lambda t: store.upsert("reponses", t, ["reponse_id"], "trop long"),
                  lambda t: store.replace("reponses", t, "import", "trop long")):
        with pytest.raises(StoreError, match=r"ligne 1, colonne « commentaire » : texte de 100\u00a0001 caractères"):
            write(answers("L2").assign(commentaire="y" * (STORE_MAX_CHARS + 1)))
    assert snapshot(folder) == before


def test_a_data_set_holding_a_one_megabyte_comment_loads_with_a_warning_and_every_write_works(
        small_dataset: Path) -> None:
    """Written by another tool: the csv module's default limit (131,072) made 0 answers load and every write fail."""
    folder = small_dataset
    huge = "Très long. " * 100_000  # 1.1 million characters
    table = pd.read_csv(folder / "reponses.csv", dtype=str, keep_default_na=False)
    table.loc[1, "commentaire"] = huge
    table.to_csv(folder / "reponses.csv", index=False)
    started = time.perf_counter()
    dataset = load_dataset(folder)
    assert time.perf_counter() - started < 10  # the personal-data check once took minutes on such a text
    assert len(dataset.reponses) == len(table)
    warning = next(p for p in dataset.warnings if p.column == "commentaire")
    assert (warning.file, warning.line) == ("reponses.csv", 3)
    assert str(warning).startswith("reponses.csv, ligne 3, colonne « commentaire » : texte de 1\u00a0100\u00a0000 "
                                   "caractères")
    store = Store(folder)
    assert store.read("reponses").at[1, "commentaire"] == huge
    store.append("reponses", answers("N1"), "Ajout")
    assert store.upsert("reponses", answers("N1").assign(qualite="1"), ["reponse_id"], "Modification") == (0, 1)
    kept = store.read("reponses")
    assert store.replace("reponses", kept.assign(vague="2020"), "modification", "Toutes en 2020")
    store.delete("reponses", ["reponse_id"], [("N1",)], "Suppression")
    assert store.read("reponses").at[1, "commentaire"] == huge  # kept as it was through every write
    assert len(load_dataset(folder).reponses) == len(table)
