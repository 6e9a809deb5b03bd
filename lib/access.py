"""Who may see what: roles, the pages of each role, users with hashed passwords, slowed failed logins.

Plain Python (no streamlit): ``lib/ui.py`` applies these rules on every page,
``lib/cli.py add-user`` writes the users. Users live in the secrets file
(``.streamlit/secrets.toml``, or ``$PASSERELLES_SECRETS``)::

    [users.caf95]
    role = "financeur"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$…"

A password is never stored: only its argon2id hash. With no user configured
the app runs on the demo data set only, in open access.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from filelock import FileLock

from lib.dataset import read_secrets

PILOTAGE, SAISIE, FINANCEUR = "pilotage", "saisie", "financeur"
ROLES: dict[str, str] = {
    PILOTAGE: "Comité de pilotage",
    SAISIE: "Saisie des enquêtes",
    FINANCEUR: "Financeur",
}
ROLE_HELP: dict[str, str] = {
    PILOTAGE: "tout voir, réponses libres comprises",
    SAISIE: "tout ce que voit le comité de pilotage, plus la saisie et les imports",
    FINANCEUR: "la page impact, les graphiques agrégés et les rapports ; jamais de réponse libre",
}
# The role of an open-access session (no user configured): everything, on the read-only demo.
OPEN_ROLE = SAISIE

EVERYONE = frozenset(ROLES)
COMITE = frozenset({PILOTAGE, SAISIE})
ENTRY = frozenset({SAISIE})


@dataclass(frozen=True)
class Page:
    """A page of the menu: its script, label, icon and the roles that may open it."""

    script: str
    label: str
    icon: str
    roles: frozenset[str]
    why_closed: str = ""  # said to a role that may not open it


PAGES: list[Page] = [
    Page("app.py", "Accueil", ":material/home:", COMITE,
         "l'accueil des financeurs est la page « Impact du projet »"),
    Page("pages/10_Impact.py", "Impact du projet", ":material/trending_up:", EVERYONE),
    Page("pages/1_Carte.py", "Carte des partenariats", ":material/map:", COMITE,
         "la carte montre chaque lien et la qualité qu'en donne chaque structure"),
    Page("pages/13_Ou_agir.py", "Où agir ?", ":material/explore:", COMITE,
         "la page nomme, une à une, les écoles et les centres où agir"),
    Page("pages/2_Liens_par_territoire.py", "Liens par territoire", ":material/bar_chart:", EVERYONE),
    Page("pages/3_Leviers_et_freins.py", "Leviers et freins", ":material/balance:", EVERYONE),
    Page("pages/4_Evolution.py", "Évolution", ":material/timeline:", EVERYONE),
    Page("pages/11_Rencontres.py", "Rencontres", ":material/groups:", COMITE,
         "la page liste les structures présentes à chaque séance"),
    Page("pages/12_Rapports.py", "Rapports", ":material/picture_as_pdf:", EVERYONE),
    Page("pages/5_Saisie.py", "Saisie d'un entretien", ":material/edit_note:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »"),
    Page("pages/6_Import_enquete.py", "Import d'enquête", ":material/upload_file:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »"),
    Page("pages/7_Import_annuaire.py", "Import de l'annuaire", ":material/school:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »"),
    Page("pages/8_Structures_et_versions.py", "Structures et versions", ":material/history:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »"),
    Page("pages/9_Controle_des_donnees.py", "Contrôle des données", ":material/fact_check:", COMITE,
         "le contrôle montre les lignes des fichiers, valeurs comprises"),
]
_BY_SCRIPT = {page.script: page for page in PAGES}


def page_of(script: str) -> Page:
    """The menu entry of a script (``"pages/2_…py"`` or an absolute path to it)."""
    path = Path(script)
    key = path.as_posix() if not path.is_absolute() else (
        path.name if path.parent.name != "pages" else f"pages/{path.name}")
    try:
        return _BY_SCRIPT[key]
    except KeyError:
        raise KeyError(f"{script}: page absente du menu (lib/access.py PAGES)") from None


def may_open(page: Page, role: str | None) -> bool:
    return role in page.roles


def pages_for(role: str | None) -> list[Page]:
    """The menu of a role, in order."""
    return [page for page in PAGES if may_open(page, role)]


def home_of(role: str | None) -> Page:
    """Where a role lands: the first page of its menu."""
    return pages_for(role)[0]


def sees_free_text(role: str | None) -> bool:
    """Free text (ressources, outils, pistes, commentaire) is for the comité de pilotage, never for funders."""
    return role in COMITE


def sees_details(role: str | None) -> bool:
    """Per-link and per-structure figures (each link's quality, lists of links): comité de pilotage only."""
    return role in COMITE


def may_write(role: str | None) -> bool:
    return role in ENTRY


# --------------------------------------------------------------------------- users

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
# Checked when the name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("passerelles: no such user")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class Users:
    """The configured users, and what is wrong in their configuration (in French)."""

    users: dict[str, User]
    problems: list[str]

    @property
    def configured(self) -> bool:
        """True as soon as the file declares users, valid or not: the app then asks for a login."""
        return bool(self.users or self.problems)


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str | None:
    """Why a user name is refused (French), or None."""
    if not USER_NAME.match(normalise_name(name)):
        return ("identifiant refusé : de 2 à 64 caractères, lettres minuscules sans accent, chiffres, « . », "
                "« _ » ou « - », en commençant par une lettre ou un chiffre")
    return None


def check_password(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"mot de passe trop court : au moins {MIN_PASSWORD} caractères"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def users_from_secrets(secrets: dict) -> Users:
    """Read ``[users.NAME]`` tables: a role and an argon2 hash each; plain passwords are refused."""
    problems: list[str] = []
    found: dict[str, User] = {}
    table = secrets.get("users", {})
    if not isinstance(table, dict):
        return Users({}, ["[users] doit être une table (voir .streamlit/secrets.toml.example)"])
    for raw_name, entry in table.items():
        name = normalise_name(str(raw_name))
        where = f"[users.{raw_name}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} : table attendue (role, password_hash)")
            continue
        if "password" in entry:
            problems.append(f"{where} : mot de passe en clair refusé ; écrivez son empreinte avec "
                            f"« python -m lib.cli add-user {name} {entry.get('role', 'ROLE')} »")
            continue
        role, hashed = entry.get("role"), str(entry.get("password_hash", ""))
        if check_name(name):
            problems.append(f"{where} : {check_name(name)}")
        elif role not in ROLES:
            problems.append(f"{where} : rôle « {role} » inconnu (rôles : {', '.join(ROLES)})")
        elif not hashed.startswith("$argon2"):
            problems.append(f"{where} : password_hash doit être une empreinte argon2 (python -m lib.cli add-user)")
        else:
            found[name] = User(name, role, hashed)
    return Users(found, problems)


def load_users(path: Path) -> Users:
    return users_from_secrets(read_secrets(path))


def authenticate(users: Users, name: str, password: str) -> User | None:
    """The user whose name and password match, else None (an unknown name costs the same time)."""
    user = users.users.get(normalise_name(name))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user


# --------------------------------------------------------------------------- failed logins


class LoginThrottle:
    """Failed logins slow down: after ``free`` failures on a name, each new failure locks it for longer.

    Kept per user name in the server process (shared by every session), so
    opening new browser tabs does not reset it. Thread-safe: Streamlit runs
    each session in its own thread.
    """

    def __init__(self, free: int = 3, first_lock: float = 30.0, longest_lock: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.first_lock, self.longest_lock, self.clock = free, first_lock, longest_lock, clock
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, name: str) -> float:
        """Seconds before the next attempt on this name is allowed (0 when it is)."""
        with self._lock:
            return max(0.0, self._locked_until.get(normalise_name(name), 0.0) - self.clock())

    def failed(self, name: str) -> float:
        """Record a failure; returns the lock now on the name, in seconds."""
        key = normalise_name(name)
        with self._lock:
            count = self._failures[key] = self._failures.get(key, 0) + 1
            if count <= self.free:
                return 0.0
            lock = min(self.first_lock * 2 ** (count - self.free - 1), self.longest_lock)
            self._locked_until[key] = self.clock() + lock
            return lock

    def succeeded(self, name: str) -> None:
        key = normalise_name(name)
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)


