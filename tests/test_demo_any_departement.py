"""A fictional demo for any département (issue 16): ``create_demo_dataset`` and ``python -m lib.cli demo``.

For 974 (24 communes, 5 EPCI), 2A (124 communes) and 94 (one EPCI for the
whole département): the demo loads with no problem, every structure stands in
its commune, it has schools, centres and answers in every wave, it is labelled
and kept as a demo, the same seed gives the same bytes, and the Carte and
Impact pages open on it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from lib import reference_pack
from lib.cli import main as cli_main
from lib.dataset import DEMO_DIR, DEMO_MARKER, Dataset, load_dataset
from lib.demo_generator import create_demo_dataset, generate_demo
from lib.demo_model import Commune
from lib.demo_profile import epci_roles, fill_missing_populations
from lib.demo_vocabulary import DEMO_SUFFIX, WAVES, DemoError
from lib.store import ReadOnlyDataset, Store, create_user_dataset
from tests.conftest import app_test

CODES = ["974", "2A", "94"]
TABLES = ["structures.csv", "reponses.csv", "rencontres.csv", "participations.csv", "README.md"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demos")
    return {code: create_demo_dataset(root / code, code, 2018).folder for code in CODES}


@pytest.fixture(scope="module")
def loaded(demos) -> dict[str, Dataset]:
    return {code: load_dataset(folder) for code, folder in demos.items()}


@pytest.mark.parametrize("code", CODES)
def test_the_demo_loads_with_no_problem_and_is_labelled_a_demo(demos, loaded, code):
    dataset = loaded[code]
    assert dataset.problems == []
    assert dataset.is_demo
    assert len(dataset.reference.communes) == reference_pack.find_departement(code).nb_communes
    assert dataset.structures["nom"].str.endswith(DEMO_SUFFIX).all()
    assert dataset.rencontres["titre"].str.endswith(DEMO_SUFFIX).all()  # nothing real, not even the kick-off
    readme = (demos[code] / "README.md").read_text(encoding="utf-8")
    assert "FICTIF" in readme and f"--departement {code}" in readme


@pytest.mark.parametrize("code", CODES)
def test_schools_centres_and_answers_in_every_wave(loaded, code):
    dataset = loaded[code]
    types = set(dataset.structures["type"])
    assert {"college", "lycee", "centre_social", "espace_vie_sociale"} <= types
    assert any(t.startswith("ecole_") for t in types)
    assert dataset.waves == list(WAVES)
    per_wave = dataset.reponses.groupby("vague", observed=True).size()
    assert (per_wave >= 50).all(), per_wave
    assert dataset.structures["education_prioritaire"].isin(["REP", "REP+"]).any()
    assert len(dataset.participations) > 0


@pytest.mark.parametrize("code", CODES)
def test_every_structure_stands_inside_its_commune(demos, loaded, code):
    written = pd.read_csv(demos[code] / "structures.csv", dtype=str, keep_default_na=False)
    placed = written[written["latitude"] != ""]
    assert 0 < len(written) - len(placed) < 0.06 * len(written)  # a few to place at the mairie
    shapes = loaded[code].reference.commune_shapes
    # 5-decimal rounding may push a point a metre outside: allow a small buffer.
    outside = [(row.id, row.commune_insee) for row in placed.itertuples()
               if not shapely.contains_xy(shapes[row.commune_insee].buffer(0.0002), float(row.longitude),
                                          float(row.latitude))]
    assert outside == []


@pytest.mark.parametrize("code", CODES)
def test_the_same_seed_gives_the_same_bytes(demos, code, tmp_path):
    generate_demo(demos[code] / "reference", tmp_path, 2018)
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (demos[code] / name).read_bytes(), name


def test_another_seed_gives_another_demo(demos, tmp_path):
    generate_demo(demos["2A"] / "reference", tmp_path, 7)
    assert (tmp_path / "structures.csv").read_bytes() != (demos["2A"] / "structures.csv").read_bytes()


def test_the_val_d_oise_demo_made_from_the_pack_is_the_committed_one(tmp_path):
    made = create_demo_dataset(tmp_path / "95", "95")
    for name in TABLES:
        assert (made.folder / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_a_demo_is_never_written_to(demos):
    store = Store(demos["2A"])
    assert store.read_only
    before = (demos["2A"] / "structures.csv").read_bytes()
    with pytest.raises(ReadOnlyDataset):
        store.replace("structures", store.read("structures").head(1), "modification", "essai")
    with pytest.raises(ReadOnlyDataset):
        create_user_dataset(demos["2A"])
    assert (demos["2A"] / "structures.csv").read_bytes() == before


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("page", ["pages/1_Carte.py", "pages/10_Impact.py"])
def test_the_map_and_impact_pages_open_on_the_demo(demos, code, page, fresh_app, monkeypatch):
    """With no account (open access) a demo opens, and says it is one, on the département's communes."""
    monkeypatch.setenv("PASSERELLES_DATA", str(demos[code]))
    at = app_test(page)
    shown = " ".join(str(m.value) for m in [*at.info, *at.caption, *at.markdown, *at.title])
    assert "Données de démonstration" in shown, shown[:500]
    assert reference_pack.find_departement(code).nom in shown
    assert not [e.value for e in at.error]
    if page.endswith("Carte.py"):
        assert [c.proto.component_name for c in at.get("component_instance")] == ["streamlit_folium.st_folium"]


