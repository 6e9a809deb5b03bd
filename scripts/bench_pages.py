"""Page benchmarks through AppTest, one scale per process: ``python scripts/bench_pages.py map|charts SCALE REPEAT``.

Run by ``python -m lib.cli bench map`` / ``bench charts`` (lib/bench.py). Kept
out of lib/ because it drives Streamlit, which only the app, its pages and
lib/ui.py import. Prints one JSON object.
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
from lib.dataset import DATA_ENV, DEMO_DIR  # noqa: E402

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


def open_app(data_dir: Path) -> tuple[AppTest, float]:
    """The app on ``data_dir``, and how long its first run (loading the data set) took."""
    os.environ[DATA_ENV] = str(data_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    start = time.perf_counter()
    at.run()
    return at, (time.perf_counter() - start) * 1000


def map_scale(scale: str, repeat: int) -> dict:
    """The map's figures (lib.bench) and, at demo scale, the map page's rerun after a filter change."""
    result = bench_map_scale(scale, repeat)
    if scale == "demo":
        at, _load = open_app(DEMO_DIR)
        from lib.ui import current_dataset

        result["filter_rerun_ms"] = page_reruns_ms(at, MAP_PAGE, current_dataset().waves, repeat)["rerun_ms"]
    return result


def charts_scale(scale: str, repeat: int) -> dict:
    """The analysis pages; the national data set is written as CSV and loaded like any data set."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = DEMO_DIR if scale == "demo" else write_dataset_csv(synthetic_dataset(**NATIONAL),
                                                                    Path(temporary) / "national")
        at, load_ms = open_app(folder)
        from lib.ui import current_dataset

        dataset = current_dataset()
        waves = dataset.waves
        return {"structures": len(dataset.structures), "answers": len(dataset.reponses),
                "first_load_ms": round(load_ms, 1),
                "baseline_rerun_ms": page_reruns_ms(at, BASELINE_PAGE, waves, repeat)["rerun_ms"],
                "pages": {name: page_reruns_ms(at, page, waves, repeat) for name, page in CHART_PAGES.items()}}


if __name__ == "__main__":
    kind, scale_name, repeats = sys.argv[1:]
    figures = (map_scale if kind == "map" else charts_scale)(scale_name, int(repeats))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))
