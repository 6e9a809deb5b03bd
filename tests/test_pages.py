"""Every page runs under AppTest on the demo data; filters change what is shown."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test, small_tables, write_tables

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
STRUCTURES = pd.read_csv(ROOT / "data" / "demo" / "structures.csv", dtype=str)


pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_home_on_the_demo_says_it_is_the_demo():
    at = app_test()
    assert at.title[0].value == "Passerelles"
    assert any("Données de démonstration" in i.value for i in at.info)
    assert int(metric(at, "Établissements scolaires").replace("\u00a0", "")) > 1000
    assert metric(at, "Écoles avec un lien").endswith("%")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_leaves_the_shared_data_set_untouched(page):
    at = app_test()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title
    # The loader's cache hands the same object to every session: no page may change it.
    from lib.dataset import DEMO_DIR, load_dataset
    from lib.ui import current_dataset

    shared, fresh = current_dataset(), load_dataset(DEMO_DIR)
    for name in ("structures", "reponses", "rencontres", "participations"):
        pd.testing.assert_frame_equal(getattr(shared, name), getattr(fresh, name))
    # Nor the filtered view shared by every session (lib/ui/views.py): the page's own, from the cache.
    from lib.filters import apply_filters, default_filters
    from lib.ui.views import cached_view

    view, expected = cached_view(shared, default_filters(shared)), apply_filters(fresh, default_filters(fresh))
    for name in ("structures", "reponses", "schools"):
        pd.testing.assert_frame_equal(getattr(view, name), getattr(expected, name))


def test_wave_filter_changes_figures_and_url():
    at = app_test()
    latest_answers = metric(at, "Réponses")
    at.selectbox(key="f_vague").set_value("2017").run()
    assert metric(at, "Réponses") != latest_answers
    assert at.query_params["vague"] in ("2017", ["2017"])
    at.selectbox(key="f_vague").set_value("toutes").run()
    total = int(metric(at, "Réponses").replace("\u00a0", ""))
    assert total > int(latest_answers.replace("\u00a0", ""))


def test_territory_filter_from_a_shared_link():
    whole = app_test("app.py", vague="2018")
    one = app_test("app.py", vague="2018", territoire="Sarcelles")
    assert one.multiselect(key="f_territoires").value == ["Sarcelles"]
    assert int(metric(one, "Liens recensés").replace("\u00a0", "")) < int(
        metric(whole, "Liens recensés").replace("\u00a0", ""))


def test_level_change_clears_territories_and_lists_the_level_options():
    at = app_test("app.py", territoire="Cergy")
    at.selectbox(key="f_niveau").set_value("epci").run()
    assert at.multiselect(key="f_territoires").value == []
    assert "CA de Cergy-Pontoise" in at.multiselect(key="f_territoires").options  # the short name on screen
    assert "territoire" not in at.query_params


@pytest.mark.usefixtures("with_users")
def test_user_data_set_with_errors_shows_the_report(tmp_path, monkeypatch):
    tables = small_tables()
    tables["reponses"].loc[0, "qualite"] = "9"
    monkeypatch.setenv("PASSERELLES_DATA", str(write_tables(tmp_path / "jeu", tables)))
    at = app_test("app.py", "pilotage")
    assert not at.info or all("démonstration" not in i.value for i in at.info)
    assert any("1 erreur(s)" in w.value for w in at.warning)
    at.switch_page("pages/9_Controle_des_donnees.py").run()
    report = at.dataframe[0].value
    assert report.loc[0, ["fichier", "ligne", "colonne"]].tolist() == ["reponses.csv", 2, "qualite"]


@pytest.mark.usefixtures("with_users")
def test_empty_data_set_does_not_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("PASSERELLES_DATA", str(tmp_path / "nulle-part"))
    at = app_test("app.py", "pilotage")
    assert metric(at, "Liens recensés") == "0"
    at.switch_page("pages/9_Controle_des_donnees.py").run()
    assert not at.exception


def map_script(at: AppTest) -> str:
    components = at.get("component_instance")
    assert components and components[0].proto.component_name == "streamlit_folium.st_folium"
    return json.loads(components[0].proto.json_args)["script"]


def test_map_page_draws_the_demo_and_filters_change_its_layers():
    at = app_test()
    at.switch_page("pages/1_Carte.py").run()
    assert not at.exception
    script = map_script(at)
    assert script.count("var m = L.circleMarker") == 2  # one drawing routine per point layer (and a halo for brokers)
    all_schools = script.count('"095')  # demo school ids
    assert all_schools > 900
    at.multiselect(key="f_territoires").set_value(["Sarcelles"]).run()
    assert 0 < map_script(at).count('"095') < all_schools / 10
    assert at.query_params["territoire"] in ("Sarcelles", ["Sarcelles"])


def test_map_card_from_the_search_box_and_shared_link():
    at = app_test()
    at.switch_page("pages/1_Carte.py").run()
    at.text_input(key="carte_recherche").set_value("CS-95-001").run()
    assert any("Centre social Les Sources" in s.value for s in at.subheader)
    assert at.query_params["structure"] in ("CS-95-001", ["CS-95-001"])
    # The partners, one a line per wave (no wide table), and a link to the structure's fiche page.
    assert not at.dataframe
    partners = next(h.proto.body for h in at.get("html") if "passerelles-partners" in h.proto.body)
    assert partners.count("<li class='partner'>") >= 12
    assert all(f"<h4>Vague {wave} · " in partners for wave in ("2017", "2018", "2019"))
    assert partners.count("Qualité") >= 12 and partners.count("Fréquence : ") >= 12
    fiche = [link.proto for link in at.get("page_link") if link.proto.label == "Fiche complète"]
    assert len(fiche) == 1 and fiche[0].page == "Fiche_structure" and "structure=CS-95-001" in fiche[0].query_string

    shared = app_test("pages/1_Carte.py", structure="CS-95-001", indicateur="qualite", fond="aucun")
    assert not shared.exception
    assert shared.selectbox(key="url_indicateur").value == "qualite"
    assert "basemaps.cartocdn.com" not in map_script(shared)


def test_the_search_forgives_accents_and_typos_opens_the_card_and_centres_the_map():
    at = app_test()
    at.switch_page("pages/1_Carte.py").run()
    at.text_input(key="carte_recherche").set_value("colege rosa").run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Collège Rosa Parks (démo)"]
    rosa = STRUCTURES[STRUCTURES["nom"] == "Collège Rosa Parks (démo)"].iloc[0]
    sent = json.loads(at.get("component_instance")[0].proto.json_args)
    assert sent["zoom"] == 15 and sent["center"] == [float(rosa["latitude"]), float(rosa["longitude"])]
    assert at.query_params["structure"] in (rosa["id"], [rosa["id"]])

    at.text_input(key="carte_recherche").set_value("zzzz qqqq").run()
    assert any("Aucune structure ne correspond à « zzzz qqqq »" in w.value for w in at.warning)


def test_a_shared_view_reopens_at_its_zoom_and_centre_and_a_forged_one_is_ignored():
    shared = app_test("pages/1_Carte.py", zoom="13.5", centre="49.0,2.25")
    sent = json.loads(shared.get("component_instance")[0].proto.json_args)
    assert sent["zoom"] == 13.5 and sent["center"] == [49.0, 2.25]
    forged = app_test("pages/1_Carte.py", zoom="<script>", centre="91,0")
    assert not forged.exception
    sent = json.loads(forged.get("component_instance")[0].proto.json_args)
    assert sent["zoom"] is None and sent["center"] is None


def test_answer_filters_in_the_sidebar_change_the_figures():
    at = app_test("app.py", vague="toutes")
    everything = metric(at, "Réponses")
    at.multiselect(key="f_qualites").set_value(["4"]).run()
    assert int(metric(at, "Réponses").replace("\u00a0", "")) < int(everything.replace("\u00a0", ""))
    assert at.query_params["qualite"] in ("4", ["4"])
