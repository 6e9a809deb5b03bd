"""Survey-tool exports (issue 5): each tool's real format read, recognised, mapped and previewed.

The exports live in tests/fixtures/enquetes/ and are written by its
make_fixtures.py, which says which tool source each format copies.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import small_tables, uai, write_tables
from lib import importers
from lib.dataset import ERROR, FILES, REDACTED, WARNING, load_dataset
from lib.importers import (
    ExportRefused, Mapping, MultiChoice, check_mapping, detect_tool, distinct_answers, mapping_filename,
    preview_export, preview_survey, read_export, split_answers, suggest_mapping, suggest_values, unmapped_answers,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "enquetes"
COLUMNS = list(FILES["reponses"].columns)
E1, E2, E3, E4 = uai(1), uai(2), uai(3), uai(4)


def row(**values: str) -> dict[str, str]:
    """A reponses.csv row: the given columns, every other one empty."""
    assert set(values) <= set(COLUMNS)
    return {c: values.get(c, "") for c in COLUMNS}


def form_row(**values: str) -> dict[str, str]:
    return row(vague="2024", mode="formulaire", **values)


def read(name: str, upload_name: str | None = None) -> importers.SourceTable:
    return read_export((FIXTURES / name).read_bytes(), upload_name or name)


def mapping_for(table: importers.SourceTable, **constants: str) -> Mapping:
    mapping = suggest_mapping(table)
    mapping.constants.update(vague="2024", **constants)
    return mapping


def written(preview) -> dict[int, dict[str, str]]:
    """Rows the preview would add, by source line."""
    return preview.added.to_dict("index")


def messages(preview, severity: str = ERROR) -> list[tuple[int | None, str | None, str | None, str]]:
    return [(p.line, p.column, p.value, p.message) for p in preview.problems if p.severity == severity]


def rejected_lines(preview) -> list[int]:
    return sorted(p.line for p in preview.problems if p.row_dropped)


def apply(folder: Path, preview) -> importers.Dataset:
    """Write the preview's rows as the Données page will (through lib/store.py), then reload the data set."""
    path = folder / "reponses.csv"
    current = pd.read_csv(path, dtype=str, keep_default_na=False)
    new = pd.concat([preview.updated, preview.added])
    current = current[~current["reponse_id"].isin(new["reponse_id"])]
    pd.concat([current, new], ignore_index=True).to_csv(path, index=False)
    return load_dataset(folder)


def assert_no_personal_data(preview, *values: str) -> None:
    text = pd.concat([preview.added, preview.updated]).to_csv()
    text += " ".join(str(p) for p in preview.problems)
    for value in values:
        assert value not in text


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data set of its own, for tests that write imported rows into it."""
    return write_tables(tmp_path / "jeu", small_tables())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The small data set, read once: previews never modify it."""
    return load_dataset(write_tables(tmp_path_factory.mktemp("jeu"), small_tables()))


def test_fixtures_are_what_make_fixtures_writes():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, build in module.FIXTURES.items():
        assert (FIXTURES / name).read_bytes() == build(), name


# --------------------------------------------------------------------------- KoboToolbox

KOBO_ROWS = {
    2: form_row(reponse_id="KOBO-101", date="2024-03-05", repondant_id=E1,
                repondant_fonction="direction_ecole", ecole_id=E1, centre_id="CS-1", formes="clas;periscolaire",
                frequence="mensuelle", qualite="3", commentaire="Goûter partagé chaque mois"),
    3: form_row(reponse_id="KOBO-102", date="2024-03-06", repondant_id="CS-2",
                repondant_fonction="referent_famille", ecole_id=E3, centre_id="CS-2", formes="parentalite;fetes",
                frequence="hebdomadaire", qualite="4", commentaire=REDACTED),
    6: form_row(reponse_id="KOBO-105", date="2024-03-08", repondant_id=E3,
                repondant_fonction="enseignant", ecole_id=E3, centre_id="CS-2", qualite="2"),
}


