"""Hostile data in a real browser: a name made of HTML or template code shows as text, in tooltip and card."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, expect_rerun, open_logged_in, users_env, wait_for_app
from .test_map import show_structure

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import small_tables, uai, write_tables  # noqa: E402  (the unit tests' small data set)

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
TEMPLATE = "Centre {{ 7*7 }}"


@pytest.fixture(scope="module")
def hostile_server(start_app, tmp_path_factory) -> str:
    tables = small_tables()
    tables["structures"].loc[3, "nom"] = HOSTILE  # E4, alone in Sarcelles (others share a town hall with a centre)
    tables["structures"].loc[4, "nom"] = TEMPLATE
    root = tmp_path_factory.mktemp("hostile")
    folder = write_tables(root / "jeu", tables)
    return start_app(folder, name="hostile", extra_env=users_env(root))


def map_frame(page):
    wait_for_app(page, page.locator('iframe[title="streamlit_folium.st_folium"]'))
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_function("() => window.map && Object.values(window.map._layers).some("
                            "l => l.feature && l.feature.properties && l.feature.properties.kind === 'structure')")
    return frame


def hover_tooltip(page, structure_id: str, text: str):
    """Hover a structure once the page has taken the view centred on it; its own tooltip (a commune's may be
    open beside it when the pointer crossed one on its way)."""
    frame, position = show_structure(page, structure_id, zoom=17)
    frame.locator("#map_div").hover(position=position)
    tooltip = frame.locator(".leaflet-tooltip", has_text=text)
    expect(tooltip).to_be_visible()
    return tooltip


def test_html_in_a_name_is_shown_as_text(page, hostile_server: str) -> None:
    open_logged_in(page, f"{hostile_server}/Carte?fond=aucun&vague=toutes", "pilotage")
    frame = map_frame(page)
    hover_tooltip(page, uai(4), HOSTILE)  # the markup itself, as text
    assert frame.locator(".leaflet-tooltip img").count() == 0
    assert frame.evaluate("document.title") != "pwned"

    card = page.locator('[data-testid="stMain"] h3', has_text=HOSTILE)
    frame, position = show_structure(page, uai(4), zoom=17)
    with expect_rerun(page, card):
        frame.locator("#map_div").click(position=position)
    assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
    assert page.title() != "pwned"
    assert_no_exception(page)


def test_template_code_in_a_name_is_not_run(page, hostile_server: str) -> None:
    open_logged_in(page, f"{hostile_server}/Carte?fond=aucun&vague=toutes&structure=CS-1", "pilotage")
    expect(page.locator('[data-testid="stMain"] h3', has_text=TEMPLATE)).to_be_visible()
    frame = map_frame(page)
    tooltip = hover_tooltip(page, "CS-1", TEMPLATE)
    assert "49" not in tooltip.inner_text()
