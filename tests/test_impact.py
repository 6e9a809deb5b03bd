"""The funders' impact figures: hand-computed on the small data set; the page shows them; the PDF says the same."""

from __future__ import annotations

import io

import pytest

from conftest import app_test, small_tables, write_tables
from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import Filters, apply_filters
from lib.impact import count_of, headlines, impact_by_wave, impact_for, meetings_of_wave, wave_year





@pytest.fixture
def small(tmp_path):
    return load_dataset(write_tables(tmp_path / "jeu", small_tables()))


def test_figures_per_wave_by_hand(small):
    table = impact_for(small, Filters()).set_index("vague")
    w18, w19 = table.loc["2018"], table.loc["2019"]
    # 2018: R1–R4 answered by E1, CS-1, E2, CS-2 about E1–CS-1, E2–CS-1, E3–CS-2.
    assert (w18["structures_enquetees"], w18["ecoles_enquetees"], w18["centres_enquetes"]) == (4, 2, 2)
    assert (w18["liens"], w18["ecoles"], w18["ecoles_liees"]) == (3, 4, 3)
    assert w18["part_ecoles_liees"] == pytest.approx(0.75)
    assert (w18["ecoles_ep"], w18["ecoles_ep_liees"]) == (3, 2)  # E1 REP+, E2 REP, E4 REP+
    # Link means: E1–CS-1 (4+2)/2 = 3, E2–CS-1 3, E3–CS-2 1: two of three satisfying, but only 4 ratings.
    assert (w18["liens_notes"], w18["liens_satisfaisants"], w18["reponses_notees"]) == (3, 2, 4)
    assert w18["masque_qualite"] and w18["part_satisfaisants"] != w18["part_satisfaisants"]  # NaN: masked
    # The 5 June 2018 meeting: CS-1 and E1.
    assert (w18["rencontres"], w18["structures_rencontres"]) == (1, 2)
    # 2019: R5 E1–CS-1, R6 E4–CS-2.
    assert (w19["liens"], w19["ecoles_liees"], w19["ecoles_ep_liees"], w19["rencontres"]) == (2, 2, 2, 0)


def test_headlines_with_their_change(small):
    found = {h.code: h for h in headlines(impact_for(small, Filters()), "2019")}
    assert found["liens"].value == "2" and found["liens"].delta == "−1 depuis 2018"
    assert found["liens"].direction == -1 and found["liens"].detail == "2 réponses"
    linked = found["part_ecoles_liees"]
    assert linked.value == "50,0\u00a0%" and linked.delta == "−25,0\u00a0points depuis 2018"
    assert linked.detail == "2 sur 4 établissements"
    assert found["part_ep_liees"].delta == "stable depuis 2018"
    assert found["part_satisfaisants"].value == "moins de 5 réponses"
    assert found["part_satisfaisants"].delta == "pas de comparaison avec 2018"
    assert found["structures_rencontres"].detail == "présentes à 0 séance de l'année"
    first = {h.code: h for h in headlines(impact_for(small, Filters()), "2018")}
    assert first["liens"].delta is None and first["liens"].direction == 0
    assert headlines(impact_for(small, Filters()), "2030") == []


def test_a_territory_counts_its_own_structures_and_meetings(small):
    sarcelles = {h.code: h for h in headlines(impact_for(small, Filters(territories=("Sarcelles",))), "2019")}
    assert sarcelles["part_ecoles_liees"].detail == "1 sur 1 établissement"
    argenteuil = impact_for(small, Filters(territories=("Argenteuil",))).set_index("vague")
    assert argenteuil.loc["2018", "structures_rencontres"] == 2 and argenteuil.loc["2018", "rencontres"] == 1


def test_waves_and_meetings():
    assert wave_year("2018") == 2018 and wave_year("2018-2019") == 2018 and wave_year("printemps") is None
    assert wave_year("vague 12345") is None
    meetings = load_dataset(DEMO_DIR).rencontres
    assert len(meetings_of_wave(meetings, "2019")) == 7 and meetings_of_wave(meetings, "pilote").empty
    assert count_of(1, "séance") == "1 séance" and count_of(0, "séance") == "0 séance"
    assert count_of(1234, "lien évalué", "liens évalués") == "1\u00a0234 liens évalués"


@pytest.mark.usefixtures("fresh_app", "with_users")
def test_the_impact_page_shows_the_headlines_and_the_pdf_says_the_same():
    import pypdfium2

    from lib.reports import fiche_pdf, resolve_scope

    at = app_test("pages/10_Impact.py", "financeur", vague="2019")
    shown = {m.label: m.value for m in at.metric}
    dataset = load_dataset(DEMO_DIR)
    expected = headlines(impact_for(dataset, Filters()), "2019")
    assert shown == {h.label: h.value for h in expected}
    assert at.subheader[0].value == "Vague 2019, comparée à la vague 2018"
    assert len(at.get("plotly_chart")) == 4 and "Méthode" in " ".join(m.value for m in at.markdown)

    pdf = pypdfium2.PdfDocument(io.BytesIO(fiche_pdf(dataset, resolve_scope(dataset, None), "2019", False)))
    text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for label, value in shown.items():
        assert label in text and value.replace("\u00a0", " ") in text, (label, value)