def test_kobo_labels_export_detected_and_mapped_from_its_labels():
    table = read("kobo_labels.csv")
    assert detect_tool(table) == "KoboToolbox"
    assert (table.encoding, table.delimiter) == ("UTF-8", ";")
    mapping = suggest_mapping(table)
    assert mapping.columns == {
        "structure": "Votre structure", "partenaire": "Structure partenaire", "fonction": "Votre fonction",
        "frequence": "Fréquence du lien", "qualite": "Qualité du lien", "commentaire": "Commentaire",
        "date": "Date de l'entretien", "id": "_id"}
    # select_multiple exported both ways: the 0/1 columns win over the space-joined labels
    assert mapping.multi["formes"].options == {
        "Formes du lien/Accompagnement à la scolarité (CLAS)": "clas", "Formes du lien/Périscolaire": "periscolaire",
        "Formes du lien/Actions parentalité, café des parents": "parentalite",
        "Formes du lien/Fêtes et événements": "fetes"}
    assert mapping.values["qualite"] == {"Satisfaisante": "3", "Très satisfaisante": "4", "Difficile": "1",
                                         "À améliorer": "2"}
    assert mapping.values["fonction"]["Référent·e famille"] == "referent_famille"
    # issue 11: the wave is proposed as the year of the answers, so that a suggested mapping imports as it is
    assert mapping.id_prefix == "KOBO-" and mapping.constants == {"mode": "formulaire", "vague": "2024"}


def test_kobo_labels_preview_rows_rejections_and_personal_data(dataset):
    preview = preview_survey(read("kobo_labels.csv"), mapping_for(read("kobo_labels.csv")), dataset)
    assert preview.kind == "KoboToolbox" and preview.target == "reponses"
    assert preview.rows_read == 5
    assert written(preview) == KOBO_ROWS
    assert preview.updated.empty and preview.unchanged == 0
    assert rejected_lines(preview) == [4, 5]
    assert messages(preview) == [
        (4, "Structure partenaire", "École D", "un lien relie une école et un centre social : « École B » et "
         "« École D » sont deux établissements scolaires (ligne ignorée)"),
        (5, "Votre structure", "École Z", "structure « École Z » introuvable dans structures.csv — vouliez-vous "
         "dire « École D » ? (ligne ignorée)"),
    ]
    warnings = messages(preview, WARNING)
    assert (3, "Commentaire", None, "donnée personnelle (adresse e-mail ou numéro de téléphone) dans un texte "
            "libre : le texte est masqué") in warnings
    assert (6, "formes", "", "aucune forme de lien indiquée") in warnings
    assert_no_personal_data(preview, "Marie Dupont", "marie.dupont@example.org", "enqueteur_95", "Karim",
                            "06 12 34 56 78")
    assert any("« Votre nom », « Votre adresse e-mail »" in n for n in preview.notes)


def test_kobo_space_joined_labels_are_split_on_known_labels(dataset):
    """The summary column joins labels with spaces, and labels contain spaces: split on the labels."""
    table = read("kobo_labels.csv")
    mapping = mapping_for(table)
    mapping.multi["formes"] = MultiChoice(column="Formes du lien", separator=" ")
    assert distinct_answers(table, mapping, "formes") == [
        "Accompagnement à la scolarité (CLAS)", "Périscolaire", "Actions parentalité, café des parents",
        "Fêtes et événements"]
    mapping.values["formes"] = suggest_values(table, mapping, "formes")
    assert list(mapping.values["formes"].values()) == ["clas", "periscolaire", "parentalite", "fetes"]
    assert written(preview_survey(table, mapping, dataset)) == KOBO_ROWS


