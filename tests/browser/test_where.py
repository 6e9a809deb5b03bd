"""« Où agir ? » on the map in a real browser: the layer shows the opportunity points, the card the partner count."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import default_filters
from lib.opportunities import RADIUS_M, where_analysis
from lib.where_map import opportunity_points

from .conftest import assert_no_exception, open_app
from .test_map import MAP_PATH, MAP_TIMEOUT_MS, map_frame, title

pytestmark = pytest.mark.browser


def expected_points() -> list[list]:
    """The layer's points for the map's default view (latest wave, no filter), computed without the app."""
    dataset = load_dataset(DEMO_DIR)
    analysis = where_analysis(dataset, default_filters(dataset), RADIUS_M, False)
    return opportunity_points(analysis, dataset.structures), analysis


def test_the_opportunity_layer_shows_its_points_and_the_card_its_partner_count(page, app_server: str) -> None:
    points, analysis = expected_points()
    assert len(points) > 100
    flagged = next(p for p in points if p[5] == 1)  # a centre with few partner schools around it
    url = f"{app_server}{MAP_PATH}?fond=aucun&occasions=oui&structure={flagged[2]}"
    open_app(page, url, title(page, "Carte des partenariats"))
    frame = map_frame(page)
    frame.wait_for_function(
        "(n) => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties"
        " && l.feature.properties.opportunity !== undefined).length === n", arg=len(points), timeout=MAP_TIMEOUT_MS)
    shown = frame.evaluate(
        "() => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties"
        " && l.feature.properties.opportunity !== undefined).map(l => l.feature.properties.id)")
    assert sorted(shown) == sorted(p[2] for p in points)
    assert "Où agir ? (occasions de lien)" in frame.locator(".leaflet-control-layers").inner_text()

    main = page.locator('[data-testid="stMain"]')
    figures = analysis.figures.set_index("id").loc[flagged[2]]
    expect(main.get_by_text(f"Partenaires dans la vague : {figures['partenaires']}", exact=True)).to_be_visible()
    expect(main.get_by_text(f"sur {figures['ecoles_proches']} à moins de 1,5\u00a0km")).to_be_visible()
    assert_no_exception(page)


def test_without_the_option_the_map_has_no_opportunity_layer(page, app_server: str) -> None:
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun", title(page, "Carte des partenariats"))
    frame = map_frame(page)
    assert "Où agir" not in frame.locator(".leaflet-control-layers").inner_text()
    assert frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties"
                          " && l.feature.properties.opportunity !== undefined).length") == 0
