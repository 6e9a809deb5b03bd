"""A LimeSurvey export whose option columns hold Y / N / N/A, imported through the page: the forms chart of
« Liens par territoire » then shows exactly the forms of the truth file (N and N/A are never ticks)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips these tests (or fails them under REQUIRE_BROWSER=1)
    expect = None

from .conftest import DEMO_DIR, assert_no_exception, expect_rerun, open_logged_in, users_env

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from lib.charts import link_charts  # noqa: E402
from lib.dataset import load_dataset  # noqa: E402
from lib.filters import apply_filters, filters_from_query  # noqa: E402

pytestmark = pytest.mark.browser
EXPORT = ROOT / "tests" / "fixtures" / "outils" / "limesurvey_de_codes_yn.csv"
TRUTH = json.loads((EXPORT.parent / f"{EXPORT.name}.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def writable(start_app, tmp_path_factory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("import_limesurvey")
    folder = shutil.copytree(DEMO_DIR, root / "jeu")
    return start_app(folder, name="import_limesurvey", extra_env=users_env(root)), folder


def expected_forms_chart(tmp_path: Path) -> list[dict]:
    """The forms chart (wave 2019) of the demo data set plus the truth's rows, written directly."""
    folder = shutil.copytree(DEMO_DIR, tmp_path / "attendu")
    answers = pd.read_csv(folder / "reponses.csv", dtype=str, keep_default_na=False)
    rows = [{**{c: "" for c in answers.columns}, **{k: (";".join(v) if isinstance(v, list) else v)
                                                   for k, v in row.items()}, "mode": "formulaire"}
            for row in TRUTH["rows"]]
    pd.concat([answers, pd.DataFrame(rows)[answers.columns]]).to_csv(folder / "reponses.csv", index=False)
    dataset = load_dataset(folder)
    view = apply_filters(dataset, filters_from_query({"vague": "2019"}, dataset))
    figure = link_charts(view)["formes_ensemble"].to_figure()
    return [{"x": list(t.x), "y": list(t.y)} for t in figure.data]


def shown_charts(page) -> list[list[dict]]:
    """The data of every plotly chart of the page, as plotly holds it in the browser."""
    return page.locator('[data-testid="stMain"] .js-plotly-plot').evaluate_all(
        "plots => plots.map(p => p.data.map(t => ({x: Array.from(t.x || []), y: Array.from(t.y || [])})))")


def close(shown: list[dict], expected: list[dict]) -> bool:
    def same(a, b) -> bool:
        if isinstance(b, (int, float)) and isinstance(a, (int, float)):
            return abs(a - b) < 1e-9
        return a == b
    return len(shown) == len(expected) and all(
        len(s[axis]) == len(e[axis]) and all(same(a, b) for a, b in zip(s[axis], e[axis]))
        for s, e in zip(shown, expected) for axis in ("x", "y"))


def test_import_y_n_na_columns_then_the_forms_chart_counts_the_truth(page, writable, tmp_path) -> None:
    base_url, folder = writable
    before = pd.read_csv(folder / "reponses.csv", dtype=str)
    main = page.locator('[data-testid="stMain"]')
    open_logged_in(page, f"{base_url}/Import_enquete", "saisie", main.get_by_text("Export de l'outil d'enquête"))
    with expect_rerun(page, main.get_by_text("LimeSurvey").first):
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(EXPORT))
    confirm = main.get_by_role("button", name="Confirmer l'import")
    expect(confirm).to_be_enabled()
    with expect_rerun(page, main.get_by_text("Import enregistré")):
        confirm.click()
    assert_no_exception(page)
    after = pd.read_csv(folder / "reponses.csv", dtype=str)
    assert len(after) - len(before) == TRUTH["counts"]["added"]

    expected = expected_forms_chart(tmp_path)
    # A new page load is a new session: log in again.
    open_logged_in(page, f"{base_url}/Liens_par_territoire?vague=2019", "saisie",
                   main.get_by_role("heading", level=1, name="Liens par territoire", exact=True))
    main.get_by_role("tab", name="Formes").click()  # tabs switch in the browser: no rerun
    # the first chart of the page is in the « Fréquence » tab, hidden once « Formes » is open
    expect(main.locator(".js-plotly-plot:visible").first.locator(".main-svg").first).to_be_visible()
    charts = shown_charts(page)
    assert any(close(chart, expected) for chart in charts), (expected, charts)
    assert_no_exception(page)
