"""Filters (and their URL form) and the link aggregation, on hand-computed data."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import load_dataset
from lib.filters import (ALL_WAVES, Filters, apply_filters, available_levels, default_filters, filters_from_query,
                         filters_to_query, with_level)
from lib.metrics import aggregate_links, key_figures


@pytest.fixture
def dataset(small_dataset):
    return load_dataset(small_dataset)


def test_defaults_are_the_latest_wave_by_commune(dataset):
    assert default_filters(dataset) == Filters(wave="2019", level="commune")
    assert "territoire" not in available_levels(dataset)  # no territoires.csv


def test_url_round_trip_and_defaults_left_out(dataset):
    filters = Filters(wave="2018", level="epci", territories=("Communauté d'agglomération de Cergy-Pontoise",),
                      types=("college", "centre_social"))
    query = filters_to_query(filters, dataset)
    assert query == {"vague": "2018", "niveau": "epci", "territoire": ["Communauté d'agglomération de Cergy-Pontoise"],
                     "type": ["college", "centre_social"]}
    assert filters_from_query(query, dataset) == filters
    assert filters_to_query(default_filters(dataset), dataset) == {}


def test_foreign_or_stale_url_values_fall_back_to_defaults(dataset):
    query = {"vague": ["1999"], "niveau": ["galaxie"], "territoire": ["Paris"], "type": ["ovni", "lycee"]}
    assert filters_from_query(query, dataset) == Filters(wave="2019", level="commune", types=("lycee",))
    assert filters_from_query({"vague": "toutes"}, dataset).wave == ALL_WAVES


def test_changing_level_forgets_territories():
    f = Filters(level="commune", territories=("Cergy",))
    assert with_level(f, "epci").territories == ()
    assert with_level(f, "commune") is f


def test_wave_and_territory_filters(dataset):
    view = apply_filters(dataset, Filters(wave="2018"))
    assert sorted(view.reponses["reponse_id"]) == ["R1", "R2", "R3", "R4"]
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, territories=("Argenteuil",)))
    assert sorted(view.reponses["reponse_id"]) == ["R1", "R2", "R3", "R5"]
    assert set(view.schools["id"]) == {uai(1), uai(2)}
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, level="education_prioritaire", territories=("REP+",)))
    assert sorted(view.reponses["reponse_id"]) == ["R1", "R2", "R5", "R6"]


def test_centres_outside_the_territory_still_show_with_their_schools(dataset):
    # E4 is in Sarcelles, its partner CS-2 in Cergy
    view = apply_filters(dataset, Filters(wave="2019", territories=("Sarcelles",)))
    assert set(view.structures["id"]) == {uai(4), "CS-2"}


def test_type_filter_works_per_family(dataset):
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, types=("college",)))
    assert view.reponses["reponse_id"].tolist() == ["R4"]
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, types=("espace_vie_sociale",)))
    assert view.reponses.empty and len(view.schools) == 4
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, types=("centre_social",)))
    assert len(view.reponses) == 6


def test_links_combine_both_sides(dataset):
    links = aggregate_links(dataset.reponses).set_index(["vague", "ecole_id", "centre_id"])
    assert len(links) == 5
    both = links.loc[("2018", uai(1), "CS-1")]
    assert both["n_reponses"] == 2 and both["deux_cotes"]
    assert both["qualite"] == 3.0 and both["qualite_ecole"] == 4.0 and both["qualite_centre"] == 2.0
    assert both["ecart_perception"] == 2.0
    assert both["frequence"] == "hebdomadaire"  # the highest of hebdomadaire and mensuelle
    assert both["formes"] == ["clas", "parentalite", "fetes"]  # union, in questionnaire order
    single = links.loc[("2018", uai(3), "CS-2")]
    assert not single["deux_cotes"] and pd.isna(single["ecart_perception"]) and single["qualite_centre"] == 1.0


def test_links_of_nothing_is_an_empty_table(dataset):
    empty = aggregate_links(dataset.reponses.iloc[0:0])
    assert empty.empty and "ecart_perception" in empty.columns


def test_key_figures(dataset):
    figures = key_figures(apply_filters(dataset, Filters(wave="2018")))
    assert (figures.schools, figures.centres, figures.answers, figures.links, figures.waves) == (4, 2, 4, 3, 1)
    assert figures.schools_linked == 3 and figures.share_schools_linked == 0.75
    figures = key_figures(apply_filters(dataset, Filters(wave=ALL_WAVES)))
    assert figures.links == 5 and figures.schools_linked == 4 and figures.waves == 2


def test_key_figures_of_an_empty_view(tmp_path):
    tables = small_tables()
    tables["reponses"] = tables["reponses"].iloc[0:0]
    dataset = load_dataset(write_tables(tmp_path / "vide", tables))
    figures = key_figures(apply_filters(dataset, default_filters(dataset)))
    assert figures.links == 0 and figures.share_schools_linked == 0.0


def test_answer_filters_on_forms_frequency_and_quality(dataset):
    def kept(**chosen):
        return sorted(apply_filters(dataset, Filters(wave=ALL_WAVES, **chosen)).reponses["reponse_id"])
    assert kept(forms=("parentalite",)) == ["R2"]
    assert kept(forms=("parentalite", "fetes")) == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert kept(frequencies=("ponctuelle", "hebdomadaire")) == ["R1", "R4"]
    assert kept(qualities=("4",)) == ["R1", "R6"]
    assert kept(qualities=("1", "2"), forms=("clas",)) == ["R4"]


def test_answer_filters_travel_in_the_url(dataset):
    filters = Filters(wave="2018", forms=("clas",), frequencies=("mensuelle",), qualities=("3", "4"))
    query = filters_to_query(filters, dataset)
    assert query["forme"] == ["clas"] and query["qualite"] == ["3", "4"]
    assert filters_from_query(query, dataset) == filters
    assert filters_from_query({"forme": ["inconnue"], "qualite": ["9"]}, dataset).forms == ()


# --------------------------------------------------------------------------- the page's one line


def test_view_line_says_wave_territory_and_links_in_one_line():
    from lib.filters import view_line

    val_parisis = Filters(wave="2019", level="epci", territories=("Communauté d'agglomération Val Parisis",))
    assert view_line(val_parisis, "Val-d'Oise", 412) == "Vague 2019 · CA Val Parisis · 412 liens"
    assert view_line(Filters(), "Val-d'Oise", 1) == "Toutes les vagues · tout le Val-d'Oise · 1 lien"
    assert view_line(Filters(wave="2018"), "Val-d'Oise", 12345) == "Vague 2018 · tout le Val-d'Oise · 12\u00a0345 liens"
    many = Filters(wave="2017", territories=("Cergy", "Pontoise", "Osny"), types=("college",), qualities=("1",))
    assert view_line(many, "Val-d'Oise", 0) == "Vague 2017 · 3 communes · Collège · réponses filtrées · 0 lien"
    # A funder's page: no count outside lib/secrecy.py; a page the wave does not apply to.
    assert view_line(val_parisis, "Val-d'Oise") == "Vague 2019 · CA Val Parisis"
    assert view_line(val_parisis, "Val-d'Oise", with_wave=False) == "CA Val Parisis"
    assert view_line(Filters(), "Val-d'Oise", with_wave=False) == "Tout le Val-d'Oise"
    assert "\n" not in view_line(many, "Val-d'Oise", 3)


def test_one_short_epci_name_on_screen_the_long_one_stays_in_the_data():
    from lib.charts.layout import short_territory
    from lib.reports import short_epci
    from lib.territories import short_territory_name

    long = "Communauté d'agglomération Val Parisis"
    assert short_territory_name(long) == short_epci(long) == short_territory(long) == "CA Val Parisis"
    assert short_territory_name("Communauté de communes du Vexin-Val de Seine") == "CC du Vexin-Val de Seine"
    assert short_territory_name("Argenteuil") == "Argenteuil"
    assert short_territory("<b>Secteur</b>") == "&lt;b&gt;Secteur&lt;/b&gt;"  # plotly reads HTML: escaped there only


def test_the_view_line_names_the_whole_departement_with_its_article():
    from lib.filters import view_line

    assert view_line(Filters(), "Seine-Saint-Denis", 3, tncc="3") == \
        "Toutes les vagues · toute la Seine-Saint-Denis · 3 liens"
    assert view_line(Filters(), "La Réunion", with_wave=False, tncc="0") == "L'ensemble de La Réunion"
    assert view_line(Filters(), "Essonne", 1, tncc="5") == "Toutes les vagues · l'ensemble de l'Essonne · 1 lien"
