"""« Où agir ? » under AppTest on the demo: filters change the lists, every list downloads, funders are kept out."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from conftest import app_test
from lib.access import FINANCEUR, PILOTAGE
from lib.dataset import DEMO_DIR, load_dataset
from lib.export import to_xlsx_bytes
from lib.filters import Filters
from lib.opportunities import sheets, where_analysis

PAGE = "pages/13_Ou_agir.py"

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py


def metric(at, start: str) -> int:
    found = [m for m in at.metric if m.label.startswith(start)]
    assert len(found) == 1, [m.label for m in at.metric]
    return int(found[0].value.replace("\u00a0", ""))


def table(at, first_column: str):
    """The first list shown whose first column is ``first_column``."""
    return next(df.value for df in at.dataframe if df.value.columns[0] == first_column)


def test_the_page_lists_opportunities_with_their_downloads_and_follows_the_filters():
    at = app_test(PAGE)
    assert at.title[0].value == "Où agir ?"
    everywhere = metric(at, "Écoles sans lien")
    assert everywhere > 50
    ranked = table(at, "Priorité")
    assert ranked["Priorité"].iloc[0] == "REP+" and ranked["Fiche"].str.match(r"Carte\?(structure|zone)=").all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Tableau Excel") == len(at.dataframe) and labels[-1] == "Toutes les listes (Excel)"

    at.multiselect(key="f_territoires").set_value(["Sarcelles"]).run()
    assert not at.exception
    schools = table(at, "École")
    assert 0 < len(schools) < everywhere and set(schools["Commune"]) == {"Sarcelles"}
    assert at.query_params["territoire"] in ("Sarcelles", ["Sarcelles"])  # a shareable link

    at.selectbox(key="url_rayon").set_value("3000").run()
    assert len(table(at, "École")) > len(schools)  # more centres within 3 km
    assert any("à moins de 3\u00a0km" in m.label for m in at.metric)

    at.selectbox(key="f_vague").set_value("2018").run()
    assert any("Entre la vague 2017 et la suivante" in c.value for c in at.caption)


def test_the_type_filter_keeps_collèges_only():
    at = app_test(PAGE)
    at.multiselect(key="f_types").set_value(["college"]).run()
    schools = table(at, "École")
    assert len(schools) and set(schools["Type"]) == {"Collège"}


def test_the_excel_file_holds_every_list():
    dataset = load_dataset(DEMO_DIR)
    analysis = where_analysis(dataset, Filters(wave="2019"), 1500, with_pistes=False)
    book = load_workbook(io.BytesIO(to_xlsx_bytes(sheets(analysis))), read_only=True)
    assert book.sheetnames[:3] == ["Occasions", "Écoles sans lien", "Centres"]
    rows = list(book["Occasions"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Priorité", "Occasion", "Qui", "Pourquoi")
    assert len(rows) == len(analysis.opportunities) + 1
    assert "Pistes citées" not in rows[0]  # free text only in the comité de pilotage's version


@pytest.mark.usefixtures("with_users")
def test_funders_cannot_open_the_page_and_pilotage_sees_the_pistes():
    funder = app_test(PAGE, FINANCEUR)
    assert funder.title[0].value == "Accès réservé" and not funder.dataframe and not funder.metric
    comite = app_test(PAGE, PILOTAGE)
    assert "Pistes citées" in table(comite, "Priorité").columns
