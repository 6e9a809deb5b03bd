"""The benchmarks measure what they say they loaded (no timings asserted: benchmarks are not timed tests)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import lib.bench
import lib.bench_charts
from lib.bench_pages import (BenchError, chosen_pages, concurrent_summary, cpu_split, machine_cpu_s, median_phases,
                             phases_of, process_cpu_s, summary, url_path)
from lib.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = {"schools": 300, "centres": 20, "answers": 600}


def test_summary_gives_the_median_and_the_interpolated_90th_percentile():
    assert summary([100.0, 300.0, 200.0, 400.0, 1000.0]) == {"n": 5, "median_ms": 300, "p90_ms": 760,
                                                             "max_ms": 1000}
    assert summary([1234.4]) == {"n": 1, "median_ms": 1234, "p90_ms": 1234, "max_ms": 1234}
    assert summary([]) == {"n": 0, "median_ms": None, "p90_ms": None}


def test_concurrent_summary_counts_errors_apart_from_the_timings():
    sessions = [{"pages/1_Carte.py": 1000.0, "pages/10_Impact.py": 2000.0},
                {"pages/1_Carte.py": 3000.0, "pages/10_Impact.py": "TimeoutError: Timeout 120000ms exceeded."},
                {"pages/1_Carte.py": 2000.0, "pages/10_Impact.py": 4000.0}]
    pages = concurrent_summary(sessions)
    assert list(pages) == ["/Carte", "/Impact"]
    assert pages["/Carte"] == {"n": 3, "median_ms": 2000, "p90_ms": 2800, "max_ms": 3000, "errors": 0,
                               "error_examples": []}
    assert pages["/Impact"]["n"] == 2 and pages["/Impact"]["errors"] == 1
    assert pages["/Impact"]["error_examples"] == ["TimeoutError: Timeout 120000ms exceeded."]
    json.dumps(pages)  # printed as JSON


def test_a_page_time_is_split_at_the_connection_and_at_the_end_of_the_script_run():
    seen = {"connected": 600.0, "run_start": 640.0, "run_end": 900.0, "ready": 2000.0}
    assert phases_of(seen) == {"demarrage_ms": 600.0, "script_ms": 300.0, "dessin_ms": 1100.0}
    assert phases_of({"connected": 600.0, "ready": 700.0}) == {"demarrage_ms": None, "script_ms": None,
                                                               "dessin_ms": None}
    medians = median_phases([phases_of(seen), {"demarrage_ms": 800.4, "script_ms": 100.0, "dessin_ms": None},
                             {"demarrage_ms": 700.0, "script_ms": 200.0, "dessin_ms": 900.0}])
    assert medians == {"demarrage_ms": 700, "script_ms": 200, "dessin_ms": 1000}
    assert median_phases([]) == {"demarrage_ms": None, "script_ms": None, "dessin_ms": None}


def test_the_cpu_split_gives_the_server_its_share_per_page(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert cpu_split(8.0, 50.0, 30.0, 40) == {"serveur_s": 8.0, "reste_s": 42.0, "serveur_par_page_ms": 200,
                                              "capacite_s": 60.0}
    import os
    busy_before, mine_before = machine_cpu_s(), process_cpu_s(os.getpid())
    sum(i * i for i in range(2_000_000))  # some CPU work of this process
    assert process_cpu_s(os.getpid()) > mine_before and machine_cpu_s() >= busy_before


def test_pages_are_chosen_by_their_url_path():
    assert url_path("app.py") == "/" and url_path("pages/10_Impact.py") == "/Impact"
    assert chosen_pages("Carte, impact") == ["pages/10_Impact.py", "pages/1_Carte.py"]
    assert chosen_pages("Accueil") == ["app.py"]
    assert len(chosen_pages(None)) >= 14
    with pytest.raises(BenchError, match="pages inconnues"):
        chosen_pages("Carte,Nulle_part")


def test_charts_at_national_scale_measure_the_national_data_set(monkeypatch):
    """The defect of issue 14: « national » measured the demo. The counts printed are those of the data measured."""
    monkeypatch.setattr(lib.bench_charts, "NATIONAL", TINY)
    result = lib.bench_charts.bench_charts_scale("national", repeat=1)
    loaded = result["loaded"]
    assert loaded["scale"] == "national" and loaded["folder"] != "démonstration"
    assert (loaded["structures"], loaded["schools"], loaded["centres"], loaded["answers"]) == (320, 300, 20, 600)
    assert loaded["waves"] == ["2017", "2018", "2019"]
    assert set(result["wave_change"]) == {"liens_par_territoire", "leviers_et_freins", "evolution"}
    assert all(page["runs"] == 3 and page["plotly_json_bytes"] > 0 for page in result["wave_change"].values())


def test_charts_page_reruns_show_the_folder_they_measure(monkeypatch, fresh_app):
    """The AppTest part (scripts/bench_pages.py) is logged in, and fails unless the app names the national folder."""
    from lib.dataset import DATA_ENV, SECRETS_ENV

    monkeypatch.setenv(DATA_ENV, "")  # restored after the test: the script sets both for its AppTest
    monkeypatch.setenv(SECRETS_ENV, "")
    spec = importlib.util.spec_from_file_location("bench_pages_script", ROOT / "scripts" / "bench_pages.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "NATIONAL", TINY)
    result = script.charts_scale("national", 1)
    assert result["loaded"]["structures"] == 320 and result["loaded"]["answers"] == 600
    assert result["loaded"]["folder"].endswith("national")
    assert set(result["pages"]) == {"liens_par_territoire", "leviers_et_freins", "evolution"}
    page = script.map_page_scale("national", 1)  # the map page, in the app, on the same kind of data set
    assert page["loaded"]["structures"] == 320 and page["loaded"]["folder"].endswith("national")
    assert page["filter_rerun_ms"] > 0


def test_map_reports_what_it_loaded(monkeypatch):
    monkeypatch.setattr(lib.bench, "NATIONAL", TINY)
    monkeypatch.setattr(lib.bench, "browser_draw_ms", lambda html, repeat: (None, "pas de navigateur (test)"))
    result = lib.bench.bench_map_scale("national", repeat=1)
    assert result["loaded"]["structures"] == 320 and result["loaded"]["answers"] == 600
    assert result["loaded"]["wave"] == "2019"
    assert result["answers_in_wave"] <= 600 and result["structures"] <= 320


def test_bench_refuses_unknown_pages_in_french(capsys):
    assert main(["bench", "pages", "--pages", "Nulle_part"]) == 1
    assert "ERREUR pages inconnues : Nulle_part" in capsys.readouterr().err
