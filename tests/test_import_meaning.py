"""Issue 11: the import keeps the meaning of every answer (ticks, option groups, dates, tools, counts, suggestions).

Each export here is a few lines written the way the tool writes them, so that
what a test asserts is what a respondent meant.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import load_dataset
from lib.importers import (
    Mapping, detect_tool, option_groups, preview_survey, read_export, suggest_mapping,
)
from lib.importers.dates import AMBIGUOUS, DMY, MDY, YMD, infer_order, parse_date
from lib.importers.preview import unknown_ticks
from lib.importers.suggest import column_scores
from lib.imports import import_counts

E1, E2, E3 = uai(1), uai(2), uai(3)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return load_dataset(write_tables(tmp_path_factory.mktemp("jeu"), small_tables()))


def export(header: list[str], *rows: list[str], name: str = "export.csv", delimiter: str = ",") -> object:
    def line(cells: list[str]) -> str:
        return delimiter.join(f'"{c}"' if delimiter == "," else c for c in cells)

    text = "\r\n".join([line(header), *(line(r) for r in rows)]) + "\r\n"
    return read_export(text.encode("utf-8"), name)


def added(preview) -> dict[int, dict[str, str]]:
    return preview.added.to_dict("index")


LS_HEAD = ["id", "submitdate", "lastpage", "startlanguage", "Votre structure", "Structure partenaire",
           "Formes du lien [Accompagnement à la scolarité (CLAS)]", "Formes du lien [Périscolaire]",
           "Formes du lien [Fêtes et événements]"]


def limesurvey(*ticks: tuple[str, str, str], submit: str = "2024-03-12 10:00:00") -> object:
    rows = [[str(n), submit, "3", "de", "École A", "Centre social Un", *t] for n, t in enumerate(ticks, start=1)]
    return export(LS_HEAD, *rows, name="results-survey77.csv")


# --------------------------------------------------------------------------- ticks (item 1)


def test_limesurvey_no_and_not_answered_values_are_never_ticks(dataset):
    """The issue's file: "Nein", "N/A", "Ns/Nc", "Sin respuesta" became codes."""
    table = limesurvey(("Y", "N", "N/A"), ("Ja", "Nein", "Keine Antwort"), ("Sí", "Ns/Nc", "Sin respuesta"),
                       ("Oui", "", "-"))
    mapping = suggest_mapping(table)
    preview = preview_survey(table, mapping, dataset)
    assert [r["formes"] for r in added(preview).values()] == ["clas", "clas", "clas", "clas"]
    assert unknown_ticks(table, mapping) == {}


def test_an_unknown_tick_value_is_never_a_tick_until_the_user_says_so(dataset):
    table = limesurvey(("Y", "Peut-être", ""), ("", "Peut-être", "Y"))
    mapping = suggest_mapping(table)
    assert unknown_ticks(table, mapping) == {"Peut-être": ["Formes du lien [Périscolaire]"]}
    preview = preview_survey(table, mapping, dataset)
    assert [r["formes"] for r in added(preview).values()] == ["clas", "fetes"]
    assert any("Peut-être" in n and "jamais comptée comme cochée" in n for n in preview.notes)

    mapping.ticks["peut-etre"] = "coche"
    saved = Mapping.from_json(mapping.to_json())  # the user's meaning is saved with the mapping
    preview = preview_survey(table, saved, dataset)
    assert [r["formes"] for r in added(preview).values()] == ["clas;periscolaire", "periscolaire;fetes"]
    assert unknown_ticks(table, saved) == {}


def test_not_answered_words_in_one_answer_columns_are_empty_answers(dataset):
    table = export(["Structure", "Partenaire", "Qualité du lien", "Date"],
                   ["École A", "Centre social Un", "N/A", "N/A"], ["École B", "Centre social Un", "Satisfaisante", ""])
    mapping = suggest_mapping(table)
    mapping.constants["vague"] = "2024"
    preview = preview_survey(table, mapping, dataset)
    assert [(r["qualite"], r["date"]) for r in added(preview).values()] == [("", ""), ("3", "")]
    assert not preview.rejected and "N/A" not in mapping.values["qualite"]  # nothing to map, nothing reported


