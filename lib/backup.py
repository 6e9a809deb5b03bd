"""Back up a data set to one file and restore it: complete, verified, never half-restored.

Plain Python (no streamlit); ``python -m lib.cli backup`` and ``restore`` call it.

The backup is a gzip-compressed tar archive (``tarfile``) holding ``manifeste.json`` first, then every file
of the data set under ``donnees/``: its CSV files, ``journal.csv``, ``versions/``, ``mappings/``, its own
``reference/`` when it has one, anything else in the folder. The manifest gives each file's size and
SHA-256 (``hashlib``), and the folders (an empty ``versions/`` comes back too). The data set's write lock
(``lib/store.py``) is held while the files are read, so a write at the same moment does not give a torn
backup. Left out: the lock file itself and the temporary files of a write that died.

A restore reads the whole archive and checks it against its manifest before anything is written (a
corrupted, truncated or incomplete archive is refused with a French message), writes into a temporary folder
beside the target, checks every file again, and only then renames it into place: the target is either as it
was or fully restored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from filelock import FileLock, Timeout

from lib.dataset import is_demo_dir
from lib.store import LOCK_NAME, TEMP_SUFFIX

MANIFEST = "manifeste.json"
DATA_PREFIX = "donnees"
FORMAT = "passerelles-sauvegarde"
FORMAT_VERSION = 1
CHUNK = 1 << 20
LOCK_TIMEOUT = 30.0


class BackupError(Exception):
    """Why a backup or a restore was refused (French); nothing was written."""


class _WriteFailed(Exception):
    """Writing a restored file failed (full disk…): the archive is not at fault."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class ArchiveSummary:
    """What a verified archive holds."""

    files: int
    size: int
    created: str
    source: str


