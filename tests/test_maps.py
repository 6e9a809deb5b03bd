"""The map builder: layers, counts, colours, escaping, offline assets."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import load_dataset
from lib.filters import ALL_WAVES, Filters, apply_filters
from lib.maps import (MapOptions, build_map, colour_classes, link_styles, selection_layer, structure_points,
                      symbols_legend_html, territory_geometries, view_bounds,
                      script_json)
from lib.metrics import INDICATORS, aggregate_links, indicators_by_territory
from lib.palette import NO_DATA_COLOUR, QUALITY_COLOURS, TERRITORY_FILLS, TERRITORY_MASKED, TYPE_COLOURS

HOSTILE = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{ 7*7 }}{% if true %}x{% endif %}"


def map_html(dataset, filters=Filters(wave=ALL_WAVES), start=None, **options) -> str:
    view = apply_filters(dataset, filters)
    links = aggregate_links(view.reponses, with_codes=False)
    table = indicators_by_territory(view, links, "commune")
    fmap = build_map(dataset.reference, view.structures, links, table, MapOptions(**options), start=start)
    return fmap.get_root().render()


def payloads(html: str) -> list:
    """The JSON payloads of our layers, in the order they are drawn."""
    return [json.loads(m) for m in re.findall(r"\}\)\((?:map|div)\w*, (.*?)\);\n", html)]


@pytest.fixture
def dataset(small_dataset):
    return load_dataset(small_dataset)


def test_layers_counts_and_offline_assets(dataset):
    html = map_html(dataset, basemap="aucun")
    overlays = [json.loads(name) for name in re.findall(r'^\s*("[^"]*") : json_layer_\w+,$', html, flags=re.M)]
    assert overlays == ["Communes", "Liens", "Établissements scolaires", "Centres sociaux et EVS"]
    areas, links, schools, centres = payloads(html)
    assert len(areas["geometries"]) == len(areas["properties"]) == 183
    assert len(schools["points"]) == 4 and len(centres["points"]) == 2
    assert sum(len(style["coords"]) // 4 for style in links) == 5  # five link-waves in all waves
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/app/static/node_modules/") for u in urls), urls
    assert "http://" not in html and "https://" not in html  # no basemap, no CDN: works offline


def test_basemaps(dataset):
    assert "basemaps.cartocdn.com" in map_html(dataset, basemap="clair")
    assert "tile.openstreetmap.org" in map_html(dataset, basemap="osm")


def test_filters_change_the_layers(dataset):
    all_waves = payloads(map_html(dataset))
    wave_2019 = payloads(map_html(dataset, Filters(wave="2019")))
    assert sum(len(s["coords"]) for s in wave_2019[1]) < sum(len(s["coords"]) for s in all_waves[1])
    sarcelles = payloads(map_html(dataset, Filters(wave=ALL_WAVES, territories=("Sarcelles",))))
    assert [p[5] for p in sarcelles[2]["points"]] == [uai(4)]


def test_points_colour_by_type_and_flag_ep_and_approximate_positions(dataset):
    payload = structure_points(dataset.structures)
    points = {p[5]: p for p in payload["points"]}
    colour = {pid: payload["kinds"][p[2]][0] for pid, p in points.items()}
    assert colour[uai(1)] == TYPE_COLOURS["ecole_elementaire"] and colour["CS-1"] == TYPE_COLOURS["centre_social"]
    assert payload["kinds"][points[uai(3)][2]][1] == "Collège"
    assert payload["places"][points[uai(1)][3]] == "Argenteuil"
    assert points[uai(1)][4] & 4  # REP+
    assert points[uai(2)][4] & 2 and points[uai(2)][4] & 1  # REP, placed at the town hall
    assert points["CS-1"][4] & 16 and not points[uai(1)][4] & 16  # centres drawn bigger
    assert [p[5] for p in payload["points"]][-2:] == ["CS-1", "CS-2"]  # centres on top


def test_links_colour_by_quality_width_by_frequency_dashed_on_disagreement(dataset):
    links = aggregate_links(dataset.reponses[dataset.reponses["vague"] == "2018"])
    styles = link_styles(links, dataset.structures)
    by_colour = {(s["colour"], s["dashed"]): s for s in styles}
    # E1–CS-1: mean quality 3, weekly, school 4 vs centre 2 → dashed, widest
    both = by_colour[(QUALITY_COLOURS[3], True)]
    assert both["weight"] == 5.0 and len(both["coords"]) == 4
    # E3–CS-2: quality 1, ponctuelle → thinnest
    poor = by_colour[(QUALITY_COLOURS[1], False)]
    assert poor["weight"] == 1.0


def test_colour_classes():
    share = colour_classes(pd.Series([0.1, 0.5]), INDICATORS["couverture"])
    assert [c.label for c in share][0] == "0\u00a0% à 20\u00a0%" and len(share) == 5
    counts = colour_classes(pd.Series([0, 1, 3, 8, 40, 140]), INDICATORS["liens"])
    assert counts[0].label == "0" and counts[0].high == 0  # zero is a class of its own
    assert counts[-1].high >= 140
    assert all(a.high < b.low for a, b in zip(counts, counts[1:]))
    quality = colour_classes(pd.Series([2.0]), INDICATORS["qualite"])
    assert [c.colour for c in quality] == TERRITORY_FILLS[1:]  # greys, light to dark: not the links' colours
    assert colour_classes(pd.Series([0, 0]), INDICATORS["liens"])[0].colour == TERRITORY_FILLS[0]


def test_territory_fills_never_use_a_link_colour(dataset):
    """The blue « Qualité moyenne » fill hid blue links: fills and links now share no colour, for every indicator."""
    link_colours = {style["colour"] for style in payloads(map_html(dataset))[1]}
    assert link_colours and link_colours <= {*QUALITY_COLOURS.values(), "#9e9e9e"}
    for code in INDICATORS:
        fills = {p["fill"] for p in payloads(map_html(dataset, indicator=code))[0]["properties"]}
        assert not fills & {*QUALITY_COLOURS.values(), *link_colours}, code


def test_no_data_and_small_counts_look_different_from_zero(dataset):
    areas = payloads(map_html(dataset, indicator="qualite"))[0]["properties"]
    by_name = {p["id"]: p for p in areas}
    assert by_name["Ableiges"]["fill"] == NO_DATA_COLOUR and by_name["Ableiges"]["nodata"]
    assert by_name["Argenteuil"]["fill"] == TERRITORY_MASKED  # 4 answers < 5
    assert "moins de 5 réponses" in by_name["Argenteuil"]["tip"]
    counts = {p["id"]: p for p in payloads(map_html(dataset, indicator="liens"))[0]["properties"]}
    assert counts["Sarcelles"]["fill"] != NO_DATA_COLOUR and not counts["Sarcelles"]["nodata"]


def test_hostile_names_are_text_everywhere(tmp_path):
    tables = small_tables()
    tables["structures"].loc[0, "nom"] = HOSTILE
    tables["structures"].loc[4, "nom"] = TEMPLATE + "</script><script>alert(2)</script>"
    dataset = load_dataset(write_tables(tmp_path / "hostile", tables))
    html = map_html(dataset)
    assert "<img" not in html and "alert(2)</script>" not in html
    schools, centres = payloads(html)[2:4]
    name = next(p[6] for p in schools["points"] if p[5] == uai(1))
    assert name == "&lt;img src=x onerror=alert(1)&gt;"  # the tooltip's HTML gets it escaped
    centre_name = next(p[6] for p in centres["points"] if p[5] == "CS-1")
    assert centre_name.startswith("{{ 7*7 }}{% if true %}x{% endif %}")  # shown as typed, never evaluated
    assert "&lt;/script&gt;" in centre_name


def testscript_json_cannot_break_out_or_template():
    text = script_json({"a": "</script>{{ x }}{% y %}{# z #}", "b": [{"c": {}}]})
    assert "</" not in text and "{{" not in text and "{%" not in text and "{#" not in text
    assert json.loads(text) == {"a": "</script>{{ x }}{% y %}{# z #}", "b": [{"c": {}}]}


def test_symbols_legend_lists_types_and_quality_labels():
    legend = symbols_legend_html()
    for label in ("École maternelle", "Centre social", "Espace de vie sociale", "Très satisfaisante", "REP+"):
        assert label in legend


def test_selection_layer_rings_the_structure_and_draws_its_partners(dataset):
    links = aggregate_links(dataset.reponses)
    layer = selection_layer(dataset.structures, links, "CS-1")
    kinds = [type(child).__name__ for child in layer._children.values()]
    assert kinds.count("PolyLine") == 2 and kinds.count("CircleMarker") == 1  # E1 and E2 are CS-1's partners
    assert all(child.options["interactive"] is False for child in layer._children.values())  # never hides a point
    assert list(selection_layer(dataset.structures, links, None)._children) == []
    assert list(selection_layer(dataset.structures, links, "inconnu")._children) == []


def test_view_bounds_follow_the_chosen_territories(dataset):
    assert view_bounds(apply_filters(dataset, Filters())) is None
    (south, west), (north, east) = view_bounds(apply_filters(dataset, Filters(territories=("Cergy",))))
    lat, lon = dataset.structures.set_index("id").loc[uai(3), ["latitude", "longitude"]]
    assert south < lat < north and west < lon < east and north - south < 0.05


def test_custom_territories_are_drawn_as_the_union_of_their_communes(tmp_path):
    territoires = pd.DataFrame({"commune_insee": ["95018", "95127", "95585"],
                                "territoire": ["Sud", "Ouest", "Sud"]})
    dataset = load_dataset(write_tables(tmp_path / "jeu", {**small_tables(), "territoires": territoires}))
    names, geometries = territory_geometries(dataset.reference, "territoire", dataset.territoires)
    assert names == ["Ouest", "Sud"]
    assert [g["type"] for g in json.loads(geometries)] == ["Polygon", "MultiPolygon"]  # Argenteuil and Sarcelles
    view = apply_filters(dataset, Filters(wave=ALL_WAVES, level="territoire"))
    links = aggregate_links(view.reponses)
    table = indicators_by_territory(view, links, "territoire")
    html = build_map(dataset.reference, view.structures, links, table, MapOptions(level="territoire"),
                     custom=dataset.territoires).get_root().render()
    sud = next(p for p in payloads(html)[0]["properties"] if p["id"] == "Sud")
    assert "Nombre de liens école – centre social : 3" in sud["tip"]  # E1–CS-1, E2–CS-1, E4–CS-2


def test_a_map_opened_at_a_view_is_drawn_there_with_no_fit(dataset) -> None:
    fitted, opened = map_html(dataset), map_html(dataset, start=(48.93681, 2.3012, 15))
    fit = re.compile(r"\.fitBounds\(\s*\[\[")  # folium's fit to the bounds (WallView's own is fitBounds(fit, …))
    assert fit.search(fitted) and not fit.search(opened)
    assert re.search(r"center: \[48\.93681, 2\.3012\],", opened) and '"zoom": 15,' in opened
    assert "})(null, map_" in opened  # WallView: nothing to re-fit when the frame is resized
