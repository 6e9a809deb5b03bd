"""A new fédération's first run (lib/first_run.py, pages/15_Demarrer.py): data set and first account from the
application, then the steps left, with no network and no development requirement."""

from __future__ import annotations

import pytest

from conftest import TEST_USERS, app_test
from lib.access import SAISIE, Users, load_users
from lib.dataset import load_dataset
from lib.dataset_init import create_dataset, read_project_info
from lib.first_run import CENTRE_TEMPLATE_COLUMNS, centre_template_csv, first_run_target, setup_steps

PAGE = "pages/15_Demarrer.py"
NOBODY = Users({}, [])


def test_a_fresh_installation_is_at_its_first_run_until_an_account_or_a_data_set_exists(tmp_path):
    new = tmp_path / "jeu"
    env = {"PASSERELLES_DATA": str(new), "PASSERELLES_SECRETS": str(tmp_path / "absent.toml")}
    assert first_run_target(NOBODY, env) == new
    assert first_run_target(Users({"x": object()}, []), env) is None  # an account: log in first
    assert first_run_target(Users({}, ["compte mal écrit"]), env) is None  # a broken account counts too
    create_dataset(new, "974", None, "2026")
    assert first_run_target(NOBODY, env) is None


def test_the_steps_say_what_is_done_and_what_remains(tmp_path):
    folder = tmp_path / "jeu"
    create_dataset(folder, "2A", "Fédération des centres sociaux de Corse", "2026")
    steps = setup_steps(folder, 0, 0, NOBODY)
    assert [s.done for s in steps] == [True, False, False, False]
    assert "Corse-du-Sud (2A)" in steps[0].status and "2026" in steps[0].status
    assert steps[1].page == "pages/7_Import_annuaire.py" and steps[2].page == "pages/8_Structures_et_versions.py"
    assert [s.done for s in setup_steps(folder, 12, 3, Users({"a": 1, "b": 2}, []))] == [True] * 4


def test_the_centres_template_has_the_columns_the_import_reads():
    text = centre_template_csv().decode("utf-8-sig")
    assert text.strip().split(";") == list(CENTRE_TEMPLATE_COLUMNS)


def fill_creation(at, code: str, name: str, password: str, again: str | None = None):
    at.selectbox[0].set_value(code)
    inputs = {t.label: t for t in at.text_input}
    inputs["Nom de la fédération"].input("Fédération des centres sociaux de La Réunion")
    inputs["Première vague d'enquête"].input("2026")
    inputs["Identifiant"].input(name)
    inputs["Mot de passe"].input(password)
    inputs["Mot de passe (confirmation)"].input(password if again is None else again)
    return at.button[0].click().run()


def test_the_first_run_creates_the_data_set_and_the_first_account_then_shows_the_steps(tmp_path, monkeypatch,
                                                                                     fresh_app):
    folder, secrets = tmp_path / "jeu", tmp_path / "secrets.toml"
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = app_test(PAGE)
    assert any("Première utilisation" in i.value for i in at.info)
    at = fill_creation(at, "974", "marie.dupont", "un mot de passe assez long")
    assert not at.exception, [e.value for e in at.exception]
    users = load_users(secrets)
    assert list(users.users) == ["marie.dupont"] and users.users["marie.dupont"].role == SAISIE
    assert "marie.dupont" not in secrets.read_text(encoding="utf-8").split("password_hash")[1][:40]
    info = read_project_info(folder)
    assert info.departement_code == "974" and info.federation == "Fédération des centres sociaux de La Réunion"
    dataset = load_dataset(folder)
    assert len(dataset.reference.communes) == 24 and not dataset.errors
    # Logged in as the new account: the steps, one done of four.
    assert any("1 étape(s) faite(s) sur 4" in str(p.proto.text) for p in at.get("progress"))
    assert any("Jeu de données créé" in s.value for s in at.success)


def test_two_different_passwords_create_nothing(tmp_path, monkeypatch, fresh_app):
    folder, secrets = tmp_path / "jeu", tmp_path / "secrets.toml"
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = fill_creation(app_test(PAGE), "2A", "marie.dupont", "un mot de passe assez long", "un autre mot de passe")
    assert any("pas identiques" in e.value for e in at.error)
    assert not secrets.exists() and not folder.exists()


def test_once_accounts_exist_the_page_asks_for_a_login_and_creates_nothing(tmp_path, monkeypatch, fresh_app,
                                                                           with_users):
    monkeypatch.setenv("PASSERELLES_DATA", str(tmp_path / "jeu"))
    at = app_test(PAGE)
    assert at.text_input[0].label == "Identifiant" and not (tmp_path / "jeu").exists()
    assert not any("Créer le jeu de données" in b.label for b in at.button)


@pytest.mark.parametrize("role", ["pilotage", "financeur"])
def test_only_the_saisie_role_opens_the_page(tmp_path, monkeypatch, fresh_app, with_users, role):
    folder = tmp_path / "jeu"
    create_dataset(folder, "95", None, "2026")
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    at = app_test(PAGE, role=role)
    assert any(t.value == "Accès réservé" for t in at.title)


def test_the_saisie_role_creates_another_account(tmp_path, monkeypatch, fresh_app, with_users):
    folder = tmp_path / "jeu"
    create_dataset(folder, "95", None, "2026")
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    at = app_test(PAGE, role="saisie")
    inputs = {t.label: t for t in at.text_input}
    inputs["Identifiant du nouveau compte"].input("caf.95")
    at.selectbox[0].set_value("financeur")
    inputs["Mot de passe"].input("encore un mot de passe long")
    inputs["Confirmation"].input("encore un mot de passe long")
    at = next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert not at.exception
    assert load_users(with_users).users["caf.95"].role == "financeur"
    assert len(TEST_USERS) + 1 == len(load_users(with_users).users)


def test_a_writer_imports_a_grouping_of_communes_from_the_page(tmp_path, monkeypatch, fresh_app, with_users):
    folder = tmp_path / "jeu"
    create_dataset(folder, "974", None, "2026")
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    codes = sorted(load_dataset(folder).reference.communes["code_insee"])
    text = "code_insee;groupe\n" + "".join(f"{c};{'Nord' if c < codes[12] else 'Sud'}\n" for c in codes)
    at = app_test(PAGE, role="saisie")
    uploader = next(u for u in at.get("file_uploader") if "Regroupement" in u.proto.label)
    assert uploader is not None  # AppTest cannot upload: the preview and the write are lib/territory_groups'
    from lib.store import Store
    from lib.territory_groups import preview_groups_csv
    Store(folder).replace("territoires", preview_groups_csv(text.encode(), "g.csv", load_dataset(folder)).table,
                          "import", "g.csv")
    at = app_test(PAGE, role="saisie")
    assert any("2 territoire(s) définis" in m.value for m in at.markdown)