def test_kobo_xml_export_with_group_paths_and_user_completed_mapping(dataset):
    table = read("kobo_xml.csv")
    assert detect_tool(table) == "KoboToolbox"
    mapping = mapping_for(table)
    assert mapping.columns["structure"] == "entretien/structure"
    assert mapping.columns["date"] == "entretien/date_entretien"
    assert mapping.multi["formes"] == MultiChoice(column="lien/formes", separator=" ")
    assert mapping.values["formes"] == {"clas": "clas", "periscolaire": "periscolaire", "parents": "parentalite",
                                        "fetes": "fetes", "sorties": None}
    assert mapping.values["frequence"] == {"mensuelle": "mensuelle", "hebdo": None}
    assert unmapped_answers(table, mapping) == {"frequence": ["hebdo"], "formes": ["sorties"]}

    preview = preview_survey(table, mapping, dataset)
    assert messages(preview) == [
        (3, "lien/frequence", "hebdo", "réponse « hebdo » sans code correspondant pour « Fréquence du lien » : "
         "complétez la correspondance (valeur ignorée)"),
        (3, "lien/formes", "sorties", "réponse « sorties » sans code correspondant pour « Formes du lien » : "
         "complétez la correspondance (valeur ignorée)"),
    ]
    assert written(preview)[3]["frequence"] == ""  # the value is dropped, the row kept

    mapping.values["frequence"]["hebdo"] = "hebdomadaire"
    mapping.values["formes"]["sorties"] = ""  # the user chose to ignore that answer
    preview = preview_survey(table, Mapping.from_json(mapping.to_json()), dataset)
    assert messages(preview) == [] and unmapped_answers(table, mapping) == {}
    assert written(preview) == {
        2: form_row(reponse_id="KOBO-201", date="2024-04-02", repondant_id=E1,
                    repondant_fonction="direction_ecole", ecole_id=E1, centre_id="CS-1", formes="clas;periscolaire",
                    frequence="mensuelle", qualite="3", commentaire="RAS"),
        3: form_row(reponse_id="KOBO-202", date="2024-04-03", repondant_id="CS-2",
                    repondant_fonction="referent_famille", ecole_id=E4, centre_id="CS-2", formes="parentalite;fetes",
                    frequence="hebdomadaire", qualite="4"),
    }
    assert_no_personal_data(preview, "M. Durand", "Mme Ba", "enqueteur_95")


def test_kobo_reimport_next_month_updates_instead_of_adding(folder):
    dataset = load_dataset(folder)
    mapping = mapping_for(read("kobo_labels.csv"))
    saved = mapping.to_json()
    dataset = apply(folder, preview_survey(read("kobo_labels.csv"), mapping, dataset))

    again = preview_survey(read("kobo_labels.csv"), Mapping.from_json(saved), dataset)
    assert again.added.empty and again.updated.empty and again.unchanged == 3

    # An edited submission: Kobo gives it a new _uuid (kobocat#572), its _id stays.
    data = (FIXTURES / "kobo_labels.csv").read_bytes().replace(
        '"Satisfaisante";"Goûter'.encode(), '"Très satisfaisante";"Goûter'.encode()).replace(
        b"0b6ac2b1-5d1e-4f7a-9a57-2f1f0c6f8a01", b"91c2d3e4-0000-4a7a-9a57-2f1f0c6f8a99")
    next_month = preview_export(data, "kobo_labels-avril.csv", Mapping.from_json(saved), dataset)
    assert next_month.added.empty and next_month.unchanged == 2
    assert next_month.updated.to_dict("index") == {2: dict(KOBO_ROWS[2], qualite="4")}


def test_kobo_hxl_row_under_the_header_is_skipped():
    lines = (FIXTURES / "kobo_xml.csv").read_bytes().split(b"\r\n")
    hxl = b";".join([b'""'] * 3 + [b'"#date"'] + [b'""'] * 17)
    table = read_export(b"\r\n".join([lines[0], hxl, *lines[1:]]), "kobo.csv")
    assert table.lines == [3, 4] and table.rows[0][2] == "2024-04-02"
    assert "Ligne d'étiquettes HXL sous l'en-tête ignorée." in table.notes


