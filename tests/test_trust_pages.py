"""What an anonymous visitor or a forged request can do (issue 12 §3, §6): no upload widget before a writer's
login, no traceback on forged states, names shown as text, a broken secrets file stops every page."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_test, log_in, small_tables, write_tables, write_users
from lib.access import FINANCEUR, PAGES, PILOTAGE, ROLES, SAISIE, may_open, pages_for
from lib.dataset import DEMO_DIR, load_dataset
from lib.filters import Filters
from lib.imports import MAX_IMPORT_BYTES
from lib.session_guard import expected_for, forged
from lib.text import markdown_escape

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py
APP = str(ROOT / "app.py")
WRITING_PAGES = [p.script for p in PAGES if p.purpose]


def open_page(script: str, role: str | None = None, state: dict | None = None, **query) -> AppTest:
    """Like conftest.app_test, but with forged session values and without failing on an exception."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    if role:
        log_in(at, role)
    if script != "app.py":
        at.switch_page(script)
    for key, value in (state or {}).items():  # before the first run: AppTest itself chokes on a widget it drew
        at.session_state[key] = value
    return at.run()


def texts(at: AppTest) -> list[str]:
    """Every Markdown the session received: text elements, alerts, and the labels of metrics and widgets."""
    found = [e.value for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                                  "error", "success") for e in getattr(at, kind)]
    found += [m.label for m in at.metric]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "number_input", "toggle", "checkbox"):
        found += [w.label for w in getattr(at, kind)]
    return found


# --------------------------------------------------------------------------- configuration


def test_no_traceback_in_the_browser_and_one_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"  # "false" would still show the stack trace
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_IMPORT_BYTES  # Streamlit's MB are MiB


# --------------------------------------------------------------------------- a broken secrets file


