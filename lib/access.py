"""Who may see what: roles, the pages of each role, users with hashed passwords.

Failed logins are slowed down by ``lib/login_throttle.py``.

Plain Python (no streamlit): ``lib/ui/__init__.py`` applies these rules on every page,
``lib/cli.py add-user`` writes the users. Users live in the secrets file
(``.streamlit/secrets.toml``, or ``$PASSERELLES_SECRETS``)::

    [users.caf95]
    role = "financeur"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$…"
    jeux = ["val-d-oise"]   # optional: the data sets this account opens (lib/datasets_registry.py)

A password is never stored: only its argon2id hash. With no user configured
the app runs on the demo data set only, in open access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lib.dataset import read_secrets
from lib.secrets_edit import edit_secrets, super_table

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
    purpose: str = ""  # what a writing page does: said in open access, where it writes nothing


PAGES: list[Page] = [
    Page("app.py", "Accueil", ":material/home:", COMITE,
         "l'accueil des financeurs est la page « Impact du projet »"),
    Page("pages/10_Impact.py", "Impact du projet", ":material/trending_up:", EVERYONE),
    Page("pages/1_Carte.py", "Carte des partenariats", ":material/map:", COMITE,
         "la carte montre chaque lien et la qualité qu'en donne chaque structure"),
    Page("pages/16_Fiche_structure.py", "Fiche d'une structure", ":material/description:", COMITE,
         "la fiche nomme les partenaires d'une structure et la qualité de chacun de ses liens"),
    Page("pages/13_Ou_agir.py", "Où agir ?", ":material/explore:", COMITE,
         "la page nomme, une à une, les écoles et les centres où agir"),
    Page("pages/2_Liens_par_territoire.py", "Liens par territoire", ":material/bar_chart:", EVERYONE),
    Page("pages/3_Leviers_et_freins.py", "Leviers et freins", ":material/balance:", EVERYONE),
    Page("pages/4_Evolution.py", "Évolution", ":material/timeline:", EVERYONE),
    Page("pages/11_Rencontres.py", "Rencontres", ":material/groups:", COMITE,
         "la page liste les structures présentes à chaque séance"),
    Page("pages/12_Rapports.py", "Rapports", ":material/picture_as_pdf:", EVERYONE),
    Page("pages/5_Saisie.py", "Saisie d'un entretien", ":material/edit_note:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »",
         "le formulaire d'un entretien (téléphone ou sur site), construit à partir du questionnaire ; chaque "
         "réponse est vérifiée avant d'être enregistrée, puis peut être modifiée ou supprimée"),
    Page("pages/6_Import_enquete.py", "Import d'enquête", ":material/upload_file:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »",
         "l'import d'un export CSV ou Excel d'un outil d'enquête (KoboToolbox, LimeSurvey, Framaforms, Google "
         "Forms) : association des colonnes, aperçu, puis confirmation"),
    Page("pages/7_Import_annuaire.py", "Import de l'annuaire", ":material/school:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »",
         "l'import de l'annuaire de l'éducation (data.education.gouv.fr) : écoles, collèges et lycées ajoutés "
         "ou mis à jour après un aperçu"),
    Page("pages/8_Structures_et_versions.py", "Structures et versions", ":material/history:", ENTRY,
         "la saisie et les imports sont réservés au rôle « Saisie des enquêtes »",
         "la liste des centres sociaux à corriger, l'historique des modifications et le retour à une version "
         "précédente"),
    Page("pages/9_Controle_des_donnees.py", "Contrôle des données", ":material/fact_check:", COMITE,
         "le contrôle montre les lignes des fichiers, valeurs comprises"),
    Page("pages/14_Presentation.py", "Présentation", ":material/slideshow:", COMITE,
         "une présentation reprend des vues du comité de pilotage (carte, structures nommées)"),
    Page("pages/15_Demarrer.py", "Démarrer", ":material/rocket_launch:", ENTRY,
         "la création du jeu de données et des comptes est réservée au rôle « Saisie des enquêtes »",
         "les premiers pas d'une fédération : créer le jeu de données de son département (communes et "
         "intercommunalités construites sans Internet) et le premier compte, puis importer l'annuaire, ajouter "
         "les centres sociaux et créer les comptes de l'équipe"),
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


def may_write(role: str | None, open_access: bool = False) -> bool:
    """Writing (entry, imports, uploads) needs a logged-in user of the saisie role: never in open access."""
    return role in ENTRY and not open_access


# What the writing pages say in open access, and what a broken configuration says (lib/ui/__init__.py shows them).
OPEN_ACCESS_READ_ONLY = ("**Démonstration en lecture seule** : les données de démonstration ne sont pas modifiables "
                         "et, sans compte configuré, Passerelles n'enregistre rien et n'accepte aucun fichier.")
CREATE_ACCOUNTS_FIRST = ("Pour saisir et importer vos propres données, créez d'abord les comptes des personnes qui "
                         "utiliseront Passerelles, par exemple `python -m lib.cli add-user prenom.nom saisie` (rôles : "
                         f"{', '.join(f'`{r}`' for r in ROLES)}). L'application demandera alors de se connecter et "
                         "proposera de créer votre jeu de données.")
BROKEN_CONFIGURATION = ("**Configuration illisible : l'application est arrêtée.** {}\n\nAucune donnée n'est ouverte "
                        "tant que ce fichier n'est pas corrigé. Pour repartir sans comptes, renommez-le : seule la "
                        "démonstration s'ouvrira alors.")

# What one session may hold in Streamlit's upload memory: two files at the importers' limit (lib/imports).
UPLOAD_BYTES_PER_SESSION = 2 * 50 * 1024 * 1024


def may_store_upload(writer: bool, held: int, size: int) -> bool:
    """Whether an upload may be kept in memory: only a logged-in writer's, within its session's allowance.

    Streamlit 1.67 keeps any PUT to ``/_stcore/upload_file/<session>/<any id>`` of any open session,
    with or without an upload widget (measured: 20 × 49 MB from a visitor at the login form added 1 GB).
    """
    return writer and held + size <= UPLOAD_BYTES_PER_SESSION


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
    # The data sets the account opens (ids of lib/datasets_registry.py); None: the default data set only.
    datasets: tuple[str, ...] | None = None


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
        elif "jeux" in entry and not (isinstance(entry["jeux"], list)
                                      and all(isinstance(j, str) for j in entry["jeux"])):
            # Refused rather than read as « the default data set »: a typo must not open another data set.
            problems.append(f"{where} : jeux doit être une liste d'identifiants, par exemple jeux = [\"val-d-oise\"]")
        else:
            datasets = tuple(dict.fromkeys(entry["jeux"])) if "jeux" in entry else None
            found[name] = User(name, role, hashed, datasets)
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


# Every failed attempt also waits this long before its answer (a guess per second at most per session).
FAILED_LOGIN_PAUSE = 1.0


# --------------------------------------------------------------------------- writing users (lib.cli add-user)


def save_user(path: Path, name: str, role: str, password: str, datasets: list[str] | None = None) -> bool:
    """Add or replace a user in the secrets file, keeping the rest of the file as it was.

    The file is edited with tomlkit (comments and layout kept), under a lock,
    written to a temporary file readable by its owner only, then swapped in
    (:func:`lib.secrets_edit.edit_secrets`).

    Args:
        datasets: the data sets the account opens (``jeux``); None keeps those of an existing account
            (none written for a new one: the default data set only).

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
    with edit_secrets(path) as document:
        users = super_table(document, "users")
        created = name not in users
        kept = None if created or datasets is not None else users[name].get("jeux")
        entry = tomlkit.table()
        entry.add("role", role)
        entry.add("password_hash", hash_password(password))
        if datasets is not None:
            entry.add("jeux", list(dict.fromkeys(datasets)))
        elif kept is not None:
            entry.add("jeux", kept)
        users[name] = entry
    return created