# Every failed attempt also waits this long before its answer (a guess per second at most per session).
FAILED_LOGIN_PAUSE = 1.0


# --------------------------------------------------------------------------- writing users (lib.cli add-user)


def save_user(path: Path, name: str, role: str, password: str) -> bool:
    """Add or replace a user in the secrets file, keeping the rest of the file as it was.

    The file is edited with tomlkit (comments and layout kept), under a lock,
    written to a temporary file readable by its owner only, then swapped in.

    Returns:
        True when the user is new, False when an existing one was replaced.

    Raises:
        ValueError: a French message (bad name, role or password, unreadable file).
    """
    name = normalise_name(name)
    for problem in (check_name(name), None if role in ROLES else
                    f"rôle « {role} » inconnu (rôles : {', '.join(ROLES)})", check_password(password)):
        if problem:
            raise ValueError(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=10):
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} : fichier TOML illisible ({error}) ; rien n'a été modifié") from None
        if "users" not in document:
            document.add(tomlkit.nl())
            document.add("users", tomlkit.table(is_super_table=True))
        users = document["users"]
        created = name not in users
        entry = tomlkit.table()
        entry.add("role", role)
        entry.add("password_hash", hash_password(password))
        users[name] = entry
        temp = path.with_name(f".{path.name}.tmp")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    return created
