"""Bad files (issue 5): each one gets its French message, and the data set stays byte for byte as it was.

The corpus is in tests/fixtures/bad/ (written by its make_bad_files.py; the
50 MB file is built here, once). Every file goes through the entry point a
user would give it:

- a survey export, previewed with the mapping saved from the good export of
  the same tool (``preview_export``), or with the mapping suggested from the
  file itself (``read_export`` → ``suggest_mapping`` → ``check_mapping`` →
  ``preview_survey``, as the import page does);
- the Ministry's school directory (``preview_school_directory``);
- a data-set file someone edited by hand, read by the loader
  (``load_dataset``) and by ``python -m lib.cli check``.

For every case the data-set folder (a copy of the small data set with its
journal and versions) hashes the same before and after; a file refused
entirely gives ``apply_preview`` nothing to write. Hostile texts (formulas,
HTML, Jinja) are then confirmed through the store and must come back as
typed, and inert in every export and on the map.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import small_tables
from lib import cli
from lib.annuaire import preview_school_directory
from lib.dataset import ERROR, WARNING, load_dataset
from lib.export import to_csv_bytes, to_xlsx_bytes
from lib.importers import (
    ExportRefused, Mapping, check_mapping, preview_export, preview_survey, read_export, suggest_mapping,
)
from lib.imports import MAX_IMPORT_BYTES, ImportPreview, apply_preview, preview_summary, refused
from lib.maps import script_json, escape, structure_points
from lib.store import Store, StoreError, create_user_dataset
from lib.text import markdown_escape

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "fixtures" / "bad"
ENQUETES = ROOT / "tests" / "fixtures" / "enquetes"
BIG = "50 Mo"  # file name of the cases that read the generated file over the upload limit
# What a spreadsheet reads as a formula (issue 5), kept apart from lib.export's own list so that the test can fail.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _generator():
    spec = importlib.util.spec_from_file_location("make_bad_files", BAD / "make_bad_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_bad_files = _generator()


# --------------------------------------------------------------------------- the table of cases


@dataclass(frozen=True)
class Expect:
    """A problem the preview or the loader must report: where, what it says (a French fragment), how bad."""

    line: int | None
    column: str | None
    words: str
    severity: str = ERROR

    def found_in(self, problems) -> bool:
        return any(p.line == self.line and p.column == self.column and self.words in p.message
                   and p.severity == self.severity for p in problems)


def error(line: int | None, column: str | None, words: str) -> Expect:
    return Expect(line, column, words)


def warning(line: int | None, column: str | None, words: str) -> Expect:
    return Expect(line, column, words, WARNING)


def refusal(words: str) -> Expect:
    """A whole file refused: no line, no column."""
    return Expect(None, None, words)


@dataclass(frozen=True)
class Case:
    """One bad file through one entry point.

    Attributes:
        file: name in tests/fixtures/bad/, or :data:`BIG`.
        entry: "enquete", "annuaire" or "jeu".
        how: survey: the saved mapping's tool ("kobo", "excel", "google",
            "limesurvey") or "proposée" (suggested from the file);
            loader: the data-set file it stands for ("structures", "reponses").
        expected: problems that must be reported.
        refused: nothing valid in the file: nothing to write (loader: that
            table is empty); False: some rows still go through; None: either.
        notes: fragments of the preview's notes or summary.
        hostile: texts that must be stored exactly as typed and stay inert.
        absent: personal data that must not reach the preview.
        damaged: (loader) the store must refuse to rewrite the file.
    """

    file: str
    entry: str
    how: str
    expected: tuple[Expect, ...]
    refused: bool | None = True
    notes: tuple[str, ...] = ()
    hostile: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    damaged: bool = False

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.how}-{self.file}" if self.how else f"{self.entry}-{self.file}"


def survey(file: str, mapping: str, *expected: Expect, **options) -> Case:
    return Case(file, "enquete", mapping, expected, **options)


def directory(file: str, *expected: Expect, **options) -> Case:
    return Case(file, "annuaire", "", expected, **options)


def loader(file: str, target: str, *expected: Expect, **options) -> Case:
    return Case(file, "jeu", target, expected, **options)


def bug(case: Case, reason: str):
    """A case lib/ gets wrong today (reported, not fixed here): strict, so that the fix is noticed."""
    return pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=reason))


BINARY = "ce n'est pas un fichier texte (contenu binaire) : attendu un fichier CSV"
EMPTY = "le fichier est vide."
BOM_LIES = "le fichier annonce l'encodage UTF-8 avec BOM mais contient des octets invalides"
TOO_BIG = "fichier trop volumineux ("
UNCLOSED_QUOTE = ("an opening quote never closed swallows the rest of the file into one cell, silently "
                  "(lib/csvio.py parse_text reads with csv strict=False)")

CASES = [
    # ------------------------------------------------------------------ survey exports
    survey("vide.csv", "kobo", refusal(EMPTY)),
    survey("espaces.csv", "kobo", refusal(EMPTY)),
    survey("bom_seul.csv", "proposée", refusal("le fichier ne contient aucune ligne d'en-tête.")),
    survey("image.png.csv", "kobo", refusal(BINARY)),
    survey("document.pdf.csv", "kobo", refusal(BINARY)),
    survey("ancien_excel.xls", "kobo", refusal("ancien format Excel (.xls) : ouvrez-le dans votre tableur")),
    survey("classeur.xlsx.csv", "kobo", refusal("aucune colonne reconnue : aucune colonne du fichier n'est associée "
                                                "à un champ (colonnes trouvées : Identifiant_de_l_etablissement")),
    survey("enquete_medias_kobo.zip", "kobo", refusal("archive ZIP qui n'est pas un classeur Excel")),
    survey("enquete_classeur_vide.xlsx", "kobo", refusal("le classeur est vide (première feuille sans données).")),
    # UTF-16 saved without its BOM ("Texte Unicode" from some tools): recognised and read, not called binary.
    survey("enquete_utf16_sans_bom.txt", "kobo", refused=False, notes=("UTF-16",)),
    survey("enquete_latin1_derriere_bom_utf8.csv", "excel", refusal(BOM_LIES + " (position 66)")),
    survey("enquete_mac_roman.csv", "proposée",
           refusal("encodage du fichier non reconnu : enregistrez-le au format « CSV UTF-8 »")),
    survey("enquete_separateurs_melanges.csv", "excel",
           error(2, None, "ligne tronquée : 1 valeurs au lieu de 11 (ligne ignorée)"),
           error(3, None, "ligne tronquée : 1 valeurs au lieu de 11 (ligne ignorée)")),
    survey("enquete_barres_verticales.csv", "proposée",
           refusal("aucune colonne reconnue : aucune colonne du fichier n'est associée à un champ (colonnes "
                   "trouvées : Vague|Date|Structure|Commune|Partenaire")),
    survey("enquete_entete_seul.csv", "kobo", notes=("0 ligne(s) lue(s) : 0 à ajouter",)),
    survey("enquete_autre_formulaire.csv", "kobo",
           refusal("colonne « Votre structure » (Structure qui répond) absente du fichier"),
           refusal("colonne « Structure partenaire » (Structure partenaire) absente du fichier")),
    survey("enquete_autre_formulaire.csv", "proposée", refusal("choisissez la colonne « Structure qui répond »")),
    survey("enquete_kobo_sans_id.csv", "kobo",
           refusal("colonne « _id » (Identifiant de la réponse dans l'outil) absente du fichier")),
    # Cut inside a quoted cell: the complete rows before the cut are previewed, the cut line reported.
    survey("enquete_kobo_coupe.csv", "kobo", error(4, None, "guillemet ouvert ligne 4 et jamais refermé"),
           refused=False),  # issue 11: the complete rows before the cut go through
    survey("enquete_limesurvey_coupe.csv", "limesurvey", error(3, None, "guillemet ouvert ligne 3"),
           refused=False),  # issue 11: the complete rows before the cut go through
    survey("enquete_limesurvey_doublon.csv", "limesurvey",
           error(4, "reponse_id", "identifiant de réponse déjà présent(e) ligne 2 (ligne ignorée)"), refused=False),
    survey("enquete_structures_inconnues.csv", "kobo",
           error(3, "Votre structure", "structure « École Z » introuvable dans structures.csv — vouliez-vous dire "
                                       "« École D » ? (ligne ignorée)"),
           error(4, "reponse_id", "identifiant de réponse déjà présent(e) ligne 2 (ligne ignorée)"),
           error(5, "Votre structure", "structure « Maison de quartier des Touleuses » introuvable dans "
                                       "structures.csv (ligne ignorée)"),
           error(6, "Structure partenaire", "« École B » et « École D » sont deux établissements scolaires"),
           refused=False),
    survey("enquete_codes_inconnus.csv", "excel",
           error(2, "Fréquence", "réponse « mensuel » sans code correspondant pour « Fréquence du lien » : complétez "
                                 "la correspondance (proposition : « Mensuelle ») (valeur ignorée)"),
           error(2, "Formes du lien", "réponse « sorties au musée » sans code correspondant pour « Formes du lien » : "
                                      "complétez la correspondance (valeur ignorée)"),
           error(2, "Fonction", "réponse « directeur » sans code correspondant"),
           error(3, "Fréquence", "réponse « quand on peut » sans code correspondant pour « Fréquence du lien » : "
                                 "complétez la correspondance (valeur ignorée)"),
           refused=False),
    survey("enquete_qualite.csv", "excel",
           error(2, "Qualité", "réponse « 5 » sans code correspondant pour « Qualité du lien »"),
           error(3, "Qualité", "réponse « bonne » sans code correspondant pour « Qualité du lien »"),
           error(4, "Qualité", "réponse « 3,5 » sans code correspondant pour « Qualité du lien »"), refused=False),
    survey("enquete_dates_impossibles.csv", "excel",
           error(2, "date", "date « 31/02/2019 » illisible (attendu 05/06/2018 ou 2018-06-05) (valeur ignorée)"),
           error(3, "date", "date « 2019-13-01 » illisible"), refused=False),
    survey("enquete_guillemet_non_ferme.csv", "excel", error(3, None, "guillemet ouvert ligne 3"),
           refused=False),  # issue 11: the complete rows before the cut go through
    survey("enquete_octets_nuls.csv", "excel", refusal(BINARY)),
    survey("enquete_valeur_en_trop.csv", "google",
           error(2, None, "ligne avec des valeurs en trop : 11 valeurs au lieu de 10 (ligne ignorée)"), refused=False),
    survey("enquete_donnees_personnelles.csv", "proposée",
           warning(2, "Commentaire", "donnée personnelle (adresse e-mail ou numéro de téléphone) dans un texte "
                                     "libre : le texte est masqué"),
           warning(3, "Commentaire", "donnée personnelle"), refused=False,
           absent=("06 12 34 56 78", "directrice.ecole-a@example.org", "Durand")),
    survey("enquete_formules.csv", "kobo", refused=False, hostile=tuple(make_bad_files.FORMULAS)),
    survey("enquete_html_jinja.csv", "google", refused=False, hostile=tuple(make_bad_files.MARKUP)),
    survey(BIG, "kobo", refusal(TOO_BIG), refusal("la limite est de 50 Mo.")),
    # ------------------------------------------------------------------ Ministry directory
    directory("vide.csv", refusal(EMPTY)),
    directory("espaces.csv", refusal(EMPTY)),
    directory("image.png.csv", refusal(BINARY)),
    directory("document.pdf.csv", refusal(BINARY)),
    directory("ancien_excel.xls", refusal(BINARY)),
    directory("classeur.xlsx.csv", refusal("c'est un classeur (Excel .xlsx ou OpenDocument), pas un CSV : "
                                           "enregistrez-le au format « CSV UTF-8 » depuis votre tableur.")),
    directory("annuaire_entete_seul.csv", notes=("Annuaire de l'éducation — 0 ligne(s) lue(s)",)),
    directory("annuaire_latin1_derriere_bom_utf8.csv", refusal(BOM_LIES)),
    directory("annuaire_sans_nom.csv", refusal("fichier « Annuaire de l'éducation » incomplet : colonne(s) "
                                               "indispensable(s) absente(s) : « Nom_etablissement ».")),
    directory("annuaire_geolocalisation_sans_nature.csv",
              refusal("fichier « Adresse et géolocalisation des établissements » incomplet : colonne(s) "
                      "indispensable(s) absente(s) : « nature_uai_libe » ou « nature_uai ».")),
    directory("annuaire_fichier_ips.csv", refusal("format non reconnu : ce n'est ni l'« Annuaire de l'éducation »"),
              refusal("Colonnes trouvées : « rentree_scolaire », « academie »")),
    directory("annuaire_uai_en_double.csv",
              warning(2, "Identifiant_de_l_etablissement", "UAI présent 2 fois (lignes 2, 3) : seule la ligne 2 est "
                                                           "retenue (mise à jour la plus récente, le 01/09/2025)"),
              warning(5, "Identifiant_de_l_etablissement", "UAI présent 2 fois (lignes 4, 5) : seule la ligne 5 est "
                                                           "retenue (la dernière du fichier)"),
              refused=False),
    directory("annuaire_paris.csv", notes=("2 lignes d'autres départements ignorées (le jeu de données couvre le "
                                           "département 95 – Val-d'Oise).",)),
    directory("annuaire_coordonnees.csv",
              warning(2, "latitude", "coordonnées hors du département 95 (latitude 43.29695)"),
              warning(3, "latitude", "latitude et longitude inversées ?"),
              warning(4, "latitude", "pas de coordonnées utilisables (ni latitude/longitude, ni coordonnées "
                                     "Lambert-93) : l'établissement sera placé à la mairie de sa commune"),
              warning(5, "latitude", "pas de coordonnées utilisables (système de coordonnées EPSG:99999 inconnu)"),
              refused=False),
    directory("annuaire_communes.csv",
              error(2, "Code_commune", "« CERGY » est un nom de commune : indiquez son code INSEE 95127 (ligne "
                                       "ignorée)"),
              error(3, "Code_commune", "code commune « 95999 » inconnu dans le département 95 (Val-d'Oise)")),
    directory("annuaire_uai_invalides.csv",
              error(2, "Identifiant_de_l_etablissement", "lettre clé de l'UAI « 0950011B » incorrecte (attendu "
                                                         "« W ») : fichier modifié à la main ? (ligne ignorée)"),
              error(3, "Identifiant_de_l_etablissement", "« 95ABC12 » n'est pas un code UAI d'établissement scolaire"),
              refused=False),
    directory("annuaire_valeurs_inconnues.csv",
              warning(2, "Appartenance_Education_Prioritaire", "éducation prioritaire « Oui » non reconnue (attendu "
                                                               "REP, REP+ ou vide)"),
              warning(3, "Ecole_maternelle", "niveau de l'école inconnu (Ecole_maternelle vide, Ecole_elementaire "
                                             "vide ; attendu 1 ou 0) : classée « école primaire »"),
              warning(3, "etat", "état « EN TRAVAUX » inconnu (attendu OUVERT, A FERMER ou FERME)"), refused=False),
    directory("annuaire_coupe.csv",
              error(3, None, "ligne tronquée : 2 valeurs au lieu de 71 (séparateur « ; ») (ligne ignorée)"),
              refused=False),
    directory("annuaire_formules_html.csv", refused=False,
              hostile=tuple(make_bad_files.FORMULAS + make_bad_files.MARKUP)),
    directory(BIG, refusal(TOO_BIG), refusal("la limite est de 50 Mo.")),
    # ------------------------------------------------------------------ data-set files
    loader("vide.csv", "structures", refusal(EMPTY)),
    loader("bom_seul.csv", "reponses", refusal("le fichier ne contient aucune ligne d'en-tête.")),
    loader("image.png.csv", "reponses", refusal(BINARY), damaged=True),
    loader("ancien_excel.xls", "reponses", refusal(BINARY), damaged=True),
    loader("classeur.xlsx.csv", "structures", refusal("c'est un classeur (Excel .xlsx ou OpenDocument), pas un CSV"),
           damaged=True),
    loader("jeu_structures_sans_type.csv", "structures",
           error(1, "type", "colonne obligatoire « type » absente (colonnes trouvées : id, nom, commune_insee, "
                            "adresse, latitude, longitude, education_prioritaire, qpv) ; le fichier ne peut pas "
                            "être lu"), damaged=True),
    loader("jeu_structures_lieux.csv", "structures",
           error(3, "commune_insee", "« Argenteuil » est un nom de commune : indiquez son code INSEE 95018"),
           error(4, "commune_insee", "code commune « 95999 » inconnu dans le département 95 (Val-d'Oise)"),
           error(5, "latitude", "latitude et longitude inversées ?"),
           error(6, "latitude", "coordonnées hors du département 95 (latitude 43.29695)"),
           error(7, "latitude", "« 49°03'08\"N » n'est pas un nombre (ex. 49,0364 ou 49.0364)"), refused=False),
    loader("jeu_structures_identifiants.csv", "structures",
           error(3, "id", "« 95-0002 » n'est pas un code UAI d'établissement scolaire"),
           warning(4, "id", "lettre clé de l'UAI « 0950003B » incorrecte (attendu « M ») : code mal recopié ?"),
           error(5, "id", "identifiant déjà présent(e) ligne 2 (ligne ignorée)"),
           error(7, "id", "identifiant « CS 2 » invalide : lettres, chiffres, « - », « _ » ou « . » seulement"),
           refused=False),
    loader("jeu_structures_latin1_derriere_bom_utf8.csv", "structures", refusal(BOM_LIES), damaged=True),
    loader("jeu_reponses_entete_double.csv", "reponses", error(1, "qualite", "colonne en double (colonnes 12 et 19)"),
           refused=False, damaged=True),
    loader("jeu_reponses_codes_inconnus.csv", "reponses",
           error(2, "formes", "code « periscolair » inconnu pour « Formes du lien » — vouliez-vous dire "
                              "« periscolaire » (Périscolaire) ? (valeur ignorée)"),
           error(3, "formes", "code « sorties » inconnu pour « Formes du lien » (codes possibles : clas, "),
           error(4, "mode", "code « telephon » inconnu pour « Mode de recueil » — vouliez-vous dire « telephone »"),
           error(4, "frequence", "code « tous les jours » inconnu pour « Fréquence du lien » (codes possibles"),
           refused=False),
    loader("jeu_reponses_qualite.csv", "reponses",
           error(2, "qualite", "qualité « 5 » invalide : attendu un nombre entier (1 = difficile, 2 = à améliorer, "
                               "3 = satisfaisante, 4 = très satisfaisante)"),
           error(3, "qualite", "qualité « bonne » invalide"), error(4, "qualite", "qualité « 3,5 » invalide"),
           refused=False),
    loader("jeu_reponses_doublons.csv", "reponses",
           error(4, "reponse_id", "identifiant de réponse déjà présent(e) ligne 2 (ligne ignorée)"), refused=False),
    loader("jeu_reponses_lignes_cassees.csv", "reponses",
           error(2, None, "ligne avec des valeurs en trop : 19 valeurs au lieu de 18 (séparateur « , »)"),
           error(4, None, "ligne tronquée : 6 valeurs au lieu de 18 (séparateur « , ») (ligne ignorée)"),
           refused=False, damaged=True),
    loader("jeu_reponses_dates.csv", "reponses",
           error(2, "date", "date « 31/02/2019 » illisible (attendu 05/06/2018 ou 2018-06-05)"),
           error(3, "date", "date « 2019-13-01 » illisible"), refused=False),
    loader("jeu_reponses_donnees_personnelles.csv", "reponses",
           error(2, "commentaire", "donnée personnelle (adresse e-mail ou numéro de téléphone) dans un texte libre : "
                                   "à retirer du fichier"),
           error(3, "pistes", "donnée personnelle"), refused=False),
    loader("jeu_reponses_barres_verticales.csv", "reponses",
           error(1, "reponse_id", "colonne obligatoire « reponse_id » absente (colonnes trouvées : "
                                  "reponse_id|vague|date"), damaged=True),
    loader("jeu_reponses_guillemet_non_ferme.csv", "reponses", error(3, None, "guillemet ouvert ligne 3"),
           damaged=True),
    loader("jeu_reponses_octets_nuls.csv", "reponses", refusal(BINARY), damaged=True),
]
PARAMS = [pytest.param(c, id=c.id) if isinstance(c, Case) else c for c in CASES]


def case_of(param) -> Case:
    return param.values[0]


# --------------------------------------------------------------------------- fixtures


def file_hashes(folder: Path) -> dict[str, str]:
    """Every file under the data-set folder (journal, versions, lock…) and the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """The small data set written through the store, as the app keeps one: journal.csv and versions/."""
    folder = create_user_dataset(tmp_path_factory.mktemp("modele") / "jeu")
    store = Store(folder)
    for name, table in small_tables().items():
        store.replace(name, table.astype(str), "import", f"Jeu d'essai : {name}")
    assert (folder / "journal.csv").is_file() and any((folder / "versions").iterdir())
    return folder