def test_kobo_root_uuid_is_the_id_when_the_export_has_it(dataset):
    data = ('"Votre structure";"Structure partenaire";"meta/rootUuid";"_id";"_uuid"\r\n'
            '"École A";"Centre social Un";"uuid:48583952-1892-4931-8d9c-869e7b49bafb";"61";"e1"\r\n')
    table = read_export(data.encode(), "kobo.csv")
    preview = preview_survey(table, mapping_for(table), dataset)
    assert list(preview.added["reponse_id"]) == ["KOBO-48583952-1892-4931-8d9c-869e7b49bafb"]


def test_a_submission_repeated_in_the_file_is_rejected_once(dataset):
    lines = (FIXTURES / "kobo_labels.csv").read_bytes().split(b"\r\n")
    table = read_export(b"\r\n".join([*lines[:-1], lines[1], b""]), "kobo.csv")
    preview = preview_survey(table, mapping_for(table), dataset)
    assert (7, "reponse_id", "KOBO-101",
            "identifiant de réponse déjà présent(e) ligne 2 (ligne ignorée)") in messages(preview)
    assert list(written(preview)) == [2, 3, 6]


# --------------------------------------------------------------------------- LimeSurvey

LS_ROWS = {
    "LS123456-1": form_row(reponse_id="LS123456-1", date="2024-03-12", repondant_id=E1,
                           repondant_fonction="direction_ecole", ecole_id=E1, centre_id="CS-1",
                           formes="clas;parentalite", frequence="mensuelle", qualite="4",
                           commentaire="Réunion de rentrée commune"),
    "LS123456-3": form_row(reponse_id="LS123456-3", date="2024-03-13", repondant_id="CS-2",
                           repondant_fonction="referent_famille", ecole_id=E3, centre_id="CS-2",
                           formes="periscolaire;fetes", frequence="hebdomadaire", qualite="2"),
}


def limesurvey_codes_mapping(table) -> Mapping:
    """What the user completes on the mapping screen: LimeSurvey answer codes mean nothing to a guesser."""
    mapping = mapping_for(table)
    mapping.values["fonction"].update(DIR="direction_ecole", REF="referent_famille")
    mapping.values["frequence"]["HEBDO"] = "hebdomadaire"
    mapping.multi["formes"].options.update({"formes[SQ001]": "clas", "formes[SQ002]": "periscolaire",
                                            "formes[SQ003]": "parentalite", "formes[SQ004]": "fetes"})
    return mapping


def test_limesurvey_codes_export(dataset):
    table = read("limesurvey_codes.csv", "results-survey123456.csv")
    assert detect_tool(table) == "LimeSurvey"
    assert (table.encoding, table.delimiter, table.lines) == ("UTF-8 avec BOM", ",", [2, 3, 4])
    mapping = suggest_mapping(table)
    assert mapping.columns == {"structure": "structure", "partenaire": "partenaire", "fonction": "fonction",
                               "frequence": "frequence", "qualite": "qualite", "commentaire": "commentaire",
                               "id": "id", "date": "submitdate", "date_envoi": "submitdate"}
    assert mapping.multi["formes"].options == {f"formes[SQ00{i}]": None for i in range(1, 5)}
    assert mapping.values["fonction"] == {"DIR": None, "REF": None}
    assert mapping.values["frequence"] == {"MENS": "mensuelle", "HEBDO": None}
    assert mapping.id_prefix == "LS123456-"

    preview = preview_survey(table, limesurvey_codes_mapping(table), dataset)
    assert list(preview.added["reponse_id"]) == list(LS_ROWS)
    assert preview.added.to_dict("records") == list(LS_ROWS.values())
    assert messages(preview) == [(3, "submitdate", "", "réponse inachevée (pas de date d'envoi) (ligne ignorée)")]
    assert_no_personal_data(preview, "Jean Martin", "Awa S.", "192.0.2.44", "Sophie")


