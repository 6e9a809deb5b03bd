"""Read a data-set folder into typed DataFrames, with a validation report in French.

A data set is a folder of CSV files (see DESIGN.md): ``structures.csv`` and
``reponses.csv`` are required; ``rencontres.csv``, ``participations.csv`` and
``territoires.csv`` are optional. Every problem names its file, line, column
and value. Errors leave a row out of the analyses (or an invalid code out of
its row, as the message says); warnings only inform.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from lib.csvio import CsvError, RawTable, fit_width, read_table
from lib.filesafety import shorten, shorten_list
from lib.questionnaire import ChoiceList, Questionnaire, load_questionnaire, split_codes
from lib.territories import Reference, assign_territories, load_reference, reference_dir_for
from lib.text import fold
from lib.textlimits import STORE_MAX_CHARS, overlong_cells, preview, too_long_message

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "demo"
# A demo data set made for any département (python -m lib.cli demo) holds this file: shown as a demo, never written.
DEMO_MARKER = "DEMONSTRATION"
LOCAL_DIR = ROOT / "data" / "local"
SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"
DATA_ENV = "PASSERELLES_DATA"
SECRETS_ENV = "PASSERELLES_SECRETS"  # another secrets file (tests, a server keeping its secrets elsewhere)

ERROR = "erreur"
WARNING = "avertissement"

UAI_PATTERN = re.compile(r"^\d{7}[A-Z]$")
UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
STRUCTURE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3])[:h][0-5]\d$")
# A match starts only where a run of address characters starts: tried from inside the run too, a long
# word without "@" cost quadratic time (40,000 letters: 16 s; one long comment froze the loader).
EMAIL_PATTERN = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE_PATTERN = re.compile(r"(?:\+33\s?|0033\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")
# A school more than this far outside its own commune is probably misplaced (degrees, ~2 km).
COMMUNE_TOLERANCE_DEG = 0.02
QUOTED_VALUE_CHARS = 80  # a value quoted in a problem; longer ones (pasted texts) are cut
# Free-text columns of reponses.csv: shown to the comité de pilotage only, checked for personal data.
FREE_TEXT_COLUMNS = ("ressources", "outils", "pistes", "commentaire")
REDACTED = "[masqué : donnée personnelle]"
# Values of structures.csv's "statut": open (empty) or closed.
CLOSED = "ferme"
STATUSES = ("", CLOSED)


@dataclass(frozen=True)
class FileSpec:
    """The columns of one data-set file."""

    filename: str
    required: bool
    columns: tuple[str, ...]
    required_columns: tuple[str, ...]


FILES: dict[str, FileSpec] = {
    "structures": FileSpec(
        "structures.csv", True,
        ("id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude", "education_prioritaire", "qpv",
         "statut"),
        ("id", "type", "nom", "commune_insee"),
    ),
    "reponses": FileSpec(
        "reponses.csv", True,
        ("reponse_id", "vague", "date", "mode", "repondant_id", "repondant_fonction", "ecole_id", "centre_id",
         "formes", "frequence", "objets", "qualite", "leviers", "freins", *FREE_TEXT_COLUMNS),
        ("reponse_id", "vague", "mode", "repondant_id", "ecole_id", "centre_id"),
    ),
    "rencontres": FileSpec(
        "rencontres.csv", False,
        ("rencontre_id", "date", "titre", "type", "lieu", "commune_insee", "heure_debut", "heure_fin"),
        ("rencontre_id", "date", "titre", "type"),
    ),
    "participations": FileSpec(
        "participations.csv", False, ("rencontre_id", "structure_id", "participants"),
        ("rencontre_id", "structure_id", "participants"),
    ),
    "territoires": FileSpec(
        "territoires.csv", False, ("commune_insee", "territoire"), ("commune_insee", "territoire"),
    ),
    # Saved views played in meetings (lib/presentations.py): one row per step; not read by the loader.
    "presentations": FileSpec(
        "presentations.csv", False,
        ("etape_id", "presentation", "ordre", "titre", "commentaire", "page", "requete", "cree_le"),
        ("etape_id", "presentation", "ordre", "titre", "page"),
    ),
}
# Files the store writes that the loader does not read: left out of the data set's cache key.
NOT_LOADED = frozenset({"presentations"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data set, located precisely and explained in French."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    severity: str = ERROR
    row_dropped: bool = False  # the whole row is left out (not only a value)

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        return f"{', '.join(where)} : {self.message}"


@dataclass
class Dataset:
    """A data set read and checked: typed tables, its reference territories, its problems."""

    folder: Path
    is_demo: bool
    reference: Reference
    structures: pd.DataFrame
    reponses: pd.DataFrame
    rencontres: pd.DataFrame
    participations: pd.DataFrame
    territoires: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    # The funders' copy carries its statistical-secret decisions (lib.secrecy.Secret); None for the comité.
    secret: object | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def waves(self) -> list[str]:
        """The waves of the answers, in order (a new list each time; the tuple behind it is computed once)."""
        return list(self.wave_tuple)

    @cached_property
    def wave_tuple(self) -> tuple[str, ...]:
        """The waves, computed once per data set: 46 ms for 150,000 answers, asked several times a run.
        A data set is never changed once loaded (its tables are not reassigned)."""
        return tuple(sorted(self.reponses["vague"].dropna().unique().tolist()))


# --------------------------------------------------------------------------- paths


def secrets_file(env: Mapping[str, str] | None = None) -> Path:
    """The app's secrets file (data set folder, users): ``$PASSERELLES_SECRETS``, else ``.streamlit/secrets.toml``."""
    env = os.environ if env is None else env
    return Path(env[SECRETS_ENV]).expanduser() if env.get(SECRETS_ENV) else SECRETS_PATH


