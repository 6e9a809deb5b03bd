"""Importing the Ministry's school directories: files built here in the published byte formats."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import lib.annuaire as annuaire
from conftest import small_tables, town_hall, uai, write_tables
from lib.annuaire import (
    KIND_ANNUAIRE,
    KIND_GEOLOCALISATION,
    annuaire_type,
    education_prioritaire,
    geolocalisation_type,
    preview_school_directory,
    projected_to_wgs84,
)
from lib.dataset import ERROR, WARNING, load_dataset, uai_key

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

from fixtures.ministry_headers import ANNUAIRE_HEADER, GEOLOC_HEADER  # noqa: E402  (the published headers)

# Cergy's town hall (data/reference, from the DILA directory) and its Lambert-93 position.
CERGY_LAT, CERGY_LON = 49.05216, 2.03639
CERGY_X, CERGY_Y = 629563.5, 6884017.3
# Points the Ministry publishes with both systems (annuaire API examples: Yvelines, Paris).
MINISTRY_POINTS = [
    ((603621.7, 6878720.4), (49.00116716280137, 1.682758327166094)),
    ((650107.7, 6864850.5), (48.881738320109136, 2.3196885071009623)),
]


def csv_bytes(header: list[str], rows: list[dict[str, str]], *, encoding: str = "utf-8-sig", delimiter: str = ";",
              newline: str = "\r\n", lowercase: bool = False) -> bytes:
    """A file as the Ministry publishes it (UTF-8 with BOM, ``;``, CRLF) unless told otherwise."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow([c.lower() for c in header] if lowercase else header)
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, unknown
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue().encode(encoding)


def school(number: int | str, nom: str, kind: str = "Ecole", maternelle: str = "0", elementaire: str = "1",
           commune: str = "95127", departement: str = "095", at: tuple[float, float] | None = None,
           ep: str = "", etat: str = "OUVERT", **columns: str) -> dict[str, str]:
    """One row of the annuaire (labels as headers); ``at`` = (lat, lon), default the commune's town hall."""
    lat, lon = at or town_hall(commune) if commune.startswith("95") else (at or ("", ""))
    return {
        "Identifiant_de_l_etablissement": uai(number) if isinstance(number, int) else number,
        "Nom_etablissement": nom, "Type_etablissement": kind, "Statut_public_prive": "Public",
        "Adresse_1": f"{number} rue de l'École", "Code_postal": "95000", "Code_commune": commune,
        "Code_departement": departement, "Code_academie": "25", "Code_region": "11",
        "Ecole_maternelle": maternelle if kind == "Ecole" else "",
        "Ecole_elementaire": elementaire if kind == "Ecole" else "",
        "Appartenance_Education_Prioritaire": ep, "Libelle_departement": "Val-d'Oise",
        "latitude": str(lat), "longitude": str(lon), "epsg_origine": "EPSG:2154",
        "date_maj_ligne": "2025-09-01", "etat": etat, "ministere_tutelle": "MINISTERE DE L'EDUCATION NATIONALE",
        **columns,
    }


def geo_school(number: int | str, nature: str, appellation: str = "", commune: str = "95127",
               at: tuple[float, float] | None = None, etat: str = "OUVERT", **columns: str) -> dict[str, str]:
    """One row of the "adresse et géolocalisation des établissements" file."""
    lat, lon = at or town_hall(commune)
    return {
        "numero_uai": uai(number) if isinstance(number, int) else number, "appellation_officielle": appellation,
        "secteur_public_prive_libe": "Public", "adresse_uai": f"{number} AVENUE DE LA GARE",
        "code_postal_uai": "95000", "coordonnee_x": "", "coordonnee_y": "", "EPSG": "EPSG:2154",
        "latitude": str(lat), "longitude": str(lon), "nature_uai_libe": nature,
        "etat_etablissement": {"OUVERT": "1", "A FERMER": "2", "FERME": "4"}.get(etat, ""),
        "etat_etablissement_libe": etat, "code_departement": "095", "code_commune": commune, **columns,
    }


