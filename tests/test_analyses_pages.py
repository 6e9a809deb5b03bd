"""The analysis pages under AppTest on the demo: they run, and the sidebar filters change the figures' data."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test, small_tables, write_tables

LINKS, LEVERS, EVOLUTION = "pages/2_Liens_par_territoire.py", "pages/3_Leviers_et_freins.py", "pages/4_Evolution.py"


pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titled(at: AppTest, start: str) -> dict:
    found = [f for f in figures(at) if f["layout"]["title"]["text"].startswith(f"<b>{start}")]
    assert len(found) == 1, [f["layout"]["title"]["text"] for f in figures(at)]
    return found[0]


def rows(figure: dict) -> list[str]:
    return figure["data"][0]["y"]


@pytest.mark.parametrize("page, count", [(LINKS, 7), (LEVERS, 7), (EVOLUTION, 5)])
def test_each_page_draws_its_charts_with_their_data_on_the_demo(page, count):
    at = app_test(page)
    assert len(at.get("plotly_chart")) == count
    assert all(f["data"] for f in figures(at))
    assert len(at.get("download_button")) >= 2 * count  # CSV and Excel under each chart
    assert any(e.label.startswith("Voir les données") for e in at.expander)


def test_links_page_follows_the_wave_and_territory_filters():
    at = app_test(LINKS)
    before = titled(at, "À quel rythme")
    at.selectbox(key="f_vague").set_value("2017").run()
    after = titled(at, "À quel rythme")
    assert after["data"] != before["data"]
    assert "vague 2017" in after["layout"]["title"]["subtitle"]["text"]
    at.multiselect(key="f_territoires").set_value(["Cergy", "Sarcelles"]).run()
    shown = rows(titled(at, "À quel rythme"))
    assert shown[0] == "<b>Ensemble</b>" and sorted(shown[1:]) == ["Cergy", "Sarcelles"]
    assert at.query_params["territoire"] == ["Cergy", "Sarcelles"]


def test_levers_page_follows_the_wave_and_territory_filters():
    at = app_test(LEVERS, vague="2019")
    before = titled(at, "Écoles et centres sociaux citent-ils les mêmes leviers")
    at.selectbox(key="f_vague").set_value("2018").run()
    assert titled(at, "Écoles et centres sociaux citent-ils les mêmes leviers")["data"] != before["data"]
    at.selectbox(key="f_niveau").set_value("epci").run()
    everywhere = titled(at, "Les leviers cités diffèrent-ils")
    assert len(everywhere["data"][0]["x"]) >= 6
    at.multiselect(key="f_territoires").set_value(["Communauté d'agglomération de Cergy-Pontoise"]).run()
    one = titled(at, "Les leviers cités diffèrent-ils")
    # Column labels are wrapped (« CA de Cergy-<br>Pontoise<br>(n = 135) »): unwrap them to read the name.
    names = [x.rsplit("<br>(n", 1)[0].replace("-<br>", "-").replace("<br>", " ") for x in one["data"][0]["x"]]
    assert names == ["CA de Cergy-Pontoise"]


def test_evolution_page_follows_the_territory_filter_and_compares_the_chosen_wave():
    at = app_test(EVOLUTION)
    links = titled(at, "Combien de liens chaque vague")
    assert [d["name"] for d in links["data"]] == ["Vague 2017", "Vague 2018", "Vague 2019"]
    assert titled(at, "Quels liens sont apparus")["layout"]["title"]["text"].endswith("entre 2018 et 2019 ?</b>")
    at.multiselect(key="f_territoires").set_value(["Sarcelles"]).run()
    assert rows(titled(at, "Combien de liens chaque vague")) == ["Sarcelles"]
    at.selectbox(key="f_vague").set_value("2018").run()
    assert titled(at, "Quels liens sont apparus")["layout"]["title"]["text"].endswith("entre 2017 et 2018 ?</b>")
    at.selectbox(key="f_vague").set_value("2019").run()
    at.selectbox(key="url_depuis").set_value("2017").run()
    assert titled(at, "Quels liens sont apparus")["layout"]["title"]["text"].endswith("entre 2017 et 2019 ?</b>")
    assert at.query_params["depuis"] in ("2017", ["2017"])


@pytest.mark.parametrize("page", [LINKS, LEVERS, EVOLUTION])
def test_an_empty_selection_says_why_instead_of_crashing(page):
    # Arronville has schools, none of them ever answered.
    at = app_test(page, vague="2019", territoire="Arronville")
    assert not at.get("plotly_chart")
    assert any(i.value.startswith("Rien à afficher : aucune réponse ne correspond aux filtres choisis")
               and "Arronville" in i.value for i in at.info)


@pytest.mark.usefixtures("with_users")
def test_evolution_with_a_single_wave_says_there_is_nothing_to_compare(tmp_path, monkeypatch):
    tables = small_tables()
    tables["reponses"] = tables["reponses"][tables["reponses"]["vague"] == "2018"]
    monkeypatch.setenv("PASSERELLES_DATA", str(write_tables(tmp_path / "jeu", tables)))
    at = app_test(EVOLUTION, "pilotage")
    assert len(at.get("plotly_chart")) == 4  # the indicators, all under the small-count rule or counts
    assert any(i.value.startswith("Rien à comparer : une seule vague") for i in at.info)


@pytest.mark.usefixtures("with_users")
def test_free_text_and_per_link_lists_follow_the_access_rule():
    at = app_test(LEVERS, "pilotage", vague="2019")
    assert [t.label for t in at.tabs] == ["Leviers", "Freins", "Regards croisés", "Paroles recueillies"]
    texts = at.dataframe[-1].value
    assert {"Ressources", "Outils", "Pistes", "Commentaire"} <= set(texts.columns)
    everything = len(texts)
    at.text_input(key="paroles_recherche").set_value("parents relais").run()
    found = at.dataframe[-1].value
    assert 0 < len(found) < everything
    words = found.apply(lambda row: " ".join(map(str, row)).lower(), axis=1)
    assert (words.str.contains("parents") & words.str.contains("relais")).all()
    assert any("réservé au comité de pilotage" in m.value for m in at.markdown)

    funder = app_test(LEVERS, "financeur", vague="2019")
    assert [t.label for t in funder.tabs] == ["Leviers", "Freins", "Regards croisés"]
    shown = " ".join(" ".join(map(str, d.value.columns)) for d in funder.dataframe)
    assert "Commentaire" not in shown and "Qualité selon l'école" not in shown
    assert not any("réservé au comité de pilotage" in m.value for m in funder.markdown)


def test_the_benchmark_data_set_loads_as_written(tmp_path):
    """``bench charts`` writes its synthetic data set to CSV for the app: it must load whole and clean."""
    from lib.bench import synthetic_dataset, write_dataset_csv
    from lib.dataset import load_dataset

    made = synthetic_dataset(schools=300, centres=20, answers=600)
    loaded = load_dataset(write_dataset_csv(made, tmp_path / "national"))
    assert len(loaded.reponses) == 600 and len(loaded.structures) == 320
    # Some scattered points fall outside the département (placed at the town hall): no row is lost.
    assert {p.column for p in loaded.errors} <= {"latitude"}
    assert loaded.reponses["formes"].map(len).sum() == made.reponses["formes"].map(len).sum()
    assert set(loaded.waves) == {"2017", "2018", "2019"}