def test_an_empty_cell_is_unchecked_unless_the_column_writes_unchecked_itself(dataset):
    # Column 1 writes Y / empty (empty = not ticked); column 2 writes Oui / Non, so its empty cell is "no answer":
    # either way nothing is ticked and the row is kept.
    table = limesurvey(("Y", "Oui", ""), ("", "Non", ""), ("", "", ""))
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert [r["formes"] for r in added(preview).values()] == ["clas;periscolaire", "", ""]


def test_version_1_mappings_still_load_and_a_hand_picked_multiple_column_is_read():
    """The old page stored a hand-picked formes column in ``columns``, where the row builder never read it."""
    old = {"format": "passerelles-correspondance", "version": 1, "tool": "CSV",
           "columns": {"structure": "S", "partenaire": "P", "formes": "Formes"}, "multi": {}, "values": {},
           "constants": {"vague": "2024"}, "id_prefix": "CSV-"}
    mapping = Mapping.from_json(json.dumps(old))
    assert "formes" not in mapping.columns and mapping.multi["formes"].column == "Formes"
    assert (mapping.ticks, mapping.date_orders, mapping.keep_incomplete) == ({}, {}, False)


# --------------------------------------------------------------------------- option groups and separators (item 2)


def test_a_multiple_column_chosen_by_hand_reaches_the_rows(dataset):
    table = export(["Structure", "Partenaire", "Actions menées"],
                   ["École A", "Centre social Un", "Périscolaire; Fêtes et événements"])
    mapping = suggest_mapping(table)
    assert "formes" not in mapping.multi  # nothing in the header says "forme"
    mapping.set_column("formes", "Actions menées")
    mapping.set_separator("formes", ";")
    mapping.constants["vague"] = "2024"
    assert [r["formes"] for r in added(preview_survey(table, mapping, dataset)).values()] == ["periscolaire;fetes"]


def test_option_columns_can_be_moved_between_groups(dataset):
    table = export(["Structure", "Partenaire", "Formes du lien [CLAS]", "Formes du lien [Fêtes]", "Autre [Prêt]"],
                   ["École A", "Centre social Un", "Y", "", "Y"])
    mapping = suggest_mapping(table)
    mapping.constants["vague"] = "2024"
    mapping.multi["formes"].options.update({"Formes du lien [CLAS]": "clas", "Formes du lien [Fêtes]": "fetes"})
    mapping.add_option_column("formes", "Autre [Prêt]", "pret_locaux")
    assert [r["formes"] for r in added(preview_survey(table, mapping, dataset)).values()] == ["clas;pret_locaux"]
    mapping.remove_option_column("formes", "Formes du lien [CLAS]")
    assert [r["formes"] for r in added(preview_survey(table, mapping, dataset)).values()] == ["pret_locaux"]


def test_dotted_and_slashed_option_columns_are_grouped():
    table = export(["Structure", "formes.periscolaire", "formes.fetes", "Formes du lien/Périscolaire",
                    "Formes du lien/Fêtes et événements", "Site.web"],
                   ["École A", "1", "0", "Oui", "Non", "exemple.org"])
    assert option_groups(table) == {
        "formes": [("formes.periscolaire", "periscolaire"), ("formes.fetes", "fetes")],
        "Formes du lien": [("Formes du lien/Périscolaire", "Périscolaire"),
                           ("Formes du lien/Fêtes et événements", "Fêtes et événements")],
    }


def test_labels_with_a_slash_or_the_separator_stay_one_option(dataset):
    table = export(["Structure", "Partenaire", "Leviers", "Leviers/Le cadre REP / cité éducative",
                    "Leviers/La proximité géographique", "Objet du lien"],
                   ["École A", "Centre social Un", "x", "1", "0",
                    "Culture, sport et loisirs, Numérique et démarches en ligne (ENT, inscriptions)"])
    mapping = suggest_mapping(table)
    mapping.constants["vague"] = "2024"
    assert mapping.multi["leviers"].options == {"Leviers/Le cadre REP / cité éducative": "cadre_rep",
                                                "Leviers/La proximité géographique": "proximite"}
    assert mapping.multi["objets"].separator == ", "
    [row] = added(preview_survey(table, mapping, dataset)).values()
    assert (row["leviers"], row["objets"]) == ("cadre_rep", "culture_loisirs;numerique")


