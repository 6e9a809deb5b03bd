"""The one place that writes a data set: all-or-nothing, serialised, backed up, journaled.

Every write follows the same path, under a lock on the data-set folder
(``.passerelles.lock``, an OS ``flock`` through the ``filelock`` package, so
the lock goes with a process that dies):

1. read the file as it is now (never a cached copy), merge the change in memory
   and turn the result into bytes; a table that cannot be written is refused
   here, before anything on disk is touched;
2. write the new file, the backup of the previous one and the journal with its
   new line to temporary files in their final folders, each flushed and fsynced
   (a full disk or a killed process stops here: only temporary files exist,
   and the next write sweeps them);
3. commit by renaming (``os.replace``, atomic): the backup into ``versions/``,
   the new file over the old one, the new journal over the old one; then fsync
   the folders.

The CSV written is always the same: UTF-8 without BOM, ``,``, LF line ends,
the columns of :data:`lib.dataset.FILES` in their order and any extra column
at the end, every value a string. Lists of codes are joined with ``;`` by the
caller. A file saved by a spreadsheet (``;``, Windows-1252, CRLF…) is read as
the loader reads it and rewritten in this format on its first change; its
original bytes stay in ``versions/``.

Readers need no lock: a file is only ever replaced whole, so the loader sees
either the old or the new version.

The demo data set is read-only (:class:`ReadOnlyDataset`); the user's own data
set is made by :func:`create_user_dataset`. The journal (``journal.csv``) says
when, which file, what action, how many rows, which keys and why; it names no
person.
"""

from __future__ import annotations

import csv
import errno
import io
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from lib import dataset
from lib.csvio import NO_HEADER, CsvError, decode_bytes, detect_delimiter, normalise_column, parse_text
from lib.dataset import FILES, FileSpec, resolve_data_dir
from lib.journal import (ACTIONS, JOURNAL_COLUMNS, JOURNAL_NAME, MAX_JOURNAL_KEYS, journal_bytes, journal_rows,  # noqa: F401
                         keys_text, one_line, plan_repair, stamp)
from lib.textlimits import STORE_MAX_CHARS, too_long_message

LOCK_NAME = ".passerelles.lock"
VERSIONS_DIR = "versions"
MAPPINGS_DIR = "mappings"
TEMP_SUFFIX = ".passerelles-tmp"
# The columns that identify a row of each file (the loader reports duplicates of these).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "structures": ("id",),
    "reponses": ("reponse_id",),
    "rencontres": ("rencontre_id",),
    "participations": ("rencontre_id", "structure_id"),
    "territoires": ("commune_insee",),
    "presentations": ("etape_id",),
}
# Between two attempts on a busy lock: short, so people saving one after the other barely wait.
LOCK_POLL_SECONDS = 0.005
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
VERSION_PATTERN = re.compile(r"^(\d{8}T\d{12}Z)-([a-z_]+\.csv)$")
# Mending the journal on opening waits this long for the lock, then leaves it for the next opening.
REPAIR_LOCK_SECONDS = 0.5
READ_ONLY_MESSAGE = "Les données de démonstration ne sont pas modifiables : créez votre propre jeu de données."


class StoreError(Exception):
    """A write refused or failed; the message is French and can be shown as is. Nothing was changed
    unless the message says otherwise."""


class ReadOnlyDataset(StoreError):
    """A write aimed at the demo data set."""

    def __init__(self, message: str = READ_ONLY_MESSAGE):
        super().__init__(message)


class DatasetBusy(StoreError):
    """Someone else's write held the lock longer than the store waits."""


@dataclass(frozen=True)
class Version:
    """A file's content just before a change, kept in ``versions/``.

    ``time``, ``action`` and ``description`` are those of the change that
    replaced it (from the journal; empty when the journal does not know it):
    restoring the version undoes that change and every later one to the file.
    """

    id: str
    file: str
    name: str
    time: datetime
    size: int
    action: str
    description: str


@dataclass
class _Table:
    """A data-set file as plain lists: column names and rows of strings.

    ``too_long`` lists the cells over :data:`STORE_MAX_CHARS` of a table given
    to write, as ``(row number, column, value)``.
    """

    columns: list[str]
    rows: list[list[str]]
    too_long: list[tuple[int, str, str]] = field(default_factory=list)


# A change to a file: from its current table to (columns, rows, rows concerned, keys concerned).
_Merged = tuple[list[str], list[list[str]], int, list[tuple[str, ...]]]
_Change = Callable[[_Table], _Merged]


