"""The analysis pages in a real browser at 1280×720, offline: drawn, readable, downloadable; a screenshot of each."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, open_app, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = [
    ("/Liens_par_territoire", "Liens par territoire", "analyses-liens-par-territoire"),
    ("/Leviers_et_freins", "Leviers et freins", "analyses-leviers-et-freins"),
    ("/Evolution", "Évolution entre les vagues d'enquête", "analyses-evolution"),
]


def title(page, text: str):
    return page.locator('[data-testid="stMain"]').get_by_role("heading", level=1, name=text, exact=True)


def first_chart(page):
    """The page's first plotly chart, once plotly has drawn it."""
    chart = page.locator('[data-testid="stMain"] .js-plotly-plot').first
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".gtitle")).to_contain_text("?")
    return chart


def overlapping(boxes: list[dict]) -> list[tuple[int, int]]:
    """Pairs of boxes that overlap by more than a pixel."""
    pairs = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1:], start=i + 1):
            if (a["x"] + a["width"] - 1 > b["x"] and b["x"] + b["width"] - 1 > a["x"]
                    and a["y"] + a["height"] - 1 > b["y"] and b["y"] + b["height"] - 1 > a["y"]):
                pairs.append((i, j))
    return pairs


@pytest.mark.parametrize("path, heading, name", PAGES, ids=[p[2] for p in PAGES])
def test_each_analysis_page_at_projector_size_with_no_internet(offline_page, app_server: str, path: str,
                                                              heading: str, name: str) -> None:
    page = offline_page
    open_app(page, f"{app_server}{path}?vague=2019", title(page, heading))
    chart = first_chart(page)
    wait_for_app(page)
    # Readable on a wall: the territories' labels are 14 px or more and none overlaps another.
    labels = chart.locator(".ytick text")
    assert labels.count() >= 5
    sizes = labels.evaluate_all("nodes => nodes.map(n => parseFloat(getComputedStyle(n).fontSize))")
    assert min(sizes) >= 14, sizes
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert overlapping(boxes) == []
    assert_no_exception(page)
    assert page.page_errors == [], page.page_errors
    save_screenshot(page, name)
    assert sorted(set(page.blocked.urls)) == []


def test_chart_image_and_its_table_download_with_no_internet(offline_page, app_server: str) -> None:
    page = offline_page
    open_app(page, f"{app_server}/Liens_par_territoire?vague=2019", title(page, "Liens par territoire"))
    chart = first_chart(page)
    chart.hover()
    with page.expect_download() as png:
        chart.locator('.modebar-btn[data-title^="Download plot"]').click()
    assert png.value.suggested_filename == "frequence-par-territoire.png"
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    page.locator('[data-testid="stMain"] [data-testid="stExpander"]').first.get_by_text(
        "Voir les données").click()
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    # From the keyboard: the table above the button grows as its rows are drawn, and a click aimed at the
    # button landed on the table once on a loaded machine (no download).
    with page.expect_download() as csv:
        page.locator('[data-testid="stMain"]').get_by_role("button", name="Tableau CSV").first.press("Enter")
    assert csv.value.suggested_filename == "frequence-par-territoire.csv"
    content = open(csv.value.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbfCommune;Liens (n);")
    assert "Ensemble;642;815;" in content.decode("utf-8-sig")
    assert_no_exception(page)
    assert sorted(set(page.blocked.urls)) == []
