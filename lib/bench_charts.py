"""``python -m lib.cli bench charts``: the analysis pages after a wave change, at demo and France scale (JSON).

Two measures per scale, each on the data set it says it loaded:

- ``wave_change``, in this process: the ``lib`` work each page does when the
  wave changes to one not seen yet (every cache cold for it): the view of the
  filters (``page_setup``), the page's cached analysis (``compute(apply_filters
  (...))``, what ``lib.ui.cached_analysis`` runs on a miss), and the plotly JSON
  that ``st.plotly_chart`` sends for each chart. « Évolution » shows every wave:
  a wave change only recomputes its new-and-lost links chart.
- ``pages``, in a fresh process per scale (scripts/bench_pages.py, AppTest):
  the whole page rerun after a wave change, caches warm, logged in as the
  comité de pilotage so that a real (non-demo) data set is shown, and the
  peak memory of that process.

The France-scale data set is the map benchmark's (``lib.bench.synthetic_dataset``
with ``NATIONAL``), written as CSV and read back by the app's loader, so that
both measures see the types the app sees.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import plotly.io

from lib.bench import NATIONAL, loaded_counts, run_scales, synthetic_dataset, write_dataset_csv
from lib.charts import Chart, changes_chart, context_for, evolution_charts, lever_charts, link_charts
from lib.dataset import DEMO_DIR, Dataset, load_dataset
from lib.filters import ALL_WAVES, Filters, apply_filters, default_filters
from lib.metrics import free_text_answers
from lib.territories import territory_column

TARGET_MS = {"national": 300}


def charts_dataset(scale: str, folder: Path) -> Dataset:
    """The data set of ``scale``: the demo, or the France-scale one written as CSV into ``folder`` and read back."""
    if scale == "demo":
        return load_dataset(DEMO_DIR)
    return load_dataset(write_dataset_csv(synthetic_dataset(**NATIONAL), folder))


def _sent(found: dict) -> int:
    """Serialise every chart as ``st.plotly_chart`` does (``show_chart`` builds each figure twice); bytes sent."""
    size = 0
    for chart in found.values():
        if isinstance(chart, Chart):
            chart.to_figure()
            size += len(plotly.io.to_json(chart.to_figure(), validate=False))
    return size


def page_work(dataset: Dataset, filters: Filters) -> dict[str, callable]:
    """For each chart page, the ``lib`` work of one run with ``filters`` when its analysis is not cached yet."""

    def links() -> int:
        apply_filters(dataset, filters)  # page_setup's view
        return _sent(link_charts(apply_filters(dataset, filters)))  # cached_analysis on a miss: its own view

    def levers() -> int:
        apply_filters(dataset, filters)
        found = lever_charts(apply_filters(dataset, filters))
        # the comité's « Paroles recueillies » tab: its own cached analysis
        free_text_answers(apply_filters(dataset, filters), territory_column(filters.level),
                          context_for(filters).label)
        return _sent(found)

    every_wave = replace(filters, wave=ALL_WAVES)
    evolution = evolution_charts(apply_filters(dataset, every_wave))  # cached on every wave: not redone

    def evolution_page() -> int:
        apply_filters(dataset, filters)
        waves = evolution["vagues"]
        after = filters.wave if filters.wave in waves[1:] else waves[-1]
        before = waves[waves.index(after) - 1]
        return _sent({**evolution, "changes": changes_chart(apply_filters(dataset, every_wave), before, after)})

    return {"liens_par_territoire": links, "leviers_et_freins": levers, "evolution": evolution_page}


def wave_change_ms(dataset: Dataset, repeat: int = 3) -> dict:
    """Median ms of each page's ``lib`` work after a wave change, over ``repeat`` passes through every wave."""
    start = default_filters(dataset)
    times: dict[str, list[float]] = {}
    sent: dict[str, int] = {}
    for _ in range(repeat):
        for wave in dataset.waves:
            for page, run in page_work(dataset, replace(start, wave=wave)).items():
                began = time.perf_counter()
                sent[page] = run()
                times.setdefault(page, []).append((time.perf_counter() - began) * 1000)
    return {page: {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1),
                   "runs": len(values), "plotly_json_bytes": sent[page]} for page, values in times.items()}


def bench_charts_scale(scale: str, repeat: int = 3, dataset: Dataset | None = None) -> dict:
    """The ``lib`` figures of one scale, with what was loaded (``dataset`` given: measured as is)."""
    with tempfile.TemporaryDirectory() as temporary:
        dataset = dataset if dataset is not None else charts_dataset(scale, Path(temporary) / "national")
        pages = wave_change_ms(dataset, repeat)
        target = TARGET_MS.get(scale)
        return {"loaded": loaded_counts(dataset, scale), "wave_change": pages, "target_ms": target,
                "within_target": None if target is None else all(p["median_ms"] <= target for p in pages.values())}


def bench_charts(scales: list[str], repeat: int = 3) -> dict:
    """``bench charts``: per scale, the pages' ``lib`` work after a wave change, then the AppTest page reruns."""
    lib_figures = {scale: bench_charts_scale(scale, repeat) for scale in scales}
    page_figures = run_scales("charts", scales, repeat)
    return {"benchmark": "charts", "repeat": repeat, "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1),
            "note": "wave_change : médiane du travail de lib/ de chaque page quand la vague change pour une vague "
                    "pas encore calculée (vue filtrée, analyse de la page, JSON plotly envoyé), processus chaud ; "
                    "pages : nouveau calcul complet de la page (AppTest, connecté « pilotage », caches chauds) et "
                    "mémoire de pointe, dans un processus neuf par échelle.",
            "scales": {scale: {**lib_figures[scale], "pages": page_figures[scale]} for scale in scales}}
