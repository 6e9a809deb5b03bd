"""Backups of a data set (lib/backup.py, ``lib.cli backup`` / ``restore``): complete, verified, all or nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from filelock import FileLock

from conftest import small_tables, write_tables
from lib import backup as backup_module
from lib.backup import BackupError, backup, restore, verify
from lib.cli import main
from lib.store import LOCK_NAME, Store


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (relative path → bytes), the lock file aside."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK_NAME}


def folders_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


@pytest.fixture
def data_set(tmp_path: Path) -> Path:
    """A data set as the app leaves it: CSV files, a journal and versions, a mapping, its own reference/, an
    empty folder, a file in Windows-1252."""
    folder = write_tables(tmp_path / "jeu", small_tables())
    store = Store(folder)
    table = store.read("structures")
    table.loc[0, "nom"] = "École A (renommée)"
    store.replace("structures", table, "modification", "essai de sauvegarde")
    store.save_mapping("kobo.json", '{"colonnes": {}}')
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "reference", folder / "reference")
    (folder / "vide").mkdir()
    (folder / "notes.txt").write_bytes("Équipe : réunion à Cergy\r\n".encode("cp1252"))
    return folder


def test_a_backup_restores_byte_identical(data_set: Path, tmp_path: Path):
    archive = tmp_path / "sauvegarde.tar.gz"
    summary = backup(data_set, archive)
    original = files_of(data_set)
    assert {"journal.csv", "structures.csv", "mappings/kobo.json", "reference/communes.csv", "notes.txt"} <= set(original)
    assert any(name.startswith("versions/") for name in original)
    assert summary.files == len(original) and verify(archive).files == len(original)
    target = tmp_path / "restaure"
    restore(archive, target)
    assert files_of(target) == original
    assert folders_of(target) == folders_of(data_set)  # the empty folder too
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    # The restored data set is one the store and the app use as before.
    assert Store(target).journal()["action"].tolist() == Store(data_set).journal()["action"].tolist()


def test_the_manifest_lists_every_file_with_its_sha256(data_set: Path, tmp_path: Path):
    archive = tmp_path / "s.tar.gz"
    backup(data_set, archive)
    with tarfile.open(archive, "r:gz") as opened:
        names = opened.getnames()
        manifest = json.loads(opened.extractfile("manifeste.json").read())
    assert names[0] == "manifeste.json"
    assert sorted(e["chemin"] for e in manifest["fichiers"]) == sorted(files_of(data_set))
    assert all(len(e["sha256"]) == 64 for e in manifest["fichiers"])
    assert LOCK_NAME not in " ".join(names)


def damaged(archive: Path, out: Path, how: str) -> Path:
    data = bytearray(archive.read_bytes())
    if how == "truncated":
        data = data[: len(data) * 2 // 3]
    else:  # one byte changed in the middle of the compressed stream
        data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("how", ["corrupted", "truncated"])
def test_a_damaged_archive_is_refused_and_nothing_is_written(data_set: Path, tmp_path: Path, how: str):
    archive = backup(data_set, tmp_path / "s.tar.gz") and tmp_path / "s.tar.gz"
    bad = damaged(archive, tmp_path / f"{how}.tar.gz", how)
    with pytest.raises(BackupError, match="sauvegarde refusée") as refused:
        verify(bad)
    assert "abîmé" in str(refused.value) or "tronqu" in str(refused.value)
    target = tmp_path / "cible"
    with pytest.raises(BackupError, match="Rien n'a été restauré"):
        restore(bad, target)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["restore", str(bad), "--verify"]) == 1
    assert out.getvalue().startswith("ERREUR") and "sauvegarde refusée" in out.getvalue()


def rewrite(archive: Path, out: Path, change) -> Path:
    """A well-formed archive whose members ``change(name, data)`` altered (None drops a member)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out


def test_a_file_that_differs_from_the_manifest_is_refused(data_set: Path, tmp_path: Path):
    archive = tmp_path / "s.tar.gz"
    backup(data_set, archive)
    edited = rewrite(archive, tmp_path / "e.tar.gz",
                     lambda name, data: data.replace(b"Centre social Un", b"Centre social 1") if name.endswith(
                         "structures.csv") else data)
    with pytest.raises(BackupError, match="SHA-256"):
        verify(edited)
    missing = rewrite(archive, tmp_path / "m.tar.gz", lambda name, data: None if name.endswith("journal.csv") else data)
    with pytest.raises(BackupError, match="il manque 1 fichier"):
        verify(missing)