# --------------------------------------------------------------------------- CSV format


def _csv_bytes(columns: list[str], rows: list[list[str]], filename: str) -> bytes:
    """The one CSV format of a data set: UTF-8 without BOM, comma, LF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    try:
        return buffer.getvalue().encode("utf-8")
    except UnicodeEncodeError as err:
        raise StoreError(f"{filename} : caractère impossible à enregistrer en UTF-8 "
                         f"({err.object[err.start:err.end]!r}) ; rien n'a été modifié.") from None


def _parse(spec: FileSpec, data: bytes | None) -> _Table:
    """The current content of a data-set file, exactly as strings.

    Reads what people's tools write too (encoding and delimiter detected as the
    loader does), but refuses a file whose rewrite would lose or shift data.

    Raises:
        StoreError: unreadable file, duplicate or missing required columns, broken rows.
    """
    columns = list(spec.columns)
    if data is None or not data.strip():
        return _Table(columns, [])
    fix = "corrigez le fichier (page « Contrôle des données ») avant d'enregistrer ; rien n'a été modifié."
    try:
        text, _ = decode_bytes(data, spec.filename)
    except CsvError as err:
        raise StoreError(f"{spec.filename} : {err.message} {fix}") from None
    first_line = text.split("\n", 1)[0]
    header_by_comma = {normalise_column(c) for c in next(csv.reader([first_line]), [])}
    # Our own files are recognised at once; sniffing costs milliseconds on every write.
    delimiter = "," if set(spec.required_columns) <= header_by_comma else detect_delimiter(text, set(spec.columns))
    try:
        raw = parse_text(text, spec.filename, "", delimiter=delimiter)
    except CsvError as err:
        if _is_headerless(err):  # only blank lines or lone delimiters: an empty table
            return _Table(columns, [])
        raise StoreError(f"{spec.filename} : {err.message} {fix}") from None
    header, rows, lines = raw.original_header, raw.rows, raw.lines

    names = []
    for original in header:
        normal = normalise_column(original)
        names.append(normal if normal in spec.columns else original)
    width = len(names)
    # Excel leaves empty columns after the last one: harmless when they hold nothing.
    while names and names[-1] == "" and all(len(r) < width or not r[width - 1].strip() for r in rows):
        names.pop()
        width -= 1
    for name in names:
        if name == "" or names.count(name) > 1:
            what = "colonne sans nom" if name == "" else f"colonne « {name} » en double"
            raise StoreError(f"{spec.filename} : {what} ; {fix}")
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        raise StoreError(f"{spec.filename} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} ; {fix}")
    for position, (row, line) in enumerate(zip(rows, lines)):
        if len(row) > width and not any(v.strip() for v in row[width:]):
            rows[position] = row = row[:width]
        if len(row) != width:
            raise StoreError(f"{spec.filename}, ligne {line} : {len(row)} valeurs au lieu de {width} ; {fix}")

    extras = [n for n in names if n not in spec.columns]
    if names == columns + extras:  # the store's own files: nothing to move
        return _Table(names, rows)
    return _Table(columns + extras, _align(_Table(names, rows), columns + extras))


def _rows_from_frame(spec: FileSpec, frame: pd.DataFrame) -> _Table:
    """Check a table given by the caller and turn it into lists of strings.

    Raises:
        StoreError: a column name that is not a text or is repeated, a required
            column missing, a value that is not a string (NaN, number, list…),
            a NUL character, an empty row.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"a pandas DataFrame is expected, not {type(frame).__name__}")
    where = f"{spec.filename} (données à enregistrer)"
    columns = list(frame.columns)
    for column in columns:
        if not isinstance(column, str) or not column.strip() or column != column.strip():
            raise StoreError(f"{where} : nom de colonne invalide {column!r} ; rien n'a été modifié.")
        if columns.count(column) > 1:
            raise StoreError(f"{where} : colonne « {column} » en double ; rien n'a été modifié.")
    missing = [c for c in spec.required_columns if c not in columns]
    if missing:
        raise StoreError(f"{where} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} ; "
                         "rien n'a été modifié.")
    rows = frame.to_numpy(dtype=object).tolist()
    too_long = []
    for number, row in enumerate(rows, start=1):
        for column, value in zip(columns, row):
            if isinstance(value, str) and len(value) > STORE_MAX_CHARS:
                too_long.append((number, column, value))
            if not isinstance(value, str):
                raise StoreError(f"{where}, ligne {number}, colonne « {column} » : valeur {value!r} non textuelle "
                                 "(chaque valeur s'écrit en texte, les listes de codes jointes par « ; ») ; "
                                 "rien n'a été modifié.")
            if "\x00" in value:
                raise StoreError(f"{where}, ligne {number}, colonne « {column} » : caractère nul interdit ; "
                                 "rien n'a été modifié.")
        if not any(v.strip() for v in row):
            raise StoreError(f"{where}, ligne {number} : ligne vide ; rien n'a été modifié.")
    return _Table(columns, rows, too_long)