def _excluded(relative: PurePosixPath) -> bool:
    name = relative.name
    return name == LOCK_NAME or (name.startswith(".") and name.endswith(TEMP_SUFFIX))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _write_lock(folder: Path, timeout: float) -> Iterator[None]:
    """The data set's write lock (the store's); none needed where the store could not write either (the demo,
    which is never written to — not even a lock file —, or a read-only folder)."""
    if is_demo_dir(folder):
        yield
        return
    lock = FileLock(folder / LOCK_NAME, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise BackupError(f"{folder} : le jeu de données est en cours d'enregistrement depuis plus de {timeout:g} s ; "
                          "réessayez dans un instant (rien n'a été écrit).") from None
    except PermissionError:  # a read-only folder: no write can happen while it is read
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _walk(folder: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """The data set's folders and files (relative, sorted); symbolic links are followed to files only."""
    folders, files = [], []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        base = PurePosixPath(Path(root).relative_to(folder).as_posix())
        for name in dirs:
            if not (Path(root) / name).is_symlink():
                folders.append(base / name)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for name in sorted(names):
            relative = base / name
            if not _excluded(relative) and (Path(root) / name).is_file():
                files.append(relative)
    return folders, files


def backup(folder: Path, out: Path, force: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> ArchiveSummary:
    """Write the backup of data set ``folder`` to ``out`` (``.tar.gz``), then check it by reading it back.

    Raises:
        BackupError: no such folder, ``out`` exists (without ``force``) or lies inside the data set, the data
            set stays busy, or the archive cannot be written (French; a partial file is removed).
    """
    folder, out = Path(folder).resolve(), Path(out).resolve()
    if not folder.is_dir():
        raise BackupError(f"{folder} : dossier du jeu de données introuvable.")
    if out.is_relative_to(folder):
        raise BackupError(f"{out} : la sauvegarde ne peut pas être écrite dans le jeu de données lui-même.")
    if out.exists() and not force:
        raise BackupError(f"{out} existe déjà : choisissez un autre nom (ou --force pour le remplacer).")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with _write_lock(folder, lock_timeout), tarfile.open(temp, "w:gz") as archive:
            folders, files = _walk(folder)
            entries = [{"chemin": p.as_posix(), "taille": (folder / p).stat().st_size, "sha256": _sha256(folder / p)}
                       for p in files]
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "source": str(folder),
                        "cree_le": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "dossiers": [p.as_posix() for p in folders], "fichiers": entries}
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
            for entry in entries:
                path = folder / entry["chemin"]
                info = tarfile.TarInfo(f"{DATA_PREFIX}/{entry['chemin']}")
                info.size, info.mtime, info.mode = entry["taille"], int(path.stat().st_mtime), 0o640
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
        summary = verify(temp)
        os.replace(temp, out)
    except OSError as error:
        raise BackupError(f"{out} : écriture impossible ({error.strerror or error}) ; aucune sauvegarde écrite.") from None
    finally:
        with suppress(FileNotFoundError):
            temp.unlink()
    return summary


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o640
    archive.addfile(info, io.BytesIO(data))


def _unreadable(path: Path, why: str) -> BackupError:
    return BackupError(f"{path.name} : sauvegarde refusée, {why}. Rien n'a été restauré ; reprenez une autre copie "
                       "de la sauvegarde.")


def _safe_relative(name: str) -> PurePosixPath | None:
    """A member's path inside ``donnees/``, or None when it would leave it (absolute, ``..``, outside)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2 or path.parts[0] != DATA_PREFIX:
        return None
    return PurePosixPath(*path.parts[1:])


def _read(archive_path: Path, target: Path | None) -> ArchiveSummary:
    """Read the archive through, checking each file against the manifest; write the files under ``target``
    when given (the caller's temporary folder). Raises BackupError on the first problem."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _unreadable(archive_path, "ce n'est pas une sauvegarde de Passerelles (manifeste absent)")
            try:
                manifest = json.loads(archive.extractfile(first).read().decode("utf-8"))
                expected = {PurePosixPath(e["chemin"]): (int(e["taille"]), str(e["sha256"]))
                            for e in manifest["fichiers"]}
                folders = [PurePosixPath(p) for p in manifest.get("dossiers", [])]
            except (ValueError, KeyError, TypeError, AttributeError):
                raise _unreadable(archive_path, "son manifeste est illisible") from None
            if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
                raise _unreadable(archive_path, "format de sauvegarde inconnu")
            for path in [*expected, *folders]:
                if _safe_relative(f"{DATA_PREFIX}/{path.as_posix()}") != path or path.as_posix() in ("", "."):
                    raise _unreadable(archive_path, f"le chemin « {path} » sortirait du jeu de données")
            if target is not None:
                for path in folders:
                    (target / path).mkdir(parents=True, exist_ok=True)
            seen: set[PurePosixPath] = set()
            for member in archive:
                if member is first:  # iterating a tar file starts again from its first member
                    continue
                relative = _safe_relative(member.name)
                if relative is None or not member.isfile() or relative not in expected or relative in seen:
                    raise _unreadable(archive_path, f"elle contient « {member.name} », absent du manifeste")
                seen.add(relative)
                size, digest = expected[relative]
                _check_member(archive, member, size, digest, archive_path,
                              None if target is None else target / relative)
            missing = sorted(str(p) for p in set(expected) - seen)
            if missing:
                raise _unreadable(archive_path, f"il manque {len(missing)} fichier(s), dont « {missing[0]} » "
                                                "(archive tronquée ?)")
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise BackupError(f"{archive_path} : fichier introuvable ou illisible.") from None
        raise _unreadable(archive_path, "le fichier est abîmé ou tronqué (lecture interrompue)") from None
    return ArchiveSummary(len(expected), sum(size for size, _ in expected.values()), str(manifest.get("cree_le", "")),
                          str(manifest.get("source", "")))


def _check_member(archive: tarfile.TarFile, member: tarfile.TarInfo, size: int, digest: str, archive_path: Path,
                  destination: Path | None) -> None:
    """Hash one member while (optionally) writing it; a size or SHA-256 other than the manifest's is refused."""
    source = archive.extractfile(member)
    sha, read = hashlib.sha256(), 0
    handle = None
    try:
        if destination is not None:
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                handle = destination.open("wb")
            except OSError as error:
                raise _WriteFailed(error) from None
        for block in iter(lambda: source.read(CHUNK), b""):  # a read error is the archive's (caught by _read)
            sha.update(block)
            read += len(block)
            if handle is not None:
                try:
                    handle.write(block)
                except OSError as error:
                    raise _WriteFailed(error) from None
        if handle is not None:
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as error:
                raise _WriteFailed(error) from None
    finally:
        if handle is not None:
            with suppress(OSError):
                handle.close()
    if read != size or sha.hexdigest() != digest:
        raise _unreadable(archive_path, f"« {member.name} » ne correspond pas à son empreinte SHA-256 (fichier abîmé)")


def verify(archive_path: Path) -> ArchiveSummary:
    """Check an archive against its manifest without writing anything.

    Raises:
        BackupError: unreadable, corrupted, truncated, incomplete or unsafe (French).
    """
    return _read(Path(archive_path), None)


def restore(archive_path: Path, target: Path, force: bool = False) -> ArchiveSummary:
    """Restore a backup into ``target``: all of it or nothing.

    The archive is checked first; then written into a temporary folder beside ``target``, checked again,
    and renamed into place. With ``force``, a non-empty ``target`` is replaced (under its write lock, so no
    write of the app is cut in two); without, it is refused.

    Raises:
        BackupError: a bad archive, a non-empty target without ``force``, or a failure on the way; the
            target is then as it was and no temporary folder is left.
    """
    archive_path, target = Path(archive_path), Path(target).resolve()
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} existe et n'est pas un dossier : rien n'a été restauré.")
    occupied = target.is_dir() and any(target.iterdir())
    if occupied and not force:
        raise BackupError(f"{target} n'est pas vide : rien n'a été restauré. Choisissez un dossier vide, ou ajoutez "
                          "--force pour remplacer ce jeu de données par la sauvegarde.")
    verify(archive_path)  # a bad archive is refused before anything is written
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restauration-", dir=target.parent))
    try:
        os.chmod(staging, target.stat().st_mode & 0o7777 if target.is_dir() else 0o755)  # not mkdtemp's 0700
        summary = _read(archive_path, staging)
        _fsync_dir(staging)
        if occupied:
            with _write_lock(target, LOCK_TIMEOUT):
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.ancien-", dir=target.parent))
                try:
                    os.replace(target, old / "jeu")
                    try:
                        os.replace(staging, target)
                    except OSError:
                        os.replace(old / "jeu", target)  # put the data set back as it was
                        raise
                finally:
                    shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)  # an empty or missing target: one rename
        _fsync_dir(target.parent)
    except (OSError, _WriteFailed) as error:
        error = error.error if isinstance(error, _WriteFailed) else error
        raise BackupError(f"{target} : restauration impossible ({error.strerror or error}) ; le dossier est "
                          "resté tel qu'il était.") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return summary


def _fsync_dir(folder: Path) -> None:
    with suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
