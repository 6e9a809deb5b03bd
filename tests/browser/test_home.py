"""The foundation in a real browser: the server answers, the home page, direct links, shared filters, no internet."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import (
    assert_no_exception,
    expect_rerun,
    open_app,
    save_screenshot,
)

pytestmark = pytest.mark.browser

CONTROL_PATH = "/Controle_des_donnees"
# A French integer: 1 234 (non-breaking or narrow non-breaking space between thousands).
FRENCH_INT = re.compile(r"^\d{1,3}(?:[ \u00a0\u202f]\d{3})*$")


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def title(page, text: str):
    """The page's ``st.title`` (the sidebar also has a "Passerelles" heading)."""
    return page.locator('[data-testid="stMain"]').get_by_role("heading", level=1, name=text, exact=True)


def wave_box(page):
    return sidebar(page).get_by_role("combobox", name="Vague d'enquête")


def metric_value(page, label: str):
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return metric.locator('[data-testid="stMetricValue"]')


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_server_answers_over_http(app_server: str) -> None:
    """No browser needed: the health check and the page's HTML are served."""
    with urllib.request.urlopen(f"{app_server}/_stcore/health", timeout=10) as response:
        assert response.status == 200
        assert response.read().decode().strip() == "ok"
    for path in ("/", CONTROL_PATH):
        with urllib.request.urlopen(f"{app_server}{path}", timeout=10) as response:
            assert response.status == 200, path
            assert response.headers.get_content_type() == "text/html"
            html = response.read().decode("utf-8")
        assert '<div id="root"></div>' in html, path
        assert re.search(r'<script type="module"[^>]* src="\./static/js/index\.[\w-]+\.js"', html), path


def test_home_on_demo_data(page, app_server: str) -> None:
    """The home page says what it shows: the demo, labelled as such, and its key figures."""
    open_app(page, app_server + "/", title(page, "Passerelles"))
    expect(page).to_have_title(re.compile(r"^Accueil · Passerelles$"))
    expect(page.get_by_text("Données de démonstration").first).to_be_visible()
    links = metric_value(page, "Liens recensés")
    expect(links).to_have_text(FRENCH_INT)
    assert int(re.sub(r"\D", "", links.inner_text())) > 0, "the demo data set should have links"
    assert_no_exception(page)
    assert page.page_errors == [], page.page_errors
    save_screenshot(page, "accueil")


def test_direct_link_shows_page_and_our_menu_only(page, app_server: str) -> None:
    """A bookmarked page opens on that page, with our menu and without Streamlit's page list."""
    open_app(page, app_server + CONTROL_PATH, title(page, "Contrôle des données"))
    expect(page).to_have_title(re.compile(r"^Contrôle des données · Passerelles$"))
    menu = sidebar(page)
    expect(menu.get_by_role("link", name="Accueil")).to_be_visible()
    expect(menu.get_by_role("link", name="Contrôle des données")).to_be_visible()
    # STYLE.md: the automatic page list can come back on a direct load.
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    assert_no_exception(page)


def test_shared_url_restores_filters_and_they_follow_the_session(page, app_server: str) -> None:
    """A link shared in a meeting opens on its wave; a new choice goes to the URL and follows to other pages."""
    open_app(page, app_server + "/?vague=2018", page.locator('[data-testid="stMain"]').get_by_text("(vague 2018)"))
    expect(wave_box(page)).to_have_value("Vague 2018")

    wave_box(page).scroll_into_view_if_needed()  # below the menu: scrolled first, so the click opens the list
    wave_box(page).click()
    expect(page.get_by_role("option", name="Vague 2018", exact=True)).to_be_visible()
    options = page.get_by_role("option").all_inner_texts()
    waves = [o for o in options if o.startswith("Vague ")]
    assert "Vague 2018" in waves, options
    # Neither the current one nor the default (the latest wave), so that the URL must carry it.
    others = [w for w in waves[:-1] if w != "Vague 2018"]
    chosen = others[0] if others else "Toutes les vagues"
    code = chosen.removeprefix("Vague ") if chosen.startswith("Vague ") else "toutes"
    scope = f"vague {code}" if code != "toutes" else "toutes vagues confondues"
    with expect_rerun(page, page.locator('[data-testid="stMain"]').get_by_text(f"({scope})")):
        page.get_by_role("option", name=chosen, exact=True).click()
    expect(wave_box(page)).to_have_value(chosen)
    page.wait_for_url(re.compile(rf"[?&]vague={code}(&|$)"))
    assert query(page.url)["vague"] == [code]
    assert_no_exception(page)

    with expect_rerun(page, title(page, "Contrôle des données")):
        sidebar(page).get_by_role("link", name="Contrôle des données").click()
    expect(wave_box(page)).to_have_value(chosen)
    page.wait_for_url(re.compile(rf"{CONTROL_PATH}\?(.*&)?vague={code}(&|$)"))
    assert_no_exception(page)


@pytest.mark.parametrize("path, heading", [("/", "Passerelles"), (CONTROL_PATH, "Contrôle des données")],
                         ids=["accueil", "controle"])
def test_pages_work_without_internet(offline_page, app_server: str, path: str, heading: str) -> None:
    """Projected in a meeting room without internet, the pages work and ask for nothing outside the app."""
    page = offline_page
    open_app(page, app_server + path, title(page, heading))
    expect(wave_box(page)).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    assert_no_exception(page)
    assert sorted(set(page.blocked.urls)) == []
