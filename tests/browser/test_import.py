"""A Kobo export uploaded and confirmed in a real browser: the answers reach the data set."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import assert_no_exception, expect_rerun, open_logged_in, users_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import small_tables, write_tables  # noqa: E402  (the unit tests' small data set)

pytestmark = pytest.mark.browser
KOBO = Path(__file__).resolve().parents[1] / "fixtures" / "enquetes" / "kobo_labels.csv"


@pytest.fixture(scope="module")
def writable(start_app, tmp_path_factory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("import")
    folder = write_tables(root / "jeu", small_tables())
    return start_app(folder, name="import", extra_env=users_env(root)), folder


def main(page):
    return page.locator('[data-testid="stMain"]')


def test_upload_a_kobo_export_and_confirm(page, writable) -> None:
    base_url, folder = writable
    before = pd.read_csv(folder / "reponses.csv", dtype=str)
    open_logged_in(page, f"{base_url}/Import_enquete", "saisie", main(page).get_by_text("Export de l'outil d'enquête"))
    with expect_rerun(page, main(page).get_by_text("KoboToolbox")):
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(KOBO))
    # issue 11: the wave is proposed as the year of the answers, so the preview shows at once
    expect(main(page).get_by_label("Vague d'enquête (si le fichier n'a pas de colonne)")).to_have_value("2024")
    expect(main(page).get_by_text("à ajouter").first).to_be_visible()
    with expect_rerun(page, main(page).get_by_text("Import enregistré")):
        main(page).get_by_role("button", name="Confirmer l'import").click()
    assert_no_exception(page)
    after = pd.read_csv(folder / "reponses.csv", dtype=str)
    assert len(after) > len(before)
    assert after["reponse_id"].str.startswith("KOBO-").any()
    assert (folder / "journal.csv").read_text(encoding="utf-8").count("kobo_labels.csv") == 1