def test_limesurvey_full_text_export_of_the_same_survey_changes_nothing(folder):
    dataset = load_dataset(folder)
    codes = read("limesurvey_codes.csv", "results-survey123456.csv")
    dataset = apply(folder, preview_survey(codes, limesurvey_codes_mapping(codes), dataset))

    table = read("limesurvey_texte.csv", "results-survey123456.csv")
    assert detect_tool(table) == "LimeSurvey"
    mapping = mapping_for(table)
    assert mapping.columns["id"] == "ID de la réponse" and mapping.columns["date_envoi"] == "Date de soumission"
    assert mapping.multi["formes"].options["Formes du lien [Actions parentalité, café des parents]"] == "parentalite"
    assert "Adresse IP" not in mapping.source_columns() and "Votre nom" not in mapping.source_columns()
    preview = preview_survey(table, mapping, dataset)
    assert (len(preview.added), len(preview.updated), preview.unchanged, preview.problems) == (0, 0, 2, [])


# --------------------------------------------------------------------------- Framaforms

FRAMA_ROWS = {
    4: form_row(reponse_id="FRAMA-48213", date="2024-03-05", repondant_id=E1, repondant_fonction="direction_ecole",
                ecole_id=E1, centre_id="CS-1", formes="periscolaire;parentalite", frequence="trimestrielle",
                objets="reussite_scolaire;culture_loisirs", qualite="2", pistes="Un temps d'échange par trimestre"),
    6: form_row(reponse_id="FRAMA-48231", date="2024-03-07", repondant_id="CS-2", repondant_fonction="animation",
                ecole_id=E4, centre_id="CS-2", formes="fetes", frequence="ponctuelle", objets="citoyennete",
                qualite="4"),
}


def test_framaforms_compact_export(dataset):
    table = read("framaforms_compact.csv")
    assert detect_tool(table) == "Framaforms"
    assert table.headers[:3] == ["Serial", "SID", "Submitted Time"] and table.lines == [4, 5, 6]
    mapping = mapping_for(table)
    assert mapping.columns["structure_commune"] == "Commune de votre structure"
    assert (mapping.columns["id"], mapping.columns["brouillon"]) == ("SID", "Draft")
    assert mapping.multi["formes"] == MultiChoice(column="Formes du lien", separator=",")
    # labels joined with "," although a label holds a comma
    assert mapping.values["objets"] == {"Réussite scolaire des enfants": "reussite_scolaire",
                                        "Culture, sport et loisirs": "culture_loisirs",
                                        "Citoyenneté et vivre-ensemble": "citoyennete"}
    preview = preview_survey(table, mapping, dataset)
    assert written(preview) == FRAMA_ROWS
    assert messages(preview) == [
        (5, "Draft", "1", "brouillon : la réponse n'a pas été envoyée (ligne ignorée)"),
        (6, "Formes du lien", "Sorties culturelles", "réponse « Sorties culturelles » sans code correspondant pour "
         "« Formes du lien » : complétez la correspondance (valeur ignorée)"),
    ]
    assert_no_personal_data(preview, "direction.ecole-a@example.org", "198.51.100.7")


def test_framaforms_one_column_per_option_gives_the_same_answers(folder):
    dataset = load_dataset(folder)
    table = read("framaforms_colonnes.csv")
    assert detect_tool(table) == "Framaforms" and table.delimiter == ";"
    mapping = mapping_for(table)
    assert mapping.multi["objets"].options == {
        "Objet du lien/Réussite scolaire des enfants": "reussite_scolaire",
        "Objet du lien/Citoyenneté et vivre-ensemble": "citoyennete",
        "Objet du lien/Culture, sport et loisirs": "culture_loisirs"}
    assert mapping.multi["formes"].options["Formes du lien/Sorties culturelles"] is None
    preview = preview_survey(table, mapping, dataset)
    assert written(preview) == FRAMA_ROWS
    assert (6, "Formes du lien/Sorties culturelles", "X") in [m[:3] for m in messages(preview)]

    dataset = apply(folder, preview_survey(read("framaforms_compact.csv"),
                                           mapping_for(read("framaforms_compact.csv")), dataset))
    again = preview_survey(table, mapping, dataset)
    assert (len(again.added), len(again.updated), again.unchanged) == (0, 0, 2)


# --------------------------------------------------------------------------- Google Forms


