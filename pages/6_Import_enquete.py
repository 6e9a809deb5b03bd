"""Import d'enquête: a survey tool's export, its column and answer mapping, a preview, then confirmation."""

import pandas as pd
import streamlit as st

from lib.importers import (
    CLOSED_FIELDS, DATE_ORDERS, FIELDS, MEANINGS, MULTI_FIELDS, NO_STRUCTURE, SEPARATORS, ExportRefused, Mapping,
    check_mapping, column_scores, date_column_order, detect_tool, distinct_answers, mapping_filename, preview_survey,
    read_export, structure_choice, structure_matches, structures_table, suggest_mapping, suggest_option_code,
    unknown_ticks,
)
from lib.imports import import_counts, reasons_table
from lib.questionnaire import load_questionnaire
from lib.structure_match import structure_key
from lib.store import StoreError
from lib.text import fold, markdown_escape, markdown_escape as md
from lib.ui import page_setup
from lib.ui.entry import import_preview_and_confirm, writable_store

dataset, _view = page_setup(__file__)
state = st.session_state
st.title("Import d'un export d'enquête")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write
q = load_questionnaire()
st.caption("KoboToolbox, LimeSurvey, Framaforms, Google Forms, ou un tableau CSV / TSV / Excel. Seules les colonnes "
           "associées ci-dessous sont lues : noms, courriels et téléphones des personnes ne sont jamais importés.")

upload = st.file_uploader("Export de l'outil d'enquête (CSV, TSV, TXT ou XLSX)", type=["csv", "tsv", "txt", "xlsx"],
                          key="enquete_fichier")
if upload is None:
    st.stop()
try:
    table = read_export(upload.getvalue(), upload.name)
except ExportRefused as err:
    where = f" (ligne {err.line})" if err.line else ""
    st.error(f"Fichier refusé{where} : {md(err)}", icon=":material/error:")
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
headers = ["", *table.headers]
scores = column_scores(table, mapping, q)

with st.expander("Colonnes du fichier → champs", expanded=not chosen):
    for field, label in FIELDS.items():
        choice = mapping.multi.get(field)
        if field in MULTI_FIELDS and choice and choice.options:
            continue  # one column per option: see « Choix multiples » below
        current = choice.column if choice else mapping.columns.get(field, "")
        help_text = f"proposée (score {scores[field][1]} sur 100)" if field in scores else None
        column = st.selectbox(label, headers, index=headers.index(current) if current in headers else 0,
                              key=f"{mapping_key}::col::{field}", format_func=lambda h: h or "— aucune —",
                              help=help_text)
        mapping.set_column(field, column or None)
    left, right = st.columns(2)
    mapping.constants["vague"] = left.text_input("Vague d'enquête (si le fichier n'a pas de colonne)",
                                                 value=mapping.constants.get("vague", ""), key=f"{mapping_key}::vague")
    modes = q["modes"]
    mode = mapping.constants.get("mode", "formulaire")
    mapping.constants["mode"] = right.selectbox("Mode de recueil", modes.codes, format_func=modes.label,
                                                index=modes.codes.index(mode) if mode in modes.codes else 0,
                                                key=f"{mapping_key}::mode")
    if "date_envoi" in mapping.columns:
        mapping.keep_incomplete = st.checkbox("Garder les réponses inachevées (sans date d'envoi)",
                                              value=mapping.keep_incomplete, key=f"{mapping_key}::inachevees")

with st.expander("Choix multiples : colonnes par option ou séparateur", expanded=True):
    for field in MULTI_FIELDS:
        # No key: the mapping is the truth, a column moved to another field leaves this list at the next run.
        grouped = list(mapping.multi[field].options) if field in mapping.multi else []
        picked = st.multiselect(f"{FIELDS[field]} — une colonne par option", table.headers,
                                default=[c for c in grouped if c in table.headers], select_all=False,
                                placeholder="Choisir les colonnes…")
        for column in grouped:
            if column not in picked:
                mapping.remove_option_column(field, column)
        for column in picked:
            if column not in grouped:
                mapping.add_option_column(field, column, suggest_option_code(column, field, q))
        choice = mapping.multi.get(field)
        if choice and choice.column and not choice.options:
            separators = list(SEPARATORS)
            separator = st.selectbox(f"{FIELDS[field]} — séparateur dans « {choice.column} »", separators,
                                     index=separators.index(choice.separator) if choice.separator in separators
                                     else 0, format_func=SEPARATORS.get, key=f"{mapping_key}::sep::{field}")
            mapping.set_separator(field, separator)

questions = unknown_ticks(table, mapping, decided_too=True)
if questions:
    with st.expander("Valeurs inconnues dans les colonnes à cocher", expanded=True):
        st.caption("Une valeur inconnue n'est jamais comptée comme cochée : dites ce qu'elle veut dire.")
        for value, columns in questions.items():
            meanings = ["", *MEANINGS]
            decided = mapping.ticks.get(fold(value), "")
            meaning = st.selectbox(f"« {markdown_escape(value)} » ({len(columns)} colonne(s), dont "
                                   f"« {markdown_escape(columns[0])} »)", meanings,
                                   index=meanings.index(decided) if decided in meanings else 0,
                                   format_func=lambda m: MEANINGS.get(m, "— à choisir —"),
                                   key=f"{mapping_key}::tick::{fold(value)}")
            if meaning:
                mapping.ticks[fold(value)] = meaning
            else:
                mapping.ticks.pop(fold(value), None)

with st.expander("Structures du fichier → structures du jeu de données", expanded=True):
    for field in ("structure", "partenaire"):
        matches = structure_matches(table, mapping, dataset, field)
        sure = [m for m, decided in matches if m.sure and not decided]
        if sure:
            st.caption(f"{FIELDS[field]} : {len(sure)} valeur(s) reconnue(s) sans hésitation.")
        st.dataframe(structures_table(matches), hide_index=True, width="stretch")
        for match, decided in matches:
            if match.sure and not decided:
                continue
            key = structure_key(match.value, match.commune)
            options, labels, current = structure_choice(match, decided)
            where = f" ({markdown_escape(match.commune)})" if match.commune else ""
            picked = st.selectbox(f"{FIELDS[field]} : « {markdown_escape(match.value)} »{where}", options,
                                  index=options.index(current), format_func=labels.get,
                                  key=f"{mapping_key}::struct::{field}::{key}")
            if picked:
                mapping.values.setdefault(field, {})[key] = "" if picked == NO_STRUCTURE else picked
            else:
                mapping.values.get(field, {}).pop(key, None)

order, how = date_column_order(table, mapping)
if how != "deduit":
    orders = ["dmy", "mdy"]
    picked_order = st.radio(f"Dates de « {markdown_escape(mapping.columns['date'])} » : rien ne dit si 05/06 est "
                            "le 5 juin ou le 6 mai", orders, index=orders.index(order) if order in orders else 0,
                            format_func=DATE_ORDERS.get, key=f"{mapping_key}::ordre_dates")
    mapping.date_orders[mapping.columns["date"]] = picked_order

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

preview = preview_survey(table, mapping, dataset)
counts = import_counts(preview)
if counts.rejected_by_reason or counts.skipped_by_reason:
    st.dataframe(reasons_table(counts), hide_index=True, width="stretch")
import_preview_and_confirm(preview, store, ["reponse_id"], "enquete_confirmer")

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
