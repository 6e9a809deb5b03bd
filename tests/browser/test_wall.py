"""The map on the wall, at the projector's 1280×720 and at 1920×1080: controls on the first screen, a map
that fills the window, the legend in full screen, the search that zooms to a structure, a view that survives
a reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, expect_rerun, open_app, save_screenshot
from .test_map import MAP_PATH, STRUCTURES, map_frame, map_settled, title

IMAGE_TIMEOUT_MS = 120_000  # images are drawn by a second Chromium: seconds on a quiet machine, more when loaded
SIZES = pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
ROSA = STRUCTURES[STRUCTURES["nom"] == "Collège Rosa Parks (démo)"].iloc[0]


def main(page):
    return page.locator('[data-testid="stMain"]')


def on_first_screen(page, locator) -> None:
    """``locator`` is drawn inside the window, with no scrolling."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)
    assert page.evaluate("() => window.scrollY") == 0


def map_zoom(frame) -> float:
    return frame.evaluate("() => window.map.getZoom()")


@SIZES
def test_the_controls_are_on_the_first_screen_and_the_map_fills_the_window(page, app_server: str, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun", title(page, "Carte des partenariats"))
    frame = map_frame(page)
    for name in ("Chercher une structure", "Colorer les territoires selon", "Fond de carte", "Où agir ?",
                 "Taille du texte"):
        on_first_screen(page, main(page).get_by_label(name, exact=True))
    on_first_screen(page, frame.locator(".leaflet-control-layers"))  # the layers, inside the map
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]')
    # The map's frame reaches the foot of the window (16 px margin), whatever the window's height.
    page.wait_for_function(
        """() => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
                   const r = f.getBoundingClientRect();
                   return Math.abs(window.innerHeight - 16 - r.bottom) <= 2 || r.height === 360; }""")
    assert iframe.bounding_box()["height"] >= 360
    assert_no_exception(page)
    save_screenshot(page, f"carte_{size[0]}x{size[1]}")


