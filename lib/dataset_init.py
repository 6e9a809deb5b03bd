"""A new, empty data set for any département: its reference territories from the packaged national reference.

:func:`create_dataset` is what ``python -m lib.cli init`` and the first-run
steps of the app call. No network, no development requirement: the territories
come from ``data/reference_france/`` (see :mod:`lib.reference_pack`).

The data set's own facts (fédération, département, first wave) are kept in
``projet.json`` beside its tables; the loader does not read it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from lib import reference_pack
from lib.reference_pack import PACK_DIR, DepartementEntry, ReferencePackError
from lib.store import StoreError, create_user_dataset

PROJECT_FILE = "projet.json"
REFERENCE_DIR = "reference"
MAX_NAME_CHARS = 120
# A wave is a short label: « 2026 », « 2026-printemps », « 2025-2026 ».
WAVE_PATTERN = re.compile(r"^[0-9A-Za-zÀ-ÿ][0-9A-Za-zÀ-ÿ _.-]{0,29}$")


class DatasetInitError(Exception):
    """The data set could not be created; the message is French and can be shown as is. Nothing was left behind."""


@dataclass(frozen=True)
class ProjectInfo:
    """What ``projet.json`` holds."""

    federation: str
    departement_code: str
    departement_nom: str
    premiere_vague: str
    cree_le: str  # ISO date

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_project_info(folder: Path) -> ProjectInfo | None:
    """The data set's ``projet.json``, or None when it has none (the demo, older data sets) or it is unreadable."""
    try:
        raw = json.loads((Path(folder) / PROJECT_FILE).read_text(encoding="utf-8"))
        return ProjectInfo(**{name: str(raw[name]) for name in ProjectInfo.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_wave(wave: str) -> str:
    """The wave label, stripped; DatasetInitError when it is empty or not a short label."""
    text = str(wave).strip()
    if not WAVE_PATTERN.match(text):
        raise DatasetInitError(f"vague « {text} » invalide : un nom court (30 caractères au plus : lettres, "
                               "chiffres, espaces, - _ .), par exemple 2026 ou 2025-2026.")
    return text


def check_federation(name: str) -> str:
    """The fédération's name, stripped; DatasetInitError when empty or too long."""
    text = " ".join(str(name).split())
    if not text:
        raise DatasetInitError("nom de la fédération manquant.")
    if len(text) > MAX_NAME_CHARS:
        raise DatasetInitError(f"nom de la fédération trop long ({len(text)} caractères, {MAX_NAME_CHARS} au plus).")
    return text


def default_federation_name(entry: DepartementEntry) -> str:
    """« Fédération des centres sociaux du Val-d'Oise », « … de La Réunion »."""
    return "Fédération des centres sociaux " + reference_pack.of_departement(entry.nom, entry.tncc)


def create_dataset(folder: Path, departement: str, federation_name: str | None, first_wave: str, *,
                   pack_dir: Path = PACK_DIR, today: date | None = None) -> ProjectInfo:
    """Create a new, empty, valid data set for one département in ``folder``.

    ``folder`` must not exist, or be an empty folder. It receives its own
    ``reference/`` (communes and EPCI of the département), ``structures.csv``
    and ``reponses.csv`` holding just their header (written by the store, so
    the journal says when the data set was created) and ``projet.json``.
    Everything is made in a temporary folder beside ``folder`` and renamed
    into place at the end: a failure leaves nothing half made.

    Args:
        folder: where the data set goes.
        departement: INSEE code (« 95 », « 2A », « 974 »; « 1 » is read « 01 »).
        federation_name: the fédération's name; None or empty for « Fédération des centres sociaux du … ».
        first_wave: the first survey wave (« 2026 »).

    Raises:
        DatasetInitError: unknown département, bad wave or name, folder not empty, or a write that failed.
    """
    folder = Path(folder).expanduser().absolute()
    try:
        entry = reference_pack.find_departement(departement, pack_dir)
    except ReferencePackError as err:
        raise DatasetInitError(str(err)) from None
    federation = check_federation(federation_name) if federation_name and federation_name.strip() \
        else default_federation_name(entry)
    info = ProjectInfo(federation, entry.code, entry.nom, check_wave(first_wave),
                       (today or date.today()).isoformat())

    def build(staging: Path) -> None:
        reference_pack.write_departement_reference(entry.code, staging / REFERENCE_DIR, pack_dir)
        create_user_dataset(staging)
        (staging / PROJECT_FILE).write_text(info.to_json(), encoding="utf-8")

    create_in_place(folder, build, DatasetInitError, "un nouveau jeu de données", "du jeu de données")
    return info


def refuse_non_empty(folder: Path, error: type[Exception], what: str) -> None:
    """``error`` unless ``folder`` is an empty folder or does not exist: ``what`` never mixes with other files."""
    if folder.exists() and not folder.is_dir():
        raise error(f"{folder} existe déjà et n'est pas un dossier : choisissez un autre emplacement.")
    if folder.is_dir() and any(folder.iterdir()):
        raise error(f"le dossier {folder} n'est pas vide : {what} se crée dans un dossier vide ou qui n'existe pas "
                    "encore (rien n'a été modifié).")


def create_in_place(folder: Path, build, error: type[Exception], what: str, of_what: str) -> None:
    """Make a new data set folder whole or not at all: ``build(staging)`` fills a temporary folder beside
    ``folder``, which is then renamed into place; any failure leaves nothing behind and raises ``error`` in French.
    """
    refuse_non_empty(folder, error, what)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.creation-", dir=folder.parent))
    except OSError as err:
        raise error(f"création du dossier {folder} impossible : {err.strerror or err}.") from None
    try:
        build(staging)
        refuse_non_empty(folder, error, what)  # someone else may have filled it meanwhile
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except (OSError, StoreError, ReferencePackError) as err:
        shutil.rmtree(staging, ignore_errors=True)
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise error(f"création {of_what} dans {folder} impossible : {reason}.") from None
    except error:
        shutil.rmtree(staging, ignore_errors=True)
        raise
