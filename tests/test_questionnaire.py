"""The questionnaire file drives codes, labels and order everywhere."""

from __future__ import annotations

import tomllib

import pytest

from lib.questionnaire import QUESTIONNAIRE_PATH, load_questionnaire, parse_questionnaire, split_codes


def test_every_list_the_design_names_is_there():
    q = load_questionnaire()
    for name in ("types_structure", "modes", "fonctions", "formes", "frequences", "objets", "qualites", "leviers",
                 "freins", "types_rencontre", "education_prioritaire"):
        assert q[name].choices, name
    assert q["frequences"].codes == ["ponctuelle", "trimestrielle", "mensuelle", "hebdomadaire"]
    assert q["qualites"].labels == {"1": "Difficile", "2": "À améliorer", "3": "Satisfaisante",
                                    "4": "Très satisfaisante"}
    assert q.school_types == ["ecole_maternelle", "ecole_elementaire", "ecole_primaire", "college", "lycee"]
    assert q.centre_types == ["centre_social", "espace_vie_sociale"]
    assert q.for_column("reponses", "formes").multiple
    assert set(q.columns_of("reponses")) >= {"formes", "frequence", "objets", "qualite", "leviers", "freins",
                                              "mode", "repondant_fonction"}


def test_ordered_lists_give_ordered_categoricals():
    dtype = load_questionnaire()["frequences"].dtype()
    assert dtype.ordered and list(dtype.categories)[-1] == "hebdomadaire"
    assert not load_questionnaire()["formes"].dtype().ordered


@pytest.mark.parametrize("typed,expected", [
    ("periscolair", "periscolaire"),
    ("Périscolaire", "periscolaire"),
    ("  ACCOMPAGNEMENT à la scolarité (clas) ", "clas"),
    ("Fêtes et évènements", "fetes"),
    ("zzz", None),
    ("", None),
])
def test_suggestions_from_codes_and_labels(typed, expected):
    assert load_questionnaire()["formes"].suggest(typed) == expected


def test_a_new_code_in_the_file_is_a_new_choice(tmp_path):
    raw = tomllib.loads(QUESTIONNAIRE_PATH.read_text(encoding="utf-8"))
    raw["formes"]["choix"].append({"code": "jardin", "label": "Jardin partagé"})
    q = parse_questionnaire(raw)
    assert q["formes"].codes[-1] == "jardin" and q.label("formes", "jardin") == "Jardin partagé"


def test_broken_questionnaire_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="codes en double"):
        parse_questionnaire({"x": {"titre": "X", "fichier": "f", "colonne": "c",
                                   "choix": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}]}})
    with pytest.raises(ValueError, match="clé 'titre' absente"):
        parse_questionnaire({"x": {"fichier": "f", "colonne": "c", "choix": []}})


def test_split_codes():
    assert split_codes(" clas ; fetes;;") == ["clas", "fetes"]
    assert split_codes("") == [] and split_codes(None) == [] and split_codes(float("nan")) == []
