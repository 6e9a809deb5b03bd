"""The Education Ministry's school directories: what importing one would change, before anything is written.

Two files published on data.education.gouv.fr are recognised by their header
(names compared case-insensitively, so the API's lower-case exports work too):

- "Annuaire de l'éducation" (``fr-en-annuaire-education``): one row per
  establishment, ``Identifiant_de_l_etablissement`` (UAI), ``Type_etablissement``
  plus ``Ecole_maternelle`` / ``Ecole_elementaire``, ``etat``,
  ``Appartenance_Education_Prioritaire``, WGS84 ``latitude`` / ``longitude`` and
  the original projected ``coordX_origine`` / ``coordY_origine`` /
  ``epsg_origine`` (``coordonnee_X`` / ``coordonnee_Y`` / ``epsg`` in older
  exports);
- "Adresse et géolocalisation des établissements d'enseignement du premier et
  second degrés": ``numero_uai``, ``nature_uai_libe``, ``etat_etablissement_libe``,
  ``coordonnee_x`` / ``coordonnee_y`` / ``EPSG``, no éducation prioritaire.

:func:`preview_school_directory` turns either file into an
:class:`~lib.imports.ImportPreview` of ``structures.csv`` rows: the schools of
the data set's département that are open (or closed but already known), typed,
placed, deduplicated and checked with the loader's own rules.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import Transformer
from pyproj.exceptions import CRSError, ProjError

from lib.csvio import DELIMITER_NAMES, CsvError, RawTable, decode_bytes, fit_width, normalise_column, parse_text
from lib.dataset import CLOSED, ERROR, FILES, UAI_PATTERN, WARNING, Dataset, Problem, check_rows, uai_key
from lib.filesafety import shorten, too_big_message
from lib.formatting import format_date, format_int
from lib.imports import MAX_IMPORT_BYTES, ImportPreview
from lib.territories import Reference
from lib.text import fold

TARGET = "structures"
KIND_ANNUAIRE = "Annuaire de l'éducation"
KIND_GEOLOCALISATION = "Adresse et géolocalisation des établissements"
KIND_UNKNOWN = "Annuaire des établissements scolaires"

# The published headers (2026), in order; lower-case variants are the same names.
ANNUAIRE_COLUMNS = (
    "Identifiant_de_l_etablissement", "Nom_etablissement", "Type_etablissement", "Statut_public_prive",
    "Adresse_1", "Adresse_2", "Adresse_3", "Code_postal", "Code_commune", "Nom_commune", "Code_departement",
    "Code_academie", "Code_region", "Ecole_maternelle", "Ecole_elementaire", "Voie_generale",
    "Voie_technologique", "Voie_professionnelle", "Telephone", "Fax", "Web", "Mail", "Restauration",
    "Hebergement", "ULIS", "Apprentissage", "Segpa", "Section_arts", "Section_cinema", "Section_theatre",
    "Section_sport", "Section_internationale", "Section_europeenne", "Lycee_Agricole", "Lycee_militaire",
    "Lycee_des_metiers", "Post_BAC", "Appartenance_Education_Prioritaire", "GRETA", "SIREN_SIRET",
    "Fiche_onisep", "position", "Type_contrat_prive", "Libelle_departement", "Libelle_academie",
    "Libelle_region", "coordX_origine", "coordY_origine", "epsg_origine", "nom_circonscription", "latitude",
    "longitude", "precision_localisation", "date_ouverture", "date_maj_ligne", "etat", "ministere_tutelle",
    "multi_uai", "rpi_concentre", "rpi_disperse", "code_nature", "libelle_nature", "Code_type_contrat_prive",
    "PIAL", "etablissement_mere", "type_rattachement_etablissement_mere", "code_circonscription",
    "code_zone_animation_pedagogique", "libelle_zone_animation_pedagogique", "code_bassin_formation",
    "libelle_bassin_formation",
)
GEOLOCALISATION_COLUMNS = (
    "numero_uai", "appellation_officielle", "denomination_principale", "patronyme_uai",
    "secteur_public_prive_libe", "adresse_uai", "lieu_dit_uai", "boite_postale_uai", "code_postal_uai",
    "localite_acheminement_uai", "libelle_commune", "coordonnee_x", "coordonnee_y", "EPSG", "latitude",
    "longitude", "appariement", "localisation", "nature_uai", "nature_uai_libe", "etat_etablissement",
    "etat_etablissement_libe", "code_departement", "code_region", "code_academie", "code_commune",
    "libelle_departement", "libelle_region", "libelle_academie", "position", "secteur_prive_code_type_contrat",
    "secteur_prive_libelle_type_contrat", "code_ministere", "libelle_ministere", "date_ouverture",
)
# Older annuaire exports named the projected coordinates like the géolocalisation file.
_OLDER_ANNUAIRE_COLUMNS = ("coordonnee_X", "coordonnee_Y", "epsg", "date_maj_ligne")
_EXPECTED = {normalise_column(c) for c in (*ANNUAIRE_COLUMNS, *GEOLOCALISATION_COLUMNS, *_OLDER_ANNUAIRE_COLUMNS)}

LAMBERT_93 = 2154
WGS84 = 4326
COORDINATE_DECIMALS = 5  # about 1 m

# École / Collège / Lycée in the annuaire's Type_etablissement (folded); other types are not schools here.
_ANNUAIRE_TYPES = {"ecole": "ecole", "college": "college", "lycee": "lycee"}
# Prefixes of nature_uai_libe (folded), most specific first; elementary schools are ambiguous (see below).
_NATURE_PREFIXES = (
    ("ecole maternelle", "ecole_maternelle"),
    ("ecole primaire", "ecole_primaire"),
    ("ecole de niveau elementaire", "ecole_elementaire"),
    ("ecole elementaire", "ecole_elementaire"),
    ("college", "college"),
    ("lycee", "lycee"),
    # A lycée's vocational or general section has a UAI of its own and pupils of lycée age.
    ("section d enseignement professionnel", "lycee"),
    ("section enseigt general et technologique", "lycee"),
)
# nature_uai codes, when the label is missing.
_NATURE_CODES = {
    "101": "ecole_maternelle", "102": "ecole_maternelle", "151": "ecole_elementaire", "152": "ecole_elementaire",
    "340": "college", "300": "lycee", "301": "lycee", "302": "lycee", "306": "lycee", "307": "lycee",
    "320": "lycee", "390": "lycee",
}
OPEN, CLOSING, OPENING, CLOSED_STATE = "ouvert", "a fermer", "a ouvrir", "ferme"
# etat_etablissement codes of the géolocalisation file.
_STATE_CODES = {"1": OPEN, "2": CLOSING, "3": OPENING, "4": CLOSED_STATE}
EP_CODES = ("REP", "REP+")
_EPSG_PATTERN = re.compile(r"(\d{4,6})")
_MAX_NOTED_IDS = 10


# --------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class DirectoryFormat:
    """Where one Ministry file keeps each thing the import needs.

    Every field lists the (normalised) column names that may hold it, first
    present wins.
    """

    kind: str
    key_column: str
    fields: dict[str, tuple[str, ...]]
    required: tuple[tuple[str, ...], ...]  # each: at least one of these columns
    knows_education_prioritaire: bool


ANNUAIRE = DirectoryFormat(
    kind=KIND_ANNUAIRE,
    key_column="identifiant_de_l_etablissement",
    fields={
        "uai": ("identifiant_de_l_etablissement",),
        "nom": ("nom_etablissement",),
        "type": ("type_etablissement",),
        "maternelle": ("ecole_maternelle",),
        "elementaire": ("ecole_elementaire",),
        "nature": ("libelle_nature",),
        "adresse": ("adresse_1",),
        "adresse_2": ("adresse_2",),
        "commune": ("code_commune",),
        "departement": ("code_departement",),
        "ep": ("appartenance_education_prioritaire",),
        "latitude": ("latitude",),
        "longitude": ("longitude",),
        "x": ("coordx_origine", "coordonnee_x"),
        "y": ("coordy_origine", "coordonnee_y"),
        "epsg": ("epsg_origine", "epsg"),
        "etat": ("etat",),
        "date_maj": ("date_maj_ligne",),
    },
    required=(("identifiant_de_l_etablissement",), ("nom_etablissement",), ("type_etablissement",),
              ("code_commune",)),
    knows_education_prioritaire=True,
)
GEOLOCALISATION = DirectoryFormat(
    kind=KIND_GEOLOCALISATION,
    key_column="numero_uai",
    fields={
        "uai": ("numero_uai",),
        "nom": ("appellation_officielle",),
        "denomination": ("denomination_principale",),
        "patronyme": ("patronyme_uai",),
        "nature": ("nature_uai_libe",),
        "nature_code": ("nature_uai",),
        "adresse": ("adresse_uai",),
        "adresse_2": ("lieu_dit_uai",),
        "commune": ("code_commune",),
        "departement": ("code_departement",),
        "latitude": ("latitude",),
        "longitude": ("longitude",),
        "x": ("coordonnee_x",),
        "y": ("coordonnee_y",),
        "epsg": ("epsg",),
        "etat": ("etat_etablissement_libe",),
        "etat_code": ("etat_etablissement",),
        "date_maj": ("date_maj_ligne",),
    },
    required=(("numero_uai",), ("code_commune",), ("nature_uai_libe", "nature_uai"),
              ("appellation_officielle", "denomination_principale")),
    knows_education_prioritaire=False,
)
FORMATS = (ANNUAIRE, GEOLOCALISATION)


def detect_format(header: Sequence[str]) -> DirectoryFormat | None:
    """Which Ministry file a (normalised) header belongs to, by its UAI column; None if neither."""
    names = set(header)
    for fmt in FORMATS:
        if fmt.key_column in names:
            return fmt
    return None


def _unknown_format_message(raw: RawTable) -> str:
    found = [c for c in raw.original_header if c]
    shown = ", ".join(f"« {shorten(c)} »" for c in found[:10]) + (" …" if len(found) > 10 else "")
    return (
        "format non reconnu : ce n'est ni l'« Annuaire de l'éducation » (colonnes attendues : "
        "Identifiant_de_l_etablissement, Nom_etablissement, Type_etablissement, Code_commune…) ni le fichier "
        "« Adresse et géolocalisation des établissements » (colonnes attendues : numero_uai, "
        "appellation_officielle, nature_uai_libe, code_commune…) du ministère de l'Éducation nationale. "
        f"Colonnes trouvées : {shown or 'aucune'}. Téléchargez le fichier sur data.education.gouv.fr "
        "(export CSV) sans renommer ses colonnes."
    )


# --------------------------------------------------------------------------- values


def _number(text: str) -> float | None:
    """``"49,0364"`` or ``"49.0364"`` → 49.0364; anything else → None."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _departement(code: str) -> str:
    """``"095"`` → ``"95"``, ``"02A"`` → ``"2A"``, ``"971"`` unchanged."""
    code = code.strip().upper()
    return code[1:] if len(code) == 3 and code.startswith("0") else code


