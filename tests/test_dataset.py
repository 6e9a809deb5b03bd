"""Loading a data set and every validation rule: each problem names file, line, column."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import small_tables, uai, write_tables
from lib.dataset import DEMO_DIR, ERROR, REDACTED, WARNING, check_rows, load_dataset, problems_frame, resolve_data_dir


def load_with(tmp_path, edit=None, **overrides):
    """Write the small data set after ``edit(tables)`` and load it."""
    tables = small_tables()
    if edit:
        edit(tables)
    tables.update(overrides)
    return load_dataset(write_tables(tmp_path / "jeu", tables))


def only_problem(dataset, severity=None):
    problems = [p for p in dataset.problems if severity is None or p.severity == severity]
    assert len(problems) == 1, [str(p) for p in dataset.problems]
    return problems[0]


def set_cell(name, row, column, value):
    def edit(tables):
        tables[name][column] = tables[name][column].astype(object)
        tables[name].loc[row, column] = value
    return edit


# --------------------------------------------------------------------------- a valid data set


def test_small_dataset_loads_typed_and_clean(small_dataset):
    dataset = load_dataset(small_dataset)
    assert dataset.problems == []
    assert len(dataset.structures) == 6 and len(dataset.reponses) == 6
    assert dataset.waves == ["2018", "2019"]
    r = dataset.reponses.set_index("reponse_id")
    assert r.at["R1", "formes"] == ["clas", "fetes"]
    assert r.at["R1", "qualite"] == 4
    assert r.at["R1", "cote"] == "ecole" and r.at["R2", "cote"] == "centre"
    assert r.at["R4", "date"] == pd.Timestamp(2018, 11, 5)  # French date format
    assert list(dataset.reponses["frequence"].cat.categories) == ["ponctuelle", "trimestrielle", "mensuelle",
                                                                  "hebdomadaire"]
    assert dataset.reponses["frequence"].cat.ordered
    s = dataset.structures.set_index("id")
    assert s.at[uai(2), "position_approximative"]  # no coordinates: placed at its town hall
    assert not s.at[uai(1), "position_approximative"]
    assert s.at[uai(2), "latitude"] == pytest.approx(s.at[uai(1), "latitude"])  # both at Argenteuil's town hall
    assert s.at[uai(1), "commune"] == "Argenteuil"
    assert s.at[uai(3), "epci_nom"] == "Communauté d'agglomération de Cergy-Pontoise"
    assert s.at[uai(3), "education_prioritaire_groupe"] == "Hors éducation prioritaire"
    assert s.at["CS-1", "qpv_groupe"] == "En QPV"
    assert dataset.participations["participants"].sum() == 3
    assert dataset.rencontres.at[0, "date"] == pd.Timestamp(2018, 6, 5)


def test_semicolon_cp1252_decimal_comma_crlf_dataset_reads_the_same(tmp_path):
    tables = small_tables()
    folder = tmp_path / "excel"
    folder.mkdir()
    for name, table in tables.items():
        text = table.astype(str).replace("nan", "").map(lambda v: v.replace(".", ",") if v[:2] in ("48", "49") else v)
        text.to_csv(folder / f"{name}.csv", index=False, sep=";", encoding="cp1252", lineterminator="\r\n")
    excel = load_dataset(folder)
    plain = load_dataset(write_tables(tmp_path / "plain", small_tables()))
    assert excel.problems == []
    pd.testing.assert_frame_equal(excel.structures, plain.structures)
    assert excel.structures["nom"].tolist()[0] == "École A"


# --------------------------------------------------------------------------- file-level problems


def test_missing_required_file(tmp_path):
    folder = write_tables(tmp_path / "jeu", small_tables())
    (folder / "reponses.csv").unlink()
    dataset = load_dataset(folder)
    problem = only_problem(dataset)
    assert problem.file == "reponses.csv" and "obligatoire absent" in problem.message
    assert dataset.reponses.empty


def test_optional_files_may_be_missing(tmp_path):
    tables = small_tables()
    del tables["rencontres"], tables["participations"]
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    assert dataset.problems == []
    assert dataset.rencontres.empty


def test_missing_folder(tmp_path):
    dataset = load_dataset(tmp_path / "absent")
    assert any("introuvable" in p.message for p in dataset.errors)


def test_missing_required_column(tmp_path):
    dataset = load_with(tmp_path, lambda t: t.update(reponses=t["reponses"].drop(columns=["centre_id"])))
    problem = only_problem(dataset)
    assert (problem.file, problem.line, problem.column) == ("reponses.csv", 1, "centre_id")
    assert "colonne obligatoire « centre_id » absente" in problem.message


def test_unknown_and_duplicate_columns(tmp_path):
    folder = write_tables(tmp_path / "jeu", small_tables())
    path = folder / "structures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",Remarque,nom"] + [line + ",x,y" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load_dataset(folder)
    messages = {(p.column, p.severity): p.message for p in dataset.problems}
    assert messages[("Remarque", WARNING)] == "colonne inconnue, ignorée"
    assert "colonne en double (colonnes 3 et 11)" in messages[("nom", ERROR)]


def test_truncated_and_overlong_rows(tmp_path):
    folder = write_tables(tmp_path / "jeu", small_tables())
    path = folder / "structures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = ",".join(lines[2].split(",")[:4])  # line 3 cut short
    lines[3] = lines[3] + ",extra"  # line 4 has one value too many
    lines[4] = lines[4] + ",,,"  # line 5: Excel's trailing empty cells are harmless
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load_dataset(folder)
    by_line = {p.line: p for p in dataset.problems if p.file == "structures.csv"}
    assert "tronquée : 4 valeurs au lieu de 9" in by_line[3].message
    assert "valeurs en trop : 10 valeurs au lieu de 9" in by_line[4].message
    assert 5 not in by_line
    assert len(dataset.structures) == 4


def test_unreadable_file_becomes_a_problem_not_an_exception(tmp_path):
    folder = write_tables(tmp_path / "jeu", small_tables())
    (folder / "structures.csv").write_bytes(b"\x00\x01\x02binary")
    dataset = load_dataset(folder)
    assert any(p.file == "structures.csv" and "binaire" in p.message for p in dataset.errors)
    # every answer now points at an unknown structure: reported, not crashed
    assert dataset.reponses.empty


# --------------------------------------------------------------------------- structures.csv

STRUCTURE_CASES = [
    # (row, column, value, severity, expected words, row kept)
    (0, "id", "", ERROR, "identifiant manquant(e)", False),
    (0, "nom", "", ERROR, "nom manquant(e)", False),
    (0, "type", "", ERROR, "type manquant(e)", False),
    (0, "type", "ecole elementaire", ERROR, "vouliez-vous dire « ecole_elementaire » (École élémentaire)", False),
    (0, "id", "951234J", ERROR, "n'est pas un code UAI", False),
    (0, "id", "0950001A", WARNING, "lettre clé de l'UAI « 0950001A » incorrecte (attendu « K »)", True),
    (4, "id", "CS 1", ERROR, "identifiant « CS 1 » invalide", False),
    (0, "commune_insee", "", ERROR, "code commune manquant(e)", False),
    (0, "commune_insee", "75056", ERROR, "code commune « 75056 » inconnu dans le département 95 (Val-d'Oise)", False),
    (0, "commune_insee", "Argenteuil", ERROR, "« Argenteuil » est un nom de commune : indiquez son code INSEE 95018",
     False),
    (0, "education_prioritaire", "REP++", ERROR, "valeur attendue : REP+, REP ou vide (valeur ignorée)", True),
    (0, "latitude", "quarante-neuf", ERROR, "« quarante-neuf » n'est pas un nombre", True),
    (0, "longitude", "", ERROR, "latitude et longitude vont ensemble", True),
    (0, "latitude", "45.76", ERROR, "coordonnées hors du département 95 (latitude 45.76)", True),
]


@pytest.mark.parametrize("row,column,value,severity,words,kept", STRUCTURE_CASES,
                         ids=[f"{c[1]}={c[2]!r}" for c in STRUCTURE_CASES])
def test_structure_rules(tmp_path, row, column, value, severity, words, kept):
    dataset = load_with(tmp_path, set_cell("structures", row, column, value))
    problems = [p for p in dataset.problems if p.file == "structures.csv"]
    assert problems, "expected a problem"
    problem = problems[0]
    assert (problem.line, problem.column, problem.severity) == (row + 2, column if column != "longitude" else
                                                                "latitude", severity)
    assert words in problem.message
    assert (len(dataset.structures) == 6) is kept


def test_duplicate_structure_id_names_the_first_line(tmp_path):
    dataset = load_with(tmp_path, set_cell("structures", 5, "id", "CS-1"))
    problem = [p for p in dataset.problems if p.file == "structures.csv"][0]
    assert (problem.line, problem.column) == (7, "id")
    assert "identifiant déjà présent(e) ligne 6" in problem.message


def test_swapped_coordinates_are_recognised(tmp_path):
    def swap(tables):
        s = tables["structures"]
        s.loc[0, ["latitude", "longitude"]] = [s.loc[0, "longitude"], s.loc[0, "latitude"]]
    dataset = load_with(tmp_path, swap)
    problem = only_problem(dataset)
    assert "inversées" in problem.message
    s = dataset.structures.set_index("id")
    assert s.at[uai(1), "position_approximative"]  # kept, placed at the town hall


def test_point_far_from_its_commune_is_a_warning(tmp_path):
    # Cergy's town hall given for a school said to be in Argenteuil
    dataset = load_with(tmp_path, set_cell("structures", 0, "commune_insee", "95585"))
    problem = only_problem(dataset)
    assert problem.severity == WARNING and "plus de 2 km de sa commune (95585)" in problem.message


def test_lenient_spellings_are_accepted(tmp_path):
    def edit(tables):
        s = tables["structures"]
        s["latitude"] = s["latitude"].astype(object)
        s.loc[0, "education_prioritaire"] = "rep+"
        s.loc[0, "latitude"] = str(s.loc[0, "latitude"]).replace(".", ",")
    dataset = load_with(tmp_path, edit)
    assert dataset.problems == []
    assert dataset.structures.set_index("id").at[uai(1), "education_prioritaire"] == "REP+"


def test_commune_code_that_lost_its_leading_zero(tmp_path, monkeypatch):
    # Only meaningful for départements 01–09; check the padding rule with a fake reference row.
    from lib import dataset as dataset_module
    from lib.territories import load_reference

    reference = load_reference()
    communes = pd.concat([reference.communes, reference.communes.iloc[[0]].assign(code_insee="01001")])
    patched = type(reference)(reference.folder, reference.meta, communes, reference.epci,
                              reference.communes_geojson, reference.epci_geojson)
    monkeypatch.setattr(dataset_module, "load_reference", lambda folder: patched)

    def edit(tables):
        tables["structures"].loc[0, ["commune_insee", "latitude", "longitude"]] = ["1001", "", ""]
    dataset = load_with(tmp_path, edit)
    assert dataset.structures.set_index("id").at[uai(1), "commune_insee"] == "01001"


# --------------------------------------------------------------------------- reponses.csv

ANSWER_CASES = [
    # (row, column, value, severity, expected words, answers kept)
    (0, "reponse_id", "", ERROR, "identifiant de réponse manquant(e)", 5),
    (1, "reponse_id", "R1", ERROR, "identifiant de réponse déjà présent(e) ligne 2", 5),
    (0, "vague", "", ERROR, "vague d'enquête manquant(e)", 5),
    (0, "mode", "", ERROR, "mode de recueil manquant(e)", 5),
    (0, "mode", "téléphone", ERROR, "vouliez-vous dire « telephone »", 6),
    (0, "ecole_id", "0959999A", ERROR, "structure « 0959999A » absente de structures.csv", 5),
    (0, "ecole_id", "CS-2", ERROR, "« CS-2 » n'est pas un établissement scolaire : c'est un(e) centre social", 5),
    (0, "centre_id", uai(3), ERROR, "n'est pas un centre social ou un espace de vie sociale : c'est un(e) collège", 5),
    (0, "repondant_id", "CS-2", ERROR, "doit être l'une des deux structures du lien", 5),
    (0, "date", "31/02/2018", ERROR, "date « 31/02/2018 » illisible", 6),
    (0, "repondant_fonction", "directeur", ERROR, "code « directeur » inconnu pour « Fonction de la personne interrogée »",
     6),
    (0, "repondant_fonction", "referent_famille", WARNING, "ne correspond pas au côté qui répond", 6),
    (0, "formes", "clas;periscolair", ERROR, "vouliez-vous dire « periscolaire » (Périscolaire) ?", 6),
    (0, "frequence", "Hebdomadaire ou plus", ERROR, "vouliez-vous dire « hebdomadaire »", 6),
    (0, "objets", "xyz", ERROR, "code « xyz » inconnu pour « Objet du lien » (codes possibles :", 6),
    (0, "leviers", "interconnaissance;confiance", ERROR, "code « confiance » inconnu", 6),
    (0, "freins", "temps", ERROR, "code « temps » inconnu pour « Ce qui freine (freins) »", 6),
    (0, "qualite", "5", ERROR, "qualité « 5 » invalide : attendu un nombre entier (1 = difficile", 6),
    (0, "qualite", "Satisfaisante", ERROR, "correspond au niveau 3", 6),
    (0, "formes", "", WARNING, "aucune forme de lien indiquée", 6),
    (0, "commentaire", "Écrire à jean.dupont@ecole.fr", ERROR, "donnée personnelle", 6),
    (0, "pistes", "rappeler au 06 12 34 56 78", ERROR, "donnée personnelle", 6),
]


@pytest.mark.parametrize("row,column,value,severity,words,kept", ANSWER_CASES,
                         ids=[f"{c[1]}={c[2]!r}" for c in ANSWER_CASES])
def test_answer_rules(tmp_path, row, column, value, severity, words, kept):
    dataset = load_with(tmp_path, set_cell("reponses", row, column, value))
    problems = [p for p in dataset.problems if p.file == "reponses.csv"]
    assert problems, "expected a problem"
    problem = problems[0]
    assert (problem.line, problem.column, problem.severity) == (row + 2, column, severity), str(problem)
    assert words in problem.message, problem.message
    assert len(dataset.reponses) == kept


def test_unknown_code_is_removed_but_the_answer_kept(tmp_path):
    dataset = load_with(tmp_path, set_cell("reponses", 0, "formes", "clas;periscolair;fetes"))
    assert dataset.reponses.set_index("reponse_id").at["R1", "formes"] == ["clas", "fetes"]


def test_quality_accepts_decimal_forms_of_an_integer(tmp_path):
    dataset = load_with(tmp_path, set_cell("reponses", 0, "qualite", "3,0"))
    assert dataset.problems == []
    assert dataset.reponses.set_index("reponse_id").at["R1", "qualite"] == 3


def test_personal_data_never_reaches_the_tables(tmp_path):
    dataset = load_with(tmp_path, set_cell("reponses", 0, "commentaire", "voir avec Mme X, 01.23.45.67.89"))
    assert dataset.reponses.set_index("reponse_id").at["R1", "commentaire"] == REDACTED
    assert "01.23.45.67.89" not in dataset.reponses.to_csv()


def test_duplicate_answer_is_a_warning(tmp_path):
    def edit(tables):
        r = tables["reponses"]
        extra = r.iloc[[0]].assign(reponse_id="R7")
        tables["reponses"] = pd.concat([r, extra], ignore_index=True)
    dataset = load_with(tmp_path, edit)
    problem = only_problem(dataset)
    assert (problem.severity, problem.line, problem.column) == (WARNING, 8, "repondant_id")
    assert "réponse en double" in problem.message


# --------------------------------------------------------------------------- rencontres, participations, territoires

OTHER_CASES = [
    ("rencontres", 0, "rencontre_id", "", "identifiant de rencontre manquant(e)"),
    ("rencontres", 0, "titre", "", "titre manquant(e)"),
    ("rencontres", 0, "date", "", "date manquant(e)"),
    ("rencontres", 0, "date", "5 juin", "date « 5 juin » illisible"),
    ("rencontres", 0, "type", "reunion", "code « reunion » inconnu pour « Type de rencontre »"),
    ("rencontres", 0, "commune_insee", "99999", "code commune « 99999 » inconnu"),
    ("rencontres", 0, "heure_debut", "9 heures", "heure « 9 heures » illisible"),
    ("participations", 0, "rencontre_id", "M9", "rencontre « M9 » absente de rencontres.csv"),
    ("participations", 0, "structure_id", "CS-9", "structure « CS-9 » absente de structures.csv"),
    ("participations", 0, "participants", "deux", "nombre de participants « deux » invalide"),
    ("participations", 0, "participants", "0", "nombre de participants « 0 » invalide"),
    ("participations", 1, "structure_id", "CS-1", "participation de cette structure à cette rencontre déjà présent(e) "
                                                  "ligne 2"),
]


@pytest.mark.parametrize("name,row,column,value,words", OTHER_CASES, ids=[f"{c[0]}.{c[2]}={c[3]!r}" for c in OTHER_CASES])
def test_meeting_rules(tmp_path, name, row, column, value, words):
    dataset = load_with(tmp_path, set_cell(name, row, column, value))
    problems = [p for p in dataset.problems if p.file == f"{name}.csv"]
    assert problems and problems[0].line == row + 2 and problems[0].column == column
    assert words in problems[0].message


def test_meeting_hours_accept_french_style(tmp_path):
    dataset = load_with(tmp_path, set_cell("rencontres", 0, "heure_debut", "9h00".zfill(5)))
    assert dataset.problems == []


def test_custom_territories(tmp_path):
    territoires = pd.DataFrame({"commune_insee": ["95018", "95127", "95585", "95000", "95018"],
                                "territoire": ["Boucle nord", "Cergy-Pontoise", "", "Ailleurs", "Autre"]})
    dataset = load_with(tmp_path, territoires=territoires)
    problems = {(p.line, p.column): p.message for p in dataset.problems}
    assert "nom de territoire manquant(e)" in problems[(4, "territoire")]
    assert "code commune « 95000 » inconnu" in problems[(5, "commune_insee")]
    assert "commune déjà présent(e) ligne 2" in problems[(6, "commune_insee")]
    s = dataset.structures.set_index("id")
    assert s.at[uai(1), "territoire"] == "Boucle nord"
    assert s.at[uai(4), "territoire"] == "Sans territoire"


# --------------------------------------------------------------------------- report and data-set choice


def test_problem_reads_like_a_sentence(tmp_path):
    dataset = load_with(tmp_path, set_cell("reponses", 2, "qualite", "9"))
    assert str(dataset.errors[0]).startswith("reponses.csv, ligne 4, colonne « qualite » : qualité « 9 » invalide")
    table = problems_frame(dataset.problems)
    assert table.loc[0, ["fichier", "ligne", "colonne", "valeur"]].tolist() == ["reponses.csv", 4, "qualite", "9"]


def test_data_dir_resolution(tmp_path, monkeypatch):
    from lib import dataset as dataset_module

    monkeypatch.setattr(dataset_module, "LOCAL_DIR", tmp_path / "local")
    no_secrets = tmp_path / "absent.toml"
    assert resolve_data_dir({}, no_secrets) == DEMO_DIR
    (tmp_path / "local").mkdir()
    assert resolve_data_dir({}, no_secrets) == tmp_path / "local"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'data_dir = "{tmp_path / "from-secrets"}"\n', encoding="utf-8")
    assert resolve_data_dir({}, secrets) == tmp_path / "from-secrets"
    assert resolve_data_dir({"PASSERELLES_DATA": str(tmp_path / "env")}, secrets) == tmp_path / "env"


def test_check_rows_gives_the_loaders_messages_for_an_uploaded_file(small_dataset):
    dataset = load_dataset(small_dataset)
    rows = small_tables()["reponses"].iloc[:3].copy()
    rows["reponse_id"] = ["N1", "N2", "N3"]
    rows["_line"] = [10, 11, 12]
    rows.loc[rows.index[1], "ecole_id"] = "0959999A"  # unknown school: the row is rejected
    rows.loc[rows.index[2], "formes"] = "clas;periscolair"  # unknown code: the value is dropped, the row kept
    ok, problems = check_rows("reponses", rows, dataset, "export-kobo.csv")
    assert ok.tolist() == [True, False, True]
    assert [(p.file, p.line, p.column) for p in problems] == [("export-kobo.csv", 11, "ecole_id"),
                                                             ("export-kobo.csv", 12, "formes")]
    assert problems[0].row_dropped and not problems[1].row_dropped


def test_closed_status(tmp_path):
    def closed(text):
        def edit(tables):
            tables["structures"]["statut"] = ""
            tables["structures"].loc[0, "statut"] = text
        return edit
    dataset = load_with(tmp_path, closed("ferme"))
    assert dataset.problems == [] and dataset.structures.set_index("id").at[uai(1), "statut"] == "ferme"
    dataset = load_with(tmp_path / "b", closed("fermé depuis 2019"))
    assert "valeur attendue : ferme ou vide" in only_problem(dataset).message


def test_contact_details_in_a_meeting_title_or_place_are_flagged_and_masked(tmp_path):
    tables = small_tables()
    tables["rencontres"].loc[0, "titre"] = "Réunion — inscription auprès de m.martin@centre.fr"
    tables["rencontres"].loc[0, "lieu"] = "Salle B, appeler le 01 23 45 67 89"
    dataset = load_dataset(write_tables(tmp_path / "jeu", tables))
    found = {(p.column, p.line) for p in dataset.errors if "donnée personnelle" in p.message}
    assert found == {("titre", 2), ("lieu", 2)}
    assert dataset.rencontres.loc[0, "titre"] == dataset.rencontres.loc[0, "lieu"] == "[masqué : donnée personnelle]"
    assert len(dataset.rencontres) == 1  # the meeting itself is kept