# --------------------------------------------------------------------------- dates (item 4)


def dated(*dates: str, tool_header: str = "Date de l'entretien") -> object:
    return export(["Structure", "Partenaire", tool_header],
                  *(["École A", "Centre social Un", d] for d in dates))


def test_a_day_above_12_decides_the_whole_column(dataset):
    table = dated("05/06/2018", "25/06/2018")
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert [r["date"] for r in added(preview).values()] == ["2018-06-05", "2018-06-25"]


def test_month_first_columns_are_read_month_first_never_swapped(dataset):
    table = dated("06/05/2018", "06/25/2018")
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert [r["date"] for r in added(preview).values()] == ["2018-06-05", "2018-06-25"]


def test_an_ambiguous_column_is_asked_and_the_answer_saved(dataset):
    table = dated("05/06/2018", "07/08/2018")
    mapping = suggest_mapping(table)
    preview = preview_survey(table, mapping, dataset)
    assert any("rien ne dit si 05/06" in n for n in preview.notes)
    assert [r["date"] for r in added(preview).values()] == ["2018-06-05", "2018-08-07"]  # the tool's convention
    mapping.date_orders["Date de l'entretien"] = MDY
    preview = preview_survey(table, Mapping.from_json(mapping.to_json()), dataset)
    assert not any("rien ne dit" in n for n in preview.notes)
    assert [r["date"] for r in added(preview).values()] == ["2018-05-06", "2018-07-08"]


def test_excel_serials_french_month_names_and_dates_out_of_range(dataset):
    tomorrow = date.today() + timedelta(days=2)
    table = dated("43256", "5 juin 2018", "1er août 2019 à 14h30", "12/03/1999", tomorrow.strftime("%d/%m/%Y"))
    preview = preview_survey(table, suggest_mapping(table), dataset)
    dates = [r["date"] for r in added(preview).values()]
    assert dates == ["2018-06-05", "2018-06-05", "2019-08-01", "", ""]
    reasons = {p.line: p.message for p in preview.problems if "date" in p.message}
    assert "antérieure à 2000" in reasons[5] and "dans le futur" in reasons[6]


def test_date_order_inference_examples():
    assert infer_order(["2018-06-05T10:00:00", "43256"]) == YMD
    assert infer_order(["05/06/2018 - 14:31", "13/06/2018 - 09:00"]) == DMY
    assert infer_order(["05/06/2018", "06/05/2018"]) == AMBIGUOUS
    assert parse_date("31/02/2019", DMY)[0] is None


# --------------------------------------------------------------------------- tools (item 5)


FRAMA_HEAD = ["Séquentiel", "SID", "Heure de soumission", "Brouillon", "Adresse IP", "UID", "Nom d'utilisateur",
              "Votre structure", "Structure partenaire"]


def test_french_framaforms_export_with_drafts_counted_apart(dataset):
    table = export(FRAMA_HEAD, ["1", "11", "05/06/2018 - 14:31", "0", "192.0.2.1", "0", "", "École A",
                                "Centre social Un"],
                   ["2", "12", "06/06/2018 - 09:02", "1", "192.0.2.2", "0", "", "École B", "Centre social Un"],
                   name="framaforms.tsv", delimiter="\t")
    assert detect_tool(table) == "Framaforms"
    mapping = suggest_mapping(table)
    assert (mapping.columns["id"], mapping.columns["brouillon"]) == ("SID", "Brouillon")
    preview = preview_survey(table, mapping, dataset)
    counts = import_counts(preview)
    assert (counts.read, counts.skipped, counts.added, counts.rejected) == (2, 1, 1, 0)
    assert "1 brouillon(s) écartée(s)." in preview.notes
    assert "Adresse IP" not in mapping.source_columns() and "Nom d'utilisateur" not in mapping.source_columns()