def _commune(code: str) -> str:
    """INSEE code as 5 characters (a spreadsheet drops the leading zero of ``01001``)."""
    code = code.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code


def _row_date(text: str) -> date | None:
    """``date_maj_ligne``: ISO (``2025-01-10``) or French (``10/01/2025``)."""
    text = text.strip()
    for pattern, length in (("%Y-%m-%d", 10), ("%d/%m/%Y", 10)):
        try:
            return datetime.strptime(text[:length], pattern).date()
        except ValueError:
            continue
    return None


def education_prioritaire(value: str) -> str | None:
    """``"rep +"`` → ``"REP+"``; empty → ``""`` (outside); anything else → None (not understood)."""
    code = value.upper().replace(" ", "").replace("\u00a0", "")
    if code in ("", *EP_CODES):
        return code
    return None


def annuaire_type(type_label: str, maternelle: str, elementaire: str,
                  nature: str = "") -> tuple[str | None, str | None]:
    """Structure type of an annuaire row, and a warning when it had to be guessed.

    ``Type_etablissement`` gives école / collège / lycée; for an école,
    ``Ecole_maternelle`` / ``Ecole_elementaire`` (``1``, ``0`` or empty) tell
    maternelle (1/0), élémentaire (0/1) or primaire (1/1). Other types (EREA,
    médico-social, information et orientation, services) → ``(None, None)``.
    """
    kind = _ANNUAIRE_TYPES.get(fold(type_label))
    if kind is None:
        return None, None
    if kind != "ecole":
        return kind, None
    flags = (maternelle.strip(), elementaire.strip())
    by_flags = {("1", "0"): "ecole_maternelle", ("0", "1"): "ecole_elementaire", ("1", "1"): "ecole_primaire"}
    if flags in by_flags:
        return by_flags[flags], None
    if fold(nature).startswith("ecole maternelle"):
        return "ecole_maternelle", None
    shown = [f"« {flag} »" if flag else "vide" for flag in flags]
    return "ecole_primaire", (
        f"niveau de l'école inconnu (Ecole_maternelle {shown[0]}, Ecole_elementaire {shown[1]} ; attendu 1 ou 0) : "
        "classée « école primaire »"
    )


