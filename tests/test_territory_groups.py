"""A grouping of communes from a « code_insee;groupe » CSV (lib/territory_groups.py): checked with the loader's
rules, problems named by file, line and the file's own column, and the level it makes in filters and charts."""

from __future__ import annotations

import pytest

from lib.dataset import load_dataset
from lib.dataset_init import create_dataset
from lib.filters import available_levels
from lib.store import Store
from lib.territory_groups import preview_groups_csv


@pytest.fixture(scope="module")
def corse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("groupes") / "jeu"
    create_dataset(folder, "2A", None, "2026")
    return folder


def test_a_grouping_is_read_checked_and_becomes_a_level(corse, tmp_path):
    dataset = load_dataset(corse)
    codes = sorted(dataset.reference.communes["code_insee"])
    text = "Code_INSEE;Groupe\n" + "".join(f"{c};{'Nord' if i % 2 else 'Sud'}\n" for i, c in enumerate(codes[:10]))
    text += "99999;Sud\n" + f"{codes[0]};Est\n" + f"{codes[11]};\n"
    preview = preview_groups_csv(text.encode("utf-8"), "tas.csv", dataset)
    assert len(preview.table) == 10 and set(preview.groups.index) == {"Nord", "Sud"}
    located = {(p.file, p.line, p.column) for p in preview.problems}
    assert ("tas.csv", 12, "Code_INSEE") in located  # the unknown code, in the file's own column name
    assert ("tas.csv", 14, "Groupe") in located  # an empty group
    assert any(p.line in (2, 13) and "Code_INSEE" == p.column for p in preview.problems)  # a commune twice
    assert len(preview.outside) == len(codes) - 10
    assert "10 commune(s) dans 2 groupe(s)" in preview.summary()

    copy = tmp_path / "jeu"
    import shutil
    shutil.copytree(corse, copy)
    Store(copy).replace("territoires", preview.table, "import", "tas.csv")
    reloaded = load_dataset(copy)
    assert not reloaded.errors
    assert "territoire" in available_levels(reloaded)
    assert set(reloaded.territoires.values()) == {"Nord", "Sud"}


@pytest.mark.parametrize("text, message", [
    ("commune;nom\n2A004;Nord\n", "colonne de code commune"),
    ("code_insee;nom\n2A004;Nord\n", "colonne de groupe"),
])
def test_a_file_without_its_columns_is_refused_in_french(corse, text, message):
    preview = preview_groups_csv(text.encode("utf-8"), "x.csv", load_dataset(corse))
    assert preview.refused and message in preview.problems[0].message
