"""Rencontres: the meetings and reflection groups — when, who came and from where, a map; adding a meeting."""

from datetime import date, timedelta

import streamlit as st
from streamlit_folium import st_folium

from lib.charts import Chart
from lib.charts.layout import ChartContext
from lib.formatting import format_int
from lib.maps import BASEMAPS
from lib.meetings import (PERIODS, attendance, attendance_map, blocking, calendar_chart, check_meeting,
                          filters_note, meeting_rows, meeting_scope, meeting_types, new_meeting_id,
                          over_time_chart, over_time_table, participation_by_territory, participation_by_type,
                          participation_over_time, problems_by_field, save_meeting, sessions_display,
                          sessions_table, structures_attendance, territory_chart)
from lib.store import StoreError
from lib.text import markdown_escape
from lib.ui import assets_url, can_write, current_access, page_setup, url_choice
from lib.ui.callbacks import live_callback
from lib.ui.charts import chart_config, download_buttons, show_chart, show_table, show_view_line
from lib.ui.entry import writable_store

dataset, view = page_setup(__file__)
state = st.session_state
level = view.filters.level
scope = meeting_scope(view.filters)

st.title("Rencontres et groupes de réflexion")
show_view_line(dataset, view.filters, with_wave=False)
st.caption(markdown_escape(filters_note(view.filters)))
with st.sidebar:
    st.markdown("**Carte**")
    basemap = url_choice("Fond de carte", list(BASEMAPS), "fond", "clair", format_func=BASEMAPS.get)

attended = attendance(dataset.rencontres, dataset.participations, view.structures)
sessions = sessions_table(dataset.rencontres, attended, dataset.reference)
if sessions.empty:
    st.info("Aucune rencontre dans ce jeu de données.", icon=":material/info:")
else:
    columns = st.columns(4)
    columns[0].metric("Séances", format_int(len(sessions)))
    columns[1].metric("Structures présentes", format_int(attended["structure_id"].nunique()),
                      help="Structures différentes venues à au moins une séance.")
    columns[2].metric("Participants", format_int(attended["participants"].sum()),
                      help="Somme des personnes venues à chaque séance : une personne venue deux fois compte "
                           "deux fois.")
    columns[3].metric("Communes représentées", format_int(attended["commune"].nunique()))

    st.subheader("Calendrier des séances")
    calendar = Chart.of("rencontres-calendrier", calendar_chart(sessions, scope), sessions_display(sessions))
    st.plotly_chart(calendar.to_figure(), theme=None, config=chart_config(calendar.name),
                    key="graphique_rencontres-calendrier", alt=calendar.title)
    show_table(calendar.shown, "tableau_rencontres_calendrier")
    download_buttons(calendar.table, calendar.name)

    st.subheader("Qui a participé ?")
    st.markdown("**Par type de rencontre**")
    show_table(participation_by_type(sessions, attended), "tableau_rencontres_types")
    by_territory = participation_by_territory(attended, level)
    show_chart(Chart.of("rencontres-territoires", territory_chart(by_territory, ChartContext(level, scope)),
                        by_territory))
    counts = structures_attendance(attended, level)
    st.markdown(f"**Structures présentes** ({format_int(len(counts))})")
    show_table(counts, "tableau_rencontres_structures")
    download_buttons(counts, "rencontres-structures")

    st.subheader("Carte des structures présentes")
    fmap = attendance_map(dataset.reference, view.structures, counts, basemap=basemap, assets_url=assets_url())
    st_folium(fmap, height=480, use_container_width=True, key="carte_rencontres", returned_objects=[])
    st.caption("Taille d'un point : nombre de séances suivies ; survolez-le pour le détail. Communes en couleur : "
               "au moins une structure présente.")

    st.subheader("Participation dans le temps")
    period = st.radio("Regrouper", list(PERIODS), format_func=PERIODS.get, horizontal=True, key="rencontres_periode")
    over_time = participation_over_time(sessions, attended, period)
    show_chart(Chart.of("rencontres-participation", over_time_chart(over_time, period, scope),
                        over_time_table(over_time, period)))

FIELDS = ("date", "titre", "type", "lieu", "commune", "heure_debut", "heure_fin", "structures")


