"""The map in a real browser: offline, hover, click to open a card, shared view."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, expect_rerun, open_app, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MAP_PATH = "/Carte"
MAP_TIMEOUT_MS = 60_000
STRUCTURES = pd.read_csv(ROOT / "data" / "demo" / "structures.csv", dtype=str)


def title(page, text: str):
    return page.locator('[data-testid="stMain"]').get_by_role("heading", level=1, name=text, exact=True)


def map_frame(page):
    """The Leaflet iframe, once the app is idle (no rerun will redraw it) and our layers are on the map."""
    wait_for_app(page, page.locator('iframe[title="streamlit_folium.st_folium"]'))
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_function(
        "() => window.map && Object.values(window.map._layers)"
        ".filter(l => l.feature && l.feature.properties && l.feature.properties.kind === 'structure').length > 1000",
        timeout=MAP_TIMEOUT_MS)
    return frame


def map_settled(page) -> None:
    """The map fills its frame and has reported its view (zoom and centre in the URL), and the app is idle.

    The map reports its view on load and again once its frame has taken the window's height: a click made
    meanwhile can land in a run that the next report replaces.
    """
    from urllib.parse import parse_qs, urlsplit

    wait_for_app(page, page.locator('iframe[title="streamlit_folium.st_folium"]'))
    frame = map_iframe(page)
    frame.wait_for_function("() => window.map && Math.abs(window.map.getSize().y - window.innerHeight) < 2")
    zoom, lat, lng = frame.evaluate(
        "() => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")

    def reported(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        return query.get("zoom") == [f"{round(zoom, 2):g}"] and query.get("centre") == [f"{lat:.5f},{lng:.5f}"]

    page.wait_for_url(reported)
    wait_for_app(page)


def centre_on(frame, structure_id: str, zoom: int = 16) -> dict[str, float]:
    """Centre the map on a structure, close enough that nothing overlaps it; its position in the map."""
    x, y = frame.evaluate(
        """([id, zoom]) => {
            const layer = Object.values(window.map._layers).find(
                l => l.feature && l.feature.properties && l.feature.properties.id === id && l.getLatLng);
            window.map.setView(layer.getLatLng(), zoom, {animate: false});
            const p = window.map.latLngToContainerPoint(layer.getLatLng());
            return [p.x, p.y];
        }""", [structure_id, zoom])
    # Canvas layers redraw on the next animation frames: hit-testing needs them done.
    frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return {"x": x, "y": y}


def map_iframe(page):
    return next(f for f in page.frames if "st_folium" in f.url)


def show_structure(page, structure_id: str, zoom: int = 16):
    """Centre the map on a structure once the map has settled, then wait until the page has taken that view
    (zoom and centre in the URL) and is idle; the frame and the structure's position in the map.

    A hover or click made before then could land on another view: in a CI run the tooltip of a commune
    showed three times where a school had been centred (the page then sent the map back to the view before
    each move; fixed, see test_a_move_of_the_map_is_kept).
    """
    map_settled(page)
    centre_on(map_iframe(page), structure_id, zoom)
    map_settled(page)
    frame = map_iframe(page)
    x, y = frame.evaluate(
        """([id, zoom]) => {
            const layer = Object.values(window.map._layers).find(
                l => l.feature && l.feature.properties && l.feature.properties.id === id && l.getLatLng);
            if (window.map.getZoom() !== zoom) throw new Error('the map left the view: zoom ' + window.map.getZoom());
            const p = window.map.latLngToContainerPoint(layer.getLatLng());
            return [p.x, p.y];
        }""", [structure_id, zoom])
    frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return frame, {"x": x, "y": y}


@functools.cache
def isolated(kind: str) -> pd.Series:
    """The demo structure of ``kind`` farthest from every other one (those placed at their town hall included).

    Hovered or clicked at zoom 16, no other point can lie under the pointer, whatever the marker sizes: the
    first school of the file had a neighbour 114 m away, whose tooltip once showed instead of its own.
    """
    from lib.dataset import DEMO_DIR, load_dataset

    structures = load_dataset(DEMO_DIR).structures.reset_index(drop=True)
    north = structures["latitude"].astype(float).to_numpy() * 111_320.0
    east = structures["longitude"].astype(float).to_numpy() * 111_320.0 * np.cos(np.radians(49.0))
    metres = np.hypot(east[:, None] - east[None, :], north[:, None] - north[None, :])
    np.fill_diagonal(metres, np.inf)
    nearest = pd.Series(metres.min(axis=1), index=structures.index)
    best = nearest[structures["type"] == kind].idxmax()
    assert nearest[best] > 300, f"no demo {kind} stands 300 m away from every other structure"
    return structures.loc[best]


def test_map_works_with_no_internet(offline_page, app_server: str) -> None:
    page = offline_page
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun", title(page, "Carte des partenariats"))
    frame = map_frame(page)
    assert frame.locator(".leaflet-overlay-pane canvas").count() == 1  # every layer on one shared canvas
    assert frame.locator(".passerelles-legend").inner_text().startswith("Nombre de liens")
    assert_no_exception(page)
    save_screenshot(page, "carte")
    assert sorted(set(page.blocked.urls)) == []


def test_hovering_a_school_shows_its_tooltip(page, app_server: str) -> None:
    school = isolated("ecole_elementaire")
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&vague=toutes", title(page, "Carte des partenariats"))
    map_frame(page)  # our layers are on the map
    frame, position = show_structure(page, school["id"])
    frame.locator("#map_div").hover(position=position)
    # The school's own tooltip (a commune's may be open beside it when the pointer crossed one on its way).
    tooltip = frame.locator(".leaflet-tooltip", has_text=school["nom"])
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("École élémentaire")
    assert page.page_errors == []  # the tooltip is made on first hover, in the page's script


def test_a_move_of_the_map_is_kept(page, app_server: str) -> None:
    """The map stays where the user moved it: the page's answer to the move draws the map at that view.

    The page once read the map's report after drawing it, so it drew the map at the view before: each move was
    undone, and the map then went back and forth between the two views every half-second. The views the page
    sends are recorded in the map; the move's own is made with Leaflet's setView, unrecorded.
    """
    centre = isolated("centre_social")
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&vague=toutes", title(page, "Carte des partenariats"))
    map_frame(page)
    map_settled(page)
    frame = map_iframe(page)
    frame.evaluate("""() => {
        window.__sent = [];
        window.map.setView = function (centre, zoom, options) {
            const c = L.latLng(centre);
            window.__sent.push([c.lat, c.lng, zoom]);
            return L.Map.prototype.setView.call(this, centre, zoom, options);
        };
    }""")
    lat, lng = frame.evaluate("""([id]) => {
        const layer = Object.values(window.map._layers).find(
            l => l.feature && l.feature.properties && l.feature.properties.id === id && l.getLatLng);
        L.Map.prototype.setView.call(window.map, layer.getLatLng(), 16, {animate: false});
        return [window.map.getCenter().lat, window.map.getCenter().lng];
    }""", [centre["id"]])
    frame.wait_for_function("() => window.__sent.length > 0", timeout=MAP_TIMEOUT_MS)  # the page's answer
    map_settled(page)
    sent = frame.evaluate("() => window.__sent")
    assert all(zoom == 16 and abs(a - lat) < 1e-4 and abs(b - lng) < 1e-4 for a, b, zoom in sent), sent
    assert frame.evaluate("() => window.map.getZoom()") == 16
    assert f"zoom=16&centre={lat:.5f}%2C{lng:.5f}" in page.url


def test_clicking_a_centre_opens_its_card_and_the_url_keeps_it(page, app_server: str) -> None:
    centre = isolated("centre_social")
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&vague=toutes", title(page, "Carte des partenariats"))
    map_frame(page)
    card = page.locator('[data-testid="stMain"] h3', has_text=centre["nom"])
    frame, position = show_structure(page, centre["id"])
    with expect_rerun(page, card):
        frame.locator("#map_div").click(position=position)
    expect(card).to_be_visible()
    expect(page.locator('[data-testid="stMain"]').get_by_text("partenaire(s)", exact=False).first).to_be_visible()
    page.wait_for_url(re.compile(rf"[?&]structure={centre['id']}(&|$)"))
    # The partners one a line with their badges, inside the card's column at 1280 px: no table, nothing
    # wider than the column, no horizontal scroll (issue 13).
    column = page.locator('[data-testid="stColumn"]').filter(has=page.locator("h3", has_text=centre["nom"]))
    partners = column.locator(".passerelles-partners li.partner")
    expect(partners.first).to_be_visible()
    expect(partners.first.locator(".badge.quality")).to_contain_text("Qualité")
    expect(partners.first.locator(".badge.frequency")).to_contain_text("Fréquence : ")
    assert column.locator('[data-testid="stDataFrame"]').count() == 0
    widths = column.evaluate("""c => {
        const box = c.getBoundingClientRect();
        const overflowing = [c, ...c.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1
            && getComputedStyle(e).overflowX !== 'visible' && e.clientWidth > 0).length;
        const right = Math.max(...[...c.querySelectorAll('.passerelles-partners *')]
            .map(e => e.getBoundingClientRect().right));
        return {column: box.width, left: box.left, right: box.right, widest: right, overflowing,
                page: document.documentElement.scrollWidth - document.documentElement.clientWidth};
    }""")
    assert widths["column"] < 400 and widths["widest"] <= widths["right"] + 1, widths
    assert widths["overflowing"] == 0 and widths["page"] <= 0, widths
    fiche = column.get_by_role("link", name="Fiche complète")
    expect(fiche).to_have_attribute("href", re.compile(rf"Fiche_structure\?(.*&)?structure={centre['id']}(&|$)"))
    assert_no_exception(page)
    save_screenshot(page, "carte-fiche-structure")


def test_a_shared_url_restores_the_view(page, app_server: str) -> None:
    centre = isolated("centre_social")
    url = (f"{app_server}{MAP_PATH}?vague=2018&niveau=epci&indicateur=qualite&fond=aucun"
           f"&structure={centre['id']}")
    open_app(page, url, title(page, "Carte des partenariats"))
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("combobox", name="Vague d'enquête")).to_have_value("Vague 2018")
    expect(sidebar.get_by_role("combobox", name="Regrouper par")).to_have_value("Intercommunalité (EPCI)")
    expect(page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Colorer les territoires selon")
           ).to_have_value("Qualité moyenne des liens")
    expect(page.locator('[data-testid="stMain"] h3', has_text=centre["nom"])).to_be_visible()
    frame = map_frame(page)
    legend = frame.locator(".passerelles-legend")
    expect(legend).to_contain_text("Qualité moyenne des liens")
    expect(legend).to_contain_text("par intercommunalité (epci)")
    assert frame.locator(".leaflet-tile").count() == 0  # "aucun fond": no tile requested
    assert_no_exception(page)