def test_kobo_ids_are_never_a_question_named_id():
    table = export(["ID", "Votre structure", "_id", "_uuid", "_submission_time"],
                   ["Q-7", "École A", "301", "abc", "2024-04-03T08:41:05"])
    assert suggest_mapping(table).columns["id"] == "_id"


def test_limesurvey_unfinished_answers_skipped_unless_kept(dataset):
    table = limesurvey(("Y", "", ""), submit="")
    mapping = suggest_mapping(table)
    mapping.constants["vague"] = "2024"
    preview = preview_survey(table, mapping, dataset)
    assert (import_counts(preview).skipped, len(preview.added)) == (1, 0)
    mapping.keep_incomplete = True
    assert len(preview_survey(table, Mapping.from_json(mapping.to_json()), dataset).added) == 1


def test_two_answers_with_one_submission_id_are_both_reported_never_merged(dataset):
    table = limesurvey(("Y", "", ""), ("", "Y", ""))
    table.rows[1][0] = "1"  # the same id twice, different answers
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert preview.added.empty
    assert sorted(p.line for p in preview.problems if p.row_dropped) == [2, 3]


def test_without_a_tool_id_two_answers_of_the_same_minute_stay_two(dataset):
    table = export(["Horodateur", "Votre structure", "Structure partenaire", "Qualité du lien"],
                   ["12/03/2024 14:31:00", "École A", "Centre social Un", "Satisfaisante"],
                   ["12/03/2024 14:31:00", "École A", "Centre social Un", "Difficile"])
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert len(preview.added) == 2 and preview.added["reponse_id"].nunique() == 2


# --------------------------------------------------------------------------- files (item 6) and counts (item 7)


def test_a_header_only_file_says_so(dataset):
    table = export(LS_HEAD)
    preview = preview_survey(table, suggest_mapping(table), dataset)
    assert "Le fichier ne contient que la ligne d'en-tête : aucune réponse à importer." in preview.notes


def test_counts_add_up_and_group_rejections_by_reason(dataset):
    table = export(["id", "submitdate", "lastpage", "startlanguage", "Votre structure", "Structure partenaire"],
                   ["1", "2024-03-12 10:00:00", "3", "fr", "École A", "Centre social Un"],
                   ["2", "", "3", "fr", "École A", "Centre social Un"],
                   ["3", "2024-03-12 10:00:00", "3", "fr", "École Inconnue", "Centre social Un"],
                   ["4", "2024-03-12 10:00:00", "3", "fr", "École Perdue", "Centre social Un"],
                   ["5", "2024-03-12 10:00:00", "3", "fr", "École A"])
    preview = preview_survey(table, suggest_mapping(table), dataset)
    counts = import_counts(preview)
    assert counts.read == counts.skipped + counts.added + counts.updated + counts.unchanged + counts.rejected == 5
    assert (counts.skipped, counts.added, counts.rejected) == (1, 1, 3)
    assert counts.rejected_by_reason["structure « … » introuvable dans structures.csv"] == [4, 5]
    assert [r["line"] for r in counts.as_dict()["rejected"]] == [4, 5, 6]
    assert counts.sentence() in preview.notes


# --------------------------------------------------------------------------- suggestions (item 8)


def test_suggestions_match_whole_words_with_a_score_and_skip_empty_columns():
    table = export(["Votre structure", "Structure partenaire", "Dysfonctionnements constatés",
                    "Fonctionnement du partenariat", "Fonction", "Commentaire", "Remarques"],
                   ["École A", "Centre social Un", "aucun", "bon", "Enseignant", "", "RAS"])
    mapping = suggest_mapping(table)
    assert mapping.columns["fonction"] == "Fonction"
    assert column_scores(table, mapping)["fonction"] == ("Fonction", 100)
    assert mapping.columns["commentaire"] == "Remarques"  # "Commentaire" is empty in every row

    table = export(["Votre structure", "Dysfonctionnements constatés"], ["École A", "aucun"])
    assert "fonction" not in suggest_mapping(table).columns