@st.fragment
def add_meeting() -> None:
    """The entry form; a fragment, so typing in it does not redraw the charts and the map."""
    st.subheader("Ajouter une rencontre")
    store = writable_store(dataset)  # on the demo: the offer to create the user's own data set, and a stop
    structures = dataset.structures.sort_values("nom")
    names = dict(zip(structures["id"], structures["nom"] + " — " + structures["commune"].fillna("")))
    communes = dataset.reference.communes.sort_values("nom")
    commune_names = dict(zip(communes["code_insee"], communes["nom"] + " (" + communes["code_insee"] + ")"))
    types = meeting_types()

    problems = []
    if state.pop("rc_envoi", False):
        chosen = [sid for sid in state.get("rc_structures") or [] if sid in names]
        values = {field: state.get(f"rc_{field}") for field in FIELDS}
        values["presences"] = {sid: state.get(f"rc_participants_{sid}") for sid in chosen}
        when = values["date"] or date.today()
        try:
            meeting_id = new_meeting_id(store.read("rencontres")["rencontre_id"], when.year)
            row, participations = meeting_rows(values, meeting_id, dataset.reference)
            problems = check_meeting(row, participations, dataset)
            if not blocking(problems):
                save_meeting(store, row, participations)
        except StoreError as err:  # nothing was written; the form keeps what was typed
            st.error(str(err), icon=":material/error:")
        else:
            if not blocking(problems):
                # Set, not deleted: a deleted key leaves the browser showing (and sending back) the old value.
                state.update(rc_titre="", rc_lieu="", rc_type=None, rc_commune=None, rc_heure_debut=None,
                             rc_heure_fin=None, rc_structures=[])
                for key in [k for k in state if str(k).startswith("rc_participants_")]:
                    del state[key]
                state["rc_enregistree"] = (row["rencontre_id"], row["titre"], len(participations))
                st.rerun()  # the whole page: the new meeting shows in the calendar and the tables
    messages = problems_by_field(problems)

    def field_messages(*fields: str) -> None:
        for field in fields:
            for message in messages.get(field, []):
                st.error(markdown_escape(message), icon=":material/error:")

    if saved := state.pop("rc_enregistree", None):
        st.success(f"Rencontre enregistrée ({saved[0]}, {format_int(saved[2])} structure(s) présente(s)) : "
                   "elle apparaît dans le calendrier et les tableaux ci-dessus.", icon=":material/check_circle:")
    state.setdefault("rc_date", date.today())
    left, right = st.columns(2)
    with left:
        st.date_input("Date de la rencontre", key="rc_date", format="DD/MM/YYYY")
        field_messages("date")
    with right:
        st.selectbox("Type de rencontre", types.codes, format_func=types.label, index=None, key="rc_type",
                     placeholder="Choisir…")
        field_messages("type")
    st.text_input("Titre", key="rc_titre", max_chars=200,
                  help="Un intitulé court, par exemple « Groupe centres sociaux, séance 2 ». "
                       "Aucun nom de personne.")
    field_messages("titre")
    left, right = st.columns(2)
    with left:
        st.text_input("Lieu", key="rc_lieu", max_chars=200, help="Par exemple le nom de la salle ou de la structure "
                      "qui accueille. Pas de téléphone ni de courriel.")
        field_messages("lieu")
    with right:
        st.selectbox("Commune", list(commune_names), format_func=lambda c: commune_names.get(c, c), index=None,
                     key="rc_commune", placeholder="Nom ou code INSEE…", accept_new_options=True)
        field_messages("commune_insee")
    left, right = st.columns(2)
    with left:
        st.time_input("Heure de début (facultatif)", value=None, key="rc_heure_debut", step=timedelta(minutes=15))
        field_messages("heure_debut")
    with right:
        st.time_input("Heure de fin (facultatif)", value=None, key="rc_heure_fin", step=timedelta(minutes=15))
        field_messages("heure_fin")
    st.multiselect("Structures présentes", list(names), format_func=names.get, key="rc_structures", select_all=False,
                   placeholder="Nom ou commune…")
    field_messages("presences")
    chosen = [sid for sid in state.get("rc_structures") or [] if sid in names]
    if chosen:
        st.caption("Nombre de personnes venues de chaque structure (un nombre, jamais de nom) :")
        grid = st.columns(3)
        for position, sid in enumerate(chosen):
            with grid[position % 3]:
                st.number_input(markdown_escape(names[sid]), min_value=1, step=1, value=1, key=f"rc_participants_{sid}")
                field_messages(f"participants_{sid}")
    if messages:
        st.error(f"La rencontre n'est pas enregistrée : {format_int(sum(map(len, messages.values())))} point(s) "
                 "à corriger ci-dessus.", icon=":material/error:")
    st.button("Enregistrer la rencontre", type="primary", key="rc_enregistrer",
              on_click=live_callback(lambda: state.update(rc_envoi=True)))


if can_write() or current_access().open:  # open access: where the form would be, how to get it
    add_meeting()
