"""The partners on a structure's card (lib.card_partners): one line each, readable badges, escaped names."""

from __future__ import annotations

import re

import pandas as pd

from lib.card_partners import (DARK_TEXT, FREQUENCY_BACKGROUND, contrast_ratio, partner_rows, partners_html,
                               quality_badge, readable_text_colour)
from lib.palette import NO_QUALITY_COLOUR, QUALITY_COLOURS
from lib.questionnaire import load_questionnaire

Q = load_questionnaire()
HOSTILE_LINK, HOSTILE_HTML = "[x](http://evil)", "<b>gras</b>"


def structures() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["E1", "C1", "C2", "C3"],
        "nom": ["École A", f"Centre {HOSTILE_LINK}", f"Centre {HOSTILE_HTML}", "Centre Zéro"],
        "commune": ["Argenteuil", "Cergy", "Sarcelles <i>", None],
        "type": ["ecole_elementaire", "centre_social", "centre_social", "espace_vie_sociale"],
    }).set_index("id")


def links() -> pd.DataFrame:
    """School E1's links: C1 and C2 in 2019 (C1 answered by both sides), C1 and C3 in 2018."""
    return pd.DataFrame({
        "vague": ["2018", "2018", "2019", "2019"],
        "ecole_id": ["E1"] * 4,
        "centre_id": ["C3", "C1", "C2", "C1"],
        "n_reponses": [1, 1, 1, 2],
        "deux_cotes": [False, False, False, True],
        "qualite": [None, 1.0, 2.4, 3.5],
        "qualite_ecole": [None, 1.0, 2.4, 4.0],
        "qualite_centre": [None, None, None, 3.0],
        "frequence": [None, "ponctuelle", "hebdomadaire", "mensuelle"],
        "formes": [[], ["clas"], ["fetes", "clas"], ["pret_locaux"]],
    })


def rows():
    return partner_rows(links(), "centre_id", structures(), Q)


def test_one_row_per_partner_and_wave_newest_wave_first_then_by_name():
    found = rows()
    assert [(r.wave, r.partner_id) for r in found] == [("2019", "C2"), ("2019", "C1"), ("2018", "C1"), ("2018", "C3")]
    first = found[1]
    assert (first.name, first.commune, first.type_label) == (f"Centre {HOSTILE_LINK}", "Cergy", "Centre social")
    assert first.sides == "Qualité selon l'école 4,0, selon le centre 3,0"
    assert first.forms == "Prêt de locaux" and first.answers == 2
    assert found[3].commune == ""  # no commune: nothing rather than "None"


def test_badges_say_the_quality_and_frequency_in_french_in_the_map_link_colours():
    found = {(r.wave, r.partner_id): r for r in rows()}
    good, poor, none = found["2019", "C1"], found["2018", "C1"], found["2018", "C3"]
    assert good.quality.text == "Qualité : Très satisfaisante (3,5)" and good.quality.background == QUALITY_COLOURS[4]
    assert found["2019", "C2"].quality.text == "Qualité : À améliorer (2,4)"
    assert found["2019", "C2"].quality.background == QUALITY_COLOURS[2]
    assert poor.quality.text == "Qualité : Difficile (1,0)" and poor.quality.background == QUALITY_COLOURS[1]
    assert none.quality.text == "Qualité non renseignée" and none.quality.background == NO_QUALITY_COLOUR
    assert good.frequency.text == "Fréquence : mensuelle"
    assert found["2019", "C2"].frequency.text == "Fréquence : hebdomadaire ou plus"
    assert none.frequency.text == "Fréquence : non renseignée"
    assert good.frequency.background == FREQUENCY_BACKGROUND and good.frequency.colour == DARK_TEXT


def test_badge_text_is_readable_on_every_quality_colour():
    for level in (1, 2, 3, 4):
        badge = quality_badge(float(level), Q["qualites"].labels)
        assert contrast_ratio(badge.background, badge.colour) >= 4.5, (level, badge)
    assert readable_text_colour("#ffffff") == DARK_TEXT and readable_text_colour("#000000") == "#ffffff"


def test_partners_html_one_line_item_per_partner_grouped_by_wave():
    text = partners_html(rows())
    assert text.count("<li class='partner'>") == 4
    assert re.findall(r"<h4>(.*?)</h4>", text) == ["Vague 2019 · 2 partenaire(s)", "Vague 2018 · 2 partenaire(s)"]
    assert text.count("class='badge quality'") == 4 and text.count("class='badge frequency'") == 4
    assert f"style='background:{QUALITY_COLOURS[4]};color:#ffffff'" in text
    # Narrow column: badges wrap, long names break, no table and no fixed width.
    assert "flex-wrap: wrap" in text and "overflow-wrap: anywhere" in text
    assert "<table" not in text and not re.search(r"width:\s*\d{3,}px", text)


def test_names_from_the_data_are_text_never_markup():
    text = partners_html(rows())
    assert "<b>" not in text and "<i>" not in text and "href" not in text
    assert "Centre &lt;b&gt;gras&lt;/b&gt;" in text and "Sarcelles &lt;i&gt;" in text
    assert f"Centre {HOSTILE_LINK}" in text  # not Markdown here (st.html): the brackets are plain characters


def test_no_links_no_rows():
    empty = links().iloc[0:0]
    assert partner_rows(empty, "centre_id", structures(), Q) == ()
    assert "<li" not in partners_html(())