@SIZES
def test_in_full_screen_the_legend_is_visible(page, app_server: str, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&indicateur=qualite", title(page, "Carte des partenariats"))
    frame = map_frame(page)
    frame.get_by_title("Plein écran", exact=True).click()
    frame.wait_for_function("() => document.fullscreenElement !== null")
    legend = frame.locator(".passerelles-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Qualité moyenne des liens")
    box, screen = legend.bounding_box(), frame.evaluate("() => [window.innerWidth, window.innerHeight]")
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= screen[0] \
        and box["y"] + box["height"] <= screen[1], (box, screen)
    expect(frame.get_by_title("Quitter le plein écran", exact=True)).to_be_visible()
    assert_no_exception(page)


@SIZES
def test_the_search_zooms_to_the_structure_opens_its_card_and_a_reload_keeps_the_view(page, app_server: str,
                                                                                   size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun", title(page, "Carte des partenariats"))
    map_frame(page)
    # The map's own reports of its first view over before the search: under load, one arriving after the
    # search's view took the place of the structure's centre in the URL (zoom 15 on the département's centre).
    map_settled(page)
    search = main(page).get_by_label("Chercher une structure", exact=True)
    search.fill("college rosa")
    card = main(page).locator("h3", has_text="Collège Rosa Parks (démo)")
    with expect_rerun(page, card):
        search.press("Enter")
    expect(card).to_be_visible()
    frame = map_frame(page)
    frame.wait_for_function("() => window.map.getZoom() === 15")
    centre = frame.evaluate("() => window.map.getCenter()")
    assert abs(centre["lat"] - float(ROSA["latitude"])) < 1e-4 and abs(centre["lng"] - float(ROSA["longitude"])) < 1e-4
    # The map reports its view: it goes to the URL, and a reload (or the link, shared) reopens it. The zoom and
    # the centre arrive in the URL together (one change): a reload just after the zoom had come, the centre not
    # yet, reopened the département's centre at zoom 15 (lib.ui.set_url_params).
    page.wait_for_url(re.compile(r"[?&]zoom=15(&|$)"))
    assert f"structure={ROSA['id']}" in page.url
    page.reload()
    expect(card).to_be_visible(timeout=60_000)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map.getZoom() === 15")
    centre = frame.evaluate("() => window.map.getCenter()")
    assert abs(centre["lat"] - float(ROSA["latitude"])) < 1e-3 and abs(centre["lng"] - float(ROSA["longitude"])) < 1e-3
    # Drawn at the link's view: no fit to the département to undo, none again when the frame is resized.
    assert frame.evaluate("() => window.map.passerellesRefit()") is None
    assert_no_exception(page)  # waits for the app to be idle: the view settled, it does not swing back
    assert "zoom=15" in page.url and map_zoom(frame) == 15


@SIZES
def test_the_map_image_is_a_png_at_the_view_shown_with_its_title_and_legend(page, app_server: str, size) -> None:
    import io

    import numpy as np
    from PIL import Image

    from lib.map_image import FOOTER_PX, HEADER_PX, MAP_HEIGHT, MAP_WIDTH

    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, f"{app_server}{MAP_PATH}?fond=aucun&zoom=11&centre=49.0,2.2", title(page, "Carte des partenariats"))
    map_frame(page)
    map_settled(page)  # the map's second report reruns the page: a click meanwhile is replaced by that run
    prepare = main(page).get_by_role("button", name="Préparer l'image (PNG)")
    prepare.scroll_into_view_if_needed()
    download_button = main(page).get_by_role("button", name="Image PNG")
    with expect_rerun(page, download_button, timeout=IMAGE_TIMEOUT_MS):
        prepare.click()
    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename == "carte_partenariats.png"
    picture = Image.open(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert picture.format == "PNG" and picture.size == (MAP_WIDTH, MAP_HEIGHT)
    grey = np.asarray(picture.convert("L"))
    assert (grey[:HEADER_PX] < 100).sum() > 200  # the title line
    assert (grey[-FOOTER_PX:] < 140).sum() > 100  # the source and date
    # The legend, inside the map at its bottom left: a white box holding dark words and swatches.
    legend = grey[MAP_HEIGHT - FOOTER_PX - 330:MAP_HEIGHT - FOOTER_PX - 10, 10:250]
    assert (legend > 245).mean() > 0.4 and (legend < 100).sum() > 300
    assert_no_exception(page)


@SIZES
def test_a_chart_image_holds_its_legend_as_png_and_svg(page, app_server: str, size) -> None:
    import io

    from PIL import Image

    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, f"{app_server}/Liens_par_territoire?vague=2019",
             main(page).get_by_role("heading", name="Liens par territoire", level=1))
    chart = main(page).locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".legendtext")).first
    chart.scroll_into_view_if_needed()
    legend = [text.strip() for text in chart.locator(".legendtext").all_text_contents() if text.strip()]
    assert legend
    # The chart's own « Voir les données · télécharger », then its « Préparer l'image »: the first ones after it.
    details = chart.locator("xpath=following::details[./summary[contains(., 'Voir les données')]][1]")
    details.locator("summary").click()
    # The table above the button keeps growing as its rows are drawn once the expander opens: a click aimed at
    # the button landed on the table (twice on a loaded machine: no run for 120 s, the pointer on the table's
    # toolbar). The button is pressed from the keyboard, which does not depend on where it is on screen.
    expect(details.locator('[data-testid="stDataFrame"]')).to_be_visible()
    prepare = details.get_by_role("button", name=re.compile(r"^Préparer l'image"))
    # Drawing the images starts a headless Chromium: bounded by a longer wait on a loaded machine.
    with expect_rerun(page, main(page).get_by_role("button", name="Image SVG").first, timeout=IMAGE_TIMEOUT_MS):
        prepare.press("Enter")
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Image SVG").first.click()
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and all(label in svg for label in legend), legend
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Image PNG").first.click()
    picture = Image.open(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert picture.format == "PNG" and picture.size[0] >= 800
    assert_no_exception(page)
