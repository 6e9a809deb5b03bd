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

from .conftest import assert_no_exception, open_app, save_screenshot
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


def test_points_grow_with_their_partners_brokers_have_a_halo_and_blank_communes_are_hatched(page, app_server: str
                                                                                           ) -> None:
    from lib.maps import partner_radius
    from lib.where_map import blank_zones


    _points, analysis = expected_points()
    figures = analysis.figures.set_index("id")
    busiest = figures["partenaires"].idxmax()
    brokers = sorted(figures.index[figures["courtier"]])
    blank = blank_zones(analysis, "commune")
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&occasions=oui", title(page, "Carte des partenariats"))
    frame = map_frame(page)
    frame.wait_for_function("() => Object.values(window.map._layers).some(l => l.passerellesBlank)",
                            timeout=MAP_TIMEOUT_MS)
    drawn = frame.evaluate("""(busiest) => {
        const layers = Object.values(window.map._layers);
        const point = layers.find(l => l.passerellesPoint && l.passerellesPoint[5] === busiest);
        const halos = layers.filter(l => l.getRadius && l.options.fillColor === '#ffd400');
        const blank = layers.find(l => l.passerellesBlank);
        const shapes = blank.getLayers();
        return {radius: point.options.radius, centre: (point.passerellesPoint[4] & 16) > 0,
                brokers: layers.filter(l => l.passerellesPoint && (l.passerellesPoint[4] & 32))
                               .map(l => l.passerellesPoint[5]).sort(),
                halos: halos.length, haloClicks: halos.some(l => l.options.interactive),
                blank: blank.passerellesBlank, hatched: shapes.every(s => s.options.fillColor instanceof CanvasPattern),
                blankClicks: shapes.some(s => s.options.interactive)};
    }""", busiest)
    assert drawn["radius"] == float(partner_radius(8 if drawn["centre"] else 5, figures.loc[busiest, "partenaires"]))
    assert drawn["brokers"] == brokers and drawn["halos"] == len(brokers) and not drawn["haloClicks"]
    assert sorted(drawn["blank"]) == sorted(blank) and drawn["hatched"] and not drawn["blankClicks"]
    legend = frame.locator(".passerelles-legend")
    expect(legend).to_contain_text("structure-relais : relie des groupes qui sans elle seraient séparés")
    expect(legend).to_contain_text(f"Communes avec des écoles et aucun lien : {len(blank)}")
    save_screenshot(page, "where-map-sizes-halos-blank-zones")
    assert_no_exception(page)