def with_digest(prefix: str, timestamp: str, answer: dict[str, str]) -> dict[str, str]:
    """An answer without a tool id: its id is a digest of its submission time and of every field (issue 11: not of
    the minute, respondent and partner only, which merged different answers)."""
    key = "|".join([timestamp, *(answer[c] for c in COLUMNS if c != "reponse_id")])
    return {**answer, "reponse_id": prefix + hashlib.sha1(key.encode()).hexdigest()[:12]}


GOOGLE_ROWS = {
    2: with_digest("GF-", "2024-03-12T14:31:45", form_row(
        date="2024-03-12", repondant_id=E2, repondant_fonction="direction_ecole", ecole_id=E2, centre_id="CS-1",
        formes="periscolaire;parentalite", qualite="3", leviers="interconnaissance;personne_relais",
        freins="manque_temps")),
    3: with_digest("GF-", "2024-03-12T15:02:10", form_row(
        date="2024-03-12", repondant_id="CS-1", repondant_fonction="coordination_clas", ecole_id=E1,
        centre_id="CS-1", formes="clas", qualite="4", leviers="financement",
        freins="renouvellement_equipes;calendriers", commentaire="Convention signée en 2023, à renouveler")),
}


@pytest.mark.parametrize("name, separator", [("google_feuille.csv", ", "), ("google_formulaire.csv", ";")])
def test_google_forms_sheet_and_form_downloads(dataset, name, separator):
    table = read(name)
    assert detect_tool(table) == "Google Forms"
    mapping = mapping_for(table)
    assert mapping.columns["date"] == "Horodateur" and "id" not in mapping.columns
    assert mapping.multi["leviers"] == MultiChoice(column="Ce qui fait que ça marche (leviers)", separator=separator)
    assert mapping.values["leviers"]["Un financement dédié (CLAS, CAF, politique de la ville)"] == "financement"
    preview = preview_survey(table, mapping, dataset)
    # the same answer gets the same id from either download: re-importing updates, never duplicates
    assert written(preview) == GOOGLE_ROWS and preview.problems == []
    assert_no_personal_data(preview, "direction.ecole-b@example.org")


# --------------------------------------------------------------------------- plain CSV and XLSX


def test_plain_csv_saved_by_excel_in_windows_1252(dataset):
    table = read("excel_fr.csv")
    assert (detect_tool(table), table.encoding, table.delimiter) == ("CSV", "Windows-1252", ";")
    mapping = suggest_mapping(table)  # the file has its own "Vague" column
    assert mapping.columns["vague"] == "Vague" and mapping.multi["formes"].separator == ", "
    assert "Téléphone" not in mapping.source_columns()
    preview = preview_survey(table, mapping, dataset)
    assert preview.kind == "CSV"
    assert written(preview) == {
        2: with_digest("CSV-", "2023-06-15T00:00:00", row(
            vague="2023", date="2023-06-15", mode="formulaire", repondant_id=E1, repondant_fonction="direction_ecole",
            ecole_id=E1, centre_id="CS-1", formes="clas;fetes", frequence="mensuelle", qualite="4",
            pistes="Continuer le CLAS")),
        3: with_digest("CSV-", "2023-06-16T00:00:00", row(
            vague="2023", date="2023-06-16", mode="formulaire", repondant_id="CS-2",
            repondant_fonction="coordination_clas", ecole_id=E3, centre_id="CS-2", formes="clas",
            frequence="hebdomadaire", qualite="3")),
    }
    assert_no_personal_data(preview, "01 34 56 78 90")


