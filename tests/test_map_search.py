"""Finding a structure on the map: name, commune or UAI, accents and typos forgiven."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lib.map_search import search_structures

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    structures = pd.read_csv(ROOT / "data" / "demo" / "structures.csv", dtype=str)
    communes = pd.read_csv(ROOT / "data" / "reference" / "communes.csv", dtype=str)
    names = dict(zip(communes["code_insee"], communes["nom"]))
    return structures.assign(commune=structures["commune_insee"].map(names))


def first(structures: pd.DataFrame, query: str) -> str:
    found = search_structures(structures, query)
    assert found, query
    return found[0].label


def test_the_demo_has_one_college_rosa_parks(demo):
    assert demo["nom"].str.startswith("Collège Rosa Parks").sum() == 1  # the example of issue 13


@pytest.mark.parametrize("query", ["college rosa", "Collège Rosa-Parks", "COLLEGE  ROSA", "colege rosa parks",
                                   "collège rosa argenteuil", "0958362Y", "0958362y"])
def test_college_rosa_parks_comes_first_whatever_the_spelling(demo, query):
    assert first(demo, query).startswith("Collège Rosa Parks (démo) — Argenteuil")


def test_a_commune_lists_its_structures(demo):
    found = search_structures(demo, "st ouen l'aumone", limit=50)
    assert found and all(f.label.endswith("Saint-Ouen-l'Aumône") for f in found)


def test_a_word_begun_counts_and_nothing_unrelated_is_offered(demo):
    assert first(demo, "lyc jean monnet").startswith("Lycée Jean Monnet")
    assert search_structures(demo, "xyzzy") == []
    assert search_structures(demo, "   ") == []
    assert search_structures(demo.iloc[0:0], "rosa") == []


def test_hostile_text_is_only_text():
    structures = pd.DataFrame({"id": ["A"], "nom": ["<img src=x onerror=alert(1)> {{ 7*7 }}"], "commune": [None]})
    assert search_structures(structures, "img src")[0].id == "A"