class SecretsError(ValueError):
    """The secrets file exists but cannot be read: the app must stop, not fall back to the open demo."""


def shown_secrets_path(path: Path) -> str:
    """The secrets file as said to a visitor: relative to the app when inside it, else its name only."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"{path.name} (indiqué par la variable {SECRETS_ENV})"


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_secrets(path: Path) -> dict:
    """The secrets file as a dict; ``{}`` when there is none.

    Raises:
        SecretsError: the file exists but is unreadable or not valid TOML (a French message naming the file,
            line and column, and how to fix it). Falling back to the open demo would show a broken
            configuration as if no account had been set.
    """
    if not path.exists():
        return {}
    where = shown_secrets_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SecretsError(f"{where} : le fichier n'est pas en UTF-8 (octet {error.start + 1}) ; enregistrez-le en "
                           "UTF-8 puis relancez l'application.") from None
    except OSError as error:
        raise SecretsError(f"{where} : fichier illisible ({error.strerror or error}) ; vérifiez ses droits (le "
                           "compte qui lance l'application doit pouvoir le lire) puis relancez-la.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_WHERE.search(str(error))
        reason = _TOML_WHERE.sub("", str(error))
        place = f"ligne {found.group(1)}, colonne {found.group(2)}" if found else "position inconnue"
        raise SecretsError(f"{where}, {place} : syntaxe TOML incorrecte ({reason}). Corrigez cette ligne (modèle : "
                           ".streamlit/secrets.toml.example ; une valeur texte s'écrit entre guillemets, "
                           "par exemple role = \"pilotage\") puis rechargez la page ou relancez la commande.") from None


def resolve_data_dir(env: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> Path:
    """Which data set to show: ``$PASSERELLES_DATA``, else ``data_dir`` in secrets,
    else ``data/local/`` when it exists, else the demo."""
    env = os.environ if env is None else env
    if env.get(DATA_ENV):
        return Path(env[DATA_ENV]).expanduser().resolve()
    secrets = read_secrets(secrets_file(env) if secrets_path is None else secrets_path)
    if secrets.get("data_dir"):
        return Path(str(secrets["data_dir"])).expanduser().resolve()
    if LOCAL_DIR.is_dir():
        return LOCAL_DIR
    return DEMO_DIR


def is_demo_dir(folder: Path) -> bool:
    """True for ``data/demo/`` and for a demo data set made for another département (its :data:`DEMO_MARKER`)."""
    folder = Path(folder)
    return folder.resolve() == DEMO_DIR.resolve() or (folder / DEMO_MARKER).is_file()


def dataset_signature(folder: Path) -> tuple:
    """Names, sizes and modification times of the files the loader reads (cache key)."""
    paths = [folder / spec.filename for name, spec in FILES.items() if name not in NOT_LOADED]
    ref = reference_dir_for(folder)
    paths += sorted(ref.glob("*"))
    # The inode too: the store replaces files whole, so two quick writes of one size still differ.
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size, p.stat().st_ino) if p.exists() else (str(p), None, None, None)
        for p in paths
    )


# --------------------------------------------------------------------------- checks


class _Checker:
    """Collects problems for one file and remembers which rows to leave out."""

    def __init__(self, spec: FileSpec, frame: pd.DataFrame, problems: list[Problem]):
        self.spec = spec
        self.frame = frame
        self.problems = problems
        self.drop = pd.Series(False, index=frame.index)

    def flag(
        self,
        mask: pd.Series,
        column: str,
        message: Callable[[str], str] | str | pd.Series,
        severity: str = ERROR,
        drop: bool = True,
    ) -> None:
        """Report every row of ``mask``; errors with ``drop`` leave the row out.

        ``message`` is a text, a function of the cell's value, or a Series of
        texts aligned on the rows.
        """
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = self.frame.loc[mask, ["_line", column]]
        for idx, line, value in zip(rows.index, rows["_line"], rows[column]):
            if isinstance(message, pd.Series):
                text = message[idx]
            else:
                text = message(value) if callable(message) else message
            if severity == ERROR:
                text += " (ligne ignorée)" if drop else " (valeur ignorée)"
            if isinstance(value, list):  # a multi-valued cell, already split into codes
                value = ";".join(value)
            if isinstance(value, str) and len(value) > QUOTED_VALUE_CHARS:  # a pasted text: quote its start only
                text, value = text.replace(value, shorten(value)), shorten(value, QUOTED_VALUE_CHARS)
            self.problems.append(Problem(self.spec.filename, int(line), column, value, text, severity,
                                         row_dropped=severity == ERROR and drop))
        if severity == ERROR and drop:
            self.drop |= mask

    def required(self, column: str, what: str) -> pd.Series:
        """Flag empty cells of a required column; returns the mask of non-empty cells."""
        empty = self.frame[column] == ""
        self.flag(empty, column, f"{what} manquant(e)")
        return ~empty

    def unique(self, columns: list[str], what: str, severity: str = ERROR) -> None:
        """Flag rows repeating an earlier row's key, naming the line of the first one."""
        key = self.frame[columns].agg("\x1f".join, axis=1) if len(columns) > 1 else self.frame[columns[0]]
        present = self.frame[columns].ne("").all(axis=1)
        dup = key.duplicated(keep="first") & present
        if dup.any():
            first_line = self.frame.loc[present].groupby(key[present])["_line"].min()
            messages = key.map(first_line).map(lambda line: f"{what} déjà présent(e) ligne {int(line)}"
                                               if pd.notna(line) else what)
            self.flag(dup, columns[-1], messages, severity)

    def codes(self, column: str, choices: ChoiceList, single: bool) -> None:
        """Unknown codes: one error each, with the closest valid code suggested.

        An unknown code is removed from its cell; the row stays.
        """
        values = self.frame[column]
        if single:
            bad = (values != "") & ~values.isin(choices.codes)
            self.flag(bad, column, lambda v: _unknown_code(v, choices), drop=False)
            self.frame.loc[bad, column] = ""
            return
        known = set(choices.codes)
        lists = []
        # Plain lists: indexing a Series row by row costs seconds at 150,000 answers.
        for value, line in zip(values.tolist(), self.frame["_line"].tolist()):
            codes = split_codes(value)
            if any(code not in known for code in codes):
                for code in (c for c in codes if c not in known):
                    message = _unknown_code(code, choices) + " (valeur ignorée)"
                    self.problems.append(Problem(self.spec.filename, int(line), column, code, message))
                codes = [c for c in codes if c in known]
            lists.append(codes)
        self.frame[column] = lists  # multi-valued columns hold lists of valid codes from here on


