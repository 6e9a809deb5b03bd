"""Two data sets on one server, two accounts: neither opens the other's by URL, by any page or by a download.

And the rules of lib/datasets_registry.py on their own.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from conftest import ROOT, small_tables, uai, write_tables
from lib.access import PAGES, load_users, save_user
from lib.datasets_registry import (DEFAULT_ID, DataSetEntry, Registry, allowed_datasets, choose_dataset, load_registry,
                                   registry_from_secrets, save_dataset, url_value)
from lib.dataset import DEMO_DIR
from secrecy_reading import pdf_texts

# Names and a free text found only in data set B: none may reach an account given A only (and the reverse).
B_NAMES = ["École Zéphyrine", "École Zoroastre", "Collège Zanzibar", "École Zygomatique", "Centre social Zénith",
           "Centre social Zodiaque", "École Zébulon", "École Zinnia", "École Zarathoustra"]
B_SECRET_TEXT = "Confidence de la fédération Zêta sur le partenariat"
A_NAMES = ["École A", "École B", "Collège C", "École D", "Centre social Un", "Centre social Deux"]
A_SECRET_TEXT = "Remarque propre au jeu Alpha sur ce partenariat"

PASSWORDS = {"alice": "alice-mot-de-passe", "bruno": "bruno-mot-de-passe", "caf": "caf-mot-de-passe",
             "fede": "fede-mot-de-passe"}


def tables_a() -> dict[str, pd.DataFrame]:
    tables = small_tables()
    tables["reponses"].loc[0, "commentaire"] = A_SECRET_TEXT
    return tables


def tables_b() -> dict[str, pd.DataFrame]:
    """Another fédération's data set: other names, three more schools (other figures), its own free text."""
    tables = small_tables()
    structures = tables["structures"]
    structures["nom"] = B_NAMES[:len(structures)]
    extra = structures.iloc[[0, 0, 0]].copy()
    extra["id"], extra["nom"] = [uai(11), uai(12), uai(13)], B_NAMES[len(structures):]
    tables["structures"] = pd.concat([structures, extra], ignore_index=True)
    tables["reponses"].loc[0, "commentaire"] = B_SECRET_TEXT
    return tables


def write_secrets(path: Path, folders: dict[str, Path]) -> Path:
    """Data sets a and b; alice and bruno (saisie) given one each, caf (financeur) a, fede (pilotage) both."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users = {"alice": ("saisie", ["a"]), "bruno": ("saisie", ["b"]), "caf": ("financeur", ["a"]),
             "fede": ("pilotage", ["a", "b"])}
    text = "".join(f'[jeux.{key}]\nnom = "Fédération {key.upper()}"\ndossier = "{folder}"\n\n'
                   for key, folder in folders.items())
    text += "".join(f'[users.{name}]\nrole = "{role}"\npassword_hash = "{hasher.hash(PASSWORDS[name])}"\n'
                    f'jeux = {jeux!r}\n\n'.replace("'", '"') for name, (role, jeux) in users.items())
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def two_sets(fresh_app, tmp_path, monkeypatch) -> dict[str, Path]:
    folders = {"a": write_tables(tmp_path / "jeu-a", tables_a()), "b": write_tables(tmp_path / "jeu-b", tables_b())}
    monkeypatch.setenv("PASSERELLES_SECRETS", str(write_secrets(tmp_path / "secrets.toml", folders)))
    return folders


@pytest.fixture
def downloads(monkeypatch) -> list:
    """Every file a page offers to download: eager data, or the function that makes it on a click."""
    offered: list = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(self, data, *args, **kwargs):
        if kwargs.get("is_for_static_download"):  # a download button's file (not the page's icon or an image)
            offered.append(data)
        return add(self, data, *args, **kwargs)

    def record_deferred(self, data_callable, *args, **kwargs):
        offered.append(data_callable)
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return offered


def walk(node):
    children = getattr(node, "children", {})
    for child in (children.values() if isinstance(children, dict) else children):
        yield child
        yield from walk(child)


def page_text(at: AppTest) -> str:
    """Everything the session received (every element's message: tables, charts, map scripts), as text."""
    data = b"".join(e.proto.SerializeToString() for e in walk(at._tree) if getattr(e, "proto", None) is not None)
    return data.decode("utf-8", errors="replace")


def file_text(data) -> str:
    """A download's readable text: PDF pages, workbook cells, slides, else the bytes themselves."""
    data = data() if callable(data) else data
    data = data.encode() if isinstance(data, str) else bytes(data)
    if data.startswith(b"%PDF"):
        return "\n".join(pdf_texts(data))
    if data.startswith(b"PK"):
        if b"xl/" in data[:2000] or b"[Content_Types].xml" in data and b"xl/" in data:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(data))
            return "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row)
        from pptx import Presentation

        return "\n".join(shape.text_frame.text for slide in Presentation(io.BytesIO(data)).slides
                         for shape in slide.shapes if shape.has_text_frame)
    return data.decode("utf-8", errors="replace")


