"""Roles in a real browser: every page by its direct URL, for every role; a funder's session never gets free text."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from lib.access import FINANCEUR, PAGES, PILOTAGE, ROLES, SAISIE, may_open, pages_for

from .conftest import assert_no_exception, expect_rerun, log_in, open_app, save_screenshot, \
    users_env
from .test_map import map_settled

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import small_tables, write_tables  # noqa: E402  (the unit tests' small data set)

pytestmark = pytest.mark.browser


def url_path(script: str) -> str:
    """Streamlit's URL of a page: the file name without its number (``pages/10_Impact.py`` → ``/Impact``)."""
    return "/" if script == "app.py" else "/" + Path(script).stem.split("_", 1)[1]


# What two respondents said: only the comité de pilotage may ever receive it.
SAID = {"pistes": "Piste-témoin : un café des parents chaque jeudi à l'école A",
        "commentaire": "Commentaire-témoin : la directrice trouve le centre trop lointain"}


@pytest.fixture(scope="module")
def with_users(start_app, tmp_path_factory) -> str:
    """A small real data set with free text, users configured: every visit starts at the login form.

    Small, so that 39 visits stay quick; the demo's pages are covered by the AppTest suite.
    """
    root = tmp_path_factory.mktemp("roles")
    tables = small_tables()
    for column, text in SAID.items():
        tables["reponses"][column] = tables["reponses"][column].astype(object)
        tables["reponses"].loc[4, column] = text  # R5, wave 2019: the wave the pages open on
    return start_app(write_tables(root / "jeu", tables), name="roles", extra_env=users_env(root))


def main(page):
    return page.locator('[data-testid="stMain"]')


def heading(page) -> str:
    return main(page).locator("h1").first.inner_text().strip()


def menu(page) -> list[str]:
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    return [links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())]  # after the icon


class Frames:
    """Every websocket message the page receives (tables travel as Arrow, charts as JSON: all searchable)."""

    def __init__(self, page) -> None:
        self.received: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.received.append(payload if isinstance(payload, bytes) else payload.encode("utf-8"))


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_by_its_direct_url(page, with_users: str, role: str) -> None:
    """A new visit to each URL: the login form, then the page or « Accès réservé », with the role's menu."""
    frames = Frames(page)
    expected_menu = [p.label for p in pages_for(role)]
    for target in PAGES:
        open_app(page, with_users + url_path(target.script), main(page).get_by_label("Identifiant"))
        assert not main(page).locator('[data-testid="stMetric"], [data-testid="stPlotlyChart"]').count()
        assert menu(page) == []  # nothing before the login
        log_in(page, role, main(page).locator("h1").first)
        assert_no_exception(page)
        assert menu(page) == expected_menu, target.script
        if may_open(target, role):
            assert heading(page) != "Accès réservé", target.script
            assert page.url.split("?")[0].rstrip("/").endswith(url_path(target.script).rstrip("/"))
        elif target.script == "app.py":
            expect(main(page).locator("h1").first).to_have_text("Impact du projet")
            assert page.url.split("?")[0].endswith("/Impact")
        else:
            assert heading(page) == "Accès réservé", target.script
            expect(main(page).get_by_text(f"n'est pas ouverte au rôle « {ROLES[role]} »")).to_be_visible()
            assert not main(page).locator('[data-testid="stMetric"], [data-testid="stPlotlyChart"], '
                                          '[data-testid="stDataFrame"], iframe').count(), target.script
    received = b"".join(frames.received)
    said = [text for text in SAID.values() if text.encode("utf-8") in received]
    if role == FINANCEUR:
        assert len(received) > 50_000 and not said  # the pages did arrive, what was said did not
    else:
        assert said == list(SAID.values())  # the check sees free text when it is sent


def test_wrong_password_then_logout(page, with_users: str) -> None:
    open_app(page, with_users + "/Carte", main(page).get_by_label("Identifiant"))
    main(page).get_by_label("Identifiant").fill("comite")
    main(page).get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    with expect_rerun(page, main(page).get_by_text("Identifiant ou mot de passe incorrect.")):
        main(page).get_by_role("button", name="Se connecter").click()
    assert menu(page) == [] and not main(page).locator('iframe').count()
    save_screenshot(page, "connexion-refusee")
    log_in(page, PILOTAGE, main(page).get_by_role("heading", name="Carte des partenariats", level=1))
    save_screenshot(page, "connecte-pilotage-carte")
    map_settled(page)  # else the map's second report may replace the run of the click (seen once in CI)
    with expect_rerun(page, main(page).get_by_label("Identifiant")):
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Se déconnecter").click()
    assert menu(page) == [] and not main(page).locator('iframe').count()


