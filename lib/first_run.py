"""A new fédération's first steps, from an empty installation to its own map (issue 16).

Pure functions for the « Démarrer » page and ``lib.cli``: whether this installation is at its first run
(no account, no data set of its own), where its data set goes, and the steps done and left.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lib.access import Users
from lib.dataset import FILES
from lib.dataset_init import read_project_info
from lib.store import user_dataset_dir

# Columns of the centres' template: what a fédération knows of its centres sociaux and EVS.
CENTRE_TEMPLATE_COLUMNS = ("id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude", "statut")


def holds_dataset(folder: Path) -> bool:
    """Whether ``folder`` already holds a data set (its structures file)."""
    return (folder / FILES["structures"].filename).is_file()


def own_dataset_to_create(env: Mapping[str, str] | None = None) -> Path | None:
    """Where this installation's own data set is to be created, or None when it has one.

    The folder named by ``$PASSERELLES_DATA`` or the secrets' ``data_dir``, else ``data/local/`` instead of
    the demo (``lib.store.user_dataset_dir``), as long as it holds no data set.
    """
    folder = user_dataset_dir(env)
    return None if holds_dataset(folder) else folder


def first_run_target(users: Users, env: Mapping[str, str] | None = None) -> Path | None:
    """Where a first run creates the data set, or None when this installation is past its first run.

    A first run is an installation with no account configured and no data set of its own: whoever opens
    « Démarrer » then creates both, the data set and the first account. Once an account exists, every page
    asks for a login, and a writer who has no data set of their own yet creates it without an account.
    """
    return None if users.configured else own_dataset_to_create(env)


@dataclass(frozen=True)
class Step:
    """One step of the first run: its title, whether it is done, what it says now."""

    title: str
    done: bool
    status: str
    page: str | None = None  # the page that does it
    optional: bool = False


def setup_steps(folder: Path, schools: int, centres: int, users: Users) -> list[Step]:
    """The first run's steps in order, with what is done and what remains."""
    info = read_project_info(folder)
    created = info is not None or holds_dataset(folder)
    others = len(users.users)
    return [
        Step("Créer le jeu de données du département", created,
             f"{info.federation} · {info.departement_nom} ({info.departement_code}) · première vague "
             f"{info.premiere_vague}" if info else ("jeu de données existant" if created else "à faire")),
        Step("Importer l'annuaire des écoles, collèges et lycées", schools > 0,
             f"{schools} établissement(s) scolaire(s)" if schools else "aucun établissement pour l'instant",
             "pages/7_Import_annuaire.py"),
        Step("Ajouter les centres sociaux et espaces de vie sociale", centres > 0,
             f"{centres} centre(s) ou EVS" if centres else "aucun centre pour l'instant",
             "pages/8_Structures_et_versions.py"),
        Step("Créer les comptes de l'équipe", others > 1,
             f"{others} compte(s)" if others else "aucun compte", None),
    ]


def centre_template_csv() -> bytes:
    """The centres' template to download: the expected columns, semicolon-separated, UTF-8 with BOM (Excel)."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(CENTRE_TEMPLATE_COLUMNS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