def test_xlsx_first_sheet_with_sheet_row_numbers(dataset):
    book = Workbook()
    sheet = book.active
    sheet.title = "Réponses"
    sheet.append(["Structure", "Partenaire", "Fonction", "Formes", "Qualité", "Date", "Courriel"])
    sheet.append(["Collège C", "Centre social Deux", "Principal·e, proviseur·e ou adjoint·e",
                  "clas;echanges_information", 3, datetime(2024, 5, 2), "principal@example.org"])
    sheet.append([None] * 7)
    sheet.append(["Centre social Un", "0950002L", "Direction du centre social", "fetes", 4,
                  datetime(2024, 5, 3, 14, 30), None])
    book.create_sheet("Notes").append(["à ne pas lire"])
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_export(buffer.getvalue(), "suivi.xlsx")
    assert (table.format, table.lines, detect_tool(table)) == ("XLSX", [2, 4], "CSV")
    assert table.rows[1][4:6] == ["4", "2024-05-03 14:30:00"]
    assert "Seule la première feuille est lue ; ignorée(s) : « Notes »." in table.notes
    preview = preview_survey(table, mapping_for(table), dataset)
    assert preview.kind == "XLSX"
    assert written(preview) == {
        2: with_digest("CSV-", "2024-05-02T00:00:00", form_row(
            date="2024-05-02", repondant_id=E3, repondant_fonction="chef_etablissement", ecole_id=E3,
            centre_id="CS-2", formes="clas;echanges_information", qualite="3")),
        4: form_row(reponse_id=written(preview)[4]["reponse_id"], date="2024-05-03", repondant_id="CS-1",
                    repondant_fonction="direction_centre", ecole_id=E2, centre_id="CS-1", formes="fetes",
                    qualite="4"),
    }
    assert_no_personal_data(preview, "principal@example.org")


def test_what_the_loader_would_drop_is_dropped_from_the_row(dataset):
    data = "Structure;Partenaire;Date;Vague\nÉcole A;Centre social Un;la semaine dernière;2024\n".encode()
    preview = preview_export(data, "saisie.csv", suggest_mapping(read_export(data, "saisie.csv")), dataset)
    assert messages(preview) == [(2, "date", "la semaine dernière", "date « la semaine dernière » illisible "
                                  "(attendu 05/06/2018 ou 2018-06-05) (valeur ignorée)")]
    assert written(preview)[2]["date"] == "" and written(preview)[2]["ecole_id"] == E1


