"""Several data sets on one server: which exist, which an account may open, which one a request opens.

Plain Python (no streamlit): the one place that decides; ``lib/ui/__init__.py`` (``page_setup``) applies it
on every page, ``lib.cli add-dataset`` and ``add-user --jeu`` write it. In the secrets file::

    [jeux.val-d-oise]
    nom = "Fédération des centres sociaux du Val d'Oise"
    dossier = "/srv/passerelles/val-d-oise"

    [users.caf95]
    role = "financeur"
    password_hash = "$argon2id$…"
    jeux = ["val-d-oise"]

The **default data set** (id ``defaut``) is the one the app showed before (``PASSERELLES_DATA``, ``data_dir``,
``data/local/``, the demo: :func:`lib.dataset.resolve_data_dir`); an account without ``jeux`` opens it and
only it, so a secrets file written before this module works unchanged. ``[jeux.defaut]`` may only name it
(``nom``). When other data sets are declared, the URL always says which one is open (``?jeu=ID``) so a shared
link opens the same data set; a link without ``jeu`` opens the account's first data set. A request for a data
set the account is not given is refused, never answered with another one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from lib.dataset import ROOT, is_demo_dir, read_secrets, resolve_data_dir, secrets_file
from lib.secrets_edit import edit_secrets, super_table

DEFAULT_ID = "defaut"
JEU_PARAM = "jeu"  # the URL parameter naming the open data set
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_NAME = "Jeu de données principal"
DEMO_NAME = "Démonstration"


@dataclass(frozen=True)
class DataSetEntry:
    """A data set of the server: its id (in URLs and in ``jeux``), its name (said to users), its folder."""

    id: str
    name: str
    folder: Path


@dataclass(frozen=True)
class Registry:
    """The data sets of the server (the default one first) and what is wrong in their declaration (French)."""

    entries: dict[str, DataSetEntry]
    problems: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        """True when data sets other than the default one are declared: the URL then always names one."""
        return any(key != DEFAULT_ID for key in self.entries)


@dataclass(frozen=True)
class Choice:
    """What a request opens: a data set, or a refusal (French) and nothing."""

    entry: DataSetEntry | None
    refusal: str | None = None


def check_dataset_id(dataset_id: str) -> str | None:
    """Why a data-set id is refused (French), or None."""
    if not DATASET_ID.match(dataset_id):
        return ("identifiant de jeu de données refusé : de 1 à 40 caractères, lettres minuscules sans accent, "
                "chiffres, « _ » ou « - », en commençant par une lettre ou un chiffre")
    return None


def _folder(value: str) -> Path:
    """A declared folder: a relative one is read from the application's folder, never the working directory."""
    path = Path(value).expanduser()
    return (path if path.is_absolute() else ROOT / path).resolve()


def load_registry(secrets_path: Path | None = None) -> Registry:
    """The data sets of the secrets file (default: :func:`lib.dataset.secrets_file`).

    Raises:
        lib.dataset.SecretsError: the file exists but cannot be read.
    """
    path = secrets_file() if secrets_path is None else secrets_path
    return registry_from_secrets(read_secrets(path), resolve_data_dir(secrets_path=path))


def registry_from_secrets(secrets: Mapping, default_folder: Path) -> Registry:
    """The data sets declared in the secrets (``[jeux.ID]``: ``dossier`` and ``nom``), the default one first.

    Args:
        default_folder: the default data set's folder (:func:`lib.dataset.resolve_data_dir`).
    """
    problems: list[str] = []
    table = secrets.get("jeux", {})
    if not isinstance(table, Mapping):
        problems.append("[jeux] doit être une table : [jeux.ID] avec dossier = \"…\" et nom = \"…\"")
        table = {}
    default = table.get(DEFAULT_ID, {})
    default_name = default.get("nom") if isinstance(default, Mapping) else None
    if isinstance(default, Mapping) and "dossier" in default:
        problems.append(f"[jeux.{DEFAULT_ID}] : le dossier du jeu de données principal se règle avec data_dir "
                        "(ou PASSERELLES_DATA) ; « dossier » est ignoré ici")
    entries = {DEFAULT_ID: DataSetEntry(
        DEFAULT_ID, str(default_name) if default_name else (DEMO_NAME if is_demo_dir(default_folder) else DEFAULT_NAME),
        default_folder)}
    for raw_id, entry in table.items():
        where = f"[jeux.{raw_id}]"
        if raw_id == DEFAULT_ID:
            continue
        if check_dataset_id(str(raw_id)):
            problems.append(f"{where} : {check_dataset_id(str(raw_id))}")
        elif not isinstance(entry, Mapping) or not isinstance(entry.get("dossier"), str) or not entry["dossier"]:
            problems.append(f"{where} : dossier = \"…\" attendu (le dossier du jeu de données)")
        else:
            name = entry.get("nom")
            entries[str(raw_id)] = DataSetEntry(str(raw_id), str(name) if name else str(raw_id),
                                                _folder(entry["dossier"]))
    return Registry(entries, tuple(problems))


