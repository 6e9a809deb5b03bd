"""The page « Fiche d'une structure » under AppTest: opened by URL, by the search, refused to funders."""

from __future__ import annotations

import pytest

from conftest import app_test

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py

FICHE = "pages/16_Fiche_structure.py"
CENTRE, CENTRE_NAME = "CS-95-001", "Centre social Les Sources (démo)"


def partners_html(at) -> str:
    return next(h.proto.body for h in at.get("html") if "passerelles-partners" in h.proto.body)


def links(at) -> dict[str, object]:
    return {link.proto.label: link.proto for link in at.main.get("page_link")}


def test_a_structure_given_by_url_shows_its_identity_partners_figures_and_a_way_back_to_the_map():
    at = app_test(FICHE, structure=CENTRE, vague="2018")
    assert at.subheader[0].value == CENTRE_NAME
    assert any("**Commune** : Argenteuil" in m.value for m in at.markdown)
    body = partners_html(at)
    assert body.count("<li class='partner'>") >= 12 and body.count("Fréquence : ") >= 12
    assert all(f"<h4>Vague {wave} · " in body for wave in ("2017", "2018", "2019"))
    waves = at.dataframe[0].value
    assert waves["Vague"].tolist() == ["2019", "2018", "2017"] and (waves["Liens"] > 0).all()
    assert any(m.value.startswith("#### Leviers et freins les plus cités (vague 2018)") for m in at.markdown)
    assert any("Vague 2018 : " in m.value and "partenaire(s)" in m.value for m in at.markdown)
    carte = links(at)["Voir sur la carte"]
    assert carte.page == "Carte" and f"structure={CENTRE}" in carte.query_string and "vague=2018" in carte.query_string
    assert at.query_params["structure"] in (CENTRE, [CENTRE])


@pytest.mark.parametrize("forged", ["inconnu", "<img src=x onerror=alert(1)>", "**gras** [lien](http://x)", "x" * 500])
def test_an_unknown_or_forged_id_is_a_french_message_without_exception(forged):
    at = app_test(FICHE, structure=forged)
    assert not at.exception and not at.subheader
    warning = at.warning[0].value
    assert warning.startswith("Aucune structure « ") and "dans le jeu de données" in warning
    assert "<img" not in warning and "**gras**" not in warning and len(warning) < 300


def test_without_a_structure_the_search_opens_one_accent_and_typo_tolerant():
    at = app_test(FICHE)
    assert not at.subheader and any("Cherchez une structure" in i.value for i in at.info)
    at.text_input(key="fiche_recherche").set_value("college rosa").run()
    assert at.subheader[0].value.startswith("Collège Rosa Parks")
    assert "structure" in at.query_params
    at.text_input(key="fiche_recherche").set_value("zzzzqqq").run()
    assert any("Aucune structure ne correspond à « zzzzqqq »" in w.value for w in at.warning)


@pytest.mark.usefixtures("with_users")
def test_a_funder_is_refused_and_receives_no_name():
    at = app_test(FICHE, "financeur", structure=CENTRE)
    assert at.title[0].value == "Accès réservé"
    assert "n'est pas ouverte au rôle « Financeur »" in at.error[0].value
    assert not at.subheader and not at.dataframe
    assert all("passerelles-partners" not in h.proto.body for h in at.get("html"))
    assert not any(CENTRE_NAME in m.value for m in at.markdown)


@pytest.mark.usefixtures("with_users")
def test_the_comite_sees_what_was_said():
    at = app_test(FICHE, "pilotage", structure=CENTRE)
    assert any(e.label.startswith("Ce qui a été dit (") for e in at.expander)


def test_the_map_card_links_to_the_fiche_with_the_shared_filters():
    at = app_test("pages/1_Carte.py", structure=CENTRE, vague="2018")
    fiche = links(at)["Fiche complète"]
    assert fiche.page == "Fiche_structure"
    assert f"structure={CENTRE}" in fiche.query_string and "vague=2018" in fiche.query_string
