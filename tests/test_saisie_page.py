"""The entry page: the demo is read-only; a typed interview is saved, then shown on the map."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test, small_tables, uai, write_tables

ROOT = Path(__file__).resolve().parents[1]


# Users configured, each test logged in as « saisie »: a real data set opens only with users.
pytestmark = pytest.mark.usefixtures("fresh_app", "with_users")  # see tests/conftest.py


@pytest.fixture
def user_dataset(tmp_path, monkeypatch) -> Path:
    folder = write_tables(tmp_path / "mes-donnees", small_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    return folder


def test_the_demo_offers_to_create_the_users_own_data_set():
    at = app_test("pages/5_Saisie.py", "saisie")
    assert "ne sont pas modifiables" in at.warning[0].value
    assert [b.label for b in at.main.button] == ["Créer mon jeu de données"]
    assert not at.get("form")  # no form to type into the demo


def fill(at: AppTest, respondent: str, partner: str, **choices) -> None:
    at.selectbox(key="saisie_repondant_id").set_value(respondent)
    at.selectbox(key="saisie_partenaire_id").set_value(partner)
    for key, value in choices.items():
        widget = at.multiselect(key=f"saisie_{key}") if isinstance(value, list) else at.radio(key=f"saisie_{key}")
        widget.set_value(value)


def test_a_saved_interview_is_on_the_map(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    fill(at, "CS-2", uai(1), mode="telephone", formes=["clas"], frequence="hebdomadaire", qualite="4")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert any("Entretien enregistré" in s.value for s in at.success)
    saved = pd.read_csv(user_dataset / "reponses.csv", dtype=str, keep_default_na=False)
    new = saved[(saved["centre_id"] == "CS-2") & (saved["ecole_id"] == uai(1))]
    assert len(new) == 1 and new.iloc[0]["repondant_id"] == "CS-2" and new.iloc[0]["qualite"] == "4"

    at.switch_page("pages/1_Carte.py").run()
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert '"CS-2"' in script
    at.text_input(key="carte_recherche").set_value("CS-2").run()
    partners = next(h.proto.body for h in at.get("html") if "passerelles-partners" in h.proto.body)
    assert "<strong>École A</strong>" in partners  # the new link, without restarting


def test_errors_are_shown_next_to_the_field_and_nothing_is_written(user_dataset):
    before = (user_dataset / "reponses.csv").read_bytes()
    at = app_test("pages/5_Saisie.py", "saisie")
    fill(at, "CS-1", "CS-2", mode="telephone")  # two centres: no school in the link
    at.button[0].click().run()
    assert any("du même côté" in e.value for e in at.error)
    assert (user_dataset / "reponses.csv").read_bytes() == before


def test_another_link_for_the_same_respondent_then_edit_and_delete(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    fill(at, uai(3), "CS-1", mode="sur_site", formes=["fetes"], qualite="2")
    at.button[0].click().run()
    next(b for b in at.button if b.label.startswith("Saisir un autre lien")).click().run()
    assert at.selectbox(key="saisie_repondant_id").value == uai(3)  # kept
    assert at.selectbox(key="saisie_partenaire_id").value is None  # cleared
    answers = pd.read_csv(user_dataset / "reponses.csv", dtype=str, keep_default_na=False)
    new_id = answers[(answers["centre_id"] == "CS-1") & (answers["ecole_id"] == uai(3))]["reponse_id"].iloc[0]

    at.selectbox(key="saisie_choix").set_value(new_id).run()
    next(b for b in at.button if b.label == "Modifier cette réponse").click().run()
    assert at.radio(key="saisie_qualite").value == "2"
    at.radio(key="saisie_qualite").set_value("3")
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    answers = pd.read_csv(user_dataset / "reponses.csv", dtype=str, keep_default_na=False)
    assert answers.set_index("reponse_id").at[new_id, "qualite"] == "3" and len(answers) == 7

    at.selectbox(key="saisie_choix").set_value(new_id).run()
    at.checkbox(key="saisie_confirmer").check().run()
    next(b for b in at.button if b.label == "Supprimer cette réponse").click().run()
    answers = pd.read_csv(user_dataset / "reponses.csv", dtype=str, keep_default_na=False)
    assert new_id not in answers["reponse_id"].tolist() and len(answers) == 6
    journal = pd.read_csv(user_dataset / "journal.csv", dtype=str, keep_default_na=False)
    assert {"ajout", "modification", "suppression"} <= set(journal["action"])


def test_centres_table_saves_a_new_centre_and_versions_restore(user_dataset):
    at = app_test("pages/8_Structures_et_versions.py", "saisie")
    assert any("Aucune version précédente" in c.value for c in at.caption)
    before = (user_dataset / "structures.csv").read_bytes()
    table = pd.read_csv(user_dataset / "structures.csv", dtype=str, keep_default_na=False)
    # the data editor is not drivable in AppTest: save through the same store call the page makes
    from lib.store import Store

    extra = table.iloc[[4]].assign(id="CS-3", nom="Centre social Trois")
    Store(user_dataset).replace("structures", pd.concat([table, extra]), "modification", "test")
    at.run()
    versions = at.selectbox(key="version_choisie")
    assert len(versions.options) == 1
    next(b for b in at.button if b.label == "Restaurer cette version").click().run()
    assert (user_dataset / "structures.csv").read_bytes() == before


def test_import_page_walks_through_preview_and_confirm(user_dataset):
    from test_annuaire import ANNUAIRE_HEADER, csv_bytes, school

    at = app_test("pages/7_Import_annuaire.py", "saisie")
    data = csv_bytes(ANNUAIRE_HEADER, [school(21, "École des Tilleuls", commune="95018", ep="REP+"),
                                       school(22, "École Mal Codée", commune="75056", departement="075")])
    at.get("file_uploader")[0].set_value(("annuaire.csv", data, "text/csv"))
    at.run()
    assert not at.exception
    assert any("1 à ajouter" in m.value for m in at.markdown)
    before = (user_dataset / "structures.csv").read_bytes()
    confirm = next(b for b in at.button if b.label == "Confirmer l'import")
    confirm.click().run()
    assert any("Import enregistré : 1 ajout(s)" in s.value for s in at.success)
    assert (user_dataset / "structures.csv").read_bytes() != before
    assert "École des Tilleuls" in (user_dataset / "structures.csv").read_text(encoding="utf-8")
    at.switch_page("app.py").run()
    assert int(next(m.value for m in at.metric if m.label == "Établissements scolaires")) == 5


def test_import_page_refuses_a_binary_file_and_writes_nothing(user_dataset):
    before = {p.name: p.read_bytes() for p in user_dataset.iterdir() if p.is_file()}
    at = app_test("pages/7_Import_annuaire.py", "saisie")
    at.get("file_uploader")[0].set_value(("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/csv"))
    at.run()
    assert any("Fichier refusé" in e.value and "binaire" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "Confirmer l'import"]
    assert {p.name: p.read_bytes() for p in user_dataset.iterdir() if p.is_file()} == before


def test_survey_import_walks_from_mapping_to_confirmation_and_saves_the_mapping(user_dataset):
    fixture = ROOT / "tests" / "fixtures" / "enquetes" / "kobo_labels.csv"
    at = app_test("pages/6_Import_enquete.py", "saisie")
    at.get("file_uploader")[0].set_value(("kobo_labels.csv", fixture.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("KoboToolbox" in m.value for m in at.markdown)
    vague = next(t for t in at.text_input if t.label.startswith("Vague d'enquête"))
    assert vague.value == "2024"  # issue 11: proposed from the year of the answers
    vague.input("").run()
    assert any("indiquez la vague" in e.value for e in at.error)  # required before any preview
    next(t for t in at.text_input if t.label.startswith("Vague d'enquête")).input("2024").run()
    assert any("à ajouter" in m.value for m in at.markdown), [m.value for m in at.markdown]
    before = (user_dataset / "reponses.csv").read_bytes()
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    assert any("Import enregistré" in s.value for s in at.success)
    assert (user_dataset / "reponses.csv").read_bytes() != before
    at.text_input(key="enquete_nom").input("Kobo mars").run()
    next(b for b in at.button if b.label == "Enregistrer le paramétrage").click().run()
    assert (user_dataset / "mappings" / "kobo-mars.json").is_file()


def test_centres_from_a_csv_file(user_dataset):
    from lib.dataset import load_dataset
    from lib.imports import preview_structures_csv

    from lib.store import Store

    dataset, current = load_dataset(user_dataset), Store(user_dataset).read("structures")
    data = ("id;type;nom;commune_insee;adresse;latitude;longitude;qpv\r\n"
            "CS-3;centre_social;Centre social Trois;95585;1 rue X;;;\r\n"
            "CS-1;centre_social;Centre social Un (renommé);95018;5 rue E;;;\r\n"
            "0950099X;college;Collège;95018;;;;\r\n"
            "CS-4;centre_social;Centre ailleurs;75056;;;;\r\n").encode("cp1252")
    preview = preview_structures_csv(data, "centres.csv", dataset, current)
    assert preview.added["id"].tolist() == ["CS-3"] and preview.updated["id"].tolist() == ["CS-1"]
    rejected = {p.line: p.message for p in preview.rejected}
    assert "les écoles viennent de l'annuaire" in rejected[4] and "code commune « 75056 » inconnu" in rejected[5]
    assert preview_structures_csv(b"nom;telephone\nx;y\n", "x.csv", dataset, current).rejected[0].message.startswith(
        "colonne(s) obligatoire(s) absente(s)")

    at = app_test("pages/8_Structures_et_versions.py", "saisie")
    at.get("file_uploader")[0].set_value(("centres.csv", data, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    saved = pd.read_csv(user_dataset / "structures.csv", dtype=str, keep_default_na=False).set_index("id")
    assert saved.at["CS-3", "nom"] == "Centre social Trois" and saved.at["CS-1", "nom"] == "Centre social Un (renommé)"
    assert saved.at["CS-1", "latitude"] == current.set_index("id").at["CS-1", "latitude"] != ""  # kept, not erased


def saved_answers(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "reponses.csv", dtype=str, keep_default_na=False)


def test_a_double_click_on_enregistrer_saves_one_answer(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    fill(at, "CS-2", uai(1), mode="telephone", formes=["clas"], qualite="4")
    submit = next(b for b in at.button if b.label == "Enregistrer l'entretien")
    submit.click().run()
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()  # the second click
    new = saved_answers(user_dataset).query("centre_id == 'CS-2' and ecole_id == @uai(1)")
    assert len(new) == 1
    assert [s.value for s in at.success] and not at.error  # one outcome, said once
    journal = pd.read_csv(user_dataset / "journal.csv", dtype=str, keep_default_na=False)
    assert (journal["action"] == "ajout").sum() == 1
    # A different answer afterwards is a new answer, under a new identifier.
    at.radio(key="saisie_qualite").set_value("2")
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    new = saved_answers(user_dataset).query("centre_id == 'CS-2' and ecole_id == @uai(1)")
    assert sorted(new["qualite"]) == ["2", "4"] and new["reponse_id"].is_unique


def test_a_save_with_a_remark_is_one_warning_not_green_next_to_red(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    fill(at, "CS-2", uai(1), mode="telephone", qualite="4")  # no form of link: a remark, not an error
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    assert not at.success and not at.error
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Entretien enregistré") and "aucune forme de lien indiquée" in warning
    assert len(saved_answers(user_dataset)) == 7


def test_a_one_megabyte_comment_is_refused_at_the_field(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    comment = at.text_area(key="saisie_commentaire")
    assert comment.proto.max_chars == 5000  # the browser stops typing and pasting there
    comment.input("x" * 1_000_000)
    assert comment.value == ""  # refused at the field, as in the browser
    fill(at, "CS-2", uai(1), mode="telephone", formes=["clas"], qualite="4")
    at.text_area(key="saisie_commentaire").set_value("y" * 1_000_000)  # forged past the field
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    assert not at.exception
    assert saved_answers(user_dataset)["commentaire"].str.len().max() <= 5000
    assert len(saved_answers(user_dataset)) <= 7


def test_the_answers_table_shows_names_labels_and_french_dates(user_dataset):
    at = app_test("pages/5_Saisie.py", "saisie")
    at.selectbox(key="saisie_repondant_id").set_value(uai(1))
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()  # the form sends its values
    assert any("Rien n'a été enregistré" in e.value for e in at.error)  # no partner: nothing saved
    table = at.dataframe[0].value
    assert list(table.columns) == ["Date", "Vague", "Partenaire", "Mode", "Fréquence", "Qualité"]
    assert table["Date"].tolist() == ["01/10/2018", "01/03/2019"]
    assert table["Partenaire"].iloc[0].startswith("Centre social Un — ")
    assert table["Mode"].iloc[0] != "telephone" and table["Qualité"].iloc[0] not in ("", "4")
    shown = " ".join(table.astype(str).to_numpy().ravel())
    assert uai(1) not in shown and "CS-1" not in shown and "2018-10-01" not in shown
    choice = at.selectbox(key="saisie_choix")
    assert choice.value == "R1" and "01/10/2018" in choice.format_func(choice.value)


def test_every_page_named_in_a_message_exists():
    """« page « X » » in a message of pages/ or lib/ names a page of the menu (lib.access.PAGES)."""
    import re

    from lib.access import PAGES

    titles = {page.label for page in PAGES}
    named = {}
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("lib/*.py"), ROOT / "app.py"]:
        text = re.sub(r"\"\s*\n\s*f?\"", "", path.read_text(encoding="utf-8"))  # "…" "…" on two lines: one text
        for name in re.findall(r"pages? « ([^»{]+?) »", text):
            named.setdefault(name, path.name)
    assert named, "no page named in any message: the pattern is wrong"
    assert {name: where for name, where in named.items() if name not in titles} == {}


def test_centres_table_shows_the_imported_centres_with_names_and_labels(user_dataset):
    at = app_test("pages/8_Structures_et_versions.py", "saisie")
    table = at.dataframe[0].value
    assert "Centre social Un" in table["nom"].tolist() and "Centre social Trois" not in table["nom"].tolist()
    assert table["commune"].tolist()[:1] == ["Argenteuil"]
    data = "id;type;nom;commune_insee\r\nCS-3;centre_social;Centre social Trois;95585\r\n".encode("utf-8")
    at.get("file_uploader")[0].set_value(("centres.csv", data, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Import enregistré : 1 centre(s) ajouté(s), 0 mis à jour ; ils sont "
                                             "dans le tableau."]
    assert "Centre social Trois" in at.dataframe[0].value["nom"].tolist()  # without reloading the page
    assert not [b for b in at.button if b.label == "Confirmer l'import"]  # the file is put away
    journal = at.dataframe[1].value
    assert list(journal.columns) == ["Date", "Fichier", "Action", "Lignes", "Description"]
    assert journal["Date"].str.match(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$").all()


def test_structures_page_says_the_journal_was_mended(user_dataset, tmp_path):
    from test_store import killed_before

    from lib.store import Store

    Store(user_dataset).append("structures", pd.DataFrame([{"id": "CS-9", "type": "centre_social",
                                                            "nom": "Centre social Neuf", "commune_insee": "95018"}]),
                               "Ajout")
    killed_before(user_dataset, tmp_path, "journal.csv")  # an answer written, its journal line not
    at = app_test("pages/8_Structures_et_versions.py", "saisie")
    [notice] = [w.value for w in at.warning if "Journal" in w.value]
    assert notice.startswith("Journal réparé à l'ouverture du jeu de données après une écriture interrompue : "
                             "1 modification(s) absente(s) du journal ajoutée(s)")
    assert "[ligne reconstituée]" in " ".join(at.dataframe[1].value["Description"])


def test_editing_an_answer_with_a_one_megabyte_comment_keeps_it_whole(tmp_path, monkeypatch):
    """The field holds 5,000 characters: loaded into it, a longer text would be cut on saving."""
    tables = small_tables()
    tables["reponses"].loc[0, "commentaire"] = "z" * 1_000_000
    folder = write_tables(tmp_path / "mes-donnees", tables)
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    at = app_test("pages/5_Saisie.py", "saisie")
    at.selectbox(key="saisie_repondant_id").set_value(uai(1))
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    at.selectbox(key="saisie_choix").set_value("R1").run()
    next(b for b in at.button if b.label == "Modifier cette réponse").click().run()
    assert at.text_area(key="saisie_commentaire").value == ""
    assert any(c.value.startswith("Le texte enregistré fait 1\u00a0000\u00a0000 caractères") for c in at.caption)
    at.radio(key="saisie_qualite").set_value("1")
    next(b for b in at.button if b.label == "Enregistrer l'entretien").click().run()
    saved = saved_answers(folder).set_index("reponse_id")
    assert saved.at["R1", "qualite"] == "1" and saved.at["R1", "commentaire"] == "z" * 1_000_000