def geolocalisation_type(nature_label: str, nature_code: str = "") -> str | None:
    """Structure type from ``nature_uai_libe`` (or the ``nature_uai`` code); None when not a school here.

    An "ECOLE DE NIVEAU ELEMENTAIRE" may also have maternelle classes: this
    file cannot tell a primaire apart (see :func:`preview_school_directory`).
    """
    label = fold(nature_label).replace("'", " ")
    label = " ".join(label.split())
    if label:
        for prefix, code in _NATURE_PREFIXES:
            if label.startswith(prefix):
                return code
        return None
    return _NATURE_CODES.get(nature_code.strip())


def school_state(label: str, code: str = "") -> str:
    """``OUVERT`` / ``A FERMER`` / ``À ouvrir`` / ``FERME`` (or the géolocalisation codes 1–4), folded.

    Empty means open: the annuaire lists open establishments. Unknown values
    are returned folded, for the caller to warn about.
    """
    state = fold(label)
    if state:
        return state
    return _STATE_CODES.get(code.strip(), OPEN)


@lru_cache(maxsize=8)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, WGS84, always_xy=True)


def projected_to_wgs84(x: Sequence[float], y: Sequence[float],
                       epsg: int = LAMBERT_93) -> tuple[np.ndarray, np.ndarray]:
    """Projected coordinates (Lambert-93 by default, metres) → ``(latitude, longitude)`` in degrees.

    Raises:
        CRSError: ``epsg`` is not a coordinate system PROJ knows.
    """
    lon, lat = _transformer(epsg).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