def test_the_open_demo_says_so(page, app_server: str) -> None:
    """No users (the demo server): open access, labelled, and every role can be previewed."""
    open_app(page, app_server + "/", main(page).get_by_text("Démonstration — accès libre"))
    assert menu(page) == [p.label for p in pages_for(SAISIE)]
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Voir la démonstration comme")
    with expect_rerun(page, main(page).get_by_role("heading", name="Impact du projet", level=1)):
        box.click()
        page.keyboard.type("Financeur")
        page.keyboard.press("Enter")
    assert menu(page) == [p.label for p in pages_for(FINANCEUR)]
    save_screenshot(page, "impact-demo-financeur")


def test_a_funder_downloads_the_fiche_and_the_tables_without_free_text(page, with_users: str) -> None:
    """The PDF and the workbook a funder gets from « Rapports », read back: no free text, the right version."""
    import io

    import pypdfium2
    from openpyxl import load_workbook

    open_app(page, with_users + "/Rapports", main(page).get_by_label("Identifiant"))
    log_in(page, FINANCEUR, main(page).get_by_role("heading", name="Rapports", level=1))
    expect(main(page).get_by_text("Version financeurs : chiffres agrégés")).to_be_visible()
    with page.expect_download() as fiche:
        main(page).get_by_role("button", name="Fiche (PDF)").click()
    assert fiche.value.suggested_filename.startswith("fiche-financeurs-")
    pdf = pypdfium2.PdfDocument(open(fiche.value.path(), "rb").read())
    text = " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in pdf)
    assert len(pdf) == 1 and "Version financeurs" in text
    with page.expect_download() as tables:
        main(page).get_by_role("button", name="Tableaux (Excel)").click()
    workbook = load_workbook(io.BytesIO(open(tables.value.path(), "rb").read()))
    cells = " ".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert len(workbook.sheetnames) > 10
    for said in SAID.values():
        assert said.split(" : ")[1] not in text and said.split(" : ")[1] not in cells
    assert_no_exception(page)


def test_logging_in_again_after_a_reload_returns_to_the_exact_view(page, with_users: str) -> None:
    """A reload ends the session (no login cookie, see README); the login it asks for reopens the same view."""
    url = with_users + "/Carte?vague=2018&structure=CS-2&zoom=12.5&centre=49.05216,2.03639&fond=aucun"
    open_app(page, url, main(page).get_by_label("Identifiant"))
    card = main(page).locator("h3", has_text="Centre social Deux")
    log_in(page, PILOTAGE, card)
    page.reload(wait_until="commit")
    log_in(page, PILOTAGE, card)
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Vague d'enquête")).to_have_value(
        "Vague 2018")
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_function("() => window.map && window.map.getZoom() === 12.5")
    centre = frame.evaluate("() => window.map.getCenter()")
    # The same view to a pixel or two (a pixel is ~0.0002° at this zoom: the frame fills the window, then re-lays out).
    assert abs(centre["lat"] - 49.05216) < 5e-4 and abs(centre["lng"] - 2.03639) < 5e-4
    for part in ("vague=2018", "structure=CS-2", "zoom=12.5", "centre=49.052"):
        assert part in page.url, page.url
    assert_no_exception(page)


def test_a_funder_landing_on_the_home_address_keeps_the_links_filters(page, with_users: str) -> None:
    """Funders have no Accueil: the home address opens Impact, with the wave and grouping of the link."""
    open_app(page, with_users + "/?vague=2018&niveau=epci", main(page).get_by_label("Identifiant"))
    log_in(page, FINANCEUR, main(page).get_by_role("heading", name="Impact du projet", level=1))
    page.wait_for_url(re.compile(r"/Impact\?(.*&)?vague=2018(&|$)"))
    assert "niveau=epci" in page.url
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Vague d'enquête")).to_have_value(
        "Vague 2018")
    assert_no_exception(page)
