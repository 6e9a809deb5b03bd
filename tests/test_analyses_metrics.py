"""The analyses' aggregations (lib/metrics.py, section « analyses ») on small hand-computed data sets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.metrics import (MIN_ANSWERS, OVERALL, aggregate_links, coverage_by_group, free_text_answers,
                         frequency_by_group, gap_distribution, indicators_by_territory, indicators_by_wave,
                         lever_analyses, link_analyses, link_changes, link_summary, perception_gaps, quality_by_group,
                         search_answers, share_citing, suppress_small_counts)
from lib.questionnaire import load_questionnaire

E1, E2, E3, E4 = uai(1), uai(2), uai(3), uai(4)


def typed_answers(rows: list[dict]) -> pd.DataFrame:
    """Answers typed as the loader types them, from short dicts (missing fields empty)."""
    q = load_questionnaire()
    frame = pd.DataFrame([{"reponse_id": f"R{i}", "vague": "2019", "formes": "", "objets": "", "leviers": "",
                           "freins": "", "frequence": None, "qualite": None, **row} for i, row in enumerate(rows)])
    for column in ("formes", "objets", "leviers", "freins"):
        frame[column] = frame[column].map(lambda v: [c for c in v.split(";") if c])
    frame["frequence"] = pd.Categorical(frame["frequence"], dtype=q["frequences"].dtype())
    frame["qualite"] = frame["qualite"].astype("Int64")
    return frame


# Argenteuil: four links, six answers; L1 = E1–C1 and L2 = E2–C1 answered by both sides.
# Cergy: one link answered by both sides (two answers: under the small-count rule).
ARGENTEUIL_AND_CERGY = [
    dict(ecole_id=E1, centre_id="C1", cote="ecole", formes="clas;fetes", frequence="mensuelle", qualite=4,
         leviers="interconnaissance"),
    dict(ecole_id=E1, centre_id="C1", cote="centre", formes="parentalite", frequence="hebdomadaire", qualite=2,
         leviers="interconnaissance;projet_commun", freins="manque_temps"),
    dict(ecole_id=E2, centre_id="C1", cote="ecole", formes="clas", frequence="ponctuelle", qualite=3,
         freins="manque_temps"),
    dict(ecole_id=E2, centre_id="C2", cote="ecole", formes="fetes", qualite=3, leviers="personne_relais"),
    dict(ecole_id=E1, centre_id="C2", cote="centre", frequence="trimestrielle", qualite=1, freins="calendriers"),
    dict(ecole_id=E2, centre_id="C1", cote="centre", formes="clas;parentalite", frequence="mensuelle", qualite=4,
         leviers="projet_commun"),
    dict(ecole_id=E3, centre_id="C2", cote="ecole", formes="clas", frequence="hebdomadaire", qualite=2),
    dict(ecole_id=E3, centre_id="C2", cote="centre", formes="clas", frequence="mensuelle", qualite=3),
]
TOWN = {E1: "Argenteuil", E2: "Argenteuil", E3: "Cergy"}


@pytest.fixture
def answers() -> pd.DataFrame:
    return typed_answers(ARGENTEUIL_AND_CERGY)


def towns(answers: pd.DataFrame) -> pd.Series:
    return answers["ecole_id"].map(TOWN).astype(object)


def cell(table: pd.DataFrame, group: str, code: str) -> pd.Series:
    rows = table[(table["groupe"] == group) & (table["code"] == code)]
    assert len(rows) == 1, (group, code)
    return rows.iloc[0]


# --------------------------------------------------------------------------- the small-count rule


def test_small_count_rule_blanks_values_below_five_answers_and_keeps_the_rest():
    table = pd.DataFrame({"groupe": ["a", "b", "c", "d"], "reponses": [4, MIN_ANSWERS, 0, 12],
                          "part": [0.5, 0.25, np.nan, 0.1], "n": [2, 1, 0, 3],
                          "masque": [False, False, False, True]})
    out = suppress_small_counts(table, ["part", "n"])
    assert out["masque"].tolist() == [True, False, True, True]  # a row already masked stays masked
    assert out["part"].isna().tolist() == [True, False, True, True]
    assert out.loc[1, "part"] == 0.25 and out.loc[1, "n"] == 1
    assert out["reponses"].tolist() == [4, 5, 0, 12]  # the count itself stays visible
    assert table.loc[0, "part"] == 0.5  # the input is not modified


# --------------------------------------------------------------------------- shares of multi-valued answers


def test_forms_share_of_links_counts_a_link_once_whichever_side_names_the_form(answers):
    table = share_citing(answers, "formes", towns(answers), by_link=True)
    # Argenteuil's links with a form: L1 {clas, fetes, parentalite}, L2 {clas, parentalite}, L3 {fetes};
    # L4 (E1–C2) names none and is not in the base. Five answers name a form.
    clas = cell(table, "Argenteuil", "clas")
    assert (clas["n"], clas["base"], clas["reponses"], clas["masque"]) == (2, 3, 5, False)
    assert clas["part"] == pytest.approx(2 / 3)
    assert cell(table, "Argenteuil", "parentalite")["n"] == 2  # L1 through its centre, L2 through both sides
    assert cell(table, "Argenteuil", "periscolaire")["part"] == 0
    # Cergy: one link, two answers: counted, then blanked by the rule.
    cergy = cell(table, "Cergy", "clas")
    assert (cergy["base"], cergy["reponses"], cergy["masque"]) == (1, 2, True)
    assert math.isnan(cergy["part"]) and math.isnan(cergy["n"])
    assert table["code"].drop_duplicates().tolist() == load_questionnaire()["formes"].codes


def test_forms_of_all_links_together(answers):
    overall = pd.Series(OVERALL, index=answers.index, dtype=object)
    table = share_citing(answers, "formes", overall, by_link=True)
    assert cell(table, OVERALL, "clas")[["n", "base", "reponses"]].tolist() == [3, 4, 7]
    assert cell(table, OVERALL, "fetes")["part"] == pytest.approx(2 / 4)


def test_leviers_share_of_answers_by_side_with_an_empty_group_and_answers_without_group(answers):
    sides = answers["cote"].map({"ecole": "école", "centre": "centre"}).astype(object)
    sides[6] = None  # an answer without a group is left out
    table = share_citing(answers, "leviers", sides)
    # École side: R0 (interconnaissance), R3 (personne_relais) name a levier; R2 names none.
    ecole = cell(table, "école", "interconnaissance")
    assert (ecole["base"], ecole["reponses"], ecole["masque"]) == (2, 2, True)
    centre = table[table["groupe"] == "centre"]
    assert centre["base"].iloc[0] == 2  # R1 and R5; R4 and R7 name no levier
    # A group whose answers never answer the question: base 0, no share, masked.
    groups = pd.Series(["x"] * 4 + ["y"] * 4, index=answers.index, dtype=object)
    quiet = answers.assign(leviers=[["interconnaissance"]] * 4 + [[]] * 4)
    table = share_citing(quiet, "leviers", groups)
    y = cell(table, "y", "interconnaissance")
    assert y["base"] == 0 and y["reponses"] == 0 and y["masque"] and math.isnan(y["part"])


def test_shares_are_shown_from_five_answers(answers):
    five = typed_answers([dict(ecole_id=E1, centre_id=f"C{i}", cote="ecole", leviers="proximite") for i in range(5)])
    table = share_citing(five, "leviers", pd.Series("g", index=five.index, dtype=object))
    row = cell(table, "g", "proximite")
    assert not row["masque"] and row["part"] == 1.0
    four = five.iloc[:4]
    assert cell(share_citing(four, "leviers", pd.Series("g", index=four.index, dtype=object)), "g",
                "proximite")["masque"]


def test_nothing_to_share():
    empty = typed_answers(ARGENTEUIL_AND_CERGY).iloc[0:0]
    table = share_citing(empty, "formes", pd.Series(dtype=object), by_link=True)
    assert table.empty and {"groupe", "code", "part", "masque"} <= set(table.columns)


# --------------------------------------------------------------------------- frequency and quality


def test_frequency_is_each_link_highest_and_links_without_one_are_left_out(answers):
    table = frequency_by_group(answers, towns(answers))
    # L1: mensuelle and hebdomadaire → hebdomadaire; L2: ponctuelle, mensuelle → mensuelle;
    # L3 has none (left out); L4: trimestrielle.
    got = {code: cell(table, "Argenteuil", code)["n"] for code in load_questionnaire()["frequences"].codes}
    assert got == {"ponctuelle": 0, "trimestrielle": 1, "mensuelle": 1, "hebdomadaire": 1}
    row = cell(table, "Argenteuil", "hebdomadaire")
    assert (row["base"], row["reponses"]) == (3, 5) and row["part"] == pytest.approx(1 / 3)
    assert cell(table, "Cergy", "hebdomadaire")["masque"]


def test_quality_counts_every_answer_with_its_mean(answers):
    table = quality_by_group(answers, towns(answers))
    counts = [cell(table, "Argenteuil", code)["n"] for code in "1234"]
    assert counts == [1, 1, 2, 2]
    assert cell(table, "Argenteuil", "4")["part"] == pytest.approx(2 / 6)
    assert cell(table, "Argenteuil", "1")["moyenne"] == pytest.approx(17 / 6)
    cergy = cell(table, "Cergy", "3")
    assert cergy["masque"] and math.isnan(cergy["moyenne"]) and cergy["base"] == 2


def test_link_summary_is_aggregate_links_without_the_lists():
    dataset = load_dataset(DEMO_DIR)
    fast = link_summary(dataset.reponses).sort_values(["vague", "ecole_id", "centre_id"], ignore_index=True)
    slow = aggregate_links(dataset.reponses, with_codes=False)
    assert len(fast) == len(slow) > 1000
    for column in ("vague", "ecole_id", "centre_id", "n_reponses", "deux_cotes"):
        assert fast[column].tolist() == slow[column].tolist(), column
    for column in ("qualite", "qualite_ecole", "qualite_centre", "ecart_perception"):
        np.testing.assert_allclose(fast[column].to_numpy(float), slow[column].astype(float).to_numpy(), equal_nan=True)
    assert fast["frequence"].astype(object).tolist() == slow["frequence"].astype(object).tolist()


# --------------------------------------------------------------------------- views of a data set


@pytest.fixture
def small(small_dataset):
    return load_dataset(small_dataset)


def test_coverage_by_territory_and_education_prioritaire(small):
    view = apply_filters(small, Filters(wave="2018"))
    table = coverage_by_group(view, "commune").set_index(["groupe", "groupe_ep"])
    # 2018: E1 (Argenteuil, REP+), E2 (Argenteuil, REP), E3 (Cergy, hors EP) have a link; E4 (Sarcelles, REP+) none.
    assert table.loc[("Argenteuil", OVERALL), ["ecoles", "ecoles_liees"]].tolist() == [2, 2]
    assert table.loc[("Sarcelles", "REP+"), "couverture"] == 0
    assert table.loc[(OVERALL, "REP+"), ["ecoles", "ecoles_liees"]].tolist() == [2, 1]
    assert table.loc[(OVERALL, OVERALL), "couverture"] == 0.75
    assert ("Cergy", "REP") not in table.index  # no REP school there: no row rather than 0 out of 0


def test_perception_gap_is_school_minus_centre_and_its_distribution_follows_the_rule(small):
    view = apply_filters(small, Filters(wave="2018"))
    gaps = perception_gaps(view, "commune")
    assert len(gaps) == 1  # only E1–CS-1 is rated by both sides
    row = gaps.iloc[0]
    assert (row["ecole_id"], row["groupe"], row["ecart"], row["n_reponses"]) == (E1, "Argenteuil", 2.0, 2)
    distribution = gap_distribution(gaps)
    assert distribution["ecart"].tolist() == [x / 2 for x in range(-6, 7)]
    assert distribution["masque"].all() and distribution["n"].isna().all()  # two answers: not shown
    bigger = pd.concat([gaps] * 3, ignore_index=True).assign(ecart=[2.0, -0.5, 0.0])
    shown = gap_distribution(bigger).set_index("ecart")
    assert not shown["masque"].any() and shown.loc[2.0, "n"] == 1 and shown.loc[0.0, "part"] == pytest.approx(1 / 3)


def test_links_kept_new_and_lost_between_two_waves(small):
    view = apply_filters(small, Filters(wave=ALL_WAVES))
    table = link_changes(view, "commune", "2018", "2019").set_index("groupe")
    columns = ["avant", "apres", "maintenus", "nouveaux", "perdus"]
    assert table.loc["Argenteuil", columns].tolist() == [2, 1, 1, 0, 1]  # E1–CS-1 kept, E2–CS-1 lost
    assert table.loc["Cergy", columns].tolist() == [1, 0, 0, 0, 1]
    assert table.loc["Sarcelles", columns].tolist() == [0, 1, 0, 1, 0]
    assert table.loc[OVERALL, columns].tolist() == [3, 2, 1, 1, 2]
    assert table.index[-1] == OVERALL


def test_indicators_by_wave_are_the_maps_indicators_wave_by_wave():
    dataset = load_dataset(DEMO_DIR)
    table = indicators_by_wave(apply_filters(dataset, Filters(wave=ALL_WAVES, level="epci")), "epci_nom")
    assert sorted(table["vague"].unique()) == ["2017", "2018", "2019"]
    view = apply_filters(dataset, Filters(wave="2018", level="epci"))
    expected = indicators_by_territory(view, aggregate_links(view.reponses), "epci_nom").set_index("territoire")
    got = table[table["vague"] == "2018"].set_index("territoire")
    for column in ("ecoles", "ecoles_liees", "reponses", "liens", "couverture", "qualite", "hebdomadaire", "masque"):
        pd.testing.assert_series_equal(got.loc[expected.index, column].astype(float),
                                       expected[column].astype(float), check_names=False)
    overall = got.loc[OVERALL]
    assert overall["liens"] == len(aggregate_links(view.reponses)) and overall["reponses"] == len(view.reponses)


def test_link_analyses_on_a_view_without_answers(small):
    view = apply_filters(small, Filters(wave="2019", territories=("Cergy",)))
    assert view.reponses.empty and len(view.schools) == 1
    tables = link_analyses(view, "commune")
    assert tables["formes"].empty and tables["frequence"]["masque"].all()
    coverage = tables["couverture"].set_index(["groupe", "groupe_ep"])
    assert coverage.loc[("Cergy", OVERALL), ["ecoles", "ecoles_liees"]].tolist() == [1, 0]


def test_lever_analyses_hold_both_sides_and_all_answers_together():
    dataset = load_dataset(DEMO_DIR)
    tables = lever_analyses(apply_filters(dataset, Filters(wave="2019", level="epci")), "epci_nom")
    by_side = tables["leviers_cote"]
    assert set(by_side["groupe"]) == {"Côté école", "Côté centre social", OVERALL}
    total = by_side[by_side["groupe"] == OVERALL]["base"].iloc[0]
    sides = by_side[by_side["groupe"] != OVERALL].drop_duplicates("groupe")["base"].sum()
    assert total == sides  # every answer naming a levier is on one side
    assert set(tables["freins_qualite"]["groupe"]) <= set(load_questionnaire()["qualites"].labels.values())


def test_free_text_by_territory_and_search_ignoring_accents(tmp_path):
    tables = small_tables()
    tables["reponses"].loc[0, "commentaire"] = "Très bon lien avec l'École."
    tables["reponses"].loc[3, "pistes"] = "Se réunir à la rentrée"
    tables["reponses"].loc[2, "outils"] = "=HYPERLINK(\"x\")"
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    view = apply_filters(dataset, Filters(wave="2018"))
    texts = free_text_answers(view, "commune", "Commune")
    assert texts["Commune"].tolist() == ["Argenteuil", "Argenteuil", "Cergy"]  # grouped by territory
    assert list(texts.columns[:5]) == ["Commune", "Vague", "École", "Centre social", "Répondu par"]
    assert search_answers(texts, "TRES bon")["Commentaire"].tolist() == ["Très bon lien avec l'École."]
    assert search_answers(texts, "reunir rentrée")["Pistes"].tolist() == ["Se réunir à la rentrée"]
    assert search_answers(texts, "réunir très").empty  # every word must appear in the same answer
    assert len(search_answers(texts, "ecole")) == 2  # names count too: École A and École B
    assert len(search_answers(texts, "  ")) == 3