def _epsg_code(text: str, x: float, y: float) -> int | None:
    """``"EPSG:2154"`` / ``"2154"`` → 2154; empty → Lambert-93 when the values look like it."""
    match = _EPSG_PATTERN.search(text)
    if match:
        return int(match.group(1))
    if not text.strip() and 100_000 < x < 1_300_000 and 6_000_000 < y < 7_200_000:
        return LAMBERT_93
    return None


def _format_coordinate(value: float) -> str:
    return f"{round(value, COORDINATE_DECIMALS):.{COORDINATE_DECIMALS}f}"


# --------------------------------------------------------------------------- rows of the file


@dataclass
class _Entry:
    """One row of the file, reduced to what a structure needs."""

    line: int
    uai: str
    nom: str
    type: str | None
    type_label: str
    elementary_ambiguous: bool
    commune: str
    adresse: str
    ep: str | None  # None: the file says nothing usable
    state: str
    state_raw: str
    row_date: date | None
    raw_coordinates: tuple[str, str, str, str, str] = ("", "", "", "", "")  # latitude, longitude, x, y, epsg
    latitude: str = ""
    longitude: str = ""
    coordinates_missing: str = ""  # why no position could be read
    warnings: list[Problem] = field(default_factory=list)


class _Columns:
    """Reads the format's fields from raw rows, remembering the file's own column names."""

    def __init__(self, raw: RawTable, fmt: DirectoryFormat):
        self.index: dict[str, int] = {}
        self.label: dict[str, str] = {}
        positions = {name: i for i, name in reversed(list(enumerate(raw.header)))}
        for name, candidates in fmt.fields.items():
            for candidate in candidates:
                if candidate in positions:
                    self.index[name] = positions[candidate]
                    self.label[name] = raw.original_header[positions[candidate]]
                    break

    def has(self, name: str) -> bool:
        return name in self.index

    def getter(self, name: str) -> Callable[[list[str]], str]:
        position = self.index.get(name)
        if position is None:
            return lambda row: ""
        return lambda row: row[position].strip()

    def name(self, name: str, default: str) -> str:
        return self.label.get(name, default)


def _entries(raw: RawTable, fmt: DirectoryFormat, cols: _Columns, departement: str, problems: list[Problem],
             counters: Counter) -> list[_Entry]:
    """The file's rows of the département, with types, states and EP read (coordinates kept as text)."""
    get = {name: cols.getter(name) for name in (*fmt.fields, "maternelle", "elementaire", "denomination",
                                                "patronyme", "nature_code", "etat_code", "ep")}
    width = len(raw.header)
    wanted = _departement(departement)
    entries: list[_Entry] = []
    for row, line in zip(raw.rows, raw.lines):
        row, broken = fit_width(row, width, raw.delimiter)
        if broken:
            problems.append(Problem(raw.file, line, None, None, broken + " (ligne ignorée)", row_dropped=True))
            continue
        commune = _commune(get["commune"](row))
        row_departement = _departement(get["departement"](row))
        if not row_departement and commune:
            row_departement = wanted if commune.startswith(wanted) else commune[:2]
        if row_departement and row_departement != wanted:
            counters["other_departement"] += 1
            continue
        nom = get["nom"](row)
        if fmt is GEOLOCALISATION:
            if not nom:
                nom = " ".join(p for p in (get["denomination"](row), get["patronyme"](row)) if p)
            type_code = geolocalisation_type(get["nature"](row), get["nature_code"](row))
            type_label = get["nature"](row) or get["nature_code"](row)
            ambiguous, type_warning = type_code == "ecole_elementaire", None
        else:
            type_code, type_warning = annuaire_type(get["type"](row), get["maternelle"](row),
                                                    get["elementaire"](row), get["nature"](row))
            type_label, ambiguous = get["type"](row), False
        ep_raw = get["ep"](row)
        entry = _Entry(
            line=line,
            uai=get["uai"](row).upper().replace(" ", ""),
            nom=" ".join(nom.split()),
            type=type_code,
            type_label=type_label,
            elementary_ambiguous=ambiguous,
            commune=commune,
            adresse=" ".join((get["adresse"](row) or get["adresse_2"](row)).split()),
            ep=education_prioritaire(ep_raw) if cols.has("ep") else None,
            state=school_state(get["etat"](row), get["etat_code"](row)),
            state_raw=get["etat"](row) or get["etat_code"](row),
            row_date=_row_date(get["date_maj"](row)),
            raw_coordinates=(get["latitude"](row), get["longitude"](row), get["x"](row), get["y"](row),
                             get["epsg"](row)),
        )
        if type_warning:
            entry.warnings.append(Problem(raw.file, line, cols.name("maternelle", "Ecole_maternelle"), None,
                                          type_warning, WARNING))
        if entry.ep is None and cols.has("ep"):
            entry.warnings.append(Problem(
                raw.file, line, cols.name("ep", "Appartenance_Education_Prioritaire"), ep_raw,
                f"éducation prioritaire « {ep_raw} » non reconnue (attendu REP, REP+ ou vide) : "
                "valeur actuelle conservée", WARNING))
        entries.append(entry)
    return entries