def _refuse_new_long_texts(spec: FileSpec, given: _Table, current: _Table | None) -> None:
    """Refuse a cell over :data:`STORE_MAX_CHARS` unless the file already holds that very text in that column.

    The store reads back anything it writes, and it never writes a new text that
    long; a data set that already holds one (written by another tool) can still
    be changed elsewhere, keeping that text as it is.

    Raises:
        StoreError: naming the line and column of the first new over-long text.
    """
    for number, column, value in given.too_long:
        if current is not None and column in current.columns:
            position = current.columns.index(column)
            if any(row[position] == value for row in current.rows):
                continue
        raise StoreError(f"{spec.filename} (données à enregistrer), ligne {number}, colonne « {column} » : "
                         f"{too_long_message(len(value), STORE_MAX_CHARS)} ; raccourcissez-le ; "
                         "rien n'a été modifié.")


# --------------------------------------------------------------------------- files on disk


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write only part of a large buffer)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _file_mode(*candidates: Path) -> int | None:
    """Permissions of the first existing file among ``candidates``: a rewrite keeps them."""
    for path in candidates:
        with suppress(OSError):
            return stat.S_IMODE(path.stat().st_mode)
    return None


def _write_temp(target: Path, data: bytes, temps: list[Path], mode: int | None) -> Path:
    """Write ``data`` to a new temporary file beside ``target``, flushed to disk; returns its path."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    temps.append(temp)  # before creating it, so a failure half-way still removes it
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return temp


def _fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX; Windows has no directory handles to fsync)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_file(target: Path, make_data, mode: int | None, failure: str) -> None:
    """Write one file whole or not at all (temporary file, fsync, rename); ``failure`` starts the French error.

    ``make_data`` is called inside the guarded step, so a read it makes fails the same way as the write.
    """
    temps: list[Path] = []
    try:
        target.parent.mkdir(exist_ok=True)
        temp = _write_temp(target, make_data(), temps, mode)
        os.replace(temp, target)
        temps.clear()
        _fsync_dir(target.parent)
    except OSError as err:
        raise StoreError(f"{failure} : {_os_problem(err)}.") from err
    finally:
        for leftover in temps:
            with suppress(OSError):
                leftover.unlink()


def _read_current(path: Path) -> tuple[bytes | None, os.stat_result | None]:
    """A file's bytes and the identity of what was read (None, None when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(), os.fstat(handle.fileno())
    except FileNotFoundError:
        return None, None