def bad_key(number: int) -> str:
    """A well-formed UAI whose check letter is wrong."""
    good = uai(number)
    return good[:7] + ("B" if good[7] != "B" else "C")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The small data set plus École E (Argenteuil), which no answer mentions (read-only: previews write nothing)."""
    tmp_path = tmp_path_factory.mktemp("annuaire")
    tables = small_tables()
    extra = pd.DataFrame([[uai(5), "ecole_elementaire", "École E", "95018", "5 rue E", "", "", "", ""]],
                         columns=tables["structures"].columns)
    tables["structures"] = pd.concat([tables["structures"], extra], ignore_index=True)
    return load_dataset(write_tables(tmp_path / "jeu", tables))


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["id"].tolist()


def by_id(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in frame.to_dict("records")}


def lines_of(problems, severity=None) -> list[int]:
    return [p.line for p in problems if severity is None or p.severity == severity]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("header, filename", [(ANNUAIRE_HEADER, "annuaire-education-header.csv"),
                                              (GEOLOC_HEADER, "geolocalisation-etablissements-header.csv")])
def test_the_fixtures_write_the_published_header_byte_for_byte(header, filename):
    published = SHARED_REFERENCE / filename
    if not published.is_file():
        pytest.skip("reference headers not available")
    assert csv_bytes(header, []) == published.read_bytes()
    assert len(header) == {"annuaire-education-header.csv": 71}.get(filename, 35)


def test_the_annuaire_is_recognised_and_its_schools_of_the_departement_added(dataset):
    rows = [
        school(101, "École maternelle Les Lilas", maternelle="1", elementaire="0", ep="REP"),
        school(102, "École élémentaire Jean Jaurès", commune="95018", ep="REP+"),
        school(103, "École primaire du Centre", maternelle="1", elementaire="1", commune="95585"),
        school(104, "Collège Galilée", kind="Collège", commune="95018", ep="REP+"),
        school(105, "Lycée Camille Pissarro", kind="Lycée", at=(49.0412345678, 2.0598765432)),
    ]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "fr-en-annuaire-education.csv", dataset)

    assert preview.kind == KIND_ANNUAIRE and preview.target == "structures"
    assert preview.rows_read == 5 and preview.rejected == [] and preview.updated.empty and preview.unchanged == 0
    assert ids(preview.added) == [uai(n) for n in (101, 102, 103, 104, 105)]
    assert list(preview.added.columns) == ["id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude",
                                           "education_prioritaire", "qpv", "statut"]
    assert preview.added["type"].tolist() == ["ecole_maternelle", "ecole_elementaire", "ecole_primaire", "college",
                                              "lycee"]
    assert preview.added["education_prioritaire"].tolist() == ["REP", "REP+", "", "REP+", ""]
    lycee = by_id(preview.added)[uai(105)]
    assert (lycee["nom"], lycee["commune_insee"], lycee["adresse"]) == ("Lycée Camille Pissarro", "95127",
                                                                         "105 rue de l'École")
    assert (lycee["latitude"], lycee["longitude"]) == ("49.04123", "2.05988")  # rounded to 5 decimals
    assert set(preview.added["statut"]) == {""} and set(preview.added["qpv"]) == {""}
    assert any("Annuaire de l'éducation" in n and "UTF-8 avec BOM" in n and "point-virgule" in n
               for n in preview.notes)


def test_the_lowercase_api_export_gives_the_same_schools(dataset):
    rows = [school(101, "École maternelle Les Lilas", maternelle="1", elementaire="0", ep="REP"),
            school(104, "Collège Galilée", kind="Collège", commune="95018")]
    labels = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "labels.csv", dataset)
    api = preview_school_directory(
        csv_bytes(ANNUAIRE_HEADER, rows, encoding="utf-8", delimiter=",", newline="\n", lowercase=True),
        "api.csv", dataset)

    assert api.kind == KIND_ANNUAIRE and api.problems == []
    assert len(api.added) == 2
    pd.testing.assert_frame_equal(api.added, labels.added)


def test_a_windows_1252_resave_with_decimal_commas_is_read(dataset):
    rows = [school(101, "Collège d’Argenteuil – Éluard", kind="Collège", commune="95018", departement="95",
                   at=("48,94722", "2,24861")),
            school(102, "École élémentaire Saint-Exupéry", commune="95018", departement="95")]
    data = csv_bytes(ANNUAIRE_HEADER, rows, encoding="cp1252")
    assert not data.startswith(b"\xef\xbb\xbf") and b"\x92" in data  # Excel's "CSV (point-virgule)"

    preview = preview_school_directory(data, "annuaire-excel.csv", dataset)

    assert preview.rejected == []
    college = by_id(preview.added)[uai(101)]
    assert college["nom"] == "Collège d’Argenteuil – Éluard"
    assert (college["latitude"], college["longitude"]) == ("48.94722", "2.24861")
    assert by_id(preview.added)[uai(102)]["nom"] == "École élémentaire Saint-Exupéry"


def test_the_geolocalisation_file_is_recognised_and_keeps_what_it_does_not_know(dataset):
    arg, sar = town_hall("95018"), town_hall("95585")
    rows = [
        # Already in the data set, same values: École A keeps REP+ and its QPV, École D stays "primaire".
        geo_school(1, "ECOLE DE NIVEAU ELEMENTAIRE", "École A", commune="95018", at=arg, adresse_uai="1 rue A"),
        geo_school(4, "ECOLE DE NIVEAU ELEMENTAIRE", "École D", commune="95585", at=sar, adresse_uai="4 rue D"),
        geo_school(201, "ECOLE MATERNELLE", denomination_principale="ECOLE MATERNELLE PUBLIQUE",
                   patronyme_uai="LES TILLEULS"),
        geo_school(202, "LYCEE POLYVALENT", "Lycée polyvalent Jules Verne"),
        geo_school(203, "SECTION D ENSEIGNEMENT PROFESSIONNEL", "SEP du lycée Jules Verne"),
        geo_school(204, "ETAB REGIONAL/LYCEE ENSEIGNEMENT ADAPTE", "EREA Françoise Dolto"),
    ]
    preview = preview_school_directory(csv_bytes(GEOLOC_HEADER, rows), "geolocalisation.csv", dataset)

    assert preview.kind == KIND_GEOLOCALISATION and preview.rejected == []
    assert preview.rows_read == 6 and preview.unchanged == 2 and preview.updated.empty
    added = by_id(preview.added)
    assert list(added) == [uai(201), uai(202), uai(203)]
    assert added[uai(201)]["nom"] == "ECOLE MATERNELLE PUBLIQUE LES TILLEULS"
    assert [added[uai(n)]["type"] for n in (201, 202, 203)] == ["ecole_maternelle", "lycee", "lycee"]
    assert added[uai(201)]["education_prioritaire"] == ""
    assert any("éducation prioritaire" in n for n in preview.notes)
    assert any("ETAB REGIONAL/LYCEE ENSEIGNEMENT ADAPTE : 1" in n for n in preview.notes)


def test_the_geolocalisation_file_updates_an_existing_school_without_its_education_prioritaire(dataset):
    rows = [geo_school(1, "ECOLE DE NIVEAU ELEMENTAIRE", "École A – Jean Moulin", commune="95018",
                       at=town_hall("95018"))]
    preview = preview_school_directory(csv_bytes(GEOLOC_HEADER, rows), "geolocalisation.csv", dataset)

    row = by_id(preview.updated)[uai(1)]
    assert row["nom"] == "École A – Jean Moulin"
    assert (row["education_prioritaire"], row["qpv"], row["type"]) == ("REP+", "QN09501", "ecole_elementaire")


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("value, expected", [("REP", "REP"), ("REP+", "REP+"), ("rep+", "REP+"), (" Rep + ", "REP+"),
                                             ("", ""), ("Hors EP", None)])
def test_education_prioritaire_values(value, expected):
    assert education_prioritaire(value) == expected


def test_rep_and_rep_plus_rows(dataset):
    rows = [school(101, "École A1", ep="REP"), school(102, "École A2", ep="rep +"), school(103, "École A3"),
            school(104, "École A4", ep="Quartier")]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire.csv", dataset)

    assert preview.added["education_prioritaire"].tolist() == ["REP", "REP+", "", ""]
    [warning] = preview.problems
    assert (warning.line, warning.severity, warning.column) == (5, WARNING, "Appartenance_Education_Prioritaire")
    assert "« Quartier » non reconnue" in warning.message


def test_projected_coordinates_match_points_published_with_both_systems():
    for (x, y), (lat, lon) in MINISTRY_POINTS:
        got_lat, got_lon = projected_to_wgs84([x], [y])
        assert got_lat[0] == pytest.approx(lat, abs=1e-6) and got_lon[0] == pytest.approx(lon, abs=1e-6)
    origin_lat, origin_lon = projected_to_wgs84([700000.0], [6600000.0])  # Lambert-93's own origin: 46.5 N, 3 E
    assert (origin_lat[0], origin_lon[0]) == (pytest.approx(46.5), pytest.approx(3.0))


@pytest.mark.parametrize("fmt", ["annuaire", "geolocalisation"])
def test_a_lambert_93_only_row_is_placed_at_the_right_point(dataset, fmt):
    if fmt == "annuaire":
        row = school(301, "École des Plants", at=("", ""), coordX_origine=str(CERGY_X), coordY_origine=str(CERGY_Y))
        data = csv_bytes(ANNUAIRE_HEADER, [row])
    else:  # decimal commas, EPSG as a bare code
        row = geo_school(301, "ECOLE MATERNELLE", "École des Plants", at=("", ""), EPSG="2154",
                         coordonnee_x=str(CERGY_X).replace(".", ","), coordonnee_y=str(CERGY_Y).replace(".", ","))
        data = csv_bytes(GEOLOC_HEADER, [row])

    preview = preview_school_directory(data, "ecoles.csv", dataset)

    assert preview.problems == []
    placed = by_id(preview.added)[uai(301)]
    lat, lon = float(placed["latitude"]), float(placed["longitude"])
    assert (lat, lon) == (pytest.approx(CERGY_LAT, abs=2e-5), pytest.approx(CERGY_LON, abs=2e-5))
    cross_lon, cross_lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(CERGY_X, CERGY_Y)
    assert (lat, lon) == (round(cross_lat, 5), round(cross_lon, 5))
    assert dataset.reference.commune_shapes["95127"].contains(shapely.Point(lon, lat))


def test_a_row_without_coordinates_is_left_for_the_town_hall_with_a_warning(dataset):
    rows = [school(101, "École sans position", at=("", "")),
            school(3, "Collège C (rénové)", kind="Collège", at=("", ""))]  # Collège C has a position already
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire.csv", dataset)

    new = by_id(preview.added)[uai(101)]
    assert (new["latitude"], new["longitude"]) == ("", "")
    kept = by_id(preview.updated)[uai(3)]
    old = dataset.structures.set_index("id").loc[uai(3)]
    assert (float(kept["latitude"]), float(kept["longitude"])) == (old["latitude"], old["longitude"])
    assert kept["nom"] == "Collège C (rénové)"
    warnings = {p.line: p.message for p in preview.problems if p.severity == WARNING}
    assert "placé à la mairie de sa commune" in warnings[2] and "position actuelle est conservée" in warnings[3]
    assert preview.rejected == []


def test_rows_of_other_departements_are_skipped_with_a_note(dataset):
    rows = [
        school(101, "École de Cergy", departement="095"),
        school(102, "École d'Argenteuil", commune="95018", departement="95"),
        school("0780001A", "École de Versailles", commune="78646", departement="078"),
        school("0750001A", "École de Paris", commune="75056", departement="75"),
        school("0930001A", "École de Saint-Denis", commune="93066", departement=""),  # commune says 93
    ]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire-idf.csv", dataset)

    assert ids(preview.added) == [uai(101), uai(102)]
    assert preview.rows_read == 5 and preview.problems == []
    assert any(n.startswith("3 lignes d'autres départements ignorées") and "département 95" in n
               for n in preview.notes)


def test_closed_schools_are_skipped_or_kept_and_flagged(dataset):
    rows = [
        school(1, "École A", commune="95018", ep="REP+", etat="FERME", maternelle="0", elementaire="1"),
        school(5, "École E", commune="95018", etat="FERME"),
        school(401, "École fermée inconnue", etat="FERME"),
        school(402, "École bientôt fermée", etat="A FERMER"),
    ]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire.csv", dataset)

    assert ids(preview.added) == [uai(402)] and preview.added.at[0, "statut"] == ""
    updated = by_id(preview.updated)
    assert set(updated) == {uai(1), uai(5)}
    assert {updated[uai(1)]["statut"], updated[uai(5)]["statut"]} == {"ferme"}
    assert updated[uai(1)]["qpv"] == "QN09501"  # kept as it was, only closed
    messages = {p.line: p.message for p in preview.problems}
    assert "marqué « fermé »" in messages[2] and "3 réponses d'enquête" in messages[2]
    assert "marqué « fermé »" in messages[3] and "aucune réponse" in messages[3]
    assert "à fermer" in messages[5]
    assert {p.severity for p in preview.problems} == {WARNING}
    assert any(n.startswith("1 établissement fermé ignoré") for n in preview.notes)


def test_a_school_closed_in_the_geolocalisation_file_by_its_code(dataset):
    row = geo_school(1, "ECOLE DE NIVEAU ELEMENTAIRE", "École A", commune="95018", at=town_hall("95018"),
                     etat="", etat_etablissement="4")
    preview = preview_school_directory(csv_bytes(GEOLOC_HEADER, [row]), "geolocalisation.csv", dataset)
    assert by_id(preview.updated)[uai(1)]["statut"] == "ferme"


@pytest.mark.parametrize("kind, maternelle, elementaire, expected, warned", [
    ("Ecole", "1", "0", "ecole_maternelle", False),
    ("Ecole", "0", "1", "ecole_elementaire", False),
    ("École", "1", "1", "ecole_primaire", False),
    ("Ecole", "", "", "ecole_primaire", True),
    ("Ecole", "0", "0", "ecole_primaire", True),
    ("Collège", "", "", "college", False),
    ("LYCEE", "", "", "lycee", False),
    ("EREA", "", "", None, False),
    ("Médico-social", "", "", None, False),
    ("Information et orientation", "", "", None, False),
    ("Service Administratif", "", "", None, False),
])
def test_annuaire_types(kind, maternelle, elementaire, expected, warned):
    code, warning = annuaire_type(kind, maternelle, elementaire)
    assert code == expected and (warning is not None) == warned


@pytest.mark.parametrize("nature, code, expected", [
    ("ECOLE MATERNELLE", "101", "ecole_maternelle"),
    ("ECOLE MATERNELLE D'APPLICATION", "102", "ecole_maternelle"),
    ("ECOLE DE NIVEAU ELEMENTAIRE", "151", "ecole_elementaire"),
    ("ECOLE ELEMENTAIRE D'APPLICATION", "152", "ecole_elementaire"),
    ("ECOLE ELEMENTAIRE D APPLICATION", "152", "ecole_elementaire"),
    ("COLLEGE", "340", "college"),
    ("LYCEE D ENSEIGNEMENT GENERAL ET TECHNOLOGIQUE", "300", "lycee"),
    ("LYCEE POLYVALENT", "306", "lycee"),
    ("LYCEE PROFESSIONNEL", "320", "lycee"),
    ("SECTION D ENSEIGNEMENT PROFESSIONNEL", "390", "lycee"),
    ("ETAB REGIONAL/LYCEE ENSEIGNEMENT ADAPTE", "370", None),
    ("CENTRE D INFORMATION ET D ORIENTATION", "", None),
    ("", "340", "college"),
])
def test_geolocalisation_types(nature, code, expected):
    assert geolocalisation_type(nature, code) == expected


def test_school_levels_and_skipped_types_in_a_file(dataset):
    rows = [
        school(101, "École sans niveau", maternelle="", elementaire=""),
        school("0950101B", "EREA Françoise Dolto", kind="EREA"),
        school("0950102C", "IME Les Cerisiers", kind="Médico-social"),
        school("0950103D", "IME Le Moulin", kind="Médico-social"),
        school("0950104E", "CIO de Cergy", kind="Information et orientation"),
        school("0950105F", "DSDEN du Val-d'Oise", kind="Service Administratif"),
    ]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire.csv", dataset)

    assert ids(preview.added) == [uai(101)] and preview.added.at[0, "type"] == "ecole_primaire"
    [warning] = preview.problems
    assert warning.line == 2 and warning.severity == WARNING and "classée « école primaire »" in warning.message
    note = next(n for n in preview.notes if "autres types" in n)
    assert note.startswith("5 établissements d'autres types ignorés")
    assert "Médico-social : 2" in note and "EREA : 1" in note and "Service Administratif : 1" in note


def test_duplicate_uais_keep_the_most_recent_row(dataset):
    rows = [school(501, "Nom de 2025", date_maj_ligne="2025-09-01"),
            school(501, "Nom de 2024", date_maj_ligne="2024-01-15"),
            school(502, "Sans date, première", date_maj_ligne=""),
            school(502, "Sans date, dernière", date_maj_ligne="")]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire.csv", dataset)

    added = by_id(preview.added)
    assert len(preview.added) == 2
    assert added[uai(501)]["nom"] == "Nom de 2025" and added[uai(502)]["nom"] == "Sans date, dernière"
    warnings = {p.line: p for p in preview.problems}
    assert set(warnings) == {2, 5} and {p.severity for p in warnings.values()} == {WARNING}
    assert "lignes 2, 3" in warnings[2].message and "01/09/2025" in warnings[2].message
    assert "lignes 4, 5" in warnings[5].message and "dernière du fichier" in warnings[5].message
    assert warnings[2].column == "Identifiant_de_l_etablissement"


def test_reimporting_a_newer_directory_updates_names_positions_and_rep_without_touching_answers(dataset):
    folder = dataset.folder
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    arg, cer, sar = town_hall("95018"), town_hall("95127"), town_hall("95585")
    rows = [
        school(1, "École A – Jean Moulin", commune="95018", at=arg, ep="REP+", Adresse_1="1 rue A"),
        school(2, "École B", commune="95018", maternelle="1", elementaire="0", at=(48.9431, 2.2512), ep="REP+",
               Adresse_1="2 rue B"),
        school(3, "Collège C", kind="Collège", at=(cer[0] + 0.001, cer[1]), Adresse_1="3 rue C"),
        school(4, "École D", commune="95585", maternelle="1", elementaire="1", at=sar, ep="REP+",
               Adresse_1="4 rue D"),
    ]
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, rows), "annuaire-2026.csv", dataset)

    assert preview.added.empty and preview.problems == []
    assert preview.unchanged == 1  # École D
    updated = by_id(preview.updated)
    assert set(updated) == {uai(1), uai(2), uai(3)}
    assert updated[uai(1)]["nom"] == "École A – Jean Moulin"
    assert (updated[uai(1)]["qpv"], updated[uai(1)]["education_prioritaire"]) == ("QN09501", "REP+")
    assert (updated[uai(2)]["education_prioritaire"], updated[uai(2)]["latitude"]) == ("REP+", "48.94310")
    assert float(updated[uai(3)]["latitude"]) == pytest.approx(cer[0] + 0.001, abs=1e-5)
    assert any("nom : 1" in n and "position : 2" in n and "éducation prioritaire : 1" in n for n in preview.notes)
    # Nothing was written, answers included; the preview only carries structures.
    assert preview.target == "structures"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert len(load_dataset(folder).reponses) == len(dataset.reponses) == 6


def test_importing_the_same_directory_again_changes_nothing_and_warns_no_more(tmp_path):
    tables = small_tables()
    data = csv_bytes(ANNUAIRE_HEADER, [
        school(701, "École sans position", at=("", "")),
        school(702, "École au niveau inconnu", maternelle="", elementaire="", ep="REP"),
        school(703, "Collège en Lambert-93", kind="Collège", at=("", ""), coordX_origine=str(CERGY_X),
               coordY_origine=str(CERGY_Y)),
    ])
    first = preview_school_directory(data, "annuaire.csv", load_dataset(write_tables(tmp_path / "a", tables)))
    assert len(first.added) == 3 and len(first.problems) == 2  # no position; level guessed

    tables["structures"] = pd.concat([tables["structures"], first.added], ignore_index=True)
    again = preview_school_directory(data, "annuaire.csv", load_dataset(write_tables(tmp_path / "b", tables)))

    assert again.added.empty and again.updated.empty and again.unchanged == 3
    assert again.problems == []


def test_schools_of_the_data_set_missing_from_the_file_are_left_alone_and_named(dataset):
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, [school(101, "École nouvelle")]), "a.csv",
                                       dataset)
    note = next(n for n in preview.notes if "absents de ce fichier" in n)
    # the écoles only: a file of écoles says nothing about the collège (issue 11: it was named, 5 instead of 4)
    assert note.startswith("4 établissements scolaires") and uai(4) in note and "CS-1" not in note
    assert uai(3) not in note


def test_a_directory_of_colleges_only_does_not_warn_about_the_ecoles(dataset):
    preview = preview_school_directory(csv_bytes(ANNUAIRE_HEADER, [school(3, "Collège C", kind="Collège")]),
                                       "colleges.csv", dataset)
    assert not [n for n in preview.notes if "absent" in n], preview.notes


# --------------------------------------------------------------------------- refusals and rejections


def test_a_file_with_no_recognisable_column_is_refused(dataset):
    data = "nom;ville;code postal\r\nÉcole des Lilas;Cergy;95000\r\n".encode("utf-8-sig")
    preview = preview_school_directory(data, "mes-ecoles.csv", dataset)

    [problem] = preview.problems
    assert problem.severity == ERROR and not preview.has_changes and preview.rows_read == 0
    text = str(problem)
    assert text.startswith("mes-ecoles.csv : format non reconnu")
    assert "Identifiant_de_l_etablissement" in text and "numero_uai" in text
    assert "Colonnes trouvées : « nom », « ville », « code postal »" in text


def test_a_directory_missing_an_essential_column_is_refused(dataset):
    header = [c for c in ANNUAIRE_HEADER if c != "Type_etablissement"]
    row = {k: v for k, v in school(101, "École").items() if k != "Type_etablissement"}
    preview = preview_school_directory(csv_bytes(header, [row]), "annuaire.csv", dataset)
    [problem] = preview.problems
    assert problem.severity == ERROR and "« Type_etablissement »" in problem.message and preview.added.empty


@pytest.mark.parametrize("data, expected", [
    (b"", "vide"),
    (b"  \r\n", "vide"),
    (b"\x00\x01\x02binary\x00" * 10, "binaire"),
    (b"PK\x03\x04" + b"\x00" * 100, "classeur"),
])
def test_unusable_files_are_refused_with_a_clear_message(dataset, data, expected):
    preview = preview_school_directory(data, "ecoles.csv", dataset)
    [problem] = preview.problems
    assert problem.severity == ERROR and problem.file == "ecoles.csv" and expected in problem.message
    assert not preview.has_changes


def test_a_file_over_the_upload_limit_is_refused_before_reading(dataset, monkeypatch):
    monkeypatch.setattr(annuaire, "MAX_IMPORT_BYTES", 2048)
    data = csv_bytes(ANNUAIRE_HEADER, [school(100 + n, f"École {n}") for n in range(20)])
    preview = preview_school_directory(data, "annuaire.csv", dataset)
    [problem] = preview.problems
    assert "trop volumineux" in problem.message and "limite est de 2 Ko" in problem.message
    assert preview.rows_read == 0 and not preview.has_changes


def test_rejected_rows_are_listed_with_their_line_in_the_file(dataset):
    good = csv_bytes(ANNUAIRE_HEADER, [school(601, "École bonne")])
    rest = csv_bytes(ANNUAIRE_HEADER, [
        school("095601", "UAI tronqué"),                                             # line 4
        school(bad_key(602), "Lettre clé fausse"),                                  # line 5
        school(603, "École sur deux lignes", Adresse_1="12 rue Haute\nBâtiment B"),  # lines 6–7
        school(604, "École des Yvelines", commune="78646", departement="095"),      # line 8
    ]).split(b"\r\n", 1)[1]
    data = good + b";;;\r\n" + rest  # line 3: an empty row as a spreadsheet leaves it

    preview = preview_school_directory(data, "annuaire.csv", dataset)

    assert ids(preview.added) == [uai(601), uai(603)]
    assert preview.added.at[1, "adresse"] == "12 rue Haute Bâtiment B"
    rejected = {p.line: p for p in preview.rejected}
    assert set(rejected) == {4, 5, 8}
    assert all(p.row_dropped and "(ligne ignorée)" in p.message for p in rejected.values())
    assert rejected[4].column == "Identifiant_de_l_etablissement" and "n'est pas un code UAI" in rejected[4].message
    assert f"attendu « {uai_key(uai(602)[:7])} »" in rejected[5].message
    assert rejected[8].column == "Code_commune" and "inconnu dans le département 95" in rejected[8].message
    assert preview.rows_read == 5