def _deduplicate(entries: list[_Entry], file: str, uai_column: str, problems: list[Problem]) -> list[_Entry]:
    """One entry per UAI: the most recently updated (``date_maj_ligne``), else the last in the file."""
    groups: dict[str, list[_Entry]] = {}
    for entry in entries:
        if entry.uai:
            groups.setdefault(entry.uai, []).append(entry)
    dropped: set[int] = set()
    for uai, group in groups.items():
        if len(group) < 2:
            continue
        dated = all(e.row_date is not None for e in group)
        kept = max(group, key=lambda e: (e.row_date, e.line)) if dated else group[-1]
        lines = ", ".join(str(e.line) for e in group)
        why = (f"mise à jour la plus récente, le {format_date(kept.row_date)}" if dated
               else "la dernière du fichier")
        problems.append(Problem(file, kept.line, uai_column, uai,
                                f"UAI présent {len(group)} fois (lignes {lines}) : seule la ligne {kept.line} "
                                f"est retenue ({why})", WARNING))
        dropped.update(e.line for e in group if e is not kept)
    return [e for e in entries if e.line not in dropped]


def _place(entries: list[_Entry]) -> None:
    """Fill each entry's latitude/longitude: WGS84 columns, else projected ones converted, else say why not."""
    projected: dict[int, list[tuple[_Entry, float, float]]] = {}
    unusable: list[tuple[_Entry, str]] = []
    for entry in entries:
        lat_text, lon_text, x_text, y_text, epsg_text = entry.raw_coordinates
        lat, lon = _number(lat_text), _number(lon_text)
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0):
            entry.latitude, entry.longitude = _format_coordinate(lat), _format_coordinate(lon)
            continue
        x, y = _number(x_text), _number(y_text)
        if x is None or y is None or (x, y) == (0, 0):
            unusable.append((entry, ""))
            continue
        epsg = _epsg_code(epsg_text, x, y)
        if epsg is None:
            unusable.append((entry, f"système de coordonnées « {epsg_text} » non reconnu"))
            continue
        projected.setdefault(epsg, []).append((entry, x, y))
    for epsg, group in projected.items():
        try:
            lat, lon = projected_to_wgs84([g[1] for g in group], [g[2] for g in group], epsg)
        except (CRSError, ProjError):
            unusable += [(g[0], f"système de coordonnées EPSG:{epsg} inconnu") for g in group]
            continue
        for (entry, _x, _y), la, lo in zip(group, lat, lon):
            if math.isfinite(la) and math.isfinite(lo):
                entry.latitude, entry.longitude = _format_coordinate(la), _format_coordinate(lo)
            else:
                unusable.append((entry, f"coordonnées hors du domaine de EPSG:{epsg}"))
    for entry, why in unusable:
        entry.coordinates_missing = why or "ni latitude/longitude, ni coordonnées Lambert-93"


# --------------------------------------------------------------------------- comparison with the data set

_COLUMNS = FILES[TARGET].columns
_CHANGE_LABELS = {
    "nom": "nom", "type": "type", "commune_insee": "commune", "adresse": "adresse", "latitude": "position",
    "longitude": "position", "education_prioritaire": "éducation prioritaire", "statut": "statut (ouvert / fermé)",
}


def _existing_rows(dataset: Dataset) -> dict[str, dict[str, str]]:
    """The data set's structures as the strings of structures.csv (town-hall placements left empty)."""
    rows: dict[str, dict[str, str]] = {}
    frame = dataset.structures
    if frame.empty:
        return rows
    approximate = frame["position_approximative"] if "position_approximative" in frame else pd.Series(
        False, index=frame.index)
    for record, approx in zip(frame.to_dict("records"), approximate.tolist()):
        row = {}
        for column in _COLUMNS:
            value = record.get(column, "")
            if column in ("latitude", "longitude"):
                value = "" if approx or pd.isna(value) else repr(float(value))
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                value = ""
            row[column] = str(value)
        row["_famille"] = str(record.get("famille", ""))
        rows[row["id"]] = row
    return rows


def _same(column: str, old: str, new: str) -> bool:
    if column in ("latitude", "longitude"):
        a, b = _number(old), _number(new)
        if a is None or b is None:
            return a is None and b is None
        return round(a, COORDINATE_DECIMALS) == round(b, COORDINATE_DECIMALS)
    return old == new


