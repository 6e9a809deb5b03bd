"""The benchmarks measure what they say they loaded (no timings asserted: benchmarks are not timed tests)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import lib.bench
import lib.bench_charts
from lib.bench_pages import BenchError, chosen_pages, concurrent_summary, summary, url_path
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
