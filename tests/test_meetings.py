"""Meetings (« Rencontres »): the tables, charts and map of lib/meetings.py, the entry checks, and the page."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test, small_tables, uai, write_tables
from lib import meetings
from lib.charts.layout import ChartContext
from lib.dataset import load_dataset
from lib.filters import Filters
from lib.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/11_Rencontres.py"

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py

E1, E2, E3 = uai(1), uai(2), uai(3)


def meeting_tables() -> dict[str, pd.DataFrame]:
    """The small data set with three meetings.

    M1 (lancement, 05/06/2018, Argenteuil): CS-1 ×2, E1 ×1.
    M2 (groupe centres sociaux, 09/10/2018, Cergy): CS-1 ×1, CS-2 ×3.
    M3 (groupe acteurs scolaires, 16/01/2019, no commune): E1 ×1, E3 ×2.
    M4 (pilotage, 20/03/2019): nobody recorded.
    """
    tables = small_tables()
    columns = list(tables["rencontres"].columns)
    tables["rencontres"] = pd.DataFrame([
        ["M1", "2018-06-05", "Tour d'horizon", "lancement", "Maison Pour Tous", "95018", "09:00", "12:30"],
        ["M2", "2018-10-09", "Groupe CS <b>1</b>", "groupe_centres_sociaux", "Centre social Deux", "95127", "", ""],
        ["M3", "2019-01-16", "Groupe écoles 1", "groupe_acteurs_scolaires", "", "", "14:00", ""],
        ["M4", "2019-03-20", "Comité de pilotage", "pilotage", "Fédération", "95585", "", ""],
    ], columns=columns)
    tables["participations"] = pd.DataFrame(
        [["M1", "CS-1", 2], ["M1", E1, 1], ["M2", "CS-1", 1], ["M2", "CS-2", 3], ["M3", E1, 1], ["M3", E3, 2]],
        columns=["rencontre_id", "structure_id", "participants"])
    return tables


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return load_dataset(write_tables(tmp_path_factory.mktemp("rencontres") / "jeu", meeting_tables()))


@pytest.fixture(scope="module")
def attended(dataset):
    return meetings.attendance(dataset.rencontres, dataset.participations, dataset.structures)


@pytest.fixture(scope="module")
def sessions(dataset, attended):
    return meetings.sessions_table(dataset.rencontres, attended, dataset.reference)


# --------------------------------------------------------------------------- tables


def test_attendance_keeps_only_the_structures_given(dataset):
    argenteuil = dataset.structures[dataset.structures["commune_insee"] == "95018"]
    rows = meetings.attendance(dataset.rencontres, dataset.participations, argenteuil)
    assert set(zip(rows["rencontre_id"], rows["structure_id"])) == {("M1", "CS-1"), ("M1", E1), ("M2", "CS-1"),
                                                                    ("M3", E1)}
    first = rows.set_index(["rencontre_id", "structure_id"]).loc[("M1", E1)]
    assert (first["type"], first["nom"], first["famille"], first["type_structure"], first["participants"]) == \
        ("lancement", "École A", "ecole", "ecole_elementaire", 1)


def test_sessions_count_structures_and_participants_of_each_meeting(sessions):
    table = sessions.set_index("rencontre_id")
    assert table["structures"].to_dict() == {"M1": 2, "M2": 2, "M3": 2, "M4": 0}
    assert table["participants"].to_dict() == {"M1": 3, "M2": 4, "M3": 3, "M4": 0}
    assert table.loc["M2", ["ecoles", "centres"]].tolist() == [0, 2]
    assert table.loc["M1", "commune"] == "Argenteuil" and table.loc["M3", "commune"] == ""
    assert table.loc["M2", "type_label"] == "Groupe de réflexion des centres sociaux"
    assert table.loc["M1", "noms"] == ["Centre social Un", "École A"]
    assert sessions["rencontre_id"].tolist() == ["M1", "M2", "M3", "M4"]  # by date


def test_sessions_display_is_french(sessions):
    shown = meetings.sessions_display(sessions)
    assert list(shown.columns) == ["Date", "Type de rencontre", "Titre", "Lieu", "Commune", "Structures",
                                   "Participants"]
    assert shown.iloc[0].tolist() == ["05/06/2018", "Réunion de lancement", "Tour d'horizon", "Maison Pour Tous",
                                      "Argenteuil", 2, 3]


def test_participation_by_type_counts_distinct_structures(sessions, attended):
    table = meetings.participation_by_type(sessions, attended).set_index("Type de rencontre")
    assert table.index.tolist() == ["Réunion de lancement", "Groupe de réflexion des centres sociaux",
                                    "Groupe de réflexion des acteurs scolaires", "Comité de pilotage"]
    assert table.loc["Groupe de réflexion des centres sociaux"].tolist() == [1, 2, 0, 2, 4]
    assert table.loc["Comité de pilotage"].tolist() == [1, 0, 0, 0, 0]


def test_participation_by_territory_follows_the_level(attended):
    communes = meetings.participation_by_territory(attended, "commune").set_index("Commune")
    # Argenteuil: CS-1 (M1, M2) and E1 (M1, M3); Cergy: CS-2 (M2) and E3 (M3).
    assert communes.loc["Argenteuil"].tolist() == [2, 1, 1, 3, 2 + 1 + 1 + 1]
    assert communes.loc["Cergy"].tolist() == [2, 1, 1, 2, 5]
    epci = meetings.participation_by_territory(attended, "epci")
    assert epci.columns[0] == "Intercommunalité (EPCI)"
    assert set(epci.iloc[:, 0]) == {"Métropole du Grand Paris", "Communauté d'agglomération de Cergy-Pontoise"}


def test_sessions_attended_per_structure(attended):
    table = meetings.structures_attendance(attended, "epci")
    assert table["Structure"].tolist() == ["Centre social Un", "École A", "Centre social Deux", "Collège C"]
    first = table.iloc[0]
    assert first[["Séances suivies", "Participants", "Première séance", "Dernière séance"]].tolist() == \
        [2, 3, "05/06/2018", "09/10/2018"]
    assert table.iloc[1]["Intercommunalité (EPCI)"] == "Métropole du Grand Paris"
    assert "Intercommunalité (EPCI)" not in meetings.structures_attendance(attended, "commune").columns


def test_participation_over_time_per_session_and_per_quarter(sessions, attended):
    per_session = meetings.participation_over_time(sessions, attended, "seance")
    table = meetings.over_time_table(per_session, "seance")
    assert table["Séance"].tolist() == ["05/06/2018", "09/10/2018", "16/01/2019", "20/03/2019"]
    assert table["Participants des établissements scolaires"].tolist() == [1, 0, 3, 0]
    assert table["Participants des centres sociaux et EVS"].tolist() == [2, 4, 0, 0]  # M4: a session at zero
    per_quarter = meetings.over_time_table(meetings.participation_over_time(sessions, attended, "trimestre"),
                                           "trimestre")
    assert per_quarter["Trimestre"].tolist() == ["T2 2018", "T4 2018", "T1 2019"]
    assert per_quarter["Séances"].tolist() == [1, 1, 2]
    assert per_quarter["Participants"].tolist() == [3, 4, 3]
    with pytest.raises(ValueError):
        meetings.participation_over_time(sessions, attended, "mois")


def test_two_sessions_on_one_day_keep_a_bar_each(sessions, attended):
    twice = pd.concat([sessions, sessions.iloc[[0]].assign(rencontre_id="M5")], ignore_index=True)
    labels = meetings.participation_over_time(twice, attended, "seance")["periode"].drop_duplicates().tolist()
    assert labels[:2] == ["05/06/2018", "05/06/2018 (2)"]


def test_a_data_set_without_meetings_gives_empty_tables_and_charts(tmp_path):
    tables = small_tables()
    del tables["rencontres"], tables["participations"]
    empty = load_dataset(write_tables(tmp_path / "jeu", tables))
    rows = meetings.attendance(empty.rencontres, empty.participations, empty.structures)
    held = meetings.sessions_table(empty.rencontres, rows, empty.reference)
    assert rows.empty and held.empty
    assert meetings.participation_by_type(held, rows).empty
    assert meetings.structures_attendance(rows).empty
    for period in meetings.PERIODS:
        assert meetings.over_time_table(meetings.participation_over_time(held, rows, period), period).empty
    assert "aucune rencontre" in meetings.calendar_chart(held).layout.annotations[0].text


def test_filters_note_says_what_is_filtered():
    assert "Toutes les séances et toutes les structures" in meetings.filters_note(Filters())
    note = meetings.filters_note(Filters(territories=("Cergy",), types=("college",)))
    assert "seules les structures retenues" in note and "Cergy" in note and "Collège" in note
    assert "vague d'enquête ne s'applique pas" in note
    assert meetings.meeting_scope(Filters()) == ""
    assert meetings.meeting_scope(Filters(territories=("A<b>",))) == "structures retenues : A&lt;b&gt;"


# --------------------------------------------------------------------------- charts and map


def test_calendar_has_one_marker_per_session_by_type_with_french_hover(sessions):
    figure = meetings.calendar_chart(sessions)
    go.Figure(figure.to_plotly_json())  # plotly's own validation
    traces = figure.to_plotly_json()["data"]
    assert [t["name"] for t in traces] == ["Réunion de lancement", "Groupe de réflexion des centres sociaux",
                                           "Groupe de réflexion des acteurs scolaires", "Comité de pilotage"]
    assert sum(len(t["x"]) for t in traces) == 4
    centres = traces[1]
    assert centres["x"] == ["2018-10-09"]
    date_text, title, place, n_structures, n_people = centres["customdata"][0][:5]
    assert (date_text, n_structures, n_people) == ("09/10/2018", "2", "4")
    assert title == "Groupe CS &lt;b&gt;1&lt;/b&gt;"  # data is text, never markup
    assert place == "Centre social Deux, Cergy"
    assert traces[0]["customdata"][0][6] == " · 09:00–12:30"
    ticks = figure.layout.xaxis.ticktext
    assert all(t.split()[0] in meetings.FRENCH_MONTHS for t in ticks)
    assert "n\u00a0=\u00a04 séance(s)" in figure.layout.title.subtitle.text


def test_calendar_without_meetings_says_so(sessions):
    figure = meetings.calendar_chart(sessions.iloc[0:0])
    assert "aucune rencontre" in figure.layout.annotations[0].text


def test_territory_and_time_charts_stack_schools_and_centres(sessions, attended):
    by_territory = meetings.participation_by_territory(attended, "commune")
    figure = meetings.territory_chart(by_territory, ChartContext("commune", ""))
    go.Figure(figure.to_plotly_json())
    schools, centres = figure.to_plotly_json()["data"]
    assert (schools["name"], centres["name"]) == ("Établissements scolaires", "Centres sociaux et EVS")
    assert schools["y"] == ["Argenteuil", "Cergy"] and schools["x"] == [1, 1] and centres["x"] == [1, 1]
    over_time = meetings.participation_over_time(sessions, attended, "seance")
    figure = meetings.over_time_chart(over_time, "seance")
    go.Figure(figure.to_plotly_json())
    schools, centres = figure.to_plotly_json()["data"]
    assert schools["y"] == [1, 0, 3, 0] and centres["y"] == [2, 4, 0, 0]
    assert figure.layout.barmode == "stack"


def test_map_sizes_points_by_sessions_and_escapes_names(dataset, attended):
    structures = dataset.structures.assign(nom=dataset.structures["nom"].replace("Centre social Un",
                                                                                 "<script>alert(1)</script>"))
    rows = meetings.attendance(dataset.rencontres, dataset.participations, structures)
    counts = meetings.structures_attendance(rows)
    page = meetings.attendance_map(dataset.reference, structures, counts).get_root().render()
    assert "(p[7] || (centre ? 8 : 5))" in page  # the points carry their own radius
    # HTML-escaped for the tooltip, then JSON-escaped for the script.
    assert "<script>alert(1)" not in page and "\\u0026lt;script\\u0026gt;alert(1)" in page
    assert page.count("séance(s) suivie(s)") == 4  # the four structures that came, not E2, E4
    payload = meetings.attendance_points(structures[structures["id"] == "CS-1"], counts)
    point = payload["points"][0]
    assert point[5] == "CS-1" and "2 séance(s) suivie(s) · 3 participant(s)" in point[6]
    assert point[7] > meetings.attendance_points(structures[structures["id"] == "CS-2"], counts)["points"][0][7]


# --------------------------------------------------------------------------- adding a meeting


def test_new_meeting_id_follows_the_year():
    assert meetings.new_meeting_id([], 2019) == "RC-2019-01"
    assert meetings.new_meeting_id(["RC-2019-01", "RC-2019-07", "RC-2018-12", "M1"], 2019) == "RC-2019-08"
    assert meetings.new_meeting_id(["RC-2018-12"], 2019) == "RC-2019-01"
    assert meetings.new_meeting_id(pd.Series(["RC-2020-99"]), 2020) == "RC-2020-100"


def test_communes_are_found_by_code_name_or_label(dataset):
    ref = dataset.reference
    assert meetings.resolve_commune("95127", ref) == "95127"
    assert meetings.resolve_commune(" cergy ", ref) == "95127"
    assert meetings.resolve_commune("Saint Ouen l'Aumone", ref) == "95572"
    assert meetings.resolve_commune("Cergy (95127)", ref) == "95127"
    assert meetings.resolve_commune("Trifouillis", ref) == "Trifouillis"
    assert meetings.resolve_commune(None, ref) == ""


def form(**changes) -> dict:
    values = {"date": date(2019, 5, 14), "titre": "  Groupe   CS, séance 5 ", "type": "groupe_centres_sociaux",
              "lieu": "Centre social Un", "commune": "Argenteuil", "heure_debut": time(9, 30), "heure_fin": None,
              "presences": {"CS-1": 2, E1: 1}}
    values.update(changes)
    return values


def test_form_values_become_file_rows(dataset):
    row, participations = meetings.meeting_rows(form(), "RC-2019-01", dataset.reference)
    assert row == {"rencontre_id": "RC-2019-01", "date": "2019-05-14", "titre": "Groupe CS, séance 5",
                   "type": "groupe_centres_sociaux", "lieu": "Centre social Un", "commune_insee": "95018",
                   "heure_debut": "09:30", "heure_fin": ""}
    assert participations.values.tolist() == [["RC-2019-01", "CS-1", "2"], ["RC-2019-01", E1, "1"]]
    assert meetings.check_meeting(row, participations, dataset) == []


def messages(dataset, **changes) -> dict[str, list[str]]:
    row, participations = meetings.meeting_rows(form(**changes), "RC-2019-01", dataset.reference)
    return meetings.problems_by_field(meetings.check_meeting(row, participations, dataset))


def test_each_problem_is_told_next_to_its_field(dataset):
    found = messages(dataset, titre=" ", commune="Trifouillis", type=None, date=None)
    assert found["titre"] == ["titre manquant(e)"]
    assert found["date"] == ["date manquant(e)"]
    assert found["type"] == ["type de rencontre manquant(e)"]
    assert found["commune_insee"] == ["code commune « Trifouillis » inconnu dans le département 95 (Val-d'Oise)"]
    assert "(ligne ignorée)" not in str(found) and "(valeur ignorée)" not in str(found)


def test_attendance_problems_name_the_structure(dataset):
    found = messages(dataset, presences={"CS-1": 0, "INCONNUE": 2})
    assert found["participants_CS-1"] == ["nombre de participants « 0 » invalide : attendu un nombre entier positif"]
    assert found["presences"] == ["structure « INCONNUE » absente de structures.csv"]
    assert messages(dataset, presences={})["presences"] == [
        "choisissez au moins une structure présente à la rencontre"]


def test_no_personal_data_in_title_or_place(dataset):
    found = messages(dataset, titre="Réunion avec jean.dupont@example.org", lieu="Appeler le 06 12 34 56 78")
    assert "donnée personnelle" in found["titre"][0] and "donnée personnelle" in found["lieu"][0]
    assert "trop long" in messages(dataset, lieu="x" * 201)["lieu"][0]


def test_end_time_after_start_and_unknown_type(dataset):
    found = messages(dataset, heure_debut=time(14, 0), heure_fin=time(12, 0), type="colloque")
    assert found["heure_fin"] == ["l'heure de fin (12:00) doit être après l'heure de début (14:00)"]
    assert found["type"][0].startswith("code « colloque » inconnu pour « Type de rencontre »")


def test_save_meeting_writes_the_meeting_then_its_attendance(tmp_path):
    folder = write_tables(tmp_path / "jeu", meeting_tables())
    dataset = load_dataset(folder)
    row, participations = meetings.meeting_rows(form(), "RC-2019-01", dataset.reference)
    assert meetings.save_meeting(Store(folder), row, participations) == 2
    reloaded = load_dataset(folder)
    assert not reloaded.errors
    assert reloaded.rencontres["rencontre_id"].tolist()[-1] == "RC-2019-01"
    assert reloaded.participations[reloaded.participations["rencontre_id"] == "RC-2019-01"]["participants"].tolist() \
        == [2, 1]


def test_a_failed_attendance_takes_the_meeting_out_again(tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "jeu", meeting_tables())
    before = load_dataset(folder).rencontres["rencontre_id"].tolist()
    store = Store(folder)
    append = store.append

    def busy(name, rows, description, action="ajout"):
        if name == "participations":
            raise StoreError("Le jeu de données est en cours d'enregistrement par quelqu'un d'autre.")
        return append(name, rows, description, action)

    monkeypatch.setattr(store, "append", busy)
    row, participations = meetings.meeting_rows(form(), "RC-2019-01", load_dataset(folder).reference)
    with pytest.raises(StoreError, match="n'a donc pas été enregistrée non plus"):
        meetings.save_meeting(store, row, participations)
    assert load_dataset(folder).rencontres["rencontre_id"].tolist() == before


# --------------------------------------------------------------------------- the page


def open_page(role: str | None = None) -> AppTest:
    return app_test(PAGE, role)


def plotly_data(at: AppTest, index: int) -> list[dict]:
    return json.loads(at.get("plotly_chart")[index].proto.spec)["data"]


def test_the_page_shows_the_demo_meetings():
    at = open_page()
    calendar = plotly_data(at, 0)
    assert sum(len(trace["x"]) for trace in calendar) == 13  # the 13 demo sessions
    sessions = at.dataframe[0].value
    assert len(sessions) == 13 and sessions["Date"].iloc[0] == "17/04/2018"
    demo = pd.read_csv(ROOT / "data" / "demo" / "participations.csv")
    assert sessions["Participants"].str.replace("\u00a0", "").astype(int).sum() == demo["participants"].sum()
    assert at.get("component_instance")[0].proto.component_name == "streamlit_folium.st_folium"
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert "séance(s) suivie(s)" in script
    assert any("La vague d'enquête ne s'applique pas" in c.value for c in at.caption)
    assert not any(b.label == "Enregistrer la rencontre" for b in at.button)  # the demo is read-only


@pytest.fixture
def writable(tmp_path, monkeypatch, with_users) -> Path:
    folder = write_tables(tmp_path / "mes-donnees", meeting_tables())
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    return folder


def rows_of(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_a_territory_filter_counts_only_its_structures(writable):
    at = open_page("pilotage")
    assert not any(b.label == "Enregistrer la rencontre" for b in at.button)  # pilotage reads, never writes
    at.multiselect(key="f_territoires").set_value(["Cergy"]).run()
    assert not at.exception
    sessions = at.dataframe[0].value.set_index("Date")
    assert sessions["Structures"].to_dict() == {"05/06/2018": "0", "09/10/2018": "1", "16/01/2019": "1",
                                                "20/03/2019": "0"}
    assert any("seules les structures retenues" in c.value and "Cergy" in c.value for c in at.caption)


def test_adding_a_meeting_with_two_structures(writable):
    at = open_page("saisie")
    at.date_input(key="rc_date").set_value(date(2019, 5, 14))
    at.selectbox(key="rc_type").set_value("groupe_centres_sociaux")
    at.text_input(key="rc_titre").input("Groupe centres sociaux, séance 5")
    at.text_input(key="rc_lieu").input("Centre social Deux")
    at.selectbox(key="rc_commune").set_value("95127")
    at.multiselect(key="rc_structures").set_value(["CS-2", E3]).run()
    at.number_input(key="rc_participants_CS-2").set_value(4)
    at.button(key="rc_enregistrer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Rencontre enregistrée (RC-2019-01" in s.value for s in at.success), [e.value for e in at.error]
    meetings_file = rows_of(writable, "rencontres")
    assert len(meetings_file) == 5
    new = meetings_file.iloc[-1]
    assert (new["rencontre_id"], new["date"], new["commune_insee"], new["type"]) == \
        ("RC-2019-01", "2019-05-14", "95127", "groupe_centres_sociaux")
    attendance_file = rows_of(writable, "participations")
    added = attendance_file[attendance_file["rencontre_id"] == "RC-2019-01"]
    assert sorted(zip(added["structure_id"], added["participants"])) == sorted([("CS-2", "4"), (E3, "1")])
    sessions = at.dataframe[0].value
    assert sessions["Titre"].iloc[-1] == "Groupe centres sociaux, séance 5"  # shown at once
    assert at.text_input(key="rc_titre").value == ""  # the form is empty again


def test_an_invalid_meeting_writes_nothing_and_says_why(writable):
    before = {name: (writable / f"{name}.csv").read_bytes() for name in ("rencontres", "participations")}
    at = open_page("saisie")
    at.selectbox(key="rc_type").set_value("pilotage")
    at.multiselect(key="rc_structures").set_value(["CS-1"]).run()
    commune = at.selectbox(key="rc_commune")
    commune.options.append("Trifouillis")  # typed in, as accept_new_options lets people do
    commune.set_value("Trifouillis")
    at.button(key="rc_enregistrer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert "titre manquant(e)" in errors
    assert "code commune « Trifouillis » inconnu dans le département 95 (Val-d'Oise)" in errors
    assert any("n'est pas enregistrée" in e for e in errors)
    assert not at.success
    assert {name: (writable / f"{name}.csv").read_bytes() for name in before} == before


def test_on_the_demo_the_form_offers_the_users_own_data_set_instead():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["voir_comme"] = "saisie"  # open access: the demo seen as the entry role
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Ajouter une rencontre" in [s.value for s in at.subheader]
    assert any("ne sont pas modifiables" in w.value for w in at.warning)
    assert not any(b.label == "Enregistrer la rencontre" for b in at.button)
    assert len(at.get("plotly_chart")) == 3  # the read-only content is all there, above


def test_the_first_meeting_of_a_data_set_creates_its_files(tmp_path, monkeypatch, with_users):
    tables = small_tables()
    del tables["rencontres"], tables["participations"]
    folder = write_tables(tmp_path / "mes-donnees", tables)
    monkeypatch.setenv("PASSERELLES_DATA", str(folder))
    at = open_page("saisie")
    assert any("Aucune rencontre" in i.value for i in at.info)
    at.date_input(key="rc_date").set_value(date(2020, 2, 3))
    at.selectbox(key="rc_type").set_value("lancement")
    at.text_input(key="rc_titre").input("Lancement 2020")
    at.multiselect(key="rc_structures").set_value(["CS-1"]).run()
    at.button(key="rc_enregistrer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert rows_of(folder, "rencontres")["rencontre_id"].tolist() == ["RC-2020-01"]
    assert rows_of(folder, "participations").values.tolist() == [["RC-2020-01", "CS-1", "1"]]
    assert len(plotly_data(at, 0)[0]["x"]) == 1  # the calendar appears with its first session