def _changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return [c for c in _COLUMNS if c != "id" and not _same(c, old.get(c, ""), new[c])]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{format_int(count)} {singular if count == 1 else plural}"


# --------------------------------------------------------------------------- preview


def preview_school_directory(data: bytes, filename: str, dataset: Dataset) -> ImportPreview:
    """What importing a Ministry school directory into ``dataset`` would change; writes nothing.

    Keeps the schools (écoles, collèges, lycées) of the data set's département
    that are open; a closed school is skipped unless the data set already has
    it, in which case it is updated with ``statut`` = ``ferme`` (never removed).
    An existing school keeps what the file does not know: ``qpv``, the
    éducation prioritaire when the file has no such column, its name, address
    or position when the file's are empty or unusable, ``ecole_primaire`` when
    the géolocalisation file only says "élémentaire".

    Args:
        data: the file's bytes, as uploaded.
        filename: its name, for the messages.
        dataset: the data set the rows would go to (its département, structures and answers).

    Returns:
        The preview: new UAIs in ``added``, changed ones in ``updated`` (whole
        ``structures.csv`` rows), the others counted in ``unchanged``; rejected
        rows and warnings with the file's line numbers; notes in French. A file
        that cannot be used is refused (one problem, nothing else).
    """
    read = _read_directory(data, filename)
    if isinstance(read, ImportPreview):
        return read
    raw, fmt = read
    preview = ImportPreview(file=filename, kind=fmt.kind, target=TARGET, rows_read=len(raw.rows))
    preview.notes.append(f"Format reconnu : {fmt.kind} ({raw.encoding_label}, séparateur "
                         f"{DELIMITER_NAMES.get(raw.delimiter, raw.delimiter)}).")
    cols = _Columns(raw, fmt)
    counters: Counter = Counter()
    skipped_types: Counter = Counter()
    file_problems: list[Problem] = []  # shown whatever happens to the rows
    entries = _entries(raw, fmt, cols, dataset.reference.departement, file_problems, counters)
    entries = _deduplicate(entries, filename, cols.name("uai", fmt.key_column), file_problems)
    existing = _existing_rows(dataset)

    kept = []
    for entry in entries:
        if entry.type is None:
            skipped_types[entry.type_label or "type non renseigné"] += 1
        elif entry.state == CLOSED_STATE and entry.uai not in existing:
            counters["closed_unknown"] += 1
        else:
            kept.append(entry)
    _place(kept)
    answers = Counter(dataset.reponses["ecole_id"].tolist()) if "ecole_id" in dataset.reponses else Counter()
    candidates, row_problems = _candidate_rows(kept, existing, answers, filename, cols)
    rows, checked = _check(candidates, existing, dataset, filename, cols)
    row_problems += checked

    added, updated, unchanged_lines, changed_fields = _compare(rows, existing)
    preview.added = pd.DataFrame(added, columns=list(_COLUMNS), dtype=object)
    preview.updated = pd.DataFrame(updated, columns=list(_COLUMNS), dtype=object)
    preview.unchanged = len(unchanged_lines)
    # Warnings about rows that change nothing would only repeat themselves at every import.
    preview.problems = sorted(
        file_problems + [p for p in row_problems if p.severity == ERROR or p.line not in unchanged_lines],
        key=lambda p: (p.line or 0, p.severity != ERROR),
    )
    preview.notes += _notes(counters, skipped_types, changed_fields, dataset.reference, existing, entries, fmt)
    return preview


def _read_directory(data: bytes, filename: str) -> tuple[RawTable, DirectoryFormat] | ImportPreview:
    """The file as a table and its format, or a refusal saying why it cannot be used."""
    if len(data) > MAX_IMPORT_BYTES:
        return _refused(filename, KIND_UNKNOWN, too_big_message(len(data), MAX_IMPORT_BYTES))
    try:
        text, encoding = decode_bytes(data, filename)
        raw = parse_text(text, filename, encoding, expected=_EXPECTED)
    except CsvError as err:
        return _refused(filename, KIND_UNKNOWN, err.message, err.line)
    fmt = detect_format(raw.header)
    if fmt is None:
        return _refused(filename, KIND_UNKNOWN, _unknown_format_message(raw))
    header = set(raw.header)
    missing = [names for names in fmt.required if not header & set(names)]
    if missing:
        wanted = ", ".join(" ou ".join(f"« {_label(n)} »" for n in names) for names in missing)
        return _refused(filename, fmt.kind, f"fichier « {fmt.kind} » incomplet : colonne(s) indispensable(s) "
                                            f"absente(s) : {wanted}.")
    return raw, fmt


