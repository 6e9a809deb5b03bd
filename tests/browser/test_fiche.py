"""A structure's fiche in a real browser: from its card on the map to its own page, at 1280×720 (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, expect_rerun, open_app, save_screenshot
from .test_map import map_settled

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STRUCTURES = pd.read_csv(ROOT / "data" / "demo" / "structures.csv", dtype=str)
CENTRE = STRUCTURES[STRUCTURES["id"] == "CS-95-001"].iloc[0]  # a demo centre with partners in every wave


def main(page):
    return page.locator('[data-testid="stMain"]')


def heading(page, text: str):
    return main(page).get_by_role("heading", level=1, name=text, exact=True)


def test_the_card_opens_the_structures_fiche_with_its_partners_and_the_filters(page, app_server: str) -> None:
    assert page.viewport_size == {"width": 1280, "height": 720}
    open_app(page, f"{app_server}/Carte?vague=2018&fond=aucun&structure={CENTRE['id']}",
             heading(page, "Carte des partenariats"), main(page).locator("h3", has_text=CENTRE["nom"]))
    map_settled(page)  # else the map's second report may rerun the Carte over the click's navigation
    link = main(page).get_by_role("link", name="Fiche complète")
    name = main(page).locator("h3", has_text=CENTRE["nom"])
    with expect_rerun(page, heading(page, "Fiche d'une structure"), name):
        link.click()
    page.wait_for_url(re.compile(rf"/Fiche_structure\?(.*&)?structure={CENTRE['id']}(&|$)"))
    assert "vague=2018" in page.url  # the shared filters came along
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("combobox", name="Vague d'enquête")).to_have_value("Vague 2018")
    partners = main(page).locator(".passerelles-partners li.partner")
    expect(partners.first).to_be_visible()
    assert partners.count() >= 12
    expect(partners.first.locator(".badge.quality")).to_contain_text("Qualité")
    expect(partners.first.locator(".badge.frequency")).to_contain_text("Fréquence : ")
    expect(main(page).get_by_role("link", name="Voir sur la carte")).to_have_attribute(
        "href", re.compile(rf"Carte\?(.*&)?structure={CENTRE['id']}(&|$)"))
    scroll = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert scroll[0] <= scroll[1], scroll  # no horizontal scroll at 1280 px
    widest = main(page).evaluate("""m => Math.max(...[...m.querySelectorAll('.passerelles-partners *')]
        .map(e => e.getBoundingClientRect().right))""")
    assert widest <= main(page).evaluate("m => m.getBoundingClientRect().right") + 1
    assert_no_exception(page)
    save_screenshot(page, "fiche-structure")
