"""Roles, pages, users with hashed passwords, slowed failed logins, `lib.cli add-user`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.access import (FINANCEUR, PAGES, PILOTAGE, ROLES, SAISIE, authenticate, home_of, load_users, may_open,
                        may_write, page_of, pages_for, save_user, sees_details, sees_free_text, users_from_secrets)
from lib.dataset import SecretsError, read_secrets

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_file_is_in_the_menu_and_every_menu_entry_is_a_file():
    files = {"app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))}
    assert {page.script for page in PAGES} == files


def test_what_each_role_may_open():
    funder = {page.label for page in pages_for(FINANCEUR)}
    assert funder == {"Impact du projet", "Liens par territoire", "Leviers et freins", "Évolution", "Rapports"}
    pilotage = {page.label for page in pages_for(PILOTAGE)}
    assert {"Accueil", "Carte des partenariats", "Rencontres", "Contrôle des données"} <= pilotage
    assert not pilotage & {"Saisie d'un entretien", "Import d'enquête", "Import de l'annuaire",
                           "Structures et versions"}
    assert {page.label for page in pages_for(SAISIE)} == {page.label for page in PAGES}
    assert home_of(FINANCEUR).label == "Impact du projet" and home_of(PILOTAGE).label == "Accueil"
    assert not pages_for(None) and not pages_for("administrateur")
    for page in PAGES:  # a closed page always says why
        assert all(may_open(page, role) or page.why_closed for role in ROLES)


def test_free_text_and_details_never_reach_funders():
    assert sees_free_text(PILOTAGE) and sees_free_text(SAISIE) and not sees_free_text(FINANCEUR)
    assert sees_details(PILOTAGE) and not sees_details(FINANCEUR) and not sees_free_text(None)


def test_page_of_accepts_relative_and_absolute_paths():
    assert page_of(str(ROOT / "pages" / "10_Impact.py")).label == "Impact du projet"
    assert page_of(str(ROOT / "app.py")).label == "Accueil"
    assert page_of("pages/1_Carte.py").roles == frozenset({PILOTAGE, SAISIE})
    with pytest.raises(KeyError):
        page_of("pages/99_Inconnue.py")


def test_passwords_are_stored_hashed_and_checked(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('# réglages\ndata_dir = "/srv/donnees"\n', encoding="utf-8")
    assert save_user(path, "CAF95", FINANCEUR, "un mot de passe solide") is True
    text = path.read_text(encoding="utf-8")
    assert "un mot de passe solide" not in text and "$argon2id$" in text
    assert text.startswith('# réglages\ndata_dir = "/srv/donnees"\n')  # the rest of the file is kept
    assert os.stat(path).st_mode & 0o777 == 0o600
    users = load_users(path)
    assert authenticate(users, "caf95", "un mot de passe solide").role == FINANCEUR
    assert authenticate(users, " CAF95 ", "un mot de passe solide") is not None
    assert authenticate(users, "caf95", "un mot de passe Solide") is None
    assert authenticate(users, "caf95", "") is None
    assert authenticate(users, "inconnu", "un mot de passe solide") is None
    # A new password replaces the old one; the role may change.
    assert save_user(path, "caf95", PILOTAGE, "un autre mot de passe") is False
    users = load_users(path)
    assert authenticate(users, "caf95", "un mot de passe solide") is None
    assert authenticate(users, "caf95", "un autre mot de passe").role == PILOTAGE
    assert read_secrets(path)["data_dir"] == "/srv/donnees"


@pytest.mark.parametrize("name, role, password, message", [
    ("a", FINANCEUR, "assez-long-oui", "identifiant refusé"),
    ("élodie", FINANCEUR, "assez-long-oui", "identifiant refusé"),
    ("caf95", "admin", "assez-long-oui", "rôle « admin » inconnu"),
    ("caf95", FINANCEUR, "court", "trop court"),
])
def test_bad_users_are_refused_and_nothing_is_written(tmp_path, name, role, password, message):
    path = tmp_path / "secrets.toml"
    with pytest.raises(ValueError, match=message):
        save_user(path, name, role, password)
    assert not path.exists()


def test_a_plain_password_or_a_bad_entry_is_refused_not_used():
    users = users_from_secrets({"users": {
        "ok": {"role": "pilotage", "password_hash": "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"},
        "clair": {"role": "pilotage", "password": "secret123456"},
        "mauvaisrole": {"role": "admin", "password_hash": "$argon2id$x"},
        "pasdhash": {"role": "financeur", "password_hash": "secret123456"},
    }})
    assert list(users.users) == ["ok"]
    assert len(users.problems) == 3 and any("mot de passe en clair refusé" in p for p in users.problems)
    assert users.configured
    assert authenticate(users, "clair", "secret123456") is None
    assert not users_from_secrets({}).configured and not users_from_secrets({"data_dir": "x"}).configured


def test_only_a_logged_in_writer_may_write():
    assert may_write(SAISIE) and not may_write(PILOTAGE) and not may_write(FINANCEUR) and not may_write(None)
    assert not may_write(SAISIE, open_access=True)  # the demo previewed as « saisie » writes and uploads nothing
    assert all(page.purpose for page in PAGES if page.roles == frozenset({SAISIE}))  # said in open access


def test_a_broken_secrets_file_is_an_error_not_an_empty_configuration(tmp_path):
    assert read_secrets(tmp_path / "absent.toml") == {}
    path = tmp_path / "secrets.toml"
    path.write_text('[users.caf95]\nrole = "financeur"\npassword_hash = "$argon2id$x\n', encoding="utf-8")
    with pytest.raises(SecretsError, match=r"ligne 3, colonne \d+ : syntaxe TOML incorrecte"):
        read_secrets(path)
    with pytest.raises(SecretsError):
        load_users(path)
    path.write_bytes(b'data_dir = "/srv/donn\xe9es"\n')
    with pytest.raises(SecretsError, match="UTF-8"):
        read_secrets(path)


def run_cli(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_cli_add_user_writes_a_hash_that_the_app_accepts(tmp_path):
    path = tmp_path / "secrets.toml"
    result = run_cli("add-user", "caf95", "financeur", "--secrets", str(path), "--password-stdin",
                     stdin="mot-de-passe-caf\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "caf95" in result.stdout and "mot-de-passe-caf" not in path.read_text(encoding="utf-8")
    assert authenticate(load_users(path), "caf95", "mot-de-passe-caf").role == FINANCEUR
    refused = run_cli("add-user", "caf95", "financeur", "--secrets", str(path), "--password-stdin", stdin="court\n")
    assert refused.returncode == 1 and "trop court" in refused.stdout
    assert authenticate(load_users(path), "caf95", "mot-de-passe-caf") is not None  # unchanged
    wrong_role = run_cli("add-user", "x1", "admin", "--secrets", str(path), "--password-stdin", stdin="x" * 12)
    assert wrong_role.returncode == 2  # argparse: invalid choice


def test_the_cli_says_what_is_wrong_in_the_secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    path.write_text('data_dir = "/srv/x"\n[users.a1]\nrole = pilotage\n', encoding="utf-8")
    monkeypatch.setenv("PASSERELLES_SECRETS", str(path))
    monkeypatch.delenv("PASSERELLES_DATA", raising=False)
    result = run_cli("check")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ligne 3, colonne 8" in result.stderr
