"""The entry form's logic: a typed interview becomes a checked reponses.csv row."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from conftest import uai
from lib.dataset import ERROR, WARNING, load_dataset
from lib.entry import answer_lists, answer_row, check_answer, new_answer_id, problems_by_field


@pytest.fixture
def dataset(small_dataset):
    return load_dataset(small_dataset)


def values(**changes):
    base = {"vague": "2019", "date": date(2019, 5, 14), "mode": "telephone", "repondant_id": "CS-1",
            "partenaire_id": uai(2), "repondant_fonction": "referent_famille", "formes": ["clas", "parentalite"],
            "frequence": "mensuelle", "objets": ["reussite_scolaire"], "qualite": "3", "leviers": [],
            "freins": ["manque_temps"], "pistes": "  Une réunion de rentrée commune. ", "commentaire": ""}
    base.update(changes)
    return base


def test_the_form_asks_every_closed_question_of_the_questionnaire():
    assert [c.column for c in answer_lists()] == ["mode", "repondant_fonction", "formes", "frequence", "objets",
                                                  "qualite", "leviers", "freins"]


def test_a_centre_answering_about_a_school(dataset):
    row = answer_row(values(), dataset, "S1")
    assert (row["repondant_id"], row["ecole_id"], row["centre_id"]) == ("CS-1", uai(2), "CS-1")
    assert row["formes"] == "clas;parentalite" and row["date"] == "2019-05-14" and row["pistes"] == \
        "Une réunion de rentrée commune."
    assert check_answer(row, dataset) == []


def test_a_school_answering_about_a_centre(dataset):
    row = answer_row(values(repondant_id=uai(3), partenaire_id="CS-2", repondant_fonction="cpe"), dataset, "S2")
    assert (row["ecole_id"], row["centre_id"]) == (uai(3), "CS-2")
    assert check_answer(row, dataset) == []


@pytest.mark.parametrize("changes,field,words,severity", [
    ({"partenaire_id": None}, "partenaire_id", "choisissez le partenaire", ERROR),
    ({"partenaire_id": "CS-2"}, "partenaire_id", "du même côté", ERROR),
    ({"repondant_id": None, "partenaire_id": None}, "repondant_id", "choisissez la structure", ERROR),
    ({"vague": " "}, "vague", "vague d'enquête manquant(e)", ERROR),
    ({"commentaire": "joindre marie.durand@ecole.fr"}, "commentaire", "donnée personnelle", ERROR),
    ({"repondant_fonction": "cpe"}, "repondant_fonction", "ne correspond pas au côté", WARNING),
    ({"formes": []}, "formes", "aucune forme", WARNING),
])
def test_messages_go_next_to_their_field(dataset, changes, field, words, severity):
    problems = check_answer(answer_row(values(**changes), dataset, "S3"), dataset)
    by_field = problems_by_field(problems)
    assert any(words in message for message in by_field[field]), by_field
    assert any(p.severity == severity for p in problems if p.column == field)
    assert all("ignorée" not in p.message for p in problems)


def test_answer_ids_are_dated_and_distinct():
    now = datetime(2018, 10, 5, 14, 30, 12, tzinfo=timezone.utc)
    first, second = new_answer_id(now), new_answer_id(now)
    assert first.startswith("S20181005-143012-") and first != second


def test_a_one_megabyte_comment_is_refused_naming_the_field(dataset):
    row = answer_row(values(commentaire="é" * 1_000_000, pistes="p" * 5_000), dataset, "S1")
    problems = check_answer(row, dataset)
    assert [(p.column, p.severity) for p in problems] == [("commentaire", ERROR)]  # 5,000 is still allowed
    message = problems_by_field(problems)["commentaire"][0]
    assert message.startswith("Commentaire : texte de 1\u00a0000\u00a0000 caractères, au plus 5\u00a0000 permis")
    assert len(problems[0].value) < 100  # the message quotes the start of the text, not the megabyte
    long_wave = check_answer(answer_row(values(vague="2019" * 20), dataset, "S1"), dataset)
    assert [p.column for p in long_wave] == ["vague"] and "Vague d'enquête" in long_wave[0].message
