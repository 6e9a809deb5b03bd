"""« Où agir ? » on the map: points sized by their partners, structures-relais haloed, blank zones hatched and
listed in the legend (tests/test_opportunities.py holds the hand-made network)."""

from __future__ import annotations

import html as html_text
import json
import re

import pytest

from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import Filters, apply_filters
from lib.map_legend import BLANK_ZONES_LISTED
from lib.maps import BLANK_ZONES_LAYER, BROKER_FLAG, MapOptions, build_map, partner_radius, structure_points
from lib.metrics import aggregate_links, indicators_by_territory
from lib.opportunities import where_analysis
from lib.where_map import blank_zones, map_layers
from test_opportunities import hand_made, run


def by_id(payload: dict) -> dict:
    return {p[5]: p for p in payload["points"]}


def test_points_grow_with_their_partners_and_brokers_are_flagged() -> None:
    view, _centres = hand_made()
    figures = run(1500).figures  # S4: 2 partners, the only broker; S5: 1; S1: none (no link)
    points = by_id(structure_points(view.structures, figures))
    radius = {sid: p[7] for sid, p in points.items()}
    partners = {sid: p[8] for sid, p in points.items()}
    assert partners["S4"] == 2 and partners["S5"] == 1 and partners["S1"] == 0 and partners["C1"] == 2
    assert radius["S1"] == 5 < radius["S5"] < radius["S4"]  # a school with no partner keeps its size
    assert radius["C3"] == partner_radius(8, 1) and radius["C1"] == partner_radius(8, 2) > radius["C3"]
    assert [sid for sid, p in points.items() if p[4] & BROKER_FLAG] == ["S4"]
    assert points["S4"][4] & ~BROKER_FLAG == by_id(structure_points(view.structures))["S4"][4]  # other flags kept
    assert partner_radius(5, 10_000) == partner_radius(5, 500)  # capped: a hub does not hide its street
    # Without « Où agir ? » the payload stays as it was: no size, no partner count.
    assert {len(p) for p in structure_points(view.structures)["points"]} == {7}


@pytest.fixture(scope="module")
def demo_map():
    """The demo's map with « Où agir ? » on (2019, communes), its HTML and what was asked of it."""
    dataset = load_dataset(DEMO_DIR)
    filters = Filters(wave="2019")
    analysis = where_analysis(dataset, filters, 1500, False)
    view = apply_filters(dataset, filters)
    links = aggregate_links(view.reponses, with_codes=False)
    table = indicators_by_territory(view, links, "commune")
    layers = map_layers(analysis, dataset.structures, "commune")

    def html(on: bool) -> str:
        return build_map(dataset.reference, view.structures, links, table, MapOptions(opportunities=on),
                         **layers).get_root().render()

    return html(True), html(False), layers, analysis


def blank_payload(html: str) -> list[int] | None:
    found = re.search(r"\(function \(map, areas, data\) \{.*?\}\)\((map_\w+), (json_layer_\w+), (\[.*?\])\);", html,
                      flags=re.S)
    return json.loads(found.group(3)) if found else None


def legend(html: str) -> str:
    body = json.loads(re.search(r"div\.innerHTML = (\".*?\");\n", html).group(1))
    return html_text.unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_map_sizes_points_and_halos_brokers_when_where_is_on(demo_map) -> None:
    html, html_off, layers, analysis = demo_map
    assert "if (f & 32)" in html  # the halo is drawn by the points' script
    payloads = [json.loads(m) for m in re.findall(r"\}\)\(map_\w+, (\{\"kinds\".*?\})\);\n", html)]
    points = {p[5]: p for payload in payloads for p in payload["points"]}
    figures = analysis.figures.set_index("id")
    busiest = figures["partenaires"].idxmax()
    assert points[busiest][8] == figures.loc[busiest, "partenaires"] >= 10
    centre = bool(points[busiest][4] & 16)
    assert points[busiest][7] == partner_radius(8 if centre else 5, figures.loc[busiest, "partenaires"])
    brokers = {sid for sid, p in points.items() if p[4] & BROKER_FLAG}
    assert brokers == set(figures.index[figures["courtier"]]) and len(brokers) >= 3
    off = [json.loads(m) for m in re.findall(r"\}\)\(map_\w+, (\{\"kinds\".*?\})\);\n", html_off)]
    assert all(len(p) == 7 and not p[4] & BROKER_FLAG for payload in off for p in payload["points"])
    text = legend(html)
    assert "Taille du point : nombre de partenaires" in text
    assert "structure-relais : relie des groupes qui sans elle seraient séparés" in text
    assert not re.search(r"betweenness|centralit|articulation", html, flags=re.I)


def test_blank_communes_are_hatched_and_listed_in_the_legend(demo_map) -> None:
    html, html_off, layers, analysis = demo_map
    blank = layers["blank_zones"]
    assert len(blank) > BLANK_ZONES_LISTED and blank == analysis.blank_communes["Commune"].tolist()
    indices = blank_payload(html)
    assert len(indices) == len(blank)
    areas = json.loads(re.search(r'"properties":(\[.*?\])\}\);', html).group(1))
    assert sorted(areas[i]["id"] for i in indices) == sorted(blank)
    overlays = [json.loads(name) for name in re.findall(r'^\s*("[^"]*") : json_layer_\w+,$', html, flags=re.M)]
    assert BLANK_ZONES_LAYER in overlays and "createPattern" in html  # it can be hidden from the layer control
    text = " ".join(legend(html).split())
    assert f"Communes avec des écoles et aucun lien : {len(blank)}" in text
    assert all(name in text for name in blank[:BLANK_ZONES_LISTED])
    assert f"et {len(blank) - BLANK_ZONES_LISTED} autre(s)" in text
    assert blank_payload(html_off) is None and "Zones blanches" not in html_off


def test_blank_zones_follow_the_map_level() -> None:
    dataset = load_dataset(DEMO_DIR)
    analysis = where_analysis(dataset, Filters(wave="2019", level="epci"), 1500, False)
    epci = blank_zones(analysis, "epci")
    assert epci and set(epci) <= set(dataset.reference.communes["epci_nom"])
    table = analysis.territories.set_index("Territoire")
    assert (table.loc[epci, "Écoles liées"] == 0).all() and (table.loc[epci, "Écoles"] > 0).all()
