"""``python -m lib.cli bench import``: survey import times on a generated 10,000-row export (JSON, not a test).

The export is LimeSurvey-like (full-text headings, one ``Question [Option]``
column per option holding Y / empty / N/A, ~5 % unfinished answers without a
submit date, dates written day first), its structures drawn from the demo data
set (half by UAI / id, half by name). Timed, median of ``repeat`` runs:
- preview: read the file, suggest the mapping (no edit), build the preview on the demo (target ≤ 3 s);
- import: write the preview into a temporary copy of the demo through the store (target ≤ 5 s).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from lib.dataset import DEMO_DIR, load_dataset
from lib.questionnaire import load_questionnaire

ROWS = 10_000
TARGETS_S = {"preview": 3.0, "import": 5.0}


def generated_export(rows: int = ROWS, seed: int = 11) -> bytes:
    """A LimeSurvey-like CSV export (UTF-8 with BOM, ``,``) of ``rows`` answers about demo structures."""
    rng = np.random.default_rng(seed)
    q = load_questionnaire()
    structures = load_dataset(DEMO_DIR).structures
    names = structures["nom"].value_counts()
    unique = structures[structures["nom"].map(names) == 1]
    schools = unique[unique["famille"] == "ecole"][["id", "nom"]].to_numpy()
    centres = unique[unique["famille"] == "centre"][["id", "nom"]].to_numpy()
    multi = {field: list(q[field].labels.values()) for field in ("formes", "leviers", "freins")}
    titles = {field: q[field].title for field in multi}
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
              "Votre structure", "Structure partenaire", "Votre fonction", "Date de l'entretien",
              *(f"{titles[f]} [{label}]" for f in multi for label in multi[f]),
              q["frequences"].title, q["qualites"].title, "Commentaire"]
    fonctions, frequences, qualites = (list(q[n].labels.values()) for n in ("fonctions", "frequences", "qualites"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for number in range(1, rows + 1):
        school, centre = schools[rng.integers(len(schools))], centres[rng.integers(len(centres))]
        respondent, partner = (school, centre) if rng.random() < 0.5 else (centre, school)
        day = int(rng.integers(1, 29))
        month = int(rng.integers(1, 13))
        submitted = "" if rng.random() < 0.05 else f"2024-{month:02d}-{day:02d} 10:{number % 60:02d}:00"
        ticks = []
        for field in multi:
            for _label in multi[field]:
                draw = rng.random()
                ticks.append("Y" if draw < 0.3 else "N/A" if draw < 0.35 else "")
        writer.writerow([
            number, submitted, 3, "fr", number, f"2024-{month:02d}-{day:02d} 09:50:00", submitted or "",
            "192.0.2.1",
            respondent[0] if number % 2 else respondent[1], partner[0] if number % 3 else partner[1],
            fonctions[number % len(fonctions)], f"{day:02d}/{month:02d}/2024", *ticks,
            frequences[number % len(frequences)], qualites[number % len(qualites)],
            "Réunion de rentrée" if number % 7 == 0 else "",
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _median_s(run, repeat: int):
    """Median wall time, every run's wall time, median CPU time (the machine may be shared), last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return round(statistics.median(times), 3), [round(t, 3) for t in times], round(statistics.median(cpu), 3), result


def bench_import(repeat: int = 3) -> dict:
    """Preview and import times (seconds, median of ``repeat``) of the generated export on the demo."""
    from lib.bench import loaded_counts
    from lib.importers import preview_survey, read_export, suggest_mapping
    from lib.imports import apply_preview, import_counts
    from lib.store import Store

    data = generated_export()
    name = "results-survey424242.csv"
    demo = load_dataset(DEMO_DIR)

    def preview():
        table = read_export(data, name)
        return preview_survey(table, suggest_mapping(table), demo)

    preview_s, preview_runs, preview_cpu, result = _median_s(preview, repeat)
    counts = import_counts(result)
    import_runs, import_cpu = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(shutil.copytree(DEMO_DIR, Path(tmp) / "jeu"))
            store = Store(folder)
            start, start_cpu = time.perf_counter(), time.process_time()
            written = apply_preview(result, store, ["reponse_id"])
            import_runs.append(round(time.perf_counter() - start, 3))
            import_cpu.append(time.process_time() - start_cpu)
    import_s = statistics.median(import_runs)
    return {
        "benchmark": "import", "repeat": repeat, "cpu_count": os.cpu_count(),
        "loaded": {"file": f"{name} (généré : LimeSurvey, {ROWS} lignes, {len(data)} octets, colonnes par option "
                           "Y / vide / N/A, ~5 % sans date d'envoi)",
                   "data_set": f"{DEMO_DIR} (démonstration ; import écrit dans une copie temporaire)",
                   "data_set_counts": loaded_counts(demo, "demo"),
                   "mapping": "proposée d'après les colonnes, sans modification", "kind": result.kind},
        "counts": {"read": counts.read, "skipped": counts.skipped, "added": counts.added, "updated": counts.updated,
                   "unchanged": counts.unchanged, "rejected": counts.rejected,
                   "skipped_by_reason": {r: len(lines) for r, lines in counts.skipped_by_reason.items()}},
        "written": {"added": written[0], "updated": written[1]},
        "results": {"preview_s": preview_s, "preview_runs_s": preview_runs, "preview_cpu_s": preview_cpu,
                    "import_s": import_s, "import_runs_s": import_runs,
                    "import_cpu_s": round(statistics.median(import_cpu), 3)},
        "targets_s": TARGETS_S,
        "within_targets": preview_s <= TARGETS_S["preview"] and import_s <= TARGETS_S["import"],
    }