def _unknown_code(value: str, choices: ChoiceList) -> str:
    message = f"code « {value} » inconnu pour « {choices.title} »"
    suggestion = choices.suggest(value)
    if suggestion:
        message += f" — vouliez-vous dire « {suggestion} » ({choices.label(suggestion)}) ?"
    else:
        message += f" (codes possibles : {', '.join(choices.codes)})"
    return message


def uai_key(digits: str) -> str:
    """The check letter of a UAI (RNE) school code from its seven digits."""
    return UAI_KEY_LETTERS[int(digits) % 23]


def _to_float(values: pd.Series) -> pd.Series:
    """Numbers as people type them: decimal comma or point, spaces ignored."""
    cleaned = values.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    return pd.to_numeric(cleaned.str.replace(",", ".", regex=False), errors="coerce")


def _to_date(values: pd.Series) -> pd.Series:
    """ISO dates (``2018-06-05``, with or without time) or French ones (``05/06/2018``)."""
    iso = pd.to_datetime(values.where(values.str.match(r"^\d{4}-\d{2}-\d{2}")), format="ISO8601", errors="coerce")
    french = pd.to_datetime(values.str.slice(0, 10), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(french)


def _commune_problem(value: str, reference: Reference) -> str:
    names = {fold(n): c for c, n in zip(reference.communes["code_insee"], reference.communes["nom"])}
    hint = names.get(fold(value))
    if hint:
        return f"« {value} » est un nom de commune : indiquez son code INSEE {hint}"
    return f"code commune « {value} » inconnu dans le département {reference.departement} ({reference.departement_name})"


# --------------------------------------------------------------------------- per file


def _frame_from_raw(raw: RawTable, spec: FileSpec, problems: list[Problem]) -> pd.DataFrame | None:
    """Strings table with every known column (missing optional ones empty) and ``_line``.

    Returns None when a required column is missing (the file can't be used).
    """
    seen: dict[str, int] = {}
    for position, name in enumerate(raw.header, start=1):
        if name in seen and name:
            problems.append(Problem(spec.filename, 1, raw.original_header[position - 1], None,
                                    f"colonne en double (colonnes {seen[name]} et {position})"))
        seen.setdefault(name, position)
    missing = [c for c in spec.required_columns if c not in seen]
    for column in missing:
        found = shorten_list([c for c in raw.original_header if c]) or "aucune"
        problems.append(Problem(spec.filename, 1, column, None,
                                f"colonne obligatoire « {column} » absente (colonnes trouvées : {found}) ; "
                                "le fichier ne peut pas être lu"))
    if missing:
        return None
    for name, original in zip(raw.header, raw.original_header):
        if name and name not in spec.columns:
            problems.append(Problem(spec.filename, 1, original, None, "colonne inconnue, ignorée", WARNING))
    width = len(raw.header)
    rows, lines = [], []
    for row, line in zip(raw.rows, raw.lines):
        row, broken = fit_width(row, width, raw.delimiter)
        if broken:
            problems.append(Problem(spec.filename, line, None, None, broken + " (ligne ignorée)", row_dropped=True))
            continue
        rows.append([v.strip() for v in row])
        lines.append(line)
    frame = pd.DataFrame(rows, columns=raw.header, dtype=object) if rows else pd.DataFrame(columns=raw.header)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = frame.reindex(columns=list(spec.columns), fill_value="").fillna("").astype(object)
    frame["_line"] = lines
    return frame.reset_index(drop=True)


def _check_structures(frame: pd.DataFrame, q: Questionnaire, ref: Reference, problems: list[Problem],
                      spec: FileSpec = FILES["structures"]) -> pd.DataFrame:
    c = _Checker(spec, frame, problems)
    types = q["types_structure"]
    c.required("id", "identifiant")
    c.required("nom", "nom")
    has_type = c.required("type", "type")
    c.flag(has_type & ~frame["type"].isin(types.codes), "type", lambda v: _unknown_code(v, types))
    c.unique(["id"], "identifiant")
    school = frame["type"].isin(q.school_types)
    bad_uai = school & (frame["id"] != "") & ~frame["id"].str.match(UAI_PATTERN)
    c.flag(bad_uai, "id", lambda v: f"« {v} » n'est pas un code UAI d'établissement scolaire (7 chiffres et une lettre, ex. 0951234A)")
    good_uai = school & frame["id"].str.match(UAI_PATTERN)
    wrong_key = good_uai & frame["id"].map(lambda v: bool(UAI_PATTERN.match(v)) and uai_key(v[:7]) != v[7])
    c.flag(wrong_key, "id", lambda v: f"lettre clé de l'UAI « {v} » incorrecte (attendu « {uai_key(v[:7])} ») : code mal recopié ?", WARNING)
    other = ~school & (frame["id"] != "") & ~frame["id"].str.match(STRUCTURE_ID_PATTERN)
    c.flag(other, "id", lambda v: f"identifiant « {v} » invalide : lettres, chiffres, « - », « _ » ou « . » seulement, sans espace")

    # Excel drops the leading zero of codes such as 01001.
    frame["commune_insee"] = frame["commune_insee"].where(~frame["commune_insee"].str.fullmatch(r"\d{4}"),
                                                          "0" + frame["commune_insee"])
    has_commune = c.required("commune_insee", "code commune")
    c.flag(has_commune & ~frame["commune_insee"].isin(ref.communes["code_insee"]), "commune_insee",
           lambda v: _commune_problem(v, ref))

    ep = frame["education_prioritaire"].str.upper().str.replace(" ", "", regex=False)
    ep_codes = q["education_prioritaire"].codes
    frame["education_prioritaire"] = ep.where(ep.isin(ep_codes), frame["education_prioritaire"])
    c.flag((frame["education_prioritaire"] != "") & ~frame["education_prioritaire"].isin(ep_codes),
           "education_prioritaire", f"valeur attendue : {', '.join(ep_codes)} ou vide", drop=False)
    frame.loc[~frame["education_prioritaire"].isin(ep_codes), "education_prioritaire"] = ""

    # "ferme": closed according to the Ministry's directory, kept because the surveys speak of it.
    c.flag(~frame["statut"].isin(STATUSES), "statut", f"valeur attendue : {', '.join(s for s in STATUSES if s)} ou vide",
           drop=False)
    frame.loc[~frame["statut"].isin(STATUSES), "statut"] = ""

    # A bad position never removes a structure: it is placed at its town hall instead.
    lat, lon = _to_float(frame["latitude"]), _to_float(frame["longitude"])
    for column, values in (("latitude", lat), ("longitude", lon)):
        c.flag((frame[column] != "") & values.isna(), column,
               lambda v: f"« {v} » n'est pas un nombre (ex. 49,0364 ou 49.0364)", drop=False)
    one_only = lat.isna() ^ lon.isna()
    c.flag(one_only & ((frame["latitude"] == "") | (frame["longitude"] == "")), "latitude",
           "latitude et longitude vont ensemble : l'une est vide, l'autre non", drop=False)
    both = lat.notna() & lon.notna()
    inside = pd.Series(False, index=frame.index)
    swapped = pd.Series(False, index=frame.index)
    if both.any():
        inside[both] = ref.inside(lon[both].to_numpy(), lat[both].to_numpy())
        swapped[both] = ref.inside(lat[both].to_numpy(), lon[both].to_numpy())
    c.flag(both & ~inside & swapped, "latitude",
           "latitude et longitude inversées ? Le point tombe hors du département, mais y entre quand on les échange",
           drop=False)
    c.flag(both & ~inside & ~swapped, "latitude",
           lambda v: f"coordonnées hors du département {ref.departement} (latitude {v}) : "
                     "vérifiez-les (degrés décimaux WGS84)", drop=False)
    placed = both & inside
    lat[~placed], lon[~placed] = np.nan, np.nan
    near = placed & frame["commune_insee"].isin(ref.commune_shapes)
    if near.any():
        shapes = frame.loc[near, "commune_insee"].map(ref.commune_shapes).to_numpy()
        distance = shapely.distance(shapes, shapely.points(lon[near].to_numpy(), lat[near].to_numpy()))
        far = pd.Series(False, index=frame.index)
        far[near] = distance > COMMUNE_TOLERANCE_DEG
        c.flag(far, "latitude", frame["commune_insee"].map(
            lambda code: f"le point est à plus de 2 km de sa commune ({code}) : coordonnées ou commune à vérifier"),
            WARNING)

    kept = frame[~c.drop].copy()
    typed = pd.DataFrame({
        "id": kept["id"].astype(str),
        "type": pd.Categorical(kept["type"], categories=types.codes),
        "nom": kept["nom"].astype(str),
        "commune_insee": kept["commune_insee"].astype(str),
        "adresse": kept["adresse"].astype(str),
        "latitude": lat[~c.drop].astype(float),
        "longitude": lon[~c.drop].astype(float),
        "education_prioritaire": kept["education_prioritaire"].replace("", pd.NA),
        "qpv": kept["qpv"].astype(str),
        "statut": kept["statut"].astype(str),
        "famille": np.where(kept["type"].isin(q.school_types), "ecole", "centre"),
    })
    return typed.reset_index(drop=True)


def _check_reponses(frame: pd.DataFrame, q: Questionnaire, structures: pd.DataFrame,
                    problems: list[Problem], spec: FileSpec = FILES["reponses"]) -> pd.DataFrame:
    c = _Checker(spec, frame, problems)
    family = dict(zip(structures["id"], structures["famille"]))
    type_label = q["types_structure"].labels
    kind = dict(zip(structures["id"], structures["type"].astype(str)))
    c.required("reponse_id", "identifiant de réponse")
    c.unique(["reponse_id"], "identifiant de réponse")
    c.required("vague", "vague d'enquête")
    c.required("mode", "mode de recueil")
    c.codes("mode", q["modes"], single=True)

    for column, wanted, what in (("ecole_id", "ecole", "un établissement scolaire"),
                                 ("centre_id", "centre", "un centre social ou un espace de vie sociale")):
        present = c.required(column, "identifiant de structure")
        known = frame[column].isin(family)
        c.flag(present & ~known, column, lambda v: f"structure « {v} » absente de structures.csv")
        wrong = present & known & (frame[column].map(family) != wanted)
        c.flag(wrong, column, lambda v: f"« {v} » n'est pas {what} : c'est un(e) {type_label.get(kind[v], kind[v]).lower()}")
    has_respondent = c.required("repondant_id", "identifiant du répondant")
    side = np.where(frame["repondant_id"] == frame["ecole_id"], "ecole",
                    np.where(frame["repondant_id"] == frame["centre_id"], "centre", ""))
    c.flag(has_respondent & (side == ""), "repondant_id",
           lambda v: f"le répondant « {v} » doit être l'une des deux structures du lien (ecole_id ou centre_id)")

    dates = _to_date(frame["date"])
    c.flag((frame["date"] != "") & dates.isna(), "date",
           lambda v: f"date « {v} » illisible (attendu 05/06/2018 ou 2018-06-05)", drop=False)

    c.codes("repondant_fonction", q["fonctions"], single=True)
    sides = dict(zip(q["fonctions"].codes, (ch.extra.get("cote", "") for ch in q["fonctions"].choices)))
    mismatch = frame["repondant_fonction"].map(lambda f: sides.get(f, "")).pipe(
        lambda s: (s != "") & (s != side) & (side != ""))
    c.flag(mismatch, "repondant_fonction",
           lambda v: f"la fonction « {q['fonctions'].label(v)} » ne correspond pas au côté qui répond", WARNING)
    for column in ("formes", "objets", "leviers", "freins"):
        c.codes(column, q.for_column("reponses", column), single=False)
    c.codes("frequence", q["frequences"], single=True)

    quality = _to_float(frame["qualite"])
    quality_codes = [int(x) for x in q["qualites"].codes]
    bad_quality = (frame["qualite"] != "") & ~quality.isin(quality_codes)
    c.flag(bad_quality, "qualite", lambda v: _quality_problem(v, q["qualites"]), drop=False)
    quality[bad_quality] = np.nan

    c.flag(frame["formes"].map(len) == 0, "formes", "aucune forme de lien indiquée", WARNING)
    _mask_personal_data(c, frame, FREE_TEXT_COLUMNS, "un texte libre")

    key = frame["vague"] + "\x1f" + frame["ecole_id"] + "\x1f" + frame["centre_id"] + "\x1f" + frame["repondant_id"]
    dup = key.duplicated(keep="first") & ~c.drop
    c.flag(dup, "repondant_id", "même répondant, même lien, même vague qu'une ligne précédente : réponse en double ?",
           WARNING)

    keep = ~c.drop
    kept = frame[keep]
    typed = pd.DataFrame({
        "reponse_id": kept["reponse_id"],
        "vague": kept["vague"],
        "date": dates[keep],
        "mode": pd.Categorical(kept["mode"].replace("", pd.NA), categories=q["modes"].codes),
        "repondant_id": kept["repondant_id"],
        "repondant_fonction": pd.Categorical(kept["repondant_fonction"].replace("", pd.NA),
                                             categories=q["fonctions"].codes),
        "cote": pd.Series(side, index=frame.index)[keep],
        "ecole_id": kept["ecole_id"],
        "centre_id": kept["centre_id"],
        "formes": kept["formes"],
        "frequence": pd.Categorical(kept["frequence"].replace("", pd.NA), dtype=q["frequences"].dtype()),
        "objets": kept["objets"],
        "qualite": quality[keep].astype("Int64"),
        "leviers": kept["leviers"],
        "freins": kept["freins"],
        **{column: kept[column] for column in FREE_TEXT_COLUMNS},
    })
    return typed.reset_index(drop=True)


def _quality_problem(value: str, choices: ChoiceList) -> str:
    suggestion = choices.suggest(value)
    hint = f" — « {value} » correspond au niveau {suggestion}" if suggestion else ""
    scale = ", ".join(f"{c.code} = {c.label.lower()}" for c in choices.choices)
    return f"qualité « {value} » invalide : attendu un nombre entier ({scale}){hint}"


def _mask_personal_data(c: _Checker, frame: pd.DataFrame, columns, what: str) -> None:
    """Flag and mask e-mail addresses and phone numbers: no person's contact details in a data set."""
    for column in columns:
        personal = frame[column].str.contains(EMAIL_PATTERN) | frame[column].str.contains(PHONE_PATTERN)
        c.flag(personal, column, lambda v: "donnée personnelle (adresse e-mail ou numéro de téléphone) "
                                           f"dans {what} : à retirer du fichier", drop=False)
        frame.loc[personal, column] = REDACTED


def check_rencontres(frame: pd.DataFrame, q: Questionnaire, ref: Reference, problems: list[Problem]) -> pd.DataFrame:
    """The loader's rules for meetings (also the Rencontres form's); appends to ``problems``, returns kept rows."""
    c = _Checker(FILES["rencontres"], frame, problems)
    c.required("rencontre_id", "identifiant de rencontre")
    c.unique(["rencontre_id"], "identifiant de rencontre")
    c.required("titre", "titre")
    has_date = c.required("date", "date")
    dates = _to_date(frame["date"])
    c.flag(has_date & dates.isna(), "date", lambda v: f"date « {v} » illisible (attendu 05/06/2018 ou 2018-06-05)")
    has_type = c.required("type", "type de rencontre")
    types = q["types_rencontre"]
    c.flag(has_type & ~frame["type"].isin(types.codes), "type", lambda v: _unknown_code(v, types))
    c.flag((frame["commune_insee"] != "") & ~frame["commune_insee"].isin(ref.communes["code_insee"]),
           "commune_insee", lambda v: _commune_problem(v, ref), drop=False)
    for column in ("heure_debut", "heure_fin"):
        c.flag((frame[column] != "") & ~frame[column].str.match(TIME_PATTERN), column,
               lambda v: f"heure « {v} » illisible (attendu 09:00 ou 9h00)", drop=False)
    _mask_personal_data(c, frame, ("titre", "lieu"), "un intitulé de rencontre")
    keep = ~c.drop
    typed = frame.loc[keep, ["rencontre_id", "titre", "type", "lieu", "commune_insee", "heure_debut", "heure_fin"]].copy()
    typed.insert(1, "date", dates[keep])
    typed["type"] = pd.Categorical(typed["type"], categories=types.codes)
    return typed.reset_index(drop=True)


def check_participations(frame: pd.DataFrame, rencontres: pd.DataFrame, structures: pd.DataFrame,
                          problems: list[Problem]) -> pd.DataFrame:
    """The loader's rules for attendance, against known meetings and structures; returns kept rows."""
    c = _Checker(FILES["participations"], frame, problems)
    has_meeting = c.required("rencontre_id", "identifiant de rencontre")
    c.flag(has_meeting & ~frame["rencontre_id"].isin(rencontres["rencontre_id"]), "rencontre_id",
           lambda v: f"rencontre « {v} » absente de rencontres.csv")
    has_structure = c.required("structure_id", "identifiant de structure")
    c.flag(has_structure & ~frame["structure_id"].isin(structures["id"]), "structure_id",
           lambda v: f"structure « {v} » absente de structures.csv")
    count = _to_float(frame["participants"])
    c.flag((count.isna() | (count < 1) | (count % 1 != 0)), "participants",
           lambda v: f"nombre de participants « {v} » invalide : attendu un nombre entier positif")
    c.unique(["rencontre_id", "structure_id"], "participation de cette structure à cette rencontre")
    keep = ~c.drop
    typed = frame.loc[keep, ["rencontre_id", "structure_id"]].copy()
    typed["participants"] = count[keep].astype(int)
    return typed.reset_index(drop=True)


def _check_territoires(frame: pd.DataFrame, ref: Reference, problems: list[Problem],
                       spec: FileSpec = FILES["territoires"]) -> dict[str, str]:
    c = _Checker(spec, frame, problems)
    has_commune = c.required("commune_insee", "code commune")
    c.flag(has_commune & ~frame["commune_insee"].isin(ref.communes["code_insee"]), "commune_insee",
           lambda v: _commune_problem(v, ref))
    c.required("territoire", "nom de territoire")
    c.unique(["commune_insee"], "commune")
    kept = frame[~c.drop]
    return dict(zip(kept["commune_insee"], kept["territoire"]))


# --------------------------------------------------------------------------- loader


def _read(folder: Path, name: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Read one file of the data set as strings, or None (with a problem) when it can't be used."""
    spec = FILES[name]
    path = folder / spec.filename
    if not path.is_file():
        if spec.required:
            problems.append(Problem(spec.filename, None, None, None, "fichier obligatoire absent du jeu de données"))
        return None
    try:
        raw = read_table(path, expected=set(spec.columns))
    except CsvError as err:
        problems.append(Problem(spec.filename, err.line, None, None, err.message))
        return None
    if path.stat().st_size > STORE_MAX_CHARS:  # a smaller file cannot hold a longer cell
        for line, column, value in overlong_cells(raw.original_header, raw.rows, raw.lines):
            problems.append(Problem(spec.filename, line, column, preview(value),
                                    too_long_message(len(value), STORE_MAX_CHARS) + " : la ligne est lue, mais "
                                    "raccourcissez ce texte (l'application n'enregistre pas un texte aussi long)",
                                    WARNING))
    return _frame_from_raw(raw, spec, problems)


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FILES[name].columns}).assign(_line=pd.Series(dtype=int))