def _candidate_rows(entries: list[_Entry], existing: dict[str, dict[str, str]], answers: Counter, file: str,
                    cols: _Columns) -> tuple[list[dict[str, str]], list[Problem]]:
    """The structures.csv rows the entries would write (with ``_line``), and their problems so far."""
    uai_column = cols.name("uai", "UAI")
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    for entry in entries:
        old = existing.get(entry.uai)
        if old is not None and old["_famille"] == "centre":
            problems.append(Problem(file, entry.line, uai_column, entry.uai,
                                    f"l'identifiant « {entry.uai} » est déjà celui d'un centre du jeu de données "
                                    "(ligne ignorée)", ERROR, row_dropped=True))
            continue
        if UAI_PATTERN.match(entry.uai) and uai_key(entry.uai[:7]) != entry.uai[7]:
            # Stricter than the loader (a warning there): the directory is where UAIs come from, so a wrong
            # check letter means a damaged file, and the school would never match its real code.
            problems.append(Problem(file, entry.line, uai_column, entry.uai,
                                    f"lettre clé de l'UAI « {entry.uai} » incorrecte (attendu "
                                    f"« {uai_key(entry.uai[:7])} ») : fichier modifié à la main ? (ligne ignorée)",
                                    ERROR, row_dropped=True))
            continue
        problems += entry.warnings
        rows.append(_structure_row(entry, old, answers, file, cols, problems))
    return rows, problems


def _check(rows: list[dict[str, str]], existing: dict[str, dict[str, str]], dataset: Dataset, file: str,
           cols: _Columns) -> tuple[list[dict[str, str]], list[Problem]]:
    """Apply the loader's rules (:func:`lib.dataset.check_rows`); returns the rows that may be written.

    A value the loader would ignore (a position outside the département…)
    is dropped from the row, which is still imported: a warning here, not a
    rejection. Problems name the file's own columns.
    """
    if not rows:
        return [], []
    ok, checked = check_rows(TARGET, pd.DataFrame(rows, columns=[*_COLUMNS, "_line"]), dataset, file)
    by_line = {row["_line"]: row for row in rows}
    renames = {"id": cols.name("uai", "id"), "nom": cols.name("nom", "nom"),
               "commune_insee": cols.name("commune", "commune_insee"), "adresse": cols.name("adresse", "adresse"),
               "latitude": cols.name("latitude", "latitude"), "longitude": cols.name("longitude", "longitude"),
               "education_prioritaire": cols.name("ep", "education_prioritaire")}
    problems = []
    for problem in checked:
        if problem.severity == ERROR and not problem.row_dropped:
            problem = replace(problem, severity=WARNING)
            row = by_line.get(problem.line)
            if row is not None and problem.column in ("latitude", "longitude"):
                old = existing.get(row["id"])
                row["latitude"], row["longitude"] = (old["latitude"], old["longitude"]) if old else ("", "")
        problems.append(replace(problem, column=renames.get(problem.column, problem.column)))
    return [row for row, good in zip(rows, ok.tolist()) if good], problems


def _compare(rows: list[dict[str, str]], existing: dict[str, dict[str, str]]
             ) -> tuple[list[dict[str, str]], list[dict[str, str]], set[int], Counter]:
    """Split checked rows into added / updated / unchanged (their lines); count the changed fields."""
    added, updated, unchanged_lines = [], [], set()
    changed_fields: Counter = Counter()
    for row in rows:
        values = {c: row[c] for c in _COLUMNS}
        old = existing.get(row["id"])
        if old is None:
            added.append(values)
            continue
        changes = _changes(old, values)
        if changes:
            updated.append(values)
            changed_fields.update({_CHANGE_LABELS[c] for c in changes if c in _CHANGE_LABELS})
        else:
            unchanged_lines.add(row["_line"])
    return added, updated, unchanged_lines, changed_fields


def _label(normalised: str) -> str:
    """The published spelling of a normalised column name."""
    for name in (*ANNUAIRE_COLUMNS, *GEOLOCALISATION_COLUMNS):
        if normalise_column(name) == normalised:
            return name
    return normalised


def _refused(file: str, kind: str, message: str, line: int | None = None) -> ImportPreview:
    return ImportPreview(file=file, kind=kind, target=TARGET, problems=[Problem(file, line, None, None, message)])


