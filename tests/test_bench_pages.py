"""``bench pages`` against a real server and Chromium, on one page once (no timing asserted)."""

from __future__ import annotations

import os

import pytest

from lib.bench_pages import BenchError, bench_pages, chromium_path

pytestmark = pytest.mark.browser


def test_bench_pages_opens_the_map_and_reports_it():
    try:
        chromium_path()
        import playwright  # noqa: F401
    except (BenchError, ImportError) as error:  # as tests/browser/conftest.py: skip, or fail under REQUIRE_BROWSER=1
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but no usable browser: {error}", pytrace=False)
        pytest.skip(f"browser test skipped: {error} (set REQUIRE_BROWSER=1 to make this a failure)")
    result = bench_pages(repeat=1, pages="Carte")
    assert result["loaded"]["scale"] == "demo" and result["loaded"]["structures"] > 1000
    carte = result["pages"]["/Carte"]
    assert carte["n"] == 1 and len(carte["runs_ms"]) == 1 and carte["median_ms"] > 0
    assert carte["first_visit_ms"] > 0
    assert all(carte["phases"][name] is not None and carte["phases"][name] >= 0
               for name in ("demarrage_ms", "script_ms", "dessin_ms"))
    assert set(result["plancher"]) == {"plancher : titre seul", "plancher : titre et un graphique plotly"}
    assert all(floor["n"] == 1 and floor["phases"]["script_ms"] is not None for floor in result["plancher"].values())