def load_dataset(folder: Path, questionnaire: Questionnaire | None = None) -> Dataset:
    """Read and check a data-set folder.

    Never raises on bad content: whatever is wrong becomes a :class:`Problem`
    and the tables hold the rows that could be used.
    """
    folder = Path(folder)
    q = questionnaire or load_questionnaire()
    reference = load_reference(reference_dir_for(folder))
    problems: list[Problem] = []
    if not folder.is_dir():
        problems.append(Problem(folder.name or str(folder), None, None, None,
                                f"dossier de données introuvable : {folder}"))
    frames = {name: (_read(folder, name, problems) if folder.is_dir() else None) for name in FILES}
    frames = {name: (frame if frame is not None else _empty(name)) for name, frame in frames.items()}

    territoires = _check_territoires(frames["territoires"], reference, problems)
    structures = _check_structures(frames["structures"], q, reference, problems)
    structures = assign_territories(structures, reference, territoires)
    reponses = _check_reponses(frames["reponses"], q, structures, problems)
    rencontres = check_rencontres(frames["rencontres"], q, reference, problems)
    participations = check_participations(frames["participations"], rencontres, structures, problems)
    return Dataset(
        folder=folder,
        is_demo=is_demo_dir(folder),
        reference=reference,
        structures=structures,
        reponses=reponses,
        rencontres=rencontres,
        participations=participations,
        territoires=territoires,
        problems=problems,
    )


