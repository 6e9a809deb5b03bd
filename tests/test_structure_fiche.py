"""A structure's fiche (lib.structure_fiche) on the small hand-made data set of tests/conftest.py."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import load_dataset
from lib.filters import ALL_WAVES
from lib.metrics import SMALL_COUNT_NOTE, structure_card
from lib.structure_fiche import (WaveFigures, most_cited, network_lines, network_place, network_wave,
                                 structure_fiche, wave_network)

E1, E2, E3, E4 = uai(1), uai(2), uai(3), uai(4)


@pytest.fixture
def dataset(tmp_path):
    return load_dataset(write_tables(tmp_path / "jeu", small_tables()))


def fiche_of(dataset, structure_id, wave=ALL_WAVES):
    return structure_fiche(dataset.structures, dataset.reponses, structure_id, wave)


def test_identity_gives_the_epci_short_name_with_the_official_one_and_the_priority_areas(dataset):
    facts = {f.label: f for f in fiche_of(dataset, "CS-2").facts}
    assert facts["Type"].value == "Centre social" and facts["Commune"].value == "Cergy"
    assert facts["Intercommunalité"].value == "CA de Cergy-Pontoise"
    assert facts["Intercommunalité"].detail == "Communauté d'agglomération de Cergy-Pontoise"
    assert facts["Éducation prioritaire"].value == "non" and facts["Quartier prioritaire (QPV)"].value == "non"
    school = {f.label: f.value for f in fiche_of(dataset, E1).facts}
    assert school["Éducation prioritaire"] == "REP+" and school["Quartier prioritaire (QPV)"] == "QN09501"
    assert school["Type"] == "École élémentaire"


def test_the_partners_are_the_map_cards_own(dataset):
    fiche = fiche_of(dataset, "CS-1")
    assert fiche.card.partners == structure_card(dataset.structures, dataset.reponses, "CS-1").partners
    assert [(r.wave, r.partner_id) for r in fiche.card.partners] == [("2019", E1), ("2018", E1), ("2018", E2)]


def test_per_wave_links_answers_and_a_mean_quality_masked_under_five_answers(dataset):
    fiche = fiche_of(dataset, "CS-1")
    assert fiche.waves == (WaveFigures("2019", 1, 1, None), WaveFigures("2018", 2, 3, None))
    assert {w.quality_text for w in fiche.waves} == {SMALL_COUNT_NOTE}


def test_the_mean_quality_shows_from_five_answers(tmp_path):
    tables = small_tables()
    extra = tables["reponses"].iloc[[2, 2]].assign(reponse_id=["R7", "R8"], qualite=["1", "1"])
    tables["reponses"] = pd.concat([tables["reponses"], extra], ignore_index=True)
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    in_2018 = fiche_of(dataset, "CS-1").waves[1]
    assert (in_2018.links, in_2018.answers) == (2, 5)  # two more answers on a link already counted
    assert in_2018.quality == pytest.approx((4 + 2 + 3 + 1 + 1) / 5) and in_2018.quality_text == "2,2"


def test_leviers_and_freins_are_counted_once_per_link_most_cited_first():
    links = pd.DataFrame({"leviers": [["b", "a"], ["a"], ["c", "a"], ["b"]], "freins": [[], [], [], []]})
    cited = most_cited(links, "leviers", {"a": "Alpha", "b": "Bêta", "c": "Gamma"}, top=2)
    assert [(c.code, c.label, c.links) for c in cited] == [("a", "Alpha", 3), ("b", "Bêta", 2)]
    assert most_cited(links, "freins", {}) == ()


def test_leviers_follow_the_chosen_wave(tmp_path):
    tables = small_tables()
    tables["reponses"].loc[tables["reponses"]["vague"] == "2019", "leviers"] = "proximite"
    tables["reponses"].loc[tables["reponses"]["vague"] == "2019", "freins"] = "manque_temps"
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    every = fiche_of(dataset, "CS-1")
    assert [(c.code, c.links) for c in every.leviers] == [("interconnaissance", 2), ("proximite", 1)]
    in_2019 = fiche_of(dataset, "CS-1", "2019")
    assert [(c.label, c.links) for c in in_2019.leviers] == [("La proximité géographique", 1)]
    assert [c.code for c in in_2019.freins] == ["manque_temps"] and in_2019.cited_wave == "2019"


@pytest.mark.parametrize("forged", ["inconnu", "", "<script>alert(1)</script>", "CS-1' OR 1=1", "x" * 5000])
def test_an_unknown_or_forged_id_has_no_fiche(dataset, forged):
    assert fiche_of(dataset, forged) is None


def test_a_structure_without_links_has_an_empty_fiche(tmp_path):
    tables = small_tables()
    tables["reponses"] = tables["reponses"][tables["reponses"]["centre_id"] != "CS-2"]
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    fiche = fiche_of(dataset, "CS-2")
    assert fiche.waves == () and fiche.leviers == () and fiche.card.partners == ()


def test_network_place_partners_group_and_isolated_pair(dataset):
    assert network_wave(["2018", "2019"], ALL_WAVES) == "2019" and network_wave(["2018"], "2018") == "2018"
    assert network_wave([], ALL_WAVES) is None and network_wave(["2018"], "2030") is None
    figures = wave_network(dataset.reponses, "2018")  # E1–CS-1, E2–CS-1, E3–CS-2
    centre = network_place(figures, "CS-1", "2018")
    assert (centre.partners, centre.group_size, centre.isolated_pair) == (2, 3, False)
    pair = network_place(figures, "CS-2", "2018")
    assert pair.isolated_pair and pair.partners == 1
    assert network_lines(pair)[0].startswith("Vague 2018 : 1 partenaire(s)")
    assert "Paire isolée" in network_lines(pair)[1]
    assert network_lines(network_place(figures, E4, "2018")) == ("Vague 2018 : aucun lien recensé.",)
