"""Page benchmarks through AppTest, one scale per process: ``python scripts/bench_pages.py map|map_page|charts SCALE
REPEAT``.

Run by ``python -m lib.cli bench map`` / ``bench charts`` (lib/bench.py). Kept
out of lib/ because it drives Streamlit, which only the app, its pages and
lib/ui/__init__.py import. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lib.bench import BASELINE_PAGE, CHART_PAGES, NATIONAL, bench_map_scale, synthetic_dataset, write_dataset_csv  # noqa: E402
from lib.dataset import DATA_ENV, DEMO_DIR, SECRETS_ENV, load_dataset  # noqa: E402

MAP_PAGE = "pages/1_Carte.py"


def page_reruns_ms(at: AppTest, page: str, waves: list[str], repeat: int) -> dict:
    """First run of a page (its caches cold), then the median rerun after a wave change (caches warm)."""
    start = time.perf_counter()
    at.switch_page(page).run()
    first = (time.perf_counter() - start) * 1000
    if at.exception:
        raise RuntimeError(f"{page} : {at.exception[0].value}")
    for wave in waves:  # every cache the page uses, warm
        at.selectbox(key="f_vague").set_value(wave).run()
    times = []
    for i in range(repeat * 2):
        start = time.perf_counter()
        at.selectbox(key="f_vague").set_value(waves[i % len(waves)]).run()
        times.append((time.perf_counter() - start) * 1000)
    return {"first_run_ms": round(first, 1), "rerun_ms": round(statistics.median(times), 1)}


BENCH_USER = "banc"  # the comité de pilotage's account of the benchmark (its secrets file is temporary)


def open_app(data_dir: Path, secrets: Path | None = None) -> tuple[AppTest, float]:
    """The app on ``data_dir``, and how long its first run (loading the data set) took.

    With ``secrets`` (a file declaring BENCH_USER), the session is logged in as that user: in open access
    the app shows the demo whatever ``data_dir`` says, which is how the national figures once measured it.
    """
    os.environ[DATA_ENV] = str(data_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    if secrets is not None:
        os.environ[SECRETS_ENV] = str(secrets)
        at.session_state["_passerelles_user"] = BENCH_USER
    start = time.perf_counter()
    at.run()
    return at, (time.perf_counter() - start) * 1000


def shown_folder(at: AppTest, expected: Path) -> str:
    """The folder the app says it shows (its banner), failing unless it is ``expected``: no silent demo."""
    refused = [e.value for e in at.error if "n'est pas ouvert" in e.value]
    shown = [c.value for c in at.caption if c.value.startswith("Jeu de données :")]
    if refused or not any(str(expected) in c for c in shown):
        raise RuntimeError(f"l'application ne montre pas {expected} : {refused or shown or 'aucune bannière'}")
    return str(expected)


def map_scale(scale: str, repeat: int) -> dict:
    """The map's figures (lib.bench), in this process."""
    return bench_map_scale(scale, repeat)


def map_page_scale(scale: str, repeat: int) -> dict:
    """The map page's rerun after a wave change, caches warm (the view and the map inputs come from lib/ui's
    caches; the map is built and sent again), in a process that holds only what the app holds."""
    with tempfile.TemporaryDirectory() as temporary:
        at, load_ms, loaded = app_at_scale(scale, Path(temporary))
        return {"loaded": loaded, "first_load_ms": round(load_ms, 1),
                "filter_rerun_ms": page_reruns_ms(at, MAP_PAGE, loaded["waves"], repeat)["rerun_ms"]}


def app_at_scale(scale: str, temporary: Path) -> tuple[AppTest, float, dict]:
    """The app opened on the data set of ``scale``, logged in as the comité: the demo, or the national data set
    written as CSV, then loaded like any data set (the app's banner must name it). The AppTest, its first run's
    ms and what was loaded; the generated data set is dropped before the app loads its files, so that this
    process's peak memory is the app's."""
    from lib.access import hash_password

    if scale == "demo":
        folder, measured = DEMO_DIR, load_dataset(DEMO_DIR)
    else:
        measured = synthetic_dataset(**NATIONAL)
        folder = write_dataset_csv(measured, temporary / "national")
    # every row written loads (tests/test_analyses_pages.py checks the CSV round trip)
    loaded = {"scale": scale, "folder": None, "structures": len(measured.structures),
              "answers": len(measured.reponses), "waves": list(measured.waves)}
    del measured
    secrets = temporary / "secrets.toml"
    secrets.write_text(f'[users.{BENCH_USER}]\nrole = "pilotage"\n'
                       f'password_hash = "{hash_password("banc-de-mesure-0")}"\n', encoding="utf-8")
    at, load_ms = open_app(folder, secrets)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    at.switch_page(BASELINE_PAGE).run()
    loaded["folder"] = "démonstration" if scale == "demo" else shown_folder(at, folder)
    return at, load_ms, loaded


def charts_scale(scale: str, repeat: int) -> dict:
    """The analysis pages, logged in as the comité; the national data set is written as CSV and loaded like
    any data set, and the app's banner must name it."""
    with tempfile.TemporaryDirectory() as temporary:
        at, load_ms, loaded = app_at_scale(scale, Path(temporary))
        waves = loaded["waves"]
        return {"loaded": loaded, "first_load_ms": round(load_ms, 1),
                "baseline_rerun_ms": page_reruns_ms(at, BASELINE_PAGE, waves, repeat)["rerun_ms"],
                "pages": {name: page_reruns_ms(at, page, waves, repeat) for name, page in CHART_PAGES.items()}}


KINDS = {"map": map_scale, "map_page": map_page_scale, "charts": charts_scale}


if __name__ == "__main__":
    kind, scale_name, repeats = sys.argv[1:]
    figures = KINDS[kind](scale_name, int(repeats))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))