def allowed_datasets(registry: Registry, given: tuple[str, ...] | None, open_access: bool) -> list[DataSetEntry]:
    """The data sets an account opens, in its order: ``given`` (its ``jeux``) among those declared.

    Without ``jeux`` (None), and in open access (no account: the demo only), the default data set only. An id
    that is not declared opens nothing.
    """
    if open_access or given is None:
        return [registry.entries[DEFAULT_ID]]
    return [registry.entries[key] for key in dict.fromkeys(given) if key in registry.entries]


def choose_dataset(allowed: list[DataSetEntry], requested: str | None) -> Choice:
    """The data set a request opens: the one asked for (``?jeu=``) when the account is given it, else a refusal;
    without a request, the account's first one.

    A refusal says the same whether the data set exists or not (it tells nothing of other fédérations).
    """
    if not allowed:
        return Choice(None, "Votre compte n'ouvre aucun jeu de données. Demandez à l'administrateur de Passerelles "
                            "de vous en donner un (python -m lib.cli add-user NOM ROLE --jeu ID).")
    if not requested:
        return Choice(allowed[0])
    for entry in allowed:
        if entry.id == requested:
            return Choice(entry)
    shown = f"« {requested} »" if DATASET_ID.match(requested) else "demandé"
    return Choice(None, f"Le jeu de données {shown} n'est pas ouvert à votre compte : rien n'en est affiché. "
                        "Ouvrez l'un des vôtres, ou demandez-le à l'administrateur de Passerelles.")


def url_value(registry: Registry, entry: DataSetEntry, open_access: bool) -> str | None:
    """``?jeu=`` for the open data set: only on a server with several (a single one keeps today's URLs)."""
    return entry.id if registry.several and not open_access else None


def save_dataset(path: Path, dataset_id: str, folder: Path, name: str | None) -> bool:
    """Declare (or change) a data set ``[jeux.ID]`` in the secrets file, keeping the rest of the file as it was.

    Returns:
        True when the data set is new, False when an existing declaration was replaced.

    Raises:
        ValueError: a French message (bad id, the reserved default id, unreadable file).
    """
    problem = check_dataset_id(dataset_id)
    if problem:
        raise ValueError(problem)
    if dataset_id == DEFAULT_ID:
        raise ValueError(f"« {DEFAULT_ID} » désigne le jeu de données principal (data_dir) : choisissez un autre "
                         "identifiant")
    with edit_secrets(path) as document:
        table = super_table(document, "jeux")
        created = dataset_id not in table
        entry = tomlkit.table()
        entry.add("nom", name or dataset_id)
        entry.add("dossier", str(folder))
        table[dataset_id] = entry
    return created


def unknown_datasets(registry: Registry, given: list[str]) -> list[str]:
    """The ids of ``given`` that the server does not declare (``add-user --jeu`` refuses them)."""
    return [key for key in given if key not in registry.entries]


def account_datasets(registry: Registry, given: tuple[str, ...] | None) -> set[str]:
    """The ids of the data sets an account opens (``given``: its ``jeux``; None: the default one)."""
    return {entry.id for entry in allowed_datasets(registry, given, open_access=False)}


def manages_account(registry: Registry, given: tuple[str, ...] | None, open_id: str) -> bool:
    """Whether a team page of data set ``open_id`` may list or change an account: only one that opens nothing
    else (an account of another fédération, or shared with one, is theirs too: never shown, never replaced)."""
    return account_datasets(registry, given) <= {open_id}


def new_account_datasets(registry: Registry, open_id: str) -> list[str] | None:
    """The ``jeux`` of an account created from data set ``open_id``'s pages: that one on a server with several,
    None (the default data set, today's file) on a server with one."""
    return [open_id] if registry.several else None
