"""Every role on every page under AppTest: what is shown, what is refused; the login; funders never get free text."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from conftest import TEST_USERS, USER_OF_ROLE, app_test, small_tables, write_tables, write_users
from lib.access import FINANCEUR, PAGES, PILOTAGE, ROLES, SAISIE, may_open, pages_for
from lib.charts import evolution_charts, lever_charts, link_charts
from lib.dataset import DEMO_DIR, load_dataset
from lib.export import to_csv_bytes, to_xlsx_bytes
from lib.filters import Filters, apply_filters
from lib.session_keys import LOGOUT_KEY

FREE_TEXT_COLUMNS = ["ressources", "outils", "pistes", "commentaire"]

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py


def walk(node):
    children = getattr(node, "children", {})
    for child in (children.values() if isinstance(children, dict) else children):
        yield child
        yield from walk(child)


def page_bytes(at: AppTest) -> bytes:
    """Everything the session received: every element's message, tables (Arrow) and chart specs included."""
    return b"".join(element.proto.SerializeToString() for element in walk(at._tree)
                    if getattr(element, "proto", None) is not None)


def menu_labels(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


def title(at: AppTest) -> str:
    return at.title[0].value if len(at.title) else ""


@pytest.fixture(scope="module")
def free_texts() -> list[str]:
    """The demo's free-text answers long enough to be recognised anywhere."""
    reponses = load_dataset(DEMO_DIR).reponses
    values = pd.concat([reponses[c] for c in FREE_TEXT_COLUMNS]).dropna().astype(str)
    texts = sorted({v for v in values if len(v) >= 20})
    assert len(texts) > 50
    return texts


# --------------------------------------------------------------------------- each role, each page


CASES = [(role, page.script) for role in ROLES for page in PAGES]


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("role, script", CASES, ids=[f"{r}-{s.split('/')[-1][:-3]}" for r, s in CASES])
def test_each_role_sees_its_pages_and_only_them(role: str, script: str):
    at = app_test(script, role)
    page = next(p for p in PAGES if p.script == script)
    assert menu_labels(at) == [p.label for p in pages_for(role)]
    assert f"**{USER_OF_ROLE[role]}**" in " ".join(c.value for c in at.sidebar.caption)
    if may_open(page, role):
        assert title(at) != "Accès réservé"
        assert not any("Accès réservé" in e.value for e in at.error)
    elif script == "app.py":  # a funder's home is the impact page
        assert title(at) == "Impact du projet"
    else:
        assert title(at) == "Accès réservé"
        assert f"« {page.label} » n'est pas ouverte au rôle « {ROLES[role]} »" in at.error[0].value
        # Nothing of the page: no figure, table, chart, form or data-set banner.
        main = list(walk(at.main))
        kinds = {getattr(e, "type", "") for e in main}
        assert not kinds & {"metric", "arrow_data_frame", "plotly_chart", "form", "deck_gl_json_chart"}, kinds
        assert not at.get("iframe") and not at.get("plotly_chart")


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", [p.script for p in PAGES])
def test_without_login_every_page_shows_only_the_login_form(script: str):
    at = app_test(script)
    assert title(at) == "Passerelles"
    assert [t.label for t in at.text_input] == ["Identifiant", "Mot de passe"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not menu_labels(at)


# --------------------------------------------------------------------------- login and logout


def submit_login(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()  # the form's submit button
    return at.run()


@pytest.mark.usefixtures("with_users")
def test_right_password_opens_the_session_wrong_one_does_not():
    at = app_test("app.py")
    submit_login(at, "comite", "mauvais-mot-de-passe")
    assert "Identifiant ou mot de passe incorrect." in at.error[0].value
    assert title(at) == "Passerelles" and not at.metric and "_passerelles_user" not in at.session_state
    submit_login(at, "personne", TEST_USERS["comite"][1])  # an unknown name: the same answer
    assert "Identifiant ou mot de passe incorrect." in at.error[0].value and not at.metric
    submit_login(at, "comite", TEST_USERS["comite"][1])
    assert not at.exception and title(at) == "Passerelles" and at.metric  # the home page, with its figures
    assert at.session_state["_passerelles_user"] == "comite"
    assert "Carte des partenariats" in menu_labels(at)


@pytest.mark.usefixtures("with_users")
def test_a_funder_logging_in_lands_on_the_impact_page():
    at = app_test("app.py")
    submit_login(at, "CAF95", TEST_USERS["caf95"][1])
    assert not at.exception and title(at) == "Impact du projet"


@pytest.mark.usefixtures("with_users")
def test_repeated_failures_lock_the_name():
    at = app_test("app.py")
    for _ in range(4):
        submit_login(at, "enquetes", "pas-le-bon")
    assert "bloqué" in at.error[0].value
    submit_login(at, "enquetes", TEST_USERS["enquetes"][1])  # even the right password waits now
    assert "Trop d'essais manqués" in at.error[0].value and not at.metric


@pytest.mark.usefixtures("with_users")
def test_logout_ends_the_session():
    at = app_test("pages/2_Liens_par_territoire.py", PILOTAGE)
    assert title(at) == "Liens par territoire"
    at.sidebar.button(key="deconnexion").click().run()
    assert title(at) == "Passerelles" and [t.label for t in at.text_input] == ["Identifiant", "Mot de passe"]
    assert "_passerelles_user" not in at.session_state and "filters" not in at.session_state


def test_a_user_removed_from_the_secrets_is_logged_out(tmp_path, monkeypatch):
    secrets = write_users(tmp_path / "secrets.toml")
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = app_test("pages/4_Evolution.py", PILOTAGE)
    assert title(at).startswith("Évolution")
    write_users(secrets, {"caf95": TEST_USERS["caf95"]})
    at.run()
    assert title(at) == "Passerelles" and not at.get("plotly_chart")


def test_a_role_changed_in_the_secrets_applies_at_the_next_run(tmp_path, monkeypatch):
    secrets = write_users(tmp_path / "secrets.toml")
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = app_test("pages/1_Carte.py", PILOTAGE)
    assert title(at) == "Carte des partenariats"
    write_users(secrets, {"comite": ("financeur", "comite-mot-de-passe")})
    at.run()
    assert title(at) == "Accès réservé"


# --------------------------------------------------------------------------- open access (no users)


def test_without_users_the_demo_is_open_and_says_so():
    at = app_test("app.py")
    assert any("Démonstration — accès libre" in w.value for w in at.warning)
    assert menu_labels(at) == [p.label for p in pages_for(SAISIE)]
    at.sidebar.selectbox(key="voir_comme").set_value(FINANCEUR).run()
    assert title(at) == "Impact du projet"
    assert menu_labels(at) == [p.label for p in pages_for(FINANCEUR)]
    at.switch_page("pages/1_Carte.py").run()
    assert title(at) == "Accès réservé"


def test_without_users_a_real_data_set_is_refused(tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "vraies-donnees", small_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    at = app_test("app.py")
    assert any(f"`{folder}` n'est pas ouvert" in e.value for e in at.error)
    assert any("Données de démonstration" in i.value for i in at.info)  # the demo instead
    at.switch_page("pages/5_Saisie.py").run()
    assert "créez d'abord les comptes" in " ".join(m.value for m in at.markdown)
    assert not at.button  # no offer to create a data set that would not open


def test_with_users_the_real_data_set_opens(tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "vraies-donnees", small_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    monkeypatch.setenv("PASSERELLES_SECRETS", str(write_users(tmp_path / "secrets.toml")))
    at = app_test("app.py", PILOTAGE)
    assert not any("n'est pas ouvert" in e.value for e in at.error)
    assert not any("Données de démonstration" in i.value for i in at.info)
    assert any(str(folder) in c.value for c in at.caption)


# --------------------------------------------------------------------------- free text never reaches a funder


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", [p.script for p in pages_for(FINANCEUR)])
def test_a_funders_session_never_receives_free_text(script: str, free_texts: list[str]):
    received = page_bytes(app_test(script, FINANCEUR, vague="2019"))
    leaked = [text for text in free_texts if text.encode("utf-8") in received]
    assert not leaked, leaked[:3]


@pytest.mark.usefixtures("with_users")
def test_the_free_text_check_would_see_free_text(free_texts: list[str]):
    """The same check on the comité's Leviers et freins page does find the answers (it can fail)."""
    received = page_bytes(app_test("pages/3_Leviers_et_freins.py", PILOTAGE))
    assert sum(text.encode("utf-8") in received for text in free_texts) > 10


@pytest.mark.usefixtures("with_users")
def test_the_funders_leviers_page_has_no_per_link_list():
    pilotage = app_test("pages/3_Leviers_et_freins.py", PILOTAGE)
    funder = app_test("pages/3_Leviers_et_freins.py", FINANCEUR)
    assert "Paroles recueillies" in [t.label for t in pilotage.tabs]
    assert "Paroles recueillies" not in [t.label for t in funder.tabs]
    assert len(funder.dataframe) < len(pilotage.dataframe)  # the list of links whose sides disagree is gone
    assert not any("réservé au comité de pilotage" in m.value for m in funder.markdown)


def test_the_chart_tables_funders_download_hold_no_free_text(free_texts: list[str]):
    """The CSV and Excel behind every chart a funder sees (aggregates only)."""
    dataset = load_dataset(DEMO_DIR)
    view = apply_filters(dataset, Filters(wave="2019"))
    charts = {**link_charts(view), **lever_charts(view), **evolution_charts(apply_filters(dataset, Filters()))}
    tables = {name: chart.table for name, chart in charts.items() if hasattr(chart, "table")}
    assert len(tables) > 10
    exported = b"".join(to_csv_bytes(table) for table in tables.values()).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(to_xlsx_bytes({name[:31]: table for name, table in tables.items()})))
    exported += "\n".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                          for cell in row if cell is not None)
    assert "Ensemble" in exported  # the check reads the cells
    assert not [text for text in free_texts if text in exported]


@pytest.mark.usefixtures("with_users")
def test_the_reports_page_gives_funders_their_version_only():
    funder = app_test("pages/12_Rapports.py", FINANCEUR)
    assert not funder.toggle and any("Version financeurs" in i.value for i in funder.info)
    buttons = funder.get("download_button")
    assert [b.proto.label for b in buttons] == ["Fiche (PDF)", "Rapport (PDF)", "Tableaux (Excel)"]
    comite = app_test("pages/12_Rapports.py", PILOTAGE)
    assert [t.label for t in comite.toggle] == ["Version financeurs"] and comite.toggle[0].value is False
    def texts(at):
        return [e.value for e in [*at.markdown, *at.caption, *at.info]]

    assert any("python -m lib.cli" in text for text in texts(comite))  # the comité's administrator
    assert not any("python -m lib.cli" in text for text in texts(funder))  # never a command line for a funder
    # The territory and the wave are the sidebar's: chosen there, they are the documents' and stay in the URL.
    comite.multiselect(key="f_territoires").set_value(["Argenteuil"]).run()
    comite.selectbox(key="f_vague").set_value("2018").run()
    assert not comite.exception and any("Fiche territoire** · Argenteuil, vague 2018" in m.value
                                        for m in comite.markdown)
    assert comite.query_params["territoire"] in ("Argenteuil", ["Argenteuil"])
    assert any(text.startswith(":material/filter_alt: **Vague 2018 · Argenteuil · ") for text in texts(comite))



@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", ["pages/1_Carte.py", "pages/16_Fiche_structure.py"])
def test_a_search_run_after_the_logout_in_the_same_rerun_finds_the_session_whole(script: str):
    """A box's on_change and the logout's on_click run in the same rerun, in no set order (the browser's): here
    the logout's has run first (its mark is set), then the search's; it finds the session whole, and the run
    shows the login form, with nothing of the session left."""
    at = app_test(script, PILOTAGE)
    assert not at.exception
    next(t for t in at.text_input if t.label == "Chercher une structure").set_value("rosa")
    at.session_state[LOGOUT_KEY] = True
    at.run()
    assert not at.exception, at.exception
    assert title(at) == "Passerelles" and [t.label for t in at.text_input] == ["Identifiant", "Mot de passe"]
    assert "_passerelles_user" not in at.session_state and LOGOUT_KEY not in at.session_state