@pytest.fixture(scope="module")
def model_dataset(model: Path):
    """The model read once; each case gets its own copy of the tables (previews must not touch them anyway)."""
    dataset = load_dataset(model)
    assert dataset.problems == [] and len(dataset.structures) == 6 and len(dataset.reponses) == 6
    return dataset


@pytest.fixture(scope="module")
def mappings() -> dict[str, Mapping]:
    """Mappings saved (JSON round trip) from the good export of each tool in tests/fixtures/enquetes/."""
    def saved(name: str, upload_name: str | None = None, **values) -> Mapping:
        table = read_export((ENQUETES / name).read_bytes(), upload_name or name)
        mapping = suggest_mapping(table)
        mapping.constants.setdefault("vague", "2024")
        for field_name, answers in values.items():
            if field_name == "formes":
                mapping.multi["formes"].options.update(answers)
            else:
                mapping.values[field_name].update(answers)
        return Mapping.from_json(mapping.to_json())

    # LimeSurvey's answer codes mean nothing to a guesser: the user completed them on the mapping screen.
    limesurvey = saved("limesurvey_codes.csv", "results-survey123456.csv",
                       fonction={"DIR": "direction_ecole", "REF": "referent_famille"},
                       frequence={"HEBDO": "hebdomadaire"},
                       formes={"formes[SQ001]": "clas", "formes[SQ002]": "periscolaire",
                               "formes[SQ003]": "parentalite", "formes[SQ004]": "fetes"})
    return {"kobo": saved("kobo_labels.csv"), "excel": saved("excel_fr.csv"), "google": saved("google_feuille.csv"),
            "limesurvey": limesurvey}