def check_rows(name: str, rows: pd.DataFrame, dataset: Dataset, file_label: str) -> tuple[pd.Series, list[Problem]]:
    """Check rows about to be written to data-set file ``name`` with the loader's own rules.

    For importers and the entry form: the same messages as ``check``, naming
    ``file_label`` (the uploaded file) and the lines given in ``rows["_line"]``
    (else 2, 3, … as in a file with a header). Structures are checked on their
    own; answers against the data set's structures (and the new ones in
    ``rows`` must be added to ``dataset.structures`` first by the caller).

    Returns:
        A boolean Series (index of ``rows``): which rows may be written;
        and the problems found (errors and warnings).
    """
    spec = replace(FILES[name], filename=file_label)
    frame = rows.reindex(columns=list(spec.columns)).fillna("").astype(str).map(str.strip)
    frame["_line"] = rows["_line"].to_numpy() if "_line" in rows else np.arange(2, len(rows) + 2)
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    q = load_questionnaire()
    if name == "structures":
        _check_structures(frame, q, dataset.reference, problems, spec=spec)
    elif name == "reponses":
        _check_reponses(frame, q, dataset.structures, problems, spec=spec)
    elif name == "territoires":
        _check_territoires(frame, dataset.reference, problems, spec=spec)
    else:
        raise ValueError(f"check_rows: fichier {name!r} non pris en charge")
    dropped = {p.line for p in problems if p.row_dropped}
    return pd.Series(~frame["_line"].isin(dropped).to_numpy(), index=rows.index), problems


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The report as a table, for display and download."""
    return pd.DataFrame(
        [{"gravité": p.severity, "fichier": p.file, "ligne": p.line, "colonne": p.column, "valeur": p.value,
          "message": p.message} for p in problems],
        columns=["gravité", "fichier", "ligne", "colonne", "valeur", "message"],
    )
