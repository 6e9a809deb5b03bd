"""Import d'enquête: a survey tool's export, its column and answer mapping, a preview, then confirmation."""

import pandas as pd
import streamlit as st

from lib.importers import (CLOSED_FIELDS, FIELDS, MULTI_FIELDS, ExportRefused, Mapping, check_mapping,
                           detect_tool, distinct_answers, mapping_filename, preview_survey, read_export,
                           suggest_mapping)
from lib.questionnaire import load_questionnaire
from lib.store import StoreError
from lib.text import markdown_escape as md
from lib.ui import import_preview_and_confirm, page_setup, writable_store

dataset, _view = page_setup(__file__)
state = st.session_state
st.title("Import d'un export d'enquête")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write
q = load_questionnaire()
st.caption("KoboToolbox, LimeSurvey, Framaforms, Google Forms, ou un tableau CSV / Excel. Seules les colonnes "
           "associées ci-dessous sont lues : noms, courriels et téléphones des personnes ne sont jamais importés.")

upload = st.file_uploader("Export de l'outil d'enquête (CSV ou XLSX)", type=["csv", "txt", "xlsx"],
                          key="enquete_fichier")
if upload is None:
    st.stop()
try:
    table = read_export(upload.getvalue(), upload.name)
except ExportRefused as err:
    st.error(f"Fichier refusé : {md(err)}", icon=":material/error:")
    st.stop()
tool = detect_tool(table)
st.markdown(f"**{md(tool)}** — {table.rows_read} réponse(s) lue(s), {len(table.headers)} colonne(s).")
for note in table.notes:
    st.caption(md(note))

# The mapping: a saved one ("next month's export in one click") or the one suggested from the headers.
saved = store.mapping_names()
chosen = st.selectbox("Paramétrage", ["", *saved], key="enquete_parametrage",
                      format_func=lambda name: name or "proposé d'après les colonnes du fichier")
mapping_key = f"enquete_mapping::{upload.name}::{chosen}"
if mapping_key not in state:
    state[mapping_key] = Mapping.from_json(store.read_mapping(chosen)) if chosen else suggest_mapping(table, q)
mapping: Mapping = state[mapping_key]

with st.expander("Colonnes du fichier → champs", expanded=not chosen):
    headers = ["", *table.headers]
    for field, label in FIELDS.items():
        if field in MULTI_FIELDS and mapping.multi.get(field) and mapping.multi[field].options:
            st.caption(f"{label} : une colonne par option ({len(mapping.multi[field].options)} colonnes).")
            continue
        current = mapping.multi[field].column if field in mapping.multi else mapping.columns.get(field, "")
        column = st.selectbox(label, headers, index=headers.index(current) if current in headers else 0,
                              key=f"{mapping_key}::col::{field}", format_func=lambda h: h or "— aucune —")
        if field in mapping.multi:
            mapping.multi[field].column = column or None
        elif column:
            mapping.columns[field] = column
        else:
            mapping.columns.pop(field, None)
    left, right = st.columns(2)
    mapping.constants["vague"] = left.text_input("Vague d'enquête (si le fichier n'a pas de colonne)",
                                                 value=mapping.constants.get("vague", ""), key=f"{mapping_key}::vague")
    modes = q["modes"]
    mode = mapping.constants.get("mode", "formulaire")
    mapping.constants["mode"] = right.selectbox("Mode de recueil", modes.codes, format_func=modes.label,
                                                index=modes.codes.index(mode) if mode in modes.codes else 0,
                                                key=f"{mapping_key}::mode")

with st.expander("Réponses du fichier → codes du questionnaire", expanded=True):
    for field, list_name in CLOSED_FIELDS.items():
        choices, answers = q[list_name], distinct_answers(table, mapping, field, q)
        if not answers or field == "mode":
            continue
        per_option = field in mapping.multi and bool(mapping.multi[field].options)
        current = mapping.multi[field].options if per_option else mapping.values.setdefault(field, {})
        grid = pd.DataFrame({"réponse": answers, "code": [current.get(a) or "" for a in answers]})
        edited = st.data_editor(grid, hide_index=True, width="stretch", key=f"{mapping_key}::val::{field}",
                                disabled=["réponse"], column_config={"code": st.column_config.SelectboxColumn(
                                    f"{choices.title} (vide : ignorer)", options=["", *choices.codes])})
        current.update({a: (c or "") for a, c in zip(edited["réponse"], edited["code"].fillna(""))})

blocking = check_mapping(table, mapping, q)
if blocking:
    for message in blocking:
        st.error(md(message), icon=":material/error:")
    st.stop()

import_preview_and_confirm(preview_survey(table, mapping, dataset), store, ["reponse_id"], "enquete_confirmer")

left, right = st.columns([2, 1])
name = left.text_input("Enregistrer ce paramétrage sous le nom", key="enquete_nom",
                       placeholder="Par exemple : Kobo enquête 2019")
if right.button("Enregistrer le paramétrage", disabled=not name):
    try:
        store.save_mapping(mapping_filename(name), mapping.to_json())
    except (ValueError, StoreError) as err:
        st.error(md(err), icon=":material/error:")
    else:
        st.success(f"Paramétrage « {md(name)} » enregistré : le prochain export s'importera en un clic.")