@pytest.fixture(scope="module")
def big_files(tmp_path_factory) -> dict[str, Path]:
    """Files just over the upload limit (a Kobo export, a national annuaire), written once for the module."""
    folder = tmp_path_factory.mktemp("gros")
    target = MAX_IMPORT_BYTES + 1024 * 1024
    kobo = folder / "kobo-export-national.csv"
    kobo.write_bytes(make_bad_files.kobo_too_big(target))
    header = make_bad_files.annuaire([])
    school = make_bad_files.school(make_bad_files.uai(11), "École Les Marronniers")
    row = make_bad_files.annuaire([school])[len(header):]
    annuaire = folder / "fr-en-annuaire-education.csv"
    annuaire.write_bytes(header + row * (target // len(row) + 1))
    return {"enquete": kobo, "annuaire": annuaire}


# --------------------------------------------------------------------------- running a case


def survey_preview(data: bytes, name: str, how: str, mappings: dict[str, Mapping], dataset) -> ImportPreview:
    if how != "proposée":
        return preview_export(data, name, Mapping.from_json(mappings[how].to_json()), dataset)
    try:  # the import page's way: read, suggest, let the user complete, check, preview
        table = read_export(data, name)
    except ExportRefused as err:
        return refused(name, "Enquête", "reponses", err.message)
    mapping = suggest_mapping(table)
    mapping.constants["vague"] = "2024"
    blocking = check_mapping(table, mapping)
    preview = preview_survey(table, mapping, dataset)
    if blocking:
        assert [p.message for p in preview.problems] == blocking
    return preview


def assert_expected(case: Case, problems, report: str) -> None:
    missing = [e for e in case.expected if not e.found_in(problems)]
    assert not missing, f"{case.file}: expected {missing}\ngot:\n{report}"


def describe(problems) -> str:
    return "\n".join(f"  {p.severity} {p.line} {p.column!r}: {p.message}" for p in problems)


@pytest.mark.parametrize("case", PARAMS)
def test_bad_file(case: Case, tmp_path: Path, model: Path, model_dataset, mappings, request, monkeypatch):
    folder = shutil.copytree(model, tmp_path / "jeu")
    if case.file == BIG:
        path = request.getfixturevalue("big_files")[case.entry]
        data, name = path.read_bytes(), path.name
        assert len(data) > MAX_IMPORT_BYTES
    else:
        data, name = (BAD / case.file).read_bytes(), case.file
    if case.entry == "jeu":
        run_loader(case, data, folder, monkeypatch)
        return

    dataset = replace(model_dataset, folder=folder, structures=model_dataset.structures.copy(),
                      reponses=model_dataset.reponses.copy())
    before = file_hashes(folder)
    if case.entry == "enquete":
        preview, key = survey_preview(data, name, case.how, mappings, dataset), ["reponse_id"]
    else:
        preview, key = preview_school_directory(data, name, dataset), ["id"]
    assert file_hashes(folder) == before, "the preview wrote into the data set"

    assert_expected(case, preview.problems, describe(preview.problems))
    said = " ".join([*preview.notes, preview_summary(preview)])
    for words in case.notes:
        assert words in said, said
    written = pd.concat([preview.added, preview.updated]).to_csv() + describe(preview.problems)
    for personal in case.absent:
        assert personal not in written
    if case.refused:
        assert not preview.has_changes, "a refused file still has rows to write"
        assert apply_preview(preview, Store(folder), key) == (0, 0)
        assert file_hashes(folder) == before, "confirming a refused file wrote into the data set"
    elif case.refused is False:
        assert preview.has_changes, "the valid rows of a partly bad file should still go through"
    if case.hostile:
        confirm_hostile(case, preview, folder, key)


def run_loader(case: Case, data: bytes, folder: Path, monkeypatch) -> None:
    """The bad file as one file of the data set: the loader and ``check`` report it, and touch nothing."""
    target = folder / f"{case.how}.csv"
    target.write_bytes(data)
    before = file_hashes(folder)
    loaded = []
    monkeypatch.setattr(cli, "load_dataset", lambda path: loaded.append(load_dataset(path)) or loaded[-1])
    out = io.StringIO()
    code = cli.check(folder, out)  # what `python -m lib.cli check DIR` runs (see test_check_command_line)
    assert file_hashes(folder) == before, "reading the data set wrote into it"

    dataset, report = loaded[0], out.getvalue()
    assert_expected(case, dataset.problems, describe(dataset.problems))
    assert code == 1, report
    for expected in case.expected:  # the command line names the same file, line and column
        problem = next(p for p in dataset.problems if expected.found_in([p]))
        assert f"{'ERREUR' if problem.severity == ERROR else 'AVERTISSEMENT'} {problem}" in report
    table = getattr(dataset, case.how)
    if case.refused is not None:
        assert table.empty == case.refused, f"{case.how}: {len(table)} row(s) read"

    if case.damaged:  # saving anything into it must not rewrite what cannot be read back whole
        rows = {"reponses": {"reponse_id": "R99", "vague": "2024", "mode": "telephone", "repondant_id": "CS-1",
                             "ecole_id": make_bad_files.E1, "centre_id": "CS-1"},
                "structures": {"id": "CS-9", "type": "centre_social", "nom": "Centre social Neuf",
                               "commune_insee": "95127"}}[case.how]
        with pytest.raises(StoreError, match="rien n'a été modifié"):
            Store(folder).append(case.how, pd.DataFrame([rows]), "Ajout d'essai")
        assert file_hashes(folder) == before


# --------------------------------------------------------------------------- hostile text, confirmed


def inert_in_script(text: str) -> None:
    """As JSON in a map's <script>: nothing closes the script or opens a Jinja block, and it reads back whole."""
    payload = script_json({"nom": text})
    assert not re.search(r"[<>]|\{\{|\{%|\{#", payload), payload
    assert json.loads(payload) == {"nom": text}


def inert_in_html(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped and html.unescape(escaped) == text
    assert "<" not in markdown_escape(text).replace("\\<", "")


def exported_cells(table: pd.DataFrame) -> list[list[str]]:
    """The cells of the CSV export as a spreadsheet would read them (UTF-8 with BOM, ``;``)."""
    text = to_csv_bytes(table).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def confirm_hostile(case: Case, preview: ImportPreview, folder: Path, key: list[str]) -> None:
    """Confirm the import through the store, then follow each hostile text to the exports and the map."""
    assert apply_preview(preview, Store(folder), key) == (len(preview.added), 0)
    stored = Store(folder).read(preview.target)
    column = "nom" if preview.target == "structures" else "commentaire"
    typed = [" ".join(text.split()) for text in case.hostile]  # importers trim the spaces around a cell
    assert set(typed) <= set(stored[column]), "a hostile text was not stored as typed"
    if preview.target == "structures":  # the directory file has them as addresses too
        assert set(typed) <= set(stored["adresse"])

    cells = exported_cells(stored)
    assert cells[0] == list(stored.columns)
    for row, values in zip(cells[1:], stored.itertuples(index=False)):
        assert row == ["'" + v if v.startswith(FORMULA_STARTS) else v for v in values]
    flat = {cell for row in cells for cell in row}
    assert not [c for c in flat if c.startswith(FORMULA_STARTS)], "a formula survived the CSV export"
    for text in typed:
        assert (("'" + text) if text.startswith(FORMULA_STARTS) else text) in flat

    book = load_workbook(io.BytesIO(to_xlsx_bytes(stored)))
    xlsx_cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [c.coordinate for c in xlsx_cells if c.data_type == "f"], "a formula survived the XLSX export"
    assert {str(c.value) for c in xlsx_cells} >= {("'" + t) if t.startswith(FORMULA_STARTS) else t for t in typed}

    for text in typed:
        inert_in_script(text)
        inert_in_html(text)
    dataset = load_dataset(folder)  # what the app shows after the import
    if preview.target == "structures":
        points = structure_points(dataset.structures)
        payload = script_json(points)
        assert not re.search(r"<(script|img|b)\b|\{\{|\{%", payload)
        names = {html.unescape(point[-1]) for point in json.loads(payload)["points"]}
        assert set(typed) <= names
    else:
        assert set(typed) <= set(dataset.reponses["commentaire"])


# --------------------------------------------------------------------------- the corpus itself


def test_check_command_line_exit_code(tmp_path: Path, model: Path):
    """The real command, once: a data set with one bad file makes ``python -m lib.cli check`` exit with 1."""
    folder = shutil.copytree(model, tmp_path / "jeu")
    shutil.copyfile(BAD / "jeu_reponses_qualite.csv", folder / "reponses.csv")
    before = file_hashes(folder)
    result = subprocess.run([sys.executable, "-m", "lib.cli", "check", str(folder)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("ERREUR reponses.csv, ligne 3, colonne « qualite » : qualité « bonne » invalide : attendu un nombre "
            "entier") in result.stdout
    assert file_hashes(folder) == before


def test_the_corpus_is_what_make_bad_files_writes():
    for name, build in make_bad_files.BAD_FILES.items():
        assert (BAD / name).read_bytes() == build(), name
    on_disk = {p.name for p in BAD.iterdir() if p.is_file() and p.suffix != ".py"}
    assert on_disk == set(make_bad_files.BAD_FILES)


def test_the_corpus_is_big_enough_and_every_file_is_used():
    cases = [case_of(p) for p in PARAMS]
    used = {c.file for c in cases}
    assert used - {BIG} == set(make_bad_files.BAD_FILES)
    assert len(used) >= 30 and len(cases) >= 30
    assert {c.entry for c in cases} == {"enquete", "annuaire", "jeu"}
    assert len({c.id for c in cases}) == len(cases)


def test_the_directory_files_use_the_published_header():
    from test_annuaire import ANNUAIRE_HEADER

    assert make_bad_files.ANNUAIRE_HEADER == ANNUAIRE_HEADER