def test_same_name_in_two_communes_needs_the_commune(tmp_path):
    tables = small_tables()
    tables["structures"].loc[len(tables["structures"])] = [uai(5), "ecole_elementaire", "École A", "95127",
                                                           "9 rue G", "", "", "", ""]
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    data = ("Structure,Commune,Partenaire,Vague\n"
            "École A,,Centre social Deux,2024\nÉcole A,Cergy,Centre social Deux,2024\n").encode()
    preview = preview_export(data, "saisie.csv", suggest_mapping(read_export(data, "saisie.csv")), dataset)
    assert messages(preview) == [(2, "Structure", "École A", "plusieurs structures s'appellent « École A » "
                                  "(Argenteuil, Cergy) : associez une colonne commune ou utilisez l'identifiant "
                                  "(UAI) (ligne ignorée)")]
    assert list(preview.added["ecole_id"]) == [uai(5)]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("data, message", [
    (b"", "le fichier est vide."),
    (b"\xef\xbb\xbf\r\n", "aucune ligne d'en-tête"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ce n'est pas un fichier texte (contenu binaire)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "ancien format Excel (.xls)"),
])
def test_unreadable_files_are_refused_in_french(data, message):
    with pytest.raises(ExportRefused) as refused:
        read_export(data, "export.csv")
    assert message in refused.value.message


def test_spreadsheets_that_are_not_xlsx_are_refused():
    def archive(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            for name, content in files.items():
                zipped.writestr(name, content)
        return buffer.getvalue()

    with pytest.raises(ExportRefused, match=r"classeur OpenDocument \(\.ods\)"):
        read_export(archive({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""}),
                    "export.ods")
    with pytest.raises(ExportRefused, match="archive ZIP qui n'est pas un classeur"):
        read_export(archive({"photos/1.jpg": b"..."}), "kobo-media.zip")


def test_a_file_over_the_upload_limit_is_refused(monkeypatch, dataset):
    monkeypatch.setattr(importers.reading, "MAX_IMPORT_BYTES", 1024 * 1024)
    preview = preview_export(b"a;b\n" * 300_000, "gros.csv", Mapping(), dataset)
    assert [p.message for p in preview.problems] == ["fichier trop volumineux (1,1 Mo) : la limite est de 1 Mo."]
    assert preview.added.empty and not preview.has_changes


def test_a_file_with_no_recognisable_column_is_refused(dataset):
    table = read_export("Nom,Âge,Ville\nDupont,42,Pontoise\n".encode(), "contacts.csv")
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert [p.message for p in preview.problems] == [
        "aucune colonne reconnue : aucune colonne du fichier n'est associée à un champ (colonnes trouvées : "
        "Nom, Âge, Ville)"]
    assert preview.rows_read == 1 and not preview.has_changes


def test_a_mapping_that_no_longer_fits_the_export_stops_the_import(dataset):
    mapping = mapping_for(read("kobo_labels.csv"))
    del mapping.constants["vague"]
    data = (FIXTURES / "kobo_labels.csv").read_bytes().replace('"Qualité du lien"'.encode(), b'"Qualite"')
    preview = preview_export(data, "kobo.csv", mapping, dataset)
    assert [p.message for p in preview.problems] == [
        "colonne « Qualité du lien » (Qualité du lien) absente du fichier",
        "indiquez la vague d'enquête : une colonne du fichier, ou une valeur pour tout le fichier (ex. 2024)"]
    assert not preview.has_changes


def test_broken_rows_are_rejected_with_their_line():
    table = read_export(b"Structure;Partenaire\nEcole A;CS-1\nEcole B;CS-1;en trop\n\nEcole C\n", "x.csv")
    assert [(p.line, p.message) for p in table.problems] == [
        (3, "ligne avec des valeurs en trop : 3 valeurs au lieu de 2 (ligne ignorée)"),
        (5, "ligne tronquée : 1 valeurs au lieu de 2 (ligne ignorée)")]
    assert table.rows_read == 3 and table.lines == [2]


# --------------------------------------------------------------------------- mappings


def test_mapping_survives_json_and_rejects_what_it_cannot_read():
    mapping = limesurvey_codes_mapping(read("limesurvey_codes.csv", "results-survey123456.csv"))
    assert Mapping.from_json(mapping.to_json()) == mapping
    with pytest.raises(ValueError, match="n'est pas une correspondance"):
        Mapping.from_json("{}")
    with pytest.raises(ValueError, match="JSON invalide"):
        Mapping.from_json("{")
    with pytest.raises(ValueError, match="champs inconnus : telephone"):
        Mapping.from_json(mapping.to_json().replace('"commentaire": "commentaire"', '"telephone": "commentaire"'))


def test_mapping_names_become_safe_file_names():
    assert mapping_filename("Kobo mars 2024") == "kobo-mars-2024.json"
    assert mapping_filename("  École (Cergy)  ") == "ecole-cergy.json"
    for bad in ["", "   ", "../../etc/passwd", ".cache", "a/b", "x" * 61, "C:\\temp"]:
        with pytest.raises(ValueError):
            mapping_filename(bad)


def test_check_mapping_lists_what_the_user_must_choose():
    table = read("excel_fr.csv")
    mapping = Mapping(columns={"fonction": "Fonction"}, constants={"mode": "courrier"})
    assert check_mapping(table, mapping) == [
        "choisissez la colonne « Structure qui répond »", "choisissez la colonne « Structure partenaire »",
        "indiquez la vague d'enquête : une colonne du fichier, ou une valeur pour tout le fichier (ex. 2024)",
        "mode de recueil « courrier » inconnu (codes possibles : telephone, sur_site, formulaire)"]


def test_split_answers_keeps_known_answers_whole():
    known = {"actions parentalite, cafe des parents", "perisolaire"}
    assert split_answers("Périscolaire, Actions parentalité, café des parents", ", ", known) == [
        "Périscolaire", "Actions parentalité, café des parents"]
    assert split_answers("clas  fetes ", " ", set()) == ["clas", "fetes"]
    assert split_answers("", ";", set()) == []
