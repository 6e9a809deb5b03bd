"""Saisie d'un entretien: the interview form (built from the questionnaire), then edit or delete an answer."""

from datetime import date

import pandas as pd
import streamlit as st

from lib.dataset import ERROR
from lib.entry import FREE_TEXT_FIELDS, answer_lists, answer_row, check_answer, new_answer_id, problems_by_field
from lib.questionnaire import load_questionnaire
from lib.store import StoreError
from lib.text import markdown_escape as md
from lib.ui import page_setup, writable_store

dataset, _view = page_setup(__file__)
state = st.session_state
st.title("Saisie d'un entretien")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write

q = load_questionnaire()
structures = dataset.structures.sort_values("nom")
names = dict(zip(structures["id"], structures["nom"] + " — " + structures["commune"].fillna("")))
if not names:
    st.info("Aucune structure dans ce jeu de données : importez d'abord l'annuaire des écoles et les centres "
            "sociaux (page « Imports et historique »).")
    st.stop()
FIELDS = ["vague", "date", "repondant_id", "partenaire_id", *(c.column for c in answer_lists()), *FREE_TEXT_FIELDS]


def form_values() -> dict:
    return {field: state.get(f"saisie_{field}") for field in FIELDS}


def clear_form(keep_respondent: bool) -> None:
    """Empty the form; "saisir un autre lien pour la même structure" keeps who answers."""
    for field in FIELDS:
        if field in ("vague", "date") or (keep_respondent and field in ("repondant_id", "repondant_fonction", "mode")):
            continue
        state.pop(f"saisie_{field}", None)
    state.pop("saisie_edition", None)


def edit_answer(reponse_id: str) -> None:
    """Load a saved answer into the form."""
    row = store.read("reponses").set_index("reponse_id").loc[reponse_id]
    multiple = {c.column for c in answer_lists() if c.multiple}
    for field in FIELDS:
        if field == "partenaire_id":
            value = row["centre_id"] if row["repondant_id"] == row["ecole_id"] else row["ecole_id"]
        elif field == "date":
            value = pd.to_datetime(row["date"], errors="coerce")
            value = None if pd.isna(value) else value.date()
        elif field in multiple:
            value = [code for code in row[field].split(";") if code]
        else:
            value = row[field] or None
        state[f"saisie_{field}"] = value
    state["saisie_edition"] = reponse_id


# On the run after "Enregistrer", check (and save) before drawing, so messages sit next to their field.
problems, saved = [], None
if state.pop("saisie_envoi", False):
    editing = state.get("saisie_edition")
    row = answer_row(form_values(), dataset, editing or new_answer_id())
    problems = check_answer(row, dataset)
    if not any(p.severity == ERROR for p in problems):
        partner = row["centre_id"] if row["repondant_id"] == row["ecole_id"] else row["ecole_id"]
        label = f"{names.get(row['repondant_id'], '')} ↔ {names.get(partner, '')}"
        try:
            if editing:
                store.upsert("reponses", pd.DataFrame([row]), ["reponse_id"], f"Modification de l'entretien {label}")
            else:
                store.append("reponses", pd.DataFrame([row]), f"Entretien saisi : {label}")
        except StoreError as err:  # nothing was written; the form keeps what was typed
            st.error(str(err), icon=":material/error:")
        else:
            saved = row
            state.pop("saisie_edition", None)
messages = problems_by_field(problems)


def field_messages(field: str) -> None:
    for message in messages.get(field, []):
        st.error(md(message), icon=":material/error:")


if saved:
    st.success(f"Entretien enregistré (réponse {md(saved['reponse_id'])}) : il apparaît sur la carte et dans les "
               "analyses.", icon=":material/check_circle:")
    left, right = st.columns(2)
    left.button("Saisir un autre lien pour la même structure", on_click=clear_form, args=(True,))
    right.button("Nouvel entretien", on_click=clear_form, args=(False,))
if state.get("saisie_edition"):
    st.info(f"Modification de la réponse {md(state['saisie_edition'])}.", icon=":material/edit:")

state.setdefault("saisie_vague", dataset.waves[-1] if dataset.waves else str(date.today().year))
state.setdefault("saisie_date", date.today())
with st.form("saisie"):
    left, right = st.columns(2)
    left.text_input("Vague d'enquête", key="saisie_vague")
    right.date_input("Date de l'entretien", key="saisie_date", format="DD/MM/YYYY")
    field_messages("vague")
    st.selectbox("Structure qui répond", list(names), format_func=names.get, index=None, key="saisie_repondant_id",
                 placeholder="Nom ou commune…")
    field_messages("repondant_id")
    st.selectbox("Partenaire (l'autre structure du lien)", list(names), format_func=names.get, index=None,
                 key="saisie_partenaire_id", placeholder="Nom ou commune…")
    field_messages("partenaire_id")
    for choices in answer_lists():
        key = f"saisie_{choices.column}"
        if choices.multiple:
            st.multiselect(choices.title, choices.codes, format_func=choices.label, key=key, placeholder="Choisir…")
        else:
            st.radio(choices.title, choices.codes, format_func=choices.label, key=key, index=None, horizontal=True)
        field_messages(choices.column)
    for field, label in FREE_TEXT_FIELDS.items():
        st.text_area(label, key=f"saisie_{field}", height=68,
                     help="Pas de nom, de téléphone ni de courriel de personne.")
        field_messages(field)
    if st.form_submit_button("Enregistrer l'entretien", type="primary"):
        state["saisie_envoi"] = True
        st.rerun()

st.markdown("#### Réponses déjà saisies pour cette structure")
respondent = state.get("saisie_repondant_id")
answers = store.read("reponses")
mine = answers[(answers["repondant_id"] == respondent)] if respondent else answers.iloc[0:0]
if mine.empty:
    st.caption("Choisissez la structure qui répond pour voir ses réponses.")
else:
    st.dataframe(mine[["reponse_id", "vague", "date", "ecole_id", "centre_id", "frequence", "qualite"]],
                 hide_index=True, width="stretch")
    chosen = st.selectbox("Réponse", mine["reponse_id"].tolist(), key="saisie_choix")
    left, right = st.columns(2)
    left.button("Modifier cette réponse", on_click=edit_answer, args=(chosen,))
    confirmed = right.checkbox("Je confirme la suppression", key="saisie_confirmer")
    if right.button("Supprimer cette réponse", disabled=not confirmed):
        try:
            store.delete("reponses", ["reponse_id"], [(chosen,)], f"Suppression de la réponse {chosen}")
        except StoreError as err:
            st.error(str(err), icon=":material/error:")
        else:
            state.pop("saisie_confirmer", None)
            st.rerun()
