"""A second writer for tests/test_store.py, run as its own process.

    python tests/store_worker.py append FOLDER PREFIX COUNT READY GO
        appends COUNT answers one by one (ids PREFIX-000, PREFIX-001…), starting
        once the file GO exists; creates READY when imported and waiting.
    python tests/store_worker.py slow-replace FOLDER ROWS READY
        replaces reponses.csv with ROWS answers, but stops half-way through
        writing the new file (creates READY then) and waits to be killed.
    python tests/store_worker.py stop-before FOLDER NAME READY
        appends one answer (id KILLED) but stops just before the rename onto
        NAME ("journal.csv": the change is made, its journal line is not;
        "reponses.csv": the backup is in versions/, the file unchanged),
        creates READY then and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from lib import store  # noqa: E402
from lib.dataset import FILES  # noqa: E402


def answer_row(reponse_id: str) -> dict[str, str]:
    """One answer whose values test the CSV format: commas, quotes, a line break, accents, leading zeros."""
    row = {column: "" for column in FILES["reponses"].columns}
    row.update(
        reponse_id=reponse_id, vague="2018", date="2018-10-01", mode="telephone", repondant_id="0950001Y",
        repondant_fonction="direction_ecole", ecole_id="0950001Y", centre_id="CS-1", formes="clas;fetes",
        frequence="mensuelle", qualite="3", pistes="0042",
        commentaire=f'Réponse {reponse_id}, avec « guillemets » et "doubles"\nsur deux lignes',
    )
    return row


def _wait_for(path: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        time.sleep(0.005)


def main(argv: list[str]) -> None:
    mode, folder = argv[1], Path(argv[2])
    if mode == "append":
        prefix, count, ready, go = argv[3], int(argv[4]), Path(argv[5]), Path(argv[6])
        writer = store.Store(folder)
        ready.touch()
        _wait_for(go)
        for number in range(count):
            reponse_id = f"{prefix}-{number:03d}"
            writer.append("reponses", pd.DataFrame([answer_row(reponse_id)]), f"Ajout de la réponse {reponse_id}")
    elif mode == "slow-replace":
        rows, ready = int(argv[3]), Path(argv[4])
        write_all = store._write_all

        def half_then_wait(fd: int, data: bytes) -> None:
            write_all(fd, data[: len(data) // 2])
            os.fsync(fd)
            ready.touch()
            time.sleep(120)  # killed long before
            write_all(fd, data[len(data) // 2:])

        store._write_all = half_then_wait
        table = pd.DataFrame([answer_row(f"K-{n:05d}") for n in range(rows)])
        store.Store(folder).replace("reponses", table, "import", "Import interrompu")
    elif mode == "stop-before":
        name, ready = argv[3], Path(argv[4])
        rename = os.replace

        def stop_before_name(source, target) -> None:
            if Path(target).name == name:
                ready.touch()
                time.sleep(120)  # killed long before
            rename(source, target)

        writer = store.Store(folder)
        store.os.replace = stop_before_name
        writer.append("reponses", pd.DataFrame([answer_row("KILLED")]), "Ajout interrompu")
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
