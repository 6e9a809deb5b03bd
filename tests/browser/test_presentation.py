"""A presentation in a real browser: three views saved from their pages, played with the arrow keys, each step
reopening its saved view (page, filters, structure and map view)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from lib.access import PILOTAGE

from .conftest import assert_no_exception, expect_rerun, log_in, open_app, users_env, wait_for_app
from .test_map import map_settled

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import small_tables, write_tables  # noqa: E402  (the unit tests' small data set)

pytestmark = pytest.mark.browser

WAVES = {"2018": "Vague 2018", "toutes": "Toutes les vagues"}
STEPS = [  # (URL path and query, title, the page's title)
    ("/Carte?vague=2018&structure=CS-2&zoom=12.5&centre=49.05216,2.03639&fond=aucun", "La carte en 2018",
     "Carte des partenariats"),
    ("/Impact?vague=2018", "L'impact en 2018", "Impact du projet"),
    ("/Liens_par_territoire?vague=toutes&niveau=epci", "Les liens par intercommunalité", "Liens par territoire"),
]


@pytest.fixture()
def writable(start_app, tmp_path) -> str:
    """A small data set of one's own (presentations are stored in it), users configured."""
    return start_app(write_tables(tmp_path / "jeu", small_tables()), name="presentation",
                     extra_env=users_env(tmp_path))


def main(page):
    return page.locator('[data-testid="stMain"]')


def heading(page, text: str):
    return main(page).get_by_role("heading", name=text, level=1, exact=True)


def add_step(page, title: str, first: bool) -> None:
    """« Ajouter à une présentation » from the sidebar, as the step ``title`` of the presentation « Réunion »."""
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Ajouter à une présentation").click()
    form = page.locator('[data-testid="stPopoverBody"]')
    if first:
        form.get_by_label("Nom de la nouvelle présentation").fill("Réunion")
    form.get_by_label("Titre de l'étape").fill(title)
    # The success line lasts one run (the map's own report of its view may rerun the page right after):
    # what was saved is checked on the Présentation page, « 3 étape(s) » in order.
    with expect_rerun(page):
        form.get_by_role("button", name="Ajouter cette vue").click()
    page.keyboard.press("Escape")  # close the popover


def assert_step(page, number: int) -> None:
    """Step ``number`` (1-based) is shown: its bar, its page and its saved view."""
    path, title, page_title = STEPS[number - 1]
    wait_for_app(page, main(page).get_by_text(f"{number}/{len(STEPS)} · {title}"), heading(page, page_title))
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()  # played full width
    wave = re.search(r"vague=(\w+)", path).group(1)
    # The page's line (bold, under the title; the map card's wave headings start the same way).
    expect(main(page).locator("strong", has_text=re.compile(rf"^{WAVES[wave]} · "))).to_be_visible()
    for part in path.split("?", 1)[1].split("&"):
        key, value = part.split("=")
        if key != "centre":  # the map writes back its own centre, to the pixel
            assert re.search(rf"[?&]{key}={re.escape(value.replace(',', '%2C'))}(&|$)", page.url), (part, page.url)
    if number == 1:
        expect(main(page).locator("h3", has_text="Centre social Deux")).to_be_visible()
        frame = next(f for f in page.frames if "st_folium" in f.url)
        frame.wait_for_function("() => window.map && window.map.getZoom() === 12.5")
        # Its reports of that view over and answered: once on a clean clone, « → » pressed while one was on its
        # way left the presentation on step 1.
        map_settled(page)
    assert_no_exception(page)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_a_three_step_presentation_plays_with_the_arrow_keys(page, writable: str, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for number, (path, title, page_title) in enumerate(STEPS, start=1):
        if number == 1:
            open_app(page, writable + path, main(page).get_by_label("Identifiant"))
            log_in(page, PILOTAGE, heading(page, page_title))
            wait_for_app(page, page.locator('iframe[title="streamlit_folium.st_folium"]'))
            frame = next(f for f in page.frames if "st_folium" in f.url)
            frame.wait_for_function("() => window.map !== undefined")
            wait_for_app(page)  # the map drawn has reported its view: the app is idle again
        else:
            page.goto(writable + path)  # the same session: Streamlit keeps the login across its own pages only
            wait_for_app(page, main(page).get_by_label("Identifiant"))
            log_in(page, PILOTAGE, heading(page, page_title))
        add_step(page, title, first=number == 1)

    page.goto(writable + "/Presentation")
    wait_for_app(page, main(page).get_by_label("Identifiant"))
    log_in(page, PILOTAGE, heading(page, "Présentation"))
    expect(main(page).get_by_text("3 étape(s)")).to_be_visible()
    with expect_rerun(page, main(page).get_by_text(f"1/3 · {STEPS[0][1]}")):
        main(page).get_by_role("button", name="Lancer la présentation").click()
    assert_step(page, 1)
    for key, number in (("ArrowRight", 2), ("ArrowRight", 3), ("ArrowLeft", 2)):
        main(page).locator("h1").first.click()  # the page, not the map, has the keyboard
        with expect_rerun(page, main(page).get_by_text(f"{number}/3 · {STEPS[number - 1][1]}")):
            page.keyboard.press(key)
        assert_step(page, number)
    with expect_rerun(page, heading(page, "Présentation")):
        page.keyboard.press("Escape")
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
    # For people who were not in the room: PowerPoint and PDF, one page per step, the map step with its map.
    import io

    import pypdfium2 as pdfium
    from pptx import Presentation

    # The map step's image is drawn on the click by a second Chromium: a longer bound on a loaded machine.
    with page.expect_download(timeout=120_000) as download:
        main(page).get_by_role("button", name="PowerPoint (PPTX)").click()
    deck = Presentation(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert [slide.shapes.title.text for slide in deck.slides] == [title for _path, title, _page in STEPS]
    assert [sum(shape.shape_type == 13 for shape in slide.shapes) for slide in deck.slides] == [1, 0, 0]  # PICTURE
    with page.expect_download(timeout=120_000) as download:
        main(page).get_by_role("button", name="PDF").click()
    pdf = pdfium.PdfDocument(Path(download.value.path()).read_bytes())
    assert len(pdf) == 3 and STEPS[1][1] in pdf[1].get_textpage().get_text_range()
    assert_no_exception(page)