def open_page(script: str, user: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.session_state["_passerelles_user"] = user
    at.run()  # the app first, as a browser's first visit
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def leaked(text: str, names: list[str]) -> list[str]:
    return [name for name in names if name in text]


OTHER = {"alice": ("b", B_NAMES + [B_SECRET_TEXT]), "bruno": ("a", A_NAMES[:4] + [A_SECRET_TEXT])}
REFUSALS = [(user, page.script) for user in OTHER for page in PAGES]


@pytest.mark.usefixtures("two_sets")
@pytest.mark.parametrize("user, script", REFUSALS, ids=[f"{u}-{s.split('/')[-1][:-3]}" for u, s in REFUSALS])
def test_the_other_data_set_is_refused_by_url_on_every_page(user: str, script: str, downloads: list):
    other, names = OTHER[user]
    at = open_page(script, user, jeu=other)
    assert at.title[0].value == "Accès réservé"
    assert f"Le jeu de données « {other} » n'est pas ouvert à votre compte" in at.error[0].value
    kinds = {getattr(e, "type", "") for e in walk(at._tree)}
    assert not kinds & {"metric", "arrow_data_frame", "plotly_chart", "form", "iframe", "component_instance",
                        "download_button", "multiselect"}, kinds
    assert not downloads  # nothing to download, not even made later on a click
    assert not leaked(page_text(at), names)
    # The one way on: a link to the account's own data set, said as such (no silent switch).
    own = {"alice": "a", "bruno": "b"}[user]
    links = [link.proto for link in at.get("page_link")]
    assert [(link.label, link.query_string) for link in links] == [(f"Ouvrir « Fédération {own.upper()} »",
                                                                    f"jeu={own}")]


@pytest.mark.usefixtures("two_sets")
@pytest.mark.parametrize("script", [page.script for page in PAGES], ids=[p.script.split("/")[-1][:-3] for p in PAGES])
def test_every_page_and_download_of_a_data_set_holds_nothing_of_the_other(script: str, downloads: list):
    at = open_page(script, "alice", jeu="a")
    assert at.title and at.title[0].value != "Accès réservé"
    assert at.query_params["jeu"] in ("a", ["a"])
    text = page_text(at)
    files = "\n".join(file_text(data) for data in downloads)
    assert not leaked(text + files, B_NAMES + [B_SECRET_TEXT])
    # The same reading finds the data set's own names (the check above can fail).
    if script in ("pages/1_Carte.py", "pages/13_Ou_agir.py"):
        assert "Centre social Un" in text
    if script == "pages/13_Ou_agir.py":
        assert "Centre social Un" in files


@pytest.mark.usefixtures("two_sets")
def test_each_account_sees_its_own_figures(downloads: list):
    alice, bruno = open_page("app.py", "alice"), open_page("app.py", "bruno")
    # Without ?jeu= an account opens its own data set, and the URL says which (a link shared from here keeps it).
    assert alice.query_params["jeu"] in ("a", ["a"]) and bruno.query_params["jeu"] in ("b", ["b"])
    schools = {at: next(m.value for m in at.metric if m.label == "Établissements scolaires") for at in (alice, bruno)}
    assert (schools[alice], schools[bruno]) == ("4", "7")
    assert "Fédération A" in " ".join(c.value for c in alice.sidebar.caption)


@pytest.mark.usefixtures("two_sets")
def test_a_funder_downloads_only_its_data_set(downloads: list):
    impact = open_page("pages/10_Impact.py", "caf", jeu="a")
    reports = open_page("pages/12_Rapports.py", "caf", jeu="a")
    assert [b.proto.label for b in reports.get("download_button")] == ["Fiche (PDF)", "Rapport (PDF)",
                                                                       "Tableaux (Excel)"]
    assert len(downloads) >= 3
    files = "\n".join(file_text(data) for data in downloads)
    assert "FICHE TERRITOIRE" in files and "RAPPORT DÉPARTEMENTAL" in files  # the files were made and read
    assert not leaked(page_text(impact) + page_text(reports) + files, B_NAMES + [B_SECRET_TEXT, A_SECRET_TEXT])
    refused = open_page("pages/12_Rapports.py", "caf", jeu="b")
    assert refused.title[0].value == "Accès réservé" and not refused.get("download_button")


@pytest.mark.usefixtures("two_sets")
def test_an_account_given_both_switches_in_the_sidebar_and_forgets_the_previous_view():
    at = open_page("pages/2_Liens_par_territoire.py", "fede", jeu="a", territoire="Argenteuil")
    box = at.sidebar.selectbox(key="jeu_choisi")
    assert box.label == "Jeu de données" and box.options == ["Fédération A", "Fédération B"] and box.value == "a"
    box.set_value("b").run()
    assert not at.exception
    assert at.query_params["jeu"] in ("b", ["b"]) and "territoire" not in at.query_params
    assert at.sidebar.selectbox(key="jeu_choisi").value == "b"
    # The menu's links carry the data set: the next page opens the same one.
    links = {link.proto.label: link.proto.query_string for link in at.sidebar.get("page_link")}
    assert "jeu=b" in links["Carte des partenariats"]


@pytest.mark.usefixtures("two_sets")
def test_a_forged_choice_is_refused_not_opened():
    at = open_page("app.py", "bruno")
    at.session_state["jeu_choisi"] = "a"  # no such widget for bruno; the URL still decides
    at.query_params["jeu"] = "a"
    at.run()
    assert at.title[0].value == "Accès réservé" and not at.metric


@pytest.mark.usefixtures("fresh_app")
def test_open_access_keeps_the_demo_and_its_urls():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not at.exception and "jeu" not in at.query_params
    assert not at.sidebar.get("selectbox") or all(s.key != "jeu_choisi" for s in at.sidebar.selectbox)
    refused = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    refused.query_params["jeu"] = "autre"
    refused.run()
    assert refused.title[0].value == "Accès réservé" and not refused.metric


# --------------------------------------------------------------------------- the rules (lib/datasets_registry.py)


def registry(tmp_path: Path) -> Registry:
    return registry_from_secrets({"jeux": {"a": {"dossier": str(tmp_path / "a"), "nom": "A"},
                                           "b": {"dossier": "donnees/b"},
                                           "Mauvais Id": {"dossier": "x"}, "c": {"nom": "sans dossier"},
                                           DEFAULT_ID: {"nom": "Principal"}}}, DEMO_DIR)


def test_the_registry_reads_declared_data_sets_and_says_what_is_wrong(tmp_path):
    found = registry(tmp_path)
    assert list(found.entries) == [DEFAULT_ID, "a", "b"]
    assert found.entries[DEFAULT_ID] == DataSetEntry(DEFAULT_ID, "Principal", DEMO_DIR)
    assert found.entries["b"].folder == ROOT / "donnees" / "b"  # relative to the app, not the working directory
    assert found.entries["b"].name == "b"
    assert len(found.problems) == 2 and any("Mauvais Id" in p for p in found.problems)
    assert found.several


def test_an_old_secrets_file_is_the_default_data_set_only(tmp_path):
    old = registry_from_secrets({"data_dir": str(tmp_path), "users": {}}, tmp_path)
    assert list(old.entries) == [DEFAULT_ID] and not old.several
    assert allowed_datasets(old, None, open_access=False) == [old.entries[DEFAULT_ID]]
    assert url_value(old, old.entries[DEFAULT_ID], open_access=False) is None  # today's URLs unchanged


def test_who_opens_what(tmp_path):
    found = registry(tmp_path)
    entries = found.entries
    assert allowed_datasets(found, None, False) == [entries[DEFAULT_ID]]  # no jeux: the default one only
    assert allowed_datasets(found, ("b", "a", "b", "inconnu"), False) == [entries["b"], entries["a"]]
    assert allowed_datasets(found, (), False) == []
    assert allowed_datasets(found, ("a",), True) == [entries[DEFAULT_ID]]  # open access: the demo only
    given = allowed_datasets(found, ("a", DEFAULT_ID), False)
    assert choose_dataset(given, None).entry == entries["a"]
    assert choose_dataset(given, DEFAULT_ID).entry == entries[DEFAULT_ID]
    for asked in ("b", "inconnu"):  # the same answer whether it exists or not
        refused = choose_dataset(given, asked)
        assert refused.entry is None and f"« {asked} » n'est pas ouvert à votre compte" in refused.refusal
    assert "« " not in choose_dataset(given, "<script>").refusal  # an odd request is not repeated
    assert choose_dataset([], None).entry is None
    assert url_value(found, entries["a"], False) == "a" and url_value(found, entries[DEFAULT_ID], False) == DEFAULT_ID


def test_add_dataset_and_add_user_keep_the_file_and_its_comments(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text("# mes réglages\ndata_dir = \"/srv/principal\"\n", encoding="utf-8")
    assert save_dataset(path, "vm", tmp_path / "vm", "Val-de-Marne") is True
    assert save_dataset(path, "vm", tmp_path / "vm2", "Val-de-Marne") is False
    for bad in ("Vm", DEFAULT_ID, ""):
        with pytest.raises(ValueError):
            save_dataset(path, bad, tmp_path, None)
    save_user(path, "marie", "pilotage", "un-long-mot-de-passe", ["vm", DEFAULT_ID])
    save_user(path, "marie", "pilotage", "un-autre-mot-de-passe")  # a new password keeps the data sets
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# mes réglages\n")
    assert load_users(path).users["marie"].datasets == ("vm", DEFAULT_ID)
    assert load_registry(path).entries["vm"].folder == tmp_path / "vm2"


def test_the_commands_declare_a_data_set_and_give_it_to_an_account(tmp_path):
    import subprocess
    import sys

    def cli(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "lib.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                              text=True, timeout=60)

    path = tmp_path / "secrets.toml"
    path.write_text("# réglages du serveur\n[secret_statistique]\nseuil = 5\n", encoding="utf-8")
    unknown = cli("add-user", "marie", "pilotage", "--secrets", str(path), "--password-stdin", "--jeu", "vm",
                  stdin="un-long-mot-de-passe\n")
    assert unknown.returncode == 1 and "inconnu(s) : vm" in unknown.stdout and "users" not in path.read_text()
    added = cli("add-dataset", "vm", str(tmp_path / "vm"), "--nom", "Val-de-Marne", "--secrets", str(path))
    assert added.returncode == 0 and "?jeu=vm" in added.stdout, added.stdout + added.stderr
    given = cli("add-user", "marie", "pilotage", "--secrets", str(path), "--password-stdin", "--jeu", "vm",
                "--jeu", DEFAULT_ID, stdin="un-long-mot-de-passe\n")
    assert given.returncode == 0, given.stdout + given.stderr
    assert load_users(path).users["marie"].datasets == ("vm", DEFAULT_ID)
    assert path.read_text(encoding="utf-8").startswith("# réglages du serveur\n")
    found = load_registry(path)
    assert found.entries["vm"] == DataSetEntry("vm", "Val-de-Marne", tmp_path / "vm")
    assert cli("add-dataset", "Val de Marne", str(tmp_path), "--secrets", str(path)).returncode == 1


def test_a_team_page_manages_only_the_accounts_of_its_own_data_set(tmp_path):
    from lib.datasets_registry import manages_account, new_account_datasets

    found = registry(tmp_path)
    assert manages_account(found, ("a",), "a") and manages_account(found, None, DEFAULT_ID)
    assert not manages_account(found, ("a", "b"), "a")  # shared with another fédération: theirs too
    assert not manages_account(found, None, "a") and not manages_account(found, ("b",), "a")
    assert new_account_datasets(found, "a") == ["a"]
    single = registry_from_secrets({}, DEMO_DIR)
    assert new_account_datasets(single, DEFAULT_ID) is None  # a one-data-set server writes today's file
    assert manages_account(single, None, DEFAULT_ID)


@pytest.mark.usefixtures("two_sets")
def test_the_team_step_lists_and_creates_accounts_of_the_open_data_set_only(monkeypatch):
    import os

    at = open_page("pages/15_Demarrer.py", "alice", jeu="a")
    accounts = next(c.value for c in at.caption if c.value.startswith("Comptes :"))
    assert "alice" in accounts and "caf" in accounts
    assert "bruno" not in accounts and "fede" not in accounts  # another fédération's, or shared with one
    form = {t.label: t for t in at.text_input}
    form["Identifiant du nouveau compte"].input("bruno")
    form["Mot de passe"].input("un-mot-de-passe-pour-bruno")
    form["Confirmation"].input("un-mot-de-passe-pour-bruno")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert any("déjà pris" in e.value for e in at.error)
    path = Path(os.environ["PASSERELLES_SECRETS"])
    assert load_users(path).users["bruno"].datasets == ("b",)  # not taken over from set a
    form = {t.label: t for t in at.text_input}
    form["Identifiant du nouveau compte"].input("anne")
    form["Mot de passe"].input("un-mot-de-passe-pour-anne")
    form["Confirmation"].input("un-mot-de-passe-pour-anne")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert not at.exception
    assert load_users(path).users["anne"].datasets == ("a",)
