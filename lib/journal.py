"""The data set's journal (``journal.csv``): its format, how it is shown, and how it is mended.

One line per change: when, which file, what action, how many rows, which keys
and why, and the backup in ``versions/`` that holds the file as it was just
before (see :mod:`lib.store`). It names no person.

A write ends with three renames: the backup into ``versions/``, the new file,
the new journal. A process killed between them leaves either a backup of a
file that did not change (killed before the second rename) or a change the
journal does not record (killed before the third). :func:`plan_repair` finds
both from the backups the journal does not name; the store applies the plan on
the next opening of the data set and says so in the journal itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from lib.dataset import EMAIL_PATTERN, PHONE_PATTERN, REDACTED
from lib.formatting import format_int

JOURNAL_NAME = "journal.csv"
JOURNAL_COLUMNS = ("horodatage", "fichier", "action", "lignes", "cles", "description", "version")
# What a journal line can say was done ("reconstitution": the journal itself was mended).
ACTIONS = ("ajout", "modification", "suppression", "import", "restauration", "création", "reconstitution")
REPAIR_ACTION = "reconstitution"
RECONSTRUCTED_MARK = "[ligne reconstituée]"
# A journal line names at most this many keys (an import can touch thousands).
MAX_JOURNAL_KEYS = 50
# What the page shows of the journal, with French headings (no identifier, no key).
SHOWN_COLUMNS = {"horodatage": "Date", "fichier": "Fichier", "action": "Action", "lignes": "Lignes",
                 "description": "Description"}


def one_line(text: str) -> str:
    """A journal text on one line, without e-mail addresses or phone numbers."""
    text = " ".join(str(text).split())
    return PHONE_PATTERN.sub(REDACTED, EMAIL_PATTERN.sub(REDACTED, text))


def keys_text(keys: list[tuple[str, ...]]) -> str:
    """Keys as the journal writes them: ``a|b;c|d``, at most :data:`MAX_JOURNAL_KEYS`."""
    parts = ["|".join(key) for key in keys]
    if len(parts) > MAX_JOURNAL_KEYS:
        parts = parts[:MAX_JOURNAL_KEYS] + [f"… (+{len(parts) - MAX_JOURNAL_KEYS})"]
    return one_line(";".join(parts))


def journal_bytes(current: bytes | None, entries: list[list[str]]) -> bytes:
    """The journal with more lines at its end; earlier lines are kept byte for byte."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not current or not current.strip():
        current = b""
        writer.writerow(JOURNAL_COLUMNS)
    elif not current.endswith(b"\n"):
        current += b"\n"
    writer.writerows(entries)
    return current + buffer.getvalue().encode("utf-8", errors="replace")


def journal_rows(data: bytes | None) -> list[dict[str, str]]:
    """The journal's lines, oldest first."""
    if not data:
        return []
    text = data.decode("utf-8", errors="replace")
    return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def stamp(when: datetime) -> str:
    """A journal time: ISO 8601, UTC, microseconds."""
    return when.isoformat(timespec="microseconds")


def journal_table(journal: pd.DataFrame) -> pd.DataFrame:
    """The journal as the page shows it: local French date and time, French headings, no keys nor versions."""
    shown = journal[list(SHOWN_COLUMNS)].rename(columns=SHOWN_COLUMNS)
    shown["Date"] = [_local_time(value) for value in journal["horodatage"]]
    return shown


def _local_time(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%d/%m/%Y %H:%M:%S")
    except ValueError:
        return value


def repairs(journal: pd.DataFrame) -> list[str]:
    """What the journal says about its own repairs, newest first, as sentences for the page."""
    found = journal[journal["action"] == REPAIR_ACTION]
    return [f"{description} (le {_local_time(when).replace(' ', ' à ')})" for when, description in
            zip(found["horodatage"], found["description"])]


# --------------------------------------------------------------------------- repair


@dataclass
class Repair:
    """What mending the journal takes: lines to add (oldest first) and backups to remove."""

    entries: list[list[str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entries or self.orphans)


def plan_repair(rows: list[dict[str, str]], versions: Mapping[str, list[tuple[str, datetime]]],
                read_version: Callable[[str], bytes | None], read_current: Callable[[str], bytes | None],
                count_rows: Callable[[str, bytes | None], int | None], now: datetime | None = None) -> Repair:
    """The lines the journal misses and the backups of changes that never happened.

    Args:
        rows: the journal's lines.
        versions: file name → its backups ``(version id, time)``, oldest first.
        read_version: a backup's bytes (None if it vanished).
        read_current: a data-set file's current bytes (None if missing).
        count_rows: how many data rows a file's bytes hold (None if unreadable).
    """
    known = {row.get("version", "") for row in rows}
    repair = Repair()
    reconstructed = []
    for filename, kept in versions.items():
        for position, (version_id, when) in enumerate(kept):
            if version_id in known:
                continue
            before = read_version(version_id)
            if before is None:
                continue
            later = kept[position + 1:]
            after = read_version(later[0][0]) if later else read_current(filename)
            if before == after:  # killed before the file was replaced: a copy of nothing
                repair.orphans.append(version_id)
                continue
            rows_before, rows_after = count_rows(filename, before), count_rows(filename, after)
            if rows_before is None or rows_after is None or rows_after == rows_before:
                action = "modification"
            else:
                action = "ajout" if rows_after > rows_before else "suppression"
            reconstructed.append((when, filename, action, rows_after, version_id))
    now = now or datetime.now(UTC)
    for when, filename, action, rows_after, version_id in sorted(reconstructed):
        repair.entries.append([
            stamp(when), filename, action, "" if rows_after is None else str(rows_after), "",
            f"{RECONSTRUCTED_MARK} {filename} a été modifié le {when:%d/%m/%Y à %H:%M:%S} UTC par une écriture "
            "interrompue avant son inscription au journal (détail inconnu) ; la version d'avant est gardée.",
            version_id])
    if repair:
        parts = []
        if repair.entries:
            parts.append(f"{format_int(len(repair.entries))} modification(s) absente(s) du journal ajoutée(s), "
                         f"marquée(s) « {RECONSTRUCTED_MARK} » ({', '.join(sorted({e[1] for e in repair.entries}))})")
        if repair.orphans:
            parts.append(f"{format_int(len(repair.orphans))} copie(s) d'un fichier resté inchangé retirée(s) de "
                         "versions/")
        repair.entries.append([
            stamp(now), JOURNAL_NAME, REPAIR_ACTION, str(len(repair.entries)), "",
            "Journal réparé à l'ouverture du jeu de données après une écriture interrompue : " + " ; ".join(parts)
            + ".", ""])
    return repair