@pytest.mark.parametrize("script", [p.script for p in PAGES])
def test_a_secrets_file_with_a_syntax_error_stops_every_page(script, tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "vraies-donnees", small_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('data_dir = "/srv/x"\n[users.caf95]\nrole = financeur\n', encoding="utf-8")
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = open_page(script)
    assert not at.exception
    assert at.title[0].value == "Passerelles" and len(at.error) == 1
    message = at.error[0].value
    assert "Configuration illisible" in message and "secrets" in message and "ligne 3" in message
    assert "colonne 8" in message and "guillemets" in message  # where, and how to fix it
    assert str(folder) not in message and not at.metric and not at.dataframe  # no data opened, not even named
    assert not at.sidebar.get("page_link") and not any("Démonstration" in w.value for w in at.warning)


def test_an_unreadable_secrets_file_stops_the_app_too(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_bytes(b'[users.caf95]\nrole = "financeur\xe9"\n')  # Latin-1, not UTF-8
    monkeypatch.setenv("PASSERELLES_SECRETS", str(secrets))
    at = open_page("pages/10_Impact.py")
    assert not at.exception and markdown_escape("UTF-8") in at.error[0].value and not at.get("plotly_chart")


# --------------------------------------------------------------------------- no upload widget before login


def uploaders(at: AppTest) -> int:
    return len(at.get("file_uploader"))


@pytest.mark.parametrize("script", WRITING_PAGES)
def test_no_upload_widget_in_open_access_whatever_the_role_previewed(script, monkeypatch, tmp_path):
    monkeypatch.setattr("lib.dataset.LOCAL_DIR", tmp_path / "local")  # a fresh installation, whatever this one holds
    for role in ROLES:
        at = open_page(script, state={"voir_comme": role, "_voir_comme": role})
        assert not at.exception and uploaders(at) == 0
        if may_open(next(p for p in PAGES if p.script == script), role):
            shown = " ".join(texts(at))
            if script == "pages/15_Demarrer.py":  # a first run: the data set and the first account, no file
                assert "Première utilisation" in shown and "Créer le jeu de données" in shown
                continue
            assert "lecture seule" in shown and "add-user" in shown  # read-only, and how to create accounts
            assert "**Cette page**" in shown  # what the page does


@pytest.mark.parametrize("script", WRITING_PAGES)
def test_upload_widgets_only_for_a_logged_in_writer(script, tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "jeu", small_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    monkeypatch.setenv("PASSERELLES_SECRETS", str(write_users(tmp_path / "secrets.toml")))
    assert uploaders(open_page(script)) == 0  # the login form only
    for role in (PILOTAGE, FINANCEUR):
        assert uploaders(open_page(script, role)) == 0
    writer = open_page(script, SAISIE)
    assert not writer.exception
    if script != "pages/5_Saisie.py":  # the check can fail: the import pages do show their uploader
        assert uploaders(writer) == 1


# --------------------------------------------------------------------------- forged states


WRONG_TYPES = {
    "f_vague": ["2019"], "f_niveau": 3, "f_territoires": "Cergy", "f_types": 5, "f_formes": [1, 2],
    "f_frequences": {"a": 1}, "f_qualites": "4", "voir_comme": ["pilotage"], "url_indicateur": ["liens"],
    "kept_fond": 7, "url_depuis": 2018, "url_territoire": None, "carte_structure": ["x"], "carte_zone": 9,
    "rencontres_periode": 1, "paroles_territoire": ["tous"], "paroles_recherche": 42,
    "version_financeurs": "oui", "rc_date": "hier", "rc_titre": ["t"], "rc_heure_debut": "10h",
    "rc_structures": "CS-1", "saisie_date": 20190101, "saisie_formes": "clas", "saisie_qualite": 4,
    "saisie_commentaire": ["x"], "saisie_vague": 2019, "saisie_confirmer": "oui", "version_choisie": 3,
    "filters": "toutes", "_passerelles_access": "pilotage",
}
GARBAGE_QUERY = {"vague": "<script>", "niveau": "planete", "territoires": "[x](http://e.vil)", "types": "zz",
                 "indicateur": "zz", "fond": "zz", "structure": "zz", "zone": "**zz**", "depuis": "1789",
                 "territoire": "zz", "vague_rapport": "zz", "qualite": "99", "formes": "zz"}


def test_every_forged_key_is_described_and_caught():
    assert all(expected_for(key) or key in ("filters", "_passerelles_access") for key in WRONG_TYPES)
    caught = {key for key, _label in forged({k: v for k, v in WRONG_TYPES.items() if k not in ("filters",
                                                                                              "_passerelles_access")})}
    assert caught == set(WRONG_TYPES) - {"filters", "_passerelles_access", "url_territoire"}  # None: no choice
    assert not forged({"f_vague": "2019", "f_territoires": ["Cergy"], "rc_date": dt.date(2019, 1, 1),
                       "version_financeurs": True, "rc_participants_CS-1": 3, "autre": object()})


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", [p.script for p in pages_for(SAISIE)])
def test_forged_states_and_urls_show_a_french_notice_never_a_traceback(script):
    at = open_page(script, SAISIE, state=WRONG_TYPES, **GARBAGE_QUERY)
    assert not at.exception, [e.value for e in at.exception]
    assert any("remis à leur valeur par défaut" in w.value for w in at.warning)
    assert at.title and at.title[0].value not in ("Accès réservé",)
    at.run()  # the next run is clean
    assert not at.exception and not any("remis à leur valeur" in w.value for w in at.warning)


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", [p.script for p in pages_for(SAISIE)])
def test_values_outside_the_options_are_refused_too(script):
    kept = {"filters": Filters(), "_filters_folder": str(load_dataset(DEMO_DIR).folder)}  # as after a first run
    at = open_page(script, SAISIE, state={**kept, "f_vague": "1789", "f_niveau": "planete", "f_types": ["zz"],
                                          "f_qualites": ["99"]})
    assert not at.exception, [e.value for e in at.exception]
    assert any("la vague d'enquête" in w.value for w in at.warning)


@pytest.mark.usefixtures("with_users")
def test_a_forged_user_name_logs_out_instead_of_failing():
    at = open_page("pages/2_Liens_par_territoire.py", state={"_passerelles_user": ["comite"]})
    assert not at.exception and [t.label for t in at.text_input] == ["Identifiant", "Mot de passe"]


@pytest.mark.parametrize("script", [p.script for p in PAGES])
def test_forged_states_in_open_access(script):
    at = open_page(script, state={k: v for k, v in WRONG_TYPES.items() if k != "voir_comme"}, **GARBAGE_QUERY)
    assert not at.exception, [e.value for e in at.exception]


# --------------------------------------------------------------------------- names are text


LINK, BOLD, HTML, ICON = "[x](http://e.vil)", "**gras**", "<b>b</b>", ":material/home:"


@pytest.fixture
def hostile_names(tmp_path, monkeypatch) -> Path:
    """A data set whose wave, territory, structure and rencontre names are Markdown."""
    tables = small_tables()
    tables["reponses"]["vague"] = tables["reponses"]["vague"].replace({"2019": f"2019 {LINK}"})
    tables["structures"].loc[0, "nom"] = f"École {BOLD} {HTML}"
    tables["structures"].loc[4, "nom"] = f"Centre {ICON} {LINK}"
    tables["rencontres"].loc[0, "titre"] = f"Séance {LINK}"
    tables["territoires"] = pd.DataFrame({"commune_insee": ["95018", "95127", "95585"],
                                          "territoire": [f"Secteur {LINK}", f"Secteur {BOLD}", "Secteur 3"]})
    folder = write_tables(tmp_path / "jeu", tables)
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    monkeypatch.setenv("PASSERELLES_SECRETS", str(write_users(tmp_path / "secrets.toml")))
    return folder


@pytest.mark.parametrize("role", [PILOTAGE, FINANCEUR])
def test_markdown_in_names_is_shown_as_text_on_every_page(hostile_names, role):
    escaped_somewhere = False
    for page in pages_for(role):
        for query in ({"vague": f"2019 {LINK}"}, {"niveau": "territoire", "territoires": f"Secteur {LINK}",
                                                  "vague": f"2019 {LINK}", "zone": f"Secteur {LINK}"}):
            at = app_test(page.script, role, **query)
            shown = texts(at)
            for raw in (LINK, BOLD, HTML, ICON):
                assert not [t for t in shown if raw in t], (page.script, raw, [t for t in shown if raw in t])
            escaped_somewhere |= any(markdown_escape(LINK) in t for t in shown)
    # The names were on the pages, as text. A funder of this small data set sees none of them (every territory
    # rests on too few structures, the wave is chosen in a select box): only the raw check above applies.
    assert escaped_somewhere or role == FINANCEUR


def test_partner_names_on_the_map_card_are_html_text(hostile_names):
    """The card's partner list is HTML (st.html): data names are escaped there, never tags or links."""
    at = app_test("pages/1_Carte.py", PILOTAGE, structure="CS-1", vague=f"2019 {LINK}")
    partners = [h.proto.body for h in at.get("html") if "passerelles-partners" in h.proto.body]
    assert len(partners) == 1
    assert "École **gras** &lt;b&gt;b&lt;/b&gt;" in partners[0]
    assert "Vague 2019 [x](http://e.vil)" in partners[0]  # the wave's name, as plain text
    assert "<b>b</b>" not in partners[0] and "href" not in partners[0]