def test_cli_demo_writes_a_labelled_demo_and_refuses_a_non_empty_folder(tmp_path, capsys):
    folder = tmp_path / "demo-2A"
    assert cli_main(["demo", "--departement", "2a", "--out", str(folder), "--seed", "3"]) == 0
    said = capsys.readouterr().out
    assert "Corse-du-Sud (2A), graine 3" in said
    assert (folder / DEMO_MARKER).is_file() and (folder / "reference" / "communes.geojson").is_file()
    assert cli_main(["demo", "--departement", "2A", "--out", str(folder)]) == 1
    assert "n'est pas vide" in capsys.readouterr().out


def test_unknown_departement_is_refused_and_nothing_is_left(tmp_path):
    with pytest.raises(DemoError, match="inconnu"):
        create_demo_dataset(tmp_path / "x", "99")
    assert list(tmp_path.iterdir()) == []


def _commune(code: str, epci: str, population: int, size: float, x: float) -> Commune:
    return Commune(code, f"Commune {code}", population, epci, f"EPCI {epci}", box(x, 45.0, x + size, 45.0 + size))


def test_one_epci_gives_no_contrast_and_two_give_a_rural_and_a_good_one():
    rng = random.Random(1)
    one = {c.code: c for c in [_commune("01001", "A", 50_000, 0.05, 0.0), _commune("01002", "A", 900, 0.2, 1.0)]}
    assert epci_roles(rng, one) == (frozenset(), frozenset())
    two = {c.code: c for c in [_commune("01001", "A", 50_000, 0.05, 0.0), _commune("01002", "B", 900, 0.2, 1.0)]}
    good, rural = epci_roles(rng, two)
    assert rural == {"B"} and good == {"A"}  # B: 900 people on about 330 km²
    dense = {c.code: c for c in [_commune("01001", "A", 90_000, 0.05, 0.0), _commune("01002", "B", 80_000, 0.05, 1.0)]}
    good, rural = epci_roles(rng, dense)
    assert rural == set() and len(good) == 1  # no sparse EPCI: no rural contrast


def test_a_reference_without_populations_gets_them_from_the_area():
    communes = {c.code: c for c in [_commune("97601", "A", 0, 0.05, 45.0), _commune("97602", "A", 0, 0.1, 45.2)]}
    assert fill_missing_populations(communes)
    assert 0 < communes["97601"].population < communes["97602"].population
    assert not fill_missing_populations(communes)  # populations known: left alone