def _keep_previous(target: Path, seen: os.stat_result, old: bytes, backup: Path, temps: list[Path]) -> Path:
    """A temporary backup holding ``old``, to be renamed to ``backup``.

    A hard link to the current file when the file system allows it: the store
    never changes a file in place, it replaces it, so the link keeps the old
    bytes at no cost (a 50 MB data set is not copied on every entry).
    Otherwise, or if the file changed since it was read, a copy.
    """
    temp = backup.with_name(f".{backup.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    temps.append(temp)
    try:
        os.link(target, temp)
        linked = temp.stat()
        if (linked.st_dev, linked.st_ino, linked.st_size, linked.st_mtime_ns) == (
                seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns):
            return temp
        temp.unlink()
    except OSError:
        with suppress(OSError):
            temp.unlink()
    return _write_temp(backup, old, temps, stat.S_IMODE(seen.st_mode))


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _os_problem(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "disque plein"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "accès refusé (droits insuffisants, ou fichier ouvert dans un autre programme comme un tableur)"
    if err.errno == errno.EROFS:
        return "disque en lecture seule"
    return f"erreur d'écriture ({err.strerror or err})"


def _is_headerless(err: CsvError) -> bool:
    return err.message == NO_HEADER


def _mapping_file(filename: str) -> str:
    """A mapping's file name, refused if it could leave ``mappings/``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*\.json", filename):
        raise StoreError(f"Nom de paramétrage invalide : {filename!r}.")
    return filename


def _inside_demo(folder: Path) -> bool:
    """Inside ``data/demo/``, or a demo data set made for another département (read-only alike)."""
    demo = dataset.DEMO_DIR.resolve()
    resolved = folder.resolve()
    return resolved == demo or demo in resolved.parents or dataset.is_demo_dir(resolved)


# --------------------------------------------------------------------------- the store


class Store:
    """Reads and writes one data-set folder safely.

    Cheap to create; holds no open file and no lock between calls, so one
    instance can be shared by sessions (threads) and processes alike.

    Args:
        folder: the data-set folder.
        keep_versions: backups kept per file in ``versions/`` (the oldest are removed).
        lock_timeout: seconds a write waits for another one before :class:`DatasetBusy`.
    """

    def __init__(self, folder: Path, keep_versions: int = 30, lock_timeout: float = 30.0):
        if keep_versions < 1:
            raise ValueError("keep_versions must be at least 1")
        if not (lock_timeout > 0 and math.isfinite(lock_timeout)):
            # An infinite wait would also make filelock refuse a second thread of the same process.
            raise ValueError("lock_timeout must be a positive number of seconds")
        self.folder = Path(folder)
        self.keep_versions = keep_versions
        self.lock_timeout = lock_timeout
        self._repair_journal_if_needed()

    @property
    def versions_dir(self) -> Path:
        return self.folder / VERSIONS_DIR

    @property
    def read_only(self) -> bool:
        """True for the demo data set."""
        return _inside_demo(self.folder)

    # ----------------------------------------------------------------- reading

    def read(self, name: str) -> pd.DataFrame:
        """The raw strings table of data-set file ``name`` ("structures", "reponses", …).

        Columns of :data:`lib.dataset.FILES` in order (empty when the file lacks
        an optional one), then any extra column; a missing file gives an empty
        table. Values are exact: "" stays "", leading zeros and spaces stay.
        Files are replaced atomically, so this sees a whole version, never a
        half-written one.

        Raises:
            StoreError: the file cannot be rewritten safely (see :func:`_parse`).
        """
        spec = _spec(name)
        table = _parse(spec, _read_bytes(self.folder / spec.filename))
        return pd.DataFrame(table.rows, columns=table.columns, dtype=str)

    def versions(self, name: str | None = None) -> list[Version]:
        """The backups kept, newest first (of one file when ``name`` is given)."""
        filename = _spec(name).filename if name is not None else None
        try:
            entries = sorted(os.listdir(self.versions_dir), reverse=True)
        except FileNotFoundError:
            return []
        changes = {row["version"]: row for row in self._journal_rows() if row.get("version")}
        found = []
        for entry in entries:
            match = VERSION_PATTERN.match(entry)
            if not match or (filename and match.group(2) != filename):
                continue
            try:
                size = (self.versions_dir / entry).stat().st_size
            except FileNotFoundError:  # pruned by another writer meanwhile
                continue
            change = changes.get(entry, {})
            found.append(Version(
                id=entry,
                file=match.group(2),
                name=match.group(2).removesuffix(".csv"),
                time=datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC),
                size=size,
                action=change.get("action", ""),
                description=change.get("description", ""),
            ))
        return found

    def journal(self) -> pd.DataFrame:
        """Every change recorded, newest first (columns of :data:`JOURNAL_COLUMNS`)."""
        rows = [[row.get(c, "") for c in JOURNAL_COLUMNS] for row in self._journal_rows()]
        return pd.DataFrame(rows[::-1], columns=list(JOURNAL_COLUMNS), dtype=str)

    def _journal_rows(self) -> list[dict[str, str]]:
        return journal_rows(_read_bytes(self.folder / JOURNAL_NAME))

    # ----------------------------------------------------------------- writing

    def replace(self, name: str, table: pd.DataFrame, action: str, description: str) -> bool:
        """Write the whole file ``name`` from ``table`` (e.g. after an import).

        Extra columns of ``table`` are kept after the known ones. Returns False
        (and writes nothing) when the file already holds exactly this.
        """
        spec, action = _spec(name), _action(action)
        self._check_writable()
        given = _rows_from_frame(spec, table)
        extras = [c for c in given.columns if c not in spec.columns]
        columns = list(spec.columns) + extras
        rows = _align(given, columns)
        data = _csv_bytes(columns, rows, spec.filename)
        with self._locked():  # the current file is not parsed: a replace can mend one the store can't read
            if given.too_long:  # ... unless it must tell a long text kept from a new one
                try:
                    current = _parse(spec, _read_bytes(self.folder / spec.filename))
                except StoreError:
                    current = None
                _refuse_new_long_texts(spec, given, current)
            return self._commit(spec, data, action, description, rows=len(rows))

    def append(self, name: str, rows: pd.DataFrame, description: str, action: str = "ajout") -> int:
        """Add ``rows`` at the end of file ``name``; returns how many.

        Read, merged and written under the lock, so two people adding at the
        same time both get their rows in. Missing optional columns are left
        empty; a column the file does not have is refused, and so is a row
        whose key (:data:`NATURAL_KEYS`) is empty, repeated or already in the
        file (two people who picked the same new identifier: the second must
        choose another). Importers pass ``action="import"``.
        """
        spec, action = _spec(name), _action(action)
        self._check_writable()
        given = _rows_from_frame(spec, rows)
        if not given.rows:
            return 0
        key = list(NATURAL_KEYS[name])
        new_keys = _keys_of(given, key, spec)

        def merge(current: _Table) -> _Merged:
            _refuse_unknown_columns(spec, given, current)
            _refuse_new_long_texts(spec, given, current)
            existing = set(_keys_of(current, key, spec, check=False))
            taken = [k for k in new_keys if k in existing]
            if taken:
                raise StoreError(f"{spec.filename} : identifiant(s) déjà présent(s) : {keys_text(taken)} ; "
                                 "rien n'a été modifié.")
            return current.columns, current.rows + _align(given, current.columns), len(given.rows), new_keys

        with self._locked():
            self._commit(spec, merge, action, description)
        return len(given.rows)

    def upsert(self, name: str, rows: pd.DataFrame, key: list[str], description: str,
               action: str | None = None) -> tuple[int, int]:
        """Add the rows whose ``key`` is new, update the others; returns ``(added, updated)``.

        ``rows`` hold at least the file's required columns; an updated row
        takes the values of the columns given and keeps the others; a row
        identical to what the file holds counts as neither. The file must not
        already hold two rows with one of these keys (refused).
        ``action`` defaults to "ajout" when nothing was updated, else
        "modification".
        """
        spec = _spec(name)
        if action is not None:
            action = _action(action)
        self._check_writable()
        given = _rows_from_frame(spec, rows)
        if not given.rows:
            return 0, 0
        new_keys = _keys_of(given, key, spec)
        counts = [0, 0]

        def merge(current: _Table) -> _Merged:
            _refuse_unknown_columns(spec, given, current)
            _refuse_new_long_texts(spec, given, current)
            positions: dict[tuple[str, ...], list[int]] = {}
            for position, existing_key in enumerate(_keys_of(current, key, spec, check=False)):
                positions.setdefault(existing_key, []).append(position)
            result = [list(row) for row in current.rows]
            index = [current.columns.index(c) for c in given.columns]
            touched = []
            for row_key, row in zip(new_keys, given.rows):
                found = positions.get(row_key, [])
                if len(found) > 1:
                    raise StoreError(f"{spec.filename} : {len(found)} lignes ont la clé {keys_text([row_key])} ; "
                                     "corrigez le fichier avant de la modifier ; rien n'a été modifié.")
                if found:
                    merged = list(result[found[0]])
                    for i, value in zip(index, row):
                        merged[i] = value
                    if merged != result[found[0]]:
                        result[found[0]] = merged
                        counts[1] += 1
                        touched.append(row_key)
                else:
                    result.append(_align(_Table(given.columns, [row]), current.columns)[0])
                    counts[0] += 1
                    touched.append(row_key)
            return current.columns, result, len(touched), touched

        def action_of_result() -> str:
            return action or ("modification" if counts[1] else "ajout")

        with self._locked():
            self._commit(spec, merge, action_of_result, description)
        return counts[0], counts[1]

    def delete(self, name: str, key: list[str], values: list[tuple], description: str) -> int:
        """Remove every row whose ``key`` columns equal one of ``values``; returns how many."""
        spec = _spec(name)
        self._check_writable()
        if not key:
            raise ValueError("key names at least one column")
        wanted = set()
        for value in values:
            value = tuple(value)
            if len(value) != len(key) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"each value is a tuple of {len(key)} string(s), not {value!r}")
            wanted.add(value)
        if not wanted:
            return 0
        removed: list[tuple[str, ...]] = []

        def merge(current: _Table) -> _Merged:
            kept = []
            for row_key, row in zip(_keys_of(current, key, spec, check=False), current.rows):
                if row_key in wanted:
                    removed.append(row_key)
                else:
                    kept.append(row)
            return current.columns, kept, len(removed), list(dict.fromkeys(removed))

        with self._locked():
            self._commit(spec, merge, "suppression", description)
        return len(removed)

    def restore(self, version_id: str) -> bool:
        """Put back a version's exact bytes; the content replaced is itself kept as a version.

        Returns False (writing nothing) when the file already holds exactly that.
        """
        match = VERSION_PATTERN.match(version_id)
        spec = next((s for s in FILES.values() if match and s.filename == match.group(2)), None)
        if spec is None:
            raise StoreError(f"version « {version_id} » inconnue ; rien n'a été modifié.")
        self._check_writable()
        with self._locked():
            data = _read_bytes(self.versions_dir / version_id)
            if data is None:
                raise StoreError(f"version « {version_id} » introuvable (supprimée car trop ancienne ?) ; "
                                 "rien n'a été modifié.")
            when = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
            change = next((r for r in self._journal_rows() if r.get("version") == version_id), {})
            description = f"Retour à {spec.filename} tel qu'il était le {when:%d/%m/%Y à %H:%M:%S} UTC"
            if change.get("description"):
                description += f", avant « {change['description']} »"
            try:
                rows = len(_parse(spec, data).rows)
            except StoreError:
                rows = 0
            return self._commit(spec, data, "restauration", description, rows=rows)

    # ----------------------------------------------------------------- machinery

    # ----------------------------------------------------------------- saved import mappings

    def mapping_names(self) -> list[str]:
        """File names of the import mappings saved in ``mappings/`` (sorted)."""
        folder = self.folder / MAPPINGS_DIR
        return sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []

    def read_mapping(self, filename: str) -> str:
        """The JSON text of a saved mapping (see :func:`lib.importers.mapping_filename`)."""
        return (self.folder / MAPPINGS_DIR / _mapping_file(filename)).read_text(encoding="utf-8")

    def save_mapping(self, filename: str, text: str) -> None:
        """Save an import mapping atomically (temporary file, fsync, rename), under the lock."""
        self._check_writable()
        folder = self.folder / MAPPINGS_DIR
        target = folder / _mapping_file(filename)
        with self._locked():
            _replace_file(target, lambda: text.encode("utf-8"), None,
                          f"Enregistrement du paramétrage {target.name} impossible")

    # ----------------------------------------------------------------- journal repair

    def reconcile_journal(self, lock_timeout: float | None = None) -> list[str]:
        """Mend the journal after a write killed between its renames (see :mod:`lib.journal`).

        A change the journal misses gets its line back, marked as reconstructed;
        a backup of a file that did not change is removed; one more line says
        what was mended. Returns the descriptions of the lines added (none when
        the journal was whole).

        Raises:
            StoreError: the journal could not be written (nothing else was changed then, but the
                copies of nothing may be gone); DatasetBusy when the lock is not had in time.
        """
        self._check_writable()
        with self._locked(lock_timeout):
            repair = plan_repair(self._journal_rows(), self._versions_by_file(),
                                 read_version=lambda version: _read_bytes(self.versions_dir / version),
                                 read_current=lambda filename: _read_bytes(self.folder / filename),
                                 count_rows=_count_rows)
            if not repair:
                return []
            for orphan in repair.orphans:
                with suppress(OSError):
                    (self.versions_dir / orphan).unlink()
            journal_path = self.folder / JOURNAL_NAME
            _replace_file(journal_path, lambda: journal_bytes(_read_bytes(journal_path), repair.entries),
                          _file_mode(journal_path), "Réparation du journal impossible")
            return [entry[5] for entry in repair.entries]

    def _repair_journal_if_needed(self) -> None:
        """On opening: mend the journal when the newest backup of a file is not named in it.

        Cheap (a folder listing and a byte search in the journal, no parsing, no
        lock), so every opening checks; a data set busy or not writable is left
        for the next opening.
        """
        if _inside_demo(self.folder) or not self.versions_dir.is_dir():
            return
        newest = [kept[-1][0].encode() for kept in self._versions_by_file().values()]
        journal = _read_bytes(self.folder / JOURNAL_NAME) or b""
        if all(journal.rfind(version) >= 0 for version in newest):  # from the end: the newest lines
            return
        with suppress(StoreError, OSError):
            self.reconcile_journal(lock_timeout=REPAIR_LOCK_SECONDS)

    def _versions_by_file(self) -> dict[str, list[tuple[str, datetime]]]:
        """File name → its backups ``(version id, time)``, oldest first."""
        found: dict[str, list[tuple[str, datetime]]] = {}
        with suppress(FileNotFoundError):
            for entry in sorted(os.listdir(self.versions_dir)):
                match = VERSION_PATTERN.match(entry)
                if match:
                    when = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
                    found.setdefault(match.group(2), []).append((entry, when))
        return found

    def _check_writable(self) -> None:
        if _inside_demo(self.folder):
            raise ReadOnlyDataset()
        if not self.folder.is_dir():
            raise StoreError(f"dossier du jeu de données introuvable : {self.folder} ; rien n'a été modifié.")

    @contextmanager
    def _locked(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the data set's lock; leftovers of a writer that died are swept first."""
        timeout = self.lock_timeout if timeout is None else timeout
        lock = FileLock(self.folder / LOCK_NAME, timeout=timeout, poll_interval=LOCK_POLL_SECONDS)
        try:
            lock.acquire()
        except Timeout:
            raise DatasetBusy(f"Le jeu de données est en cours d'enregistrement par quelqu'un d'autre depuis "
                              f"plus de {timeout:g} s : réessayez dans un instant ; "
                              "rien n'a été modifié.") from None
        try:
            for folder in (self.folder, self.versions_dir):
                for leftover in folder.glob(f".*{TEMP_SUFFIX}"):
                    with suppress(OSError):
                        leftover.unlink()
            yield
        finally:
            lock.release()

    def _next_stamp(self) -> datetime:
        """Now (UTC), but always after the newest backup, so names sort by time even if the clock steps back."""
        now = datetime.now(UTC)
        with suppress(FileNotFoundError):
            stamps = [m.group(1) for m in map(VERSION_PATTERN.match, os.listdir(self.versions_dir)) if m]
            if stamps:
                newest = datetime.strptime(max(stamps), STAMP_FORMAT).replace(tzinfo=UTC)
                now = max(now, newest + timedelta(microseconds=1))
        return now

    def _commit(self, spec: FileSpec, change: _Change | bytes, action: str | Callable[[], str], description: str,
                rows: int = 0) -> bool:
        """Apply ``change`` to the current file and commit it; call with the lock held.

        ``change`` is either the new bytes, or a function of the current table
        returning ``(columns, rows, rows concerned, keys concerned)``. Returns
        False when the result equals the current bytes (nothing is written).
        """
        target = self.folder / spec.filename
        old, seen = _read_current(target)
        keys: list[tuple[str, ...]] = []
        if isinstance(change, bytes):
            new = change
        else:
            current = _parse(spec, old) if old is not None else _Table(list(spec.columns), [])
            columns, table_rows, rows, keys = change(current)
            new = _csv_bytes(columns, table_rows, spec.filename)
        if new == old:
            return False
        action = action() if callable(action) else action
        when = self._next_stamp()
        version_id = f"{when.strftime(STAMP_FORMAT)}-{spec.filename}" if old is not None else ""
        journal_path = self.folder / JOURNAL_NAME
        entry = [stamp(when), spec.filename, action, str(rows), keys_text(keys),
                 one_line(description) or f"{action} : {rows} ligne(s) de {spec.filename}", version_id]
        journal = journal_bytes(_read_bytes(journal_path), [entry])

        temps: list[Path] = []
        backup: Path | None = None
        try:
            data_temp = _write_temp(target, new, temps, _file_mode(target))
            if old is not None:
                self.versions_dir.mkdir(exist_ok=True)
                backup_temp = _keep_previous(target, seen, old, self.versions_dir / version_id, temps)
            journal_temp = _write_temp(journal_path, journal, temps, _file_mode(journal_path, target))
            if old is not None:
                os.replace(backup_temp, self.versions_dir / version_id)
                backup = self.versions_dir / version_id
                _fsync_dir(self.versions_dir)
            os.replace(data_temp, target)
        except BaseException as err:
            for temp in temps:
                with suppress(OSError):
                    temp.unlink()
            if backup is not None:  # a copy of the unchanged file: not a version of anything
                with suppress(OSError):
                    backup.unlink()
            if isinstance(err, OSError):
                raise StoreError(f"Enregistrement impossible : {_os_problem(err)}. "
                                 f"{spec.filename} est resté tel quel.") from err
            raise
        try:
            os.replace(journal_temp, journal_path)
            _fsync_dir(self.folder)
        except OSError as err:
            with suppress(OSError):
                journal_temp.unlink()
            raise StoreError(f"{spec.filename} est enregistré, mais la suite a échoué ({_os_problem(err)}) : "
                             "le journal peut manquer cette modification.") from err
        self._prune(spec.filename)
        return True

    def _prune(self, filename: str) -> None:
        """Remove the oldest backups of ``filename`` beyond ``keep_versions`` (best effort)."""
        with suppress(OSError):
            mine = sorted(e for e in os.listdir(self.versions_dir)
                          if (m := VERSION_PATTERN.match(e)) and m.group(2) == filename)
            for entry in mine[:-self.keep_versions]:
                with suppress(OSError):
                    (self.versions_dir / entry).unlink()


# --------------------------------------------------------------------------- helpers of the store


def _count_rows(filename: str, data: bytes | None) -> int | None:
    """How many rows a data-set file's bytes hold (None when they cannot be read)."""
    spec = next((s for s in FILES.values() if s.filename == filename), None)
    if spec is None:
        return None
    try:
        return len(_parse(spec, data).rows)
    except StoreError:
        return None


def _spec(name: str) -> FileSpec:
    if name not in FILES:
        raise ValueError(f"unknown data-set file {name!r} (expected one of {', '.join(FILES)})")
    return FILES[name]


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    return action


def _align(table: _Table, columns: list[str]) -> list[list[str]]:
    """``table``'s rows in the order of ``columns`` ("" where it lacks one)."""
    index = [table.columns.index(c) if c in table.columns else None for c in columns]
    return [[row[i] if i is not None else "" for i in index] for row in table.rows]


def _keys_of(table: _Table, key: list[str] | tuple[str, ...], spec: FileSpec,
             check: bool = True) -> list[tuple[str, ...]]:
    """The key of every row; with ``check``, refuses empty or repeated keys."""
    if isinstance(key, str) or not all(isinstance(c, str) for c in key):
        raise ValueError(f"key is a list of column names, not {key!r}")
    missing = [c for c in key if c not in table.columns]
    if not key or missing:
        raise StoreError(f"{spec.filename} : colonne(s) de clé absente(s) : {', '.join(missing) or '(aucune)'} ; "
                         "rien n'a été modifié.")
    pick = itemgetter(*(table.columns.index(c) for c in key))
    keys = [pick(row) for row in table.rows] if len(key) > 1 else [(pick(row),) for row in table.rows]
    if check:
        empty = [n for n, k in enumerate(keys, start=1) if any(not v.strip() for v in k)]
        if empty:
            raise StoreError(f"{spec.filename} (données à enregistrer), ligne {empty[0]} : identifiant "
                             f"({', '.join(key)}) vide ; rien n'a été modifié.")
        seen: set[tuple[str, ...]] = set()
        repeated = [k for k in keys if k in seen or seen.add(k)]
        if repeated:
            raise StoreError(f"{spec.filename} (données à enregistrer) : identifiant(s) en double : "
                             f"{keys_text(repeated)} ; rien n'a été modifié.")
    return keys


def _refuse_unknown_columns(spec: FileSpec, given: _Table, current: _Table) -> None:
    unknown = [c for c in given.columns if c not in current.columns]
    if unknown:
        raise StoreError(f"{spec.filename} : colonne(s) inconnue(s) du fichier : {', '.join(unknown)} ; "
                         "rien n'a été modifié.")


# --------------------------------------------------------------------------- the user's own data set


def user_dataset_dir(env: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> Path:
    """Where the user's own data set lives: the configured folder, or ``data/local/`` instead of the demo."""
    folder = resolve_data_dir(env, secrets_path)
    return dataset.LOCAL_DIR if _inside_demo(folder) else folder


def create_user_dataset(folder: Path | None = None) -> Path:
    """Make an empty data set the app can write to; returns its folder.

    ``structures.csv`` and ``reponses.csv`` hold just their header. Nothing is
    copied from the demo. A file already there is never overwritten (two
    people clicking at once both end with the same data set).

    Args:
        folder: defaults to :func:`user_dataset_dir`.

    Raises:
        ReadOnlyDataset: ``folder`` is the demo data set.
        StoreError: the folder cannot be created or written.
    """
    folder = Path(folder) if folder is not None else user_dataset_dir()
    if _inside_demo(folder):
        raise ReadOnlyDataset()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"Création du dossier {folder} impossible : {_os_problem(err)}.") from err
    store = Store(folder)
    with store._locked():
        for name in ("structures", "reponses"):
            spec = FILES[name]
            if (folder / spec.filename).exists():
                continue
            header = _csv_bytes(list(spec.columns), [], spec.filename)
            store._commit(spec, header, "création", f"Création du jeu de données : {spec.filename} vide")
    return folder
