"""Shared fixtures: a small valid data set on real communes, written as CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lib.dataset import uai_key
from lib.territories import load_reference

ROOT = Path(__file__).resolve().parents[1]


def uai(number: int) -> str:
    """A well-formed UAI code of the Val-d'Oise (check letter computed)."""
    digits = f"095{number:04d}"
    return digits + uai_key(digits)


def town_hall(code: str) -> tuple[float, float]:
    communes = load_reference().communes.set_index("code_insee")
    return float(communes.at[code, "mairie_latitude"]), float(communes.at[code, "mairie_longitude"])


def small_tables() -> dict[str, pd.DataFrame]:
    """A hand-sized data set: 4 schools and 2 centres in Argenteuil, Cergy and Sarcelles.

    Wave 2018: E1–C1 answered by both sides (quality 4 vs 2), E2–C1 by the
    school, E3–C2 by the centre. Wave 2019: E1–C1 again, E4–C2 new. E2 has no
    coordinates (placed at the town hall).
    """
    arg, cer, sar = town_hall("95018"), town_hall("95127"), town_hall("95585")
    e1, e2, e3, e4 = uai(1), uai(2), uai(3), uai(4)
    structures = pd.DataFrame(
        [
            [e1, "ecole_elementaire", "École A", "95018", "1 rue A", arg[0], arg[1], "REP+", "QN09501"],
            [e2, "ecole_maternelle", "École B", "95018", "2 rue B", "", "", "REP", ""],
            [e3, "college", "Collège C", "95127", "3 rue C", cer[0], cer[1], "", ""],
            [e4, "ecole_primaire", "École D", "95585", "4 rue D", sar[0], sar[1], "REP+", "QN09502"],
            ["CS-1", "centre_social", "Centre social Un", "95018", "5 rue E", arg[0], arg[1], "", "QN09501"],
            ["CS-2", "centre_social", "Centre social Deux", "95127", "6 rue F", cer[0], cer[1], "", ""],
        ],
        columns=["id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude",
                 "education_prioritaire", "qpv"],
    )
    base = {"formes": "clas;fetes", "frequence": "mensuelle", "objets": "reussite_scolaire", "leviers": "interconnaissance",
            "freins": "", "ressources": "", "outils": "", "pistes": "", "commentaire": ""}
    rows = [
        dict(base, reponse_id="R1", vague="2018", date="2018-10-01", mode="telephone", repondant_id=e1,
             repondant_fonction="direction_ecole", ecole_id=e1, centre_id="CS-1", qualite="4", frequence="hebdomadaire"),
        dict(base, reponse_id="R2", vague="2018", date="2018-10-02", mode="sur_site", repondant_id="CS-1",
             repondant_fonction="direction_centre", ecole_id=e1, centre_id="CS-1", qualite="2", formes="parentalite"),
        dict(base, reponse_id="R3", vague="2018", date="2018-10-03", mode="telephone", repondant_id=e2,
             repondant_fonction="direction_ecole", ecole_id=e2, centre_id="CS-1", qualite="3"),
        dict(base, reponse_id="R4", vague="2018", date="05/11/2018", mode="telephone", repondant_id="CS-2",
             repondant_fonction="referent_famille", ecole_id=e3, centre_id="CS-2", qualite="1", frequence="ponctuelle"),
        dict(base, reponse_id="R5", vague="2019", date="2019-03-01", mode="telephone", repondant_id=e1,
             repondant_fonction="direction_ecole", ecole_id=e1, centre_id="CS-1", qualite="3"),
        dict(base, reponse_id="R6", vague="2019", date="2019-03-02", mode="sur_site", repondant_id="CS-2",
             repondant_fonction="direction_centre", ecole_id=e4, centre_id="CS-2", qualite="4"),
    ]
    reponses = pd.DataFrame(rows)
    rencontres = pd.DataFrame(
        [["M1", "2018-06-05", "Tour d'horizon", "lancement", "Maison Pour Tous", "95018", "09:00", "12:30"]],
        columns=["rencontre_id", "date", "titre", "type", "lieu", "commune_insee", "heure_debut", "heure_fin"],
    )
    participations = pd.DataFrame([["M1", "CS-1", 2], ["M1", e1, 1]],
                                  columns=["rencontre_id", "structure_id", "participants"])
    return {"structures": structures, "reponses": reponses, "rencontres": rencontres,
            "participations": participations}


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """A valid small data set folder."""
    return write_tables(tmp_path / "jeu", small_tables())


@pytest.fixture
def fresh_app(monkeypatch, tmp_path):
    """For AppTest: no configured data set, no users (open access), and empty caches.

    Streamlit's caches are shared within the process; a secrets file of the
    developer's machine must not change what the tests see.
    """
    import streamlit as st

    monkeypatch.delenv("PASSERELLES_DATA", raising=False)
    monkeypatch.setenv("PASSERELLES_SECRETS", str(tmp_path / "pas-de-secrets.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# --------------------------------------------------------------------------- users and roles

# One test user per role (name → role, password).
TEST_USERS = {"comite": ("pilotage", "comite-mot-de-passe"), "enquetes": ("saisie", "enquetes-mot-de-passe"),
              "caf95": ("financeur", "caf95-mot-de-passe")}
USER_OF_ROLE = {role: name for name, (role, _password) in TEST_USERS.items()}


def write_users(path: Path, users: dict[str, tuple[str, str]] = TEST_USERS) -> Path:
    """A secrets file declaring ``users`` with argon2id hashes (cheap parameters: tests, not production)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    lines = [f'[users.{name}]\nrole = "{role}"\npassword_hash = "{hasher.hash(password)}"\n'
             for name, (role, password) in users.items()]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def with_users(fresh_app, tmp_path, monkeypatch) -> Path:
    """Users configured (one per role, TEST_USERS): the app asks for a login. Use with ``fresh_app``."""
    path = write_users(tmp_path / "secrets.toml")
    monkeypatch.setenv("PASSERELLES_SECRETS", str(path))
    return path


def app_test(script: str = "app.py", role: str | None = None, **query):
    """An AppTest of ``script`` after a first run of the app, logged in as ``role`` if given, with ``query``
    in the URL; fails on an exception. The app runs first as a browser's first visit does."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    if role:
        log_in(at, role)
    at.run()
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def log_in(at, role: str):
    """An AppTest session already logged in as the test user of ``role`` (the login form is tested on its own)."""
    at.session_state["_passerelles_user"] = USER_OF_ROLE[role]
    return at
