"""The tables people read fit a 1440×900 laptop screen: no column cut off behind a horizontal scroll.

Every reading table of the analysis pages, in every tab and behind every « Voir les données ». The table
editors of the saisie pages (structures, values of an import) are tools, not readings: not checked here.
"""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, open_app, save_screenshot

pytestmark = pytest.mark.browser

PAGES = [
    ("/Liens_par_territoire", "Liens par territoire", "tables-liens-par-territoire", 5),
    ("/Leviers_et_freins", "Leviers et freins", "tables-leviers-et-freins", 5),
    ("/Evolution", "Évolution entre les vagues d'enquête", "tables-evolution", 1),
    ("/Impact", "Impact du projet", "tables-impact", 1),
    ("/Ou_agir", "Où agir ?", "tables-ou-agir", 1),
    ("/Rencontres", "Rencontres et groupes de réflexion", "tables-rencontres", 1),
]


# A grid is measured once its layout has settled: the same widths for 10 animation frames in a row. A tab just
# opened lays its grids out in steps (one was measured with a 50 px box on a quiet clean clone); a width that stays
# wrong is still reported.
SETTLED_WIDTHS = """node => new Promise(resolve => {
  const box = node.closest('[data-testid="stDataFrame"]');
  let last = '', still = 0;
  const tick = () => {
    const now = [node.scrollWidth, node.clientWidth, box.getBoundingClientRect().width].join();
    still = now === last ? still + 1 : 0;
    last = now;
    if (still >= 10) { resolve([node.scrollWidth, node.clientWidth]); } else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
})"""


def table_widths(page, scope) -> dict[str, list[int]]:
    """[scrollWidth, clientWidth] of every grid shown in ``scope``, after opening its « Voir les données »."""
    expanders = scope.locator('[data-testid="stExpander"]').filter(visible=True)
    for i in range(expanders.count()):
        details = expanders.nth(i).locator("details")
        if details.get_attribute("open") is None:
            expanders.nth(i).locator("summary").click()
            expect(details).to_have_attribute("open", "")
    widths = {}
    # Glide draws the grid in a canvas inside a scroller: wider than its box means cut columns.
    scrollers = scope.locator('[data-testid="stDataFrame"] .dvn-scroller').filter(visible=True)
    for i in range(scrollers.count()):
        expect(scrollers.nth(i)).to_be_visible()
        widths[str(i)] = scrollers.nth(i).evaluate(SETTLED_WIDTHS)
    return widths


@pytest.mark.parametrize("path, heading, name, at_least", PAGES, ids=[p[2] for p in PAGES])
def test_every_table_fits_at_1440(page, app_server: str, path: str, heading: str, name: str,
                                  at_least: int) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    main = page.locator('[data-testid="stMain"]')
    open_app(page, f"{app_server}{path}?vague=2019",
             main.get_by_role("heading", level=1, name=heading, exact=True))
    widths = {f"page {k}": w for k, w in table_widths(page, main).items()}
    tabs = main.get_by_role("tab")
    for t in range(tabs.count()):
        tabs.nth(t).click()  # tabs switch in the browser, without a rerun
        panel = main.get_by_role("tabpanel").filter(visible=True)
        expect(panel).to_have_count(1)
        widths.update({f"{tabs.nth(t).inner_text()} {k}": w for k, w in table_widths(page, panel).items()})
    assert len(widths) >= at_least, widths
    save_screenshot(page, name)
    cut = {table: w for table, w in widths.items() if w[0] > w[1]}
    assert cut == {}, f"tables wider than their box (scrollWidth, clientWidth): {cut}"
    assert_no_exception(page)