def test_a_path_leaving_the_data_set_is_refused(data_set: Path, tmp_path: Path):
    archive = tmp_path / "s.tar.gz"
    backup(data_set, archive)

    def escape(name, data):
        if name == "manifeste.json":
            manifest = json.loads(data)
            manifest["fichiers"].append({"chemin": "../dehors.txt", "taille": 1, "sha256": "0" * 64})
            return json.dumps(manifest).encode()
        return data

    with pytest.raises(BackupError, match="sortirait du jeu de données"):
        restore(rewrite(archive, tmp_path / "x.tar.gz", escape), tmp_path / "cible")
    assert not (tmp_path / "dehors.txt").exists() and not (tmp_path / "cible").exists()


def test_a_non_empty_target_is_refused_unless_forced(data_set: Path, tmp_path: Path):
    archive = tmp_path / "s.tar.gz"
    backup(data_set, archive)
    target = write_tables(tmp_path / "autre", {"structures": small_tables()["structures"].head(1)})
    before = files_of(target)
    with pytest.raises(BackupError, match="n'est pas vide"):
        restore(archive, target)
    assert files_of(target) == before
    restore(archive, target, force=True)
    assert files_of(target) == files_of(data_set)
    empty = tmp_path / "vide"
    empty.mkdir()
    restore(archive, empty)  # an empty folder is no data set to lose
    assert files_of(empty) == files_of(data_set)


@pytest.mark.parametrize("where", ["writing", "swapping"])
def test_a_restore_that_fails_midway_leaves_the_target_as_it_was(data_set: Path, tmp_path: Path, monkeypatch, where):
    archive = tmp_path / "s.tar.gz"
    backup(data_set, archive)
    target = write_tables(tmp_path / "cible", {"structures": small_tables()["structures"].head(2)})
    before = files_of(target)
    if where == "writing":  # the disk fills up on the fifth file written
        fsync, synced = os.fsync, []

        def failing_fsync(descriptor):
            synced.append(descriptor)
            if len(synced) == 5:
                raise OSError(28, "No space left on device")
            return fsync(descriptor)

        monkeypatch.setattr(backup_module.os, "fsync", failing_fsync)
    else:  # the old folder moved aside, then the new one cannot take its place
        replace = os.replace

        def failing_replace(source, destination):
            if Path(destination) == target.resolve() and ".restauration-" in str(source):
                raise OSError(5, "Input/output error")
            return replace(source, destination)

        monkeypatch.setattr(backup_module.os, "replace", failing_replace)
    with pytest.raises(BackupError, match="resté tel qu'il était"):
        restore(archive, target, force=True)
    assert files_of(target) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_backup_waits_for_a_write_in_progress(data_set: Path, tmp_path: Path):
    """The store's lock: while a write holds it, no backup is read (here it gives up after its timeout)."""
    with FileLock(data_set / LOCK_NAME):
        with pytest.raises(BackupError, match="en cours d'enregistrement"):
            backup(data_set, tmp_path / "s.tar.gz", lock_timeout=0.05)
    assert not (tmp_path / "s.tar.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_commands(data_set: Path, tmp_path: Path, capsys):
    archive = tmp_path / "s.tar.gz"
    assert main(["backup", "--data", str(data_set), "--out", str(archive)]) == 0
    assert "écrite et vérifiée" in capsys.readouterr().out
    assert main(["backup", "--data", str(data_set), "--out", str(archive)]) == 1  # never overwritten silently
    assert "existe déjà" in capsys.readouterr().out
    assert main(["backup", "--data", str(data_set), "--out", str(data_set / "s.tar.gz")]) == 1
    assert main(["restore", str(archive), "--verify"]) == 0
    assert "sauvegarde intacte" in capsys.readouterr().out
    assert main(["restore", str(archive), "--data", str(data_set)]) == 1
    assert "n'est pas vide" in capsys.readouterr().out
    assert main(["restore", str(archive), "--data", str(tmp_path / "neuf")]) == 0
    assert files_of(tmp_path / "neuf") == files_of(data_set)
    assert main(["restore", str(tmp_path / "absent.tar.gz"), "--verify"]) == 1
    assert "introuvable" in capsys.readouterr().out


def test_backing_up_the_demo_writes_nothing_into_it(tmp_path: Path):
    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    before = sorted(p.name for p in demo.iterdir())
    backup(demo, tmp_path / "demo.tar.gz")
    assert sorted(p.name for p in demo.iterdir()) == before  # not even a lock file
    restore(tmp_path / "demo.tar.gz", tmp_path / "copie")
    assert files_of(tmp_path / "copie") == files_of(demo)