def _structure_row(entry: _Entry, old: dict[str, str] | None, answers: Counter, file: str, cols: _Columns,
                   problems: list[Problem]) -> dict[str, str]:
    """The structures.csv row the entry would write (with ``_line``): the file's values over the existing ones.

    Warnings about the row (no position, closing, closed) go to ``problems``.
    """
    row = {c: "" for c in _COLUMNS} if old is None else {c: old[c] for c in _COLUMNS}
    row["id"] = entry.uai
    row["type"] = entry.type or ""
    if old is not None and entry.elementary_ambiguous and old["type"] == "ecole_primaire":
        row["type"] = "ecole_primaire"  # the géolocalisation file calls primaires "élémentaire"
    row["nom"] = entry.nom or row["nom"]
    row["commune_insee"] = entry.commune
    row["adresse"] = entry.adresse or row["adresse"]
    if entry.ep is not None:
        row["education_prioritaire"] = entry.ep
    if entry.latitude:
        row["latitude"], row["longitude"] = entry.latitude, entry.longitude
    else:
        where = ("la position actuelle est conservée" if old is not None and old["latitude"]
                 else "l'établissement sera placé à la mairie de sa commune (position approximative)")
        problems.append(Problem(file, entry.line, cols.name("latitude", "latitude"), None,
                                f"pas de coordonnées utilisables ({entry.coordinates_missing}) : {where}", WARNING))
    state_column = cols.name("etat", "etat")
    if entry.state == CLOSED_STATE:
        row["statut"] = CLOSED
        if old is not None and old["statut"] != CLOSED:
            count = answers.get(entry.uai, 0)
            why = ("conservé car " + _plural(count, "réponse d'enquête s'y rapporte",
                                              "réponses d'enquête s'y rapportent") if count
                   else "aucune réponse ne s'y rapporte, il reste cependant dans le jeu de données")
            problems.append(Problem(file, entry.line, state_column, entry.state_raw,
                                    f"établissement fermé selon le fichier : marqué « fermé » ({why})", WARNING))
        return {**row, "_line": entry.line}
    row["statut"] = ""
    if entry.state == CLOSING:
        problems.append(Problem(file, entry.line, state_column, entry.state_raw,
                                "établissement « à fermer » selon le fichier : gardé comme ouvert pour l'instant",
                                WARNING))
    elif entry.state == OPENING:
        problems.append(Problem(file, entry.line, state_column, entry.state_raw,
                                "établissement « à ouvrir » selon le fichier : importé comme ouvert", WARNING))
    elif entry.state != OPEN:
        problems.append(Problem(file, entry.line, state_column, entry.state_raw,
                                f"état « {entry.state_raw} » inconnu (attendu OUVERT, A FERMER ou FERME) : "
                                "considéré comme ouvert", WARNING))
    return {**row, "_line": entry.line}


def _level(type_code: str) -> str:
    """École (maternelle, élémentaire, primaire), collège or lycée: what a directory extract is made of."""
    return "ecole" if type_code.startswith("ecole") else type_code


def _notes(counters: Counter, skipped_types: Counter, changed_fields: Counter, reference: Reference,
           existing: dict[str, dict[str, str]], entries: list[_Entry], fmt: DirectoryFormat) -> list[str]:
    """The preview's notes: what was left aside on purpose, and what the updates change."""
    notes = []
    if counters["other_departement"]:
        what = _plural(counters["other_departement"], "ligne d'un autre département ignorée",
                       "lignes d'autres départements ignorées")
        name = f" – {reference.departement_name}" if reference.departement_name else ""
        notes.append(f"{what} (le jeu de données couvre le département {reference.departement}{name}).")
    if skipped_types:
        what = _plural(sum(skipped_types.values()), "établissement d'un autre type ignoré",
                       "établissements d'autres types ignorés")
        detail = ", ".join(f"{label} : {format_int(n)}" for label, n in skipped_types.most_common())
        notes.append(f"{what} (ni école, ni collège, ni lycée) — {detail}.")
    if counters["closed_unknown"]:
        what = _plural(counters["closed_unknown"], "établissement fermé ignoré", "établissements fermés ignorés")
        notes.append(f"{what} (absents du jeu de données).")
    if changed_fields:
        detail = ", ".join(f"{label} : {format_int(n)}" for label, n in changed_fields.most_common())
        notes.append(f"Changements dans les établissements mis à jour — {detail}.")
    if not fmt.knows_education_prioritaire:
        notes.append("Ce fichier n'indique pas l'éducation prioritaire (REP, REP+) : celle des établissements "
                     "déjà présents reste inchangée, les nouveaux sont « hors éducation prioritaire » ; "
                     "importez l'Annuaire de l'éducation pour la mettre à jour.")
    in_file = {e.uai for e in entries}
    # Only the kinds of schools the file lists: a directory of collèges says nothing about the écoles.
    levels = {_level(e.type) for e in entries if e.type}
    absent = sorted(uai for uai, row in existing.items()
                    if row["_famille"] == "ecole" and _level(row["type"]) in levels and uai not in in_file)
    if entries and absent:
        shown = ", ".join(absent[:_MAX_NOTED_IDS]) + (" …" if len(absent) > _MAX_NOTED_IDS else "")
        what = _plural(len(absent), "établissement scolaire du jeu de données est absent de ce fichier : il reste "
                       "tel quel", "établissements scolaires du jeu de données sont absents de ce fichier : ils "
                       "restent tels quels")
        notes.append(f"{what}. L'annuaire ne liste plus les établissements fermés : vérifiez-les ({shown}).")
    return notes
