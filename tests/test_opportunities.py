"""« Où agir ? » rules on a small hand-made network whose answers are known, at two radii.

Positions are laid out in metres (Lambert-93) and turned into latitude and longitude, so every distance
below is exact::

    S3 (REP, 0, 2000)                                        S6 (3000, 1000)
    S2 (0, 800)
    C1 (0, 0) ---- S1 (REP+, 1000, 0) ----------------- C2 (3000, 0)
    S5 (-500, -500)          S4 (1500, -500)
                                                   C3 (10000, 0), S7 (10000, 500)   S8 (20000, 0), alone

Links (every wave): S5–C1–S4–C2–S6 in one group, whose only broker is S4 (the two sides hold 2 structures
each; C1 and C2 only hold a lone school), and C3–S7, an isolated pair. S4–C1 is cited in 2018 and not in
2019 although C1 answered in 2019 (gone); S5–C1 falls from 4 to 2.5 (weakened), the school rating it 1 and
the centre 4 (opposed perceptions). S9 has no coordinates (placed at its town hall).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest

from lib import opportunities as opp
from lib.filters import ALL_WAVES, Filters, View
from lib.network import network_figures, separated_groups
from lib.questionnaire import load_questionnaire

ORIGIN = (640_000.0, 6_880_000.0)
_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)

PLACES = {  # id: (type, x, y, EP, commune, EPCI)
    "C1": ("centre_social", 0, 0, None, "A", "EPCI 1"),
    "C2": ("centre_social", 3000, 0, None, "A", "EPCI 1"),
    "C3": ("espace_vie_sociale", 10000, 0, None, "B", "EPCI 1"),
    "S1": ("ecole_elementaire", 1000, 0, "REP+", "A", "EPCI 1"),
    "S2": ("ecole_maternelle", 0, 800, None, "A", "EPCI 1"),
    "S3": ("college", 0, 2000, "REP", "A", "EPCI 1"),
    "S4": ("ecole_elementaire", 1500, -500, None, "A", "EPCI 1"),
    "S5": ("ecole_elementaire", -500, -500, None, "A", "EPCI 1"),
    "S6": ("ecole_primaire", 3000, 1000, None, "A", "EPCI 1"),
    "S7": ("ecole_primaire", 10000, 500, None, "B", "EPCI 1"),
    "S8": ("ecole_primaire", 20000, 0, "REP", "C", "EPCI 2"),
    "S9": ("ecole_maternelle", 500, 500, None, "A", "EPCI 1"),
}
# (wave, school, centre, side, quality)
ANSWERS = [
    ("2018", "S4", "C1", "ecole", 3), ("2018", "S5", "C1", "ecole", 4), ("2018", "S6", "C2", "ecole", 3),
    ("2018", "S4", "C2", "ecole", 3), ("2018", "S7", "C3", "centre", 3),
    ("2019", "S5", "C1", "ecole", 1), ("2019", "S5", "C1", "centre", 4), ("2019", "S6", "C2", "ecole", 3),
    ("2019", "S4", "C2", "centre", 3), ("2019", "S7", "C3", "ecole", 3),
]


def hand_made() -> tuple[View, pd.DataFrame]:
    q = load_questionnaire()
    rows = []
    for sid, (kind, x, y, ep, commune, epci) in PLACES.items():
        lon, lat = _TO_WGS84.transform(ORIGIN[0] + x, ORIGIN[1] + y)
        rows.append({"id": sid, "type": kind, "nom": f"Nom {sid}", "commune": commune, "commune_insee": commune,
                     "epci_nom": epci, "education_prioritaire": ep, "latitude": lat, "longitude": lon,
                     "position_approximative": sid == "S9", "famille": "centre" if sid[0] == "C" else "ecole"})
    structures = pd.DataFrame(rows)
    structures["type"] = pd.Categorical(structures["type"], categories=q["types_structure"].codes)
    reponses = pd.DataFrame([{
        "reponse_id": f"R{i}", "vague": wave, "ecole_id": school, "centre_id": centre, "cote": side,
        "repondant_id": school if side == "ecole" else centre, "qualite": quality,
        "leviers": ["interconnaissance", "proximite"] if quality >= 3 else ["convention"],
        "pistes": "Se voir chaque trimestre." if quality >= 3 else "", "frequence": "mensuelle",
    } for i, (wave, school, centre, side, quality) in enumerate(ANSWERS)])
    reponses["qualite"] = reponses["qualite"].astype("Int64")
    reponses["frequence"] = pd.Categorical(reponses["frequence"], dtype=q["frequences"].dtype())
    schools = structures[structures["famille"] == "ecole"]
    view = View(filters=Filters(wave=ALL_WAVES), structures=structures, reponses=reponses, schools=schools)
    return view, structures[structures["famille"] == "centre"]


def run(radius: float, wave: str = ALL_WAVES, **kwargs) -> opp.WhereAnalysis:
    view, centres = hand_made()
    return opp.analyse(view, centres, wave, "commune", radius_m=radius, **kwargs)


def fiche_ids(table: pd.DataFrame) -> list[str]:
    return [link.split("=")[1] for link in table["Fiche"]]


def test_distances_are_metres_and_found_without_a_double_loop() -> None:
    view, centres = hand_made()
    xy = opp.lambert93(view.schools)
    assert np.allclose(xy[0], [ORIGIN[0] + 1000, ORIGIN[1]], atol=0.01)  # S1, back where it was laid out
    assert np.isnan(xy[-1]).all()  # S9: no coordinates of its own, never placed at 0,0 or its town hall
    si, ci, distance = opp.pairs_within(xy, opp.lambert93(centres), 1500)
    found = {(view.schools["id"].iloc[s], centres["id"].iloc[c], round(d)) for s, c, d in zip(si, ci, distance)}
    assert found == {("S1", "C1", 1000), ("S2", "C1", 800), ("S5", "C1", 707), ("S6", "C2", 1000),
                     ("S7", "C3", 500)}


@pytest.mark.parametrize(("radius", "expected"), [
    (1500, [("S1", 1), ("S2", 1)]),  # S3 is 2 km from C1; S8 is far from all; S9 has no coordinates
    (2500, [("S1", 2), ("S3", 1), ("S2", 1)]),  # REP+ first, then REP, then the others
])
def test_schools_without_a_link_near_a_centre(radius: float, expected: list) -> None:
    analysis = run(radius)
    assert list(zip(fiche_ids(analysis.schools), analysis.schools["Centres à proximité"])) == expected


def test_the_ranked_list_starts_with_priority_education_and_says_why() -> None:
    first = run(1500).opportunities.iloc[0]
    assert first["Priorité"] == "REP+"
    assert first["Qui"] == "Nom S1 (A)"
    assert first["Pourquoi"].startswith("1 centre(s) à moins de 1,5\u00a0km, le plus proche à 1\u00a0km")
    assert "Les équipes se connaissent" in first["Ce qui marche ailleurs (leviers)"]
    assert first["Fiche"] == "Carte?structure=S1"
    assert "Pistes citées" not in run(1500).opportunities  # free text only when asked (comité de pilotage)
    assert run(1500, with_pistes=True).opportunities.iloc[0]["Pistes citées"] == "Se voir chaque trimestre."


def test_centres_with_few_partner_schools_around(monkeypatch) -> None:
    monkeypatch.setattr(opp, "CENTRE_MIN_NEAR", 3)
    monkeypatch.setattr(opp, "CENTRE_MAX_SHARE", 0.5)
    near = run(1500).centres.set_index("Centre")
    assert near.loc["Nom C1", ["Écoles à proximité", "Dont partenaires"]].tolist() == [3, 1]  # S1, S2, S5
    assert near["Peu de partenaires"].to_dict() == {"Nom C1": True, "Nom C2": False, "Nom C3": False}
    wide = run(2500).centres.set_index("Centre")
    assert wide.loc["Nom C1", ["Écoles à proximité", "Dont partenaires"]].tolist() == [5, 2]  # + S3, S4
    assert wide.loc["Nom C2", ["Écoles à proximité", "Dont partenaires"]].tolist() == [3, 2]  # S1, S4, S6
    why = run(1500).opportunities.set_index("Occasion").loc["Centre avec peu d'écoles partenaires", "Pourquoi"]
    assert why == "1 école(s) partenaire(s) sur 3 à moins de 1,5\u00a0km (33\u00a0%)"


def test_links_weakened_gone_and_seen_differently() -> None:
    analysis = run(1500)
    changes = analysis.changes.set_index("Évolution")
    assert analysis.before == "2018"
    assert changes.loc["Lien disparu", "École"] == "Nom S4 (A)"  # C1 answered in 2019 without citing S4
    assert changes.loc["Lien affaibli", ["Qualité avant", "Qualité après"]].tolist() == [4.0, 2.5]
    assert len(changes) == 2  # S6–C2, S4–C2, S7–C3 kept their quality
    assert analysis.gaps[["École", "Qualité selon l'école", "Qualité selon le centre"]].values.tolist() == [
        ["Nom S5 (A)", 1.0, 4.0]]


def test_brokers_groups_and_isolated_pairs() -> None:
    figures = run(1500).figures.set_index("id")
    assert figures["partenaires"].to_dict() == {"S4": 2, "C1": 2, "C2": 2, "S5": 1, "S6": 1, "C3": 1, "S7": 1}
    assert figures.index[figures["courtier"]].tolist() == ["S4"]  # C1 and C2 are cut vertices of lone schools
    assert figures.loc["S4", ["groupes_relies", "structures_dependantes"]].tolist() == [2, 2]
    assert sorted(figures.index[figures["paire_isolee"]]) == ["C3", "S7"]
    # In 2019 alone S4–C1 is gone: S5–C1 becomes an isolated pair and nobody is a broker.
    in_2019 = run(1500, wave="2019").figures.set_index("id")
    assert not in_2019["courtier"].any()
    assert sorted(in_2019.index[in_2019["paire_isolee"]]) == ["C1", "C3", "S5", "S7"]


def test_separated_groups_on_a_chain_and_a_cycle() -> None:
    chain = {1: [2], 2: [1, 3], 3: [2, 4], 4: [3]}
    assert separated_groups(chain) == {2: [2, 1], 3: [1, 2]} or separated_groups(chain) == {2: [1, 2], 3: [2, 1]}
    cycle = {1: [2, 4], 2: [1, 3], 3: [2, 4], 4: [3, 1]}
    assert separated_groups(cycle) == {}
    assert network_figures(pd.DataFrame(columns=["ecole_id", "centre_id"])).empty


def test_blank_zones_at_two_radii() -> None:
    analysis = run(1500)
    assert analysis.blank_communes["Commune"].tolist() == ["C"]  # S8's commune: schools, no link
    assert analysis.blank_epci["Intercommunalité"].tolist() == ["EPCI 2"]
    far = analysis.far_schools.set_index("Commune").iloc[:, 2]
    assert far.to_dict() == {"A": 2, "C": 1}  # S3 and S4 in A; S8 in C (S9 has no position: not counted)
    assert run(2500).far_schools.set_index("Commune").iloc[:, 2].to_dict() == {"C": 1}
    assert fiche_ids(analysis.unplaced) == ["S9"]
    assert analysis.opportunities["Occasion"].eq("Commune sans aucun lien").sum() == 1


def test_density_and_share_of_schools_linked_per_territory() -> None:
    table = run(1500).territories.set_index("Territoire")
    # A: pairs within 1.5 km are S1–C1, S2–C1, S5–C1, S6–C2; linked among them S5–C1 and S6–C2.
    assert table.loc["A", ["Paires école – centre proches", "Dont liées"]].tolist() == [4, 2]
    assert table.loc["A", "Densité des liens"] == pytest.approx(0.5)
    assert table.loc["A", "Part des écoles liées"] == pytest.approx(3 / 7)  # S4, S5, S6 of seven (S9 is one)
    assert table.loc["B", "Paires isolées"] == 1
    assert table.loc["A", "Structures qui relient des groupes"] == 1


def test_the_map_card_and_layer_say_it_in_plain_french_and_escape_names() -> None:
    from lib.maps import opportunity_layer
    from lib.where_map import opportunity_points, proximity_indicators, structure_lines

    view, _centres = hand_made()
    analysis = run(1500)
    lines = structure_lines(analysis.figures, "S4")
    assert lines[0] == "Partenaires dans la vague : 2"
    assert "relie des groupes qui sans elle seraient séparés : 2 structure(s)" in lines[-1]
    assert structure_lines(analysis.figures, "S1") == ("Partenaires dans la vague : 0 (aucun lien recensé)",)
    assert "1 école(s) partenaire(s) sur 3 à moins de 1,5\u00a0km" in structure_lines(analysis.figures, "C1")
    points = opportunity_points(analysis, view.structures)
    assert sorted((p[2], p[5]) for p in points) == [("S1", 0), ("S2", 0), ("S4", 2)]
    layer = opportunity_layer([[49.0, 2.0, "S1", "<script>x</script>", "a & b", 0]])
    assert "<script>" not in layer.payload and "\\u0026lt;script\\u0026gt;" in layer.payload  # &lt; in the JSON
    density = proximity_indicators(view, "commune").set_index("territoire")
    assert density.loc["A", "densite"] == pytest.approx(0.5)  # as on the page's territory table
    assert density.loc["A", "couverture_proche"] == pytest.approx(2 / 4)  # S5, S6 linked among S1, S2, S5, S6
