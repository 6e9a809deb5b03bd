"""The CSV reader on the files people actually send: encodings, delimiters, line ends."""

from __future__ import annotations

import codecs

import pytest

from lib.csvio import CsvError, decode_bytes, detect_delimiter, normalise_column, parse_text, read_table

HEADER = ["id", "nom", "latitude", "longitude"]
ROWS = [["0951234J", "École Jean-Jaurès « Œillets »", "49,0364", "2,0761"], ["CS-1", "Centre social Côté Cour", "", ""]]


def encode(rows: list[list[str]], delimiter: str, encoding: str, newline: str = "\n", bom: bytes = b"") -> bytes:
    text = newline.join(delimiter.join(f'"{v}"' if delimiter in v else v for v in row) for row in rows) + newline
    return bom + text.encode(encoding)


VARIANTS = [
    # (description, encoding, bom, delimiter, newline)
    ("UTF-8", "utf-8", b"", ",", "\n"),
    ("UTF-8 avec BOM, ;", "utf-8", codecs.BOM_UTF8, ";", "\r\n"),
    ("Excel FR Windows-1252, ;", "cp1252", b"", ";", "\r\n"),
    ("Latin-1, ;", "latin-1", b"", ";", "\n"),
    ("UTF-16 texte Unicode, tabulation", "utf-16", b"", "\t", "\r\n"),
    ("UTF-8 tabulation", "utf-8", b"", "\t", "\n"),
    ("Mac ancien retour chariot", "utf-8", b"", ";", "\r"),
]


@pytest.mark.parametrize("description,encoding,bom,delimiter,newline", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_reads_every_variant_to_the_same_rows(tmp_path, description, encoding, bom, delimiter, newline):
    rows = ROWS
    if encoding == "latin-1":  # Œ does not exist in Latin-1
        rows = [[v.replace("Œ", "O") for v in row] for row in ROWS]
    path = tmp_path / "structures.csv"
    path.write_bytes(encode([HEADER, *rows], delimiter, encoding, newline, bom))
    table = read_table(path, expected=set(HEADER))
    assert table.header == HEADER
    assert table.rows == rows
    assert table.delimiter == delimiter
    assert table.lines == [2, 3]


def test_decimal_commas_do_not_fool_the_delimiter_detection():
    text = "id;latitude;longitude\nA;49,1;2,1\nB;49,2;2,2\n"
    assert detect_delimiter(text, expected={"id", "latitude", "longitude"}) == ";"


def test_comma_file_with_semicolons_in_text():
    text = 'id,nom,commentaire\nA,École,"un; deux; trois"\nB,Centre,"quatre; cinq"\n'
    table = parse_text(text, "f.csv", "utf-8", expected={"id", "nom", "commentaire"})
    assert table.delimiter == ","
    assert table.rows[0][2] == "un; deux; trois"


def test_line_numbers_follow_multiline_fields_and_blank_lines():
    text = 'id;commentaire\nA;"ligne un\nligne deux"\n\n;\nB;simple\n'
    table = parse_text(text, "f.csv", "utf-8", expected={"id", "commentaire"})
    assert [row[0] for row in table.rows] == ["A", "B"]
    # A starts on line 2 and spans lines 2–3; a blank line and an empty ";" row follow.
    assert table.lines == [2, 6]


def test_header_names_are_normalised_but_originals_kept():
    table = parse_text("\ufeff Identifiant ; Qualité du lien;Commune-INSEE\n1;2;3\n", "f.csv", "utf-8")
    assert table.header == ["identifiant", "qualite_du_lien", "commune_insee"]
    assert table.original_header == ["Identifiant", "Qualité du lien", "Commune-INSEE"]
    assert normalise_column("REPONDANT_ID") == "repondant_id"


def test_cp1252_specific_characters_survive():
    data = "id;nom\n1;L’œuvre coûte 5 €\n".encode("cp1252")
    text, encoding = decode_bytes(data, "f.csv")
    assert encoding == "cp1252"
    assert "L’œuvre coûte 5 €" in text


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"", "vide"),
        (b"  \r\n\n", "vide"),
        (b"\x00\x01\x02\x03binary\x00", "binaire"),
        (b"PK\x03\x04\x14\x00\x06\x00", "classeur"),
        (codecs.BOM_UTF8 + b"id;nom\n1;\xe9cole\n", "UTF-8 avec BOM"),
    ],
    ids=["vide", "blancs", "binaire", "xlsx", "bom-menteur"],
)
def test_unreadable_files_get_a_french_reason(tmp_path, data, expected):
    path = tmp_path / "reponses.csv"
    path.write_bytes(data)
    with pytest.raises(CsvError) as caught:
        read_table(path)
    assert expected in caught.value.message
    assert caught.value.file == "reponses.csv"


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id;nom\n", encoding="utf-8")
    table = read_table(path)
    assert table.header == ["id", "nom"] and table.rows == []
