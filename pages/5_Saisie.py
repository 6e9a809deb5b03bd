"""Saisie d'un entretien: the interview form (built from the questionnaire), then edit or delete an answer."""

from datetime import date

import pandas as pd
import streamlit as st

from lib.dataset import ERROR
from lib.entry import (FREE_TEXT_FIELDS, answer_label, answer_lists, answer_row, answers_table, check_answer,
                       new_answer_id, partner_of, problems_by_field, same_answer, structure_names)
from lib.formatting import format_int
from lib.store import StoreError
from lib.text import markdown_escape as md
from lib.textlimits import ENTRY_MAX_CHARS
from lib.ui import page_setup
from lib.ui.callbacks import live_callback
from lib.ui.entry import writable_store

dataset, _view = page_setup(__file__)
state = st.session_state
st.title("Saisie d'un entretien")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write

names = structure_names(dataset)
if not names:
    st.info("Aucune structure dans ce jeu de données : importez d'abord l'annuaire des écoles (page « Import de "
            "l'annuaire ») et vos centres sociaux (page « Structures et versions »).")
    st.stop()
FIELDS = ["vague", "date", "repondant_id", "partenaire_id", *(c.column for c in answer_lists()), *FREE_TEXT_FIELDS]
# The identifier the next new answer is saved under: kept until a different answer is saved, so a second
# click on « Enregistrer » finds its answer already in the file instead of adding it again.
state.setdefault("saisie_jeton", new_answer_id())


def form_values() -> dict:
    return {field: state.get(f"saisie_{field}") for field in FIELDS}


def clear_form(keep_respondent: bool) -> None:
    """Empty the form; "saisir un autre lien pour la même structure" keeps who answers."""
    for field in FIELDS:
        if field in ("vague", "date") or (keep_respondent and field in ("repondant_id", "repondant_fonction", "mode")):
            continue
        state.pop(f"saisie_{field}", None)
    state.pop("saisie_edition", None)
    state.pop("saisie_gardes", None)
    state["saisie_jeton"] = new_answer_id()


def edit_answer(reponse_id: str) -> None:
    """Load a saved answer into the form."""
    row = store.read("reponses").set_index("reponse_id").loc[reponse_id]
    multiple = {c.column for c in answer_lists() if c.multiple}
    # A text longer than the field allows (written by another tool) is not put in the field, which would cut
    # it: it is kept as it is unless a new text is typed.
    state["saisie_gardes"] = {field: len(row[field]) for field in FREE_TEXT_FIELDS
                              if len(row[field]) > ENTRY_MAX_CHARS[field]}
    for field in FIELDS:
        if field in state["saisie_gardes"]:
            value = ""
        elif field == "partenaire_id":
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


def save(row: dict[str, str], editing: str | None) -> str:
    """Write the answer; returns the outcome in words. A second click on the same answer writes nothing."""
    label = f"{names.get(row['repondant_id'], '')} ↔ {names.get(partner_of(row), '')}"
    if editing:
        # The form stays on this answer (a second click rewrites nothing) until « Nouvel entretien ».
        kept = [f for f in state.get("saisie_gardes", {}) if not row[f]]  # over-long texts not retyped
        store.upsert("reponses", pd.DataFrame([row]).drop(columns=kept), ["reponse_id"],
                     f"Modification de l'entretien {label}")
        return f"Entretien modifié ({label})"
    stored = store.read("reponses").set_index("reponse_id", drop=False)
    if row["reponse_id"] in stored.index:
        if same_answer(stored.loc[row["reponse_id"]].to_dict(), row):
            return f"Entretien enregistré ({label})"  # already: the same answer sent twice
        state["saisie_jeton"] = row["reponse_id"] = new_answer_id()  # another answer: a new identifier
    store.append("reponses", pd.DataFrame([row]), f"Entretien saisi : {label}")  # refuses an id already there
    return f"Entretien enregistré ({label})"


# On the run after "Enregistrer", check (and save) before drawing: one outcome at the top, field messages
# next to their field only when nothing was saved.
problems, outcome = [], None
if state.pop("saisie_envoi", False):
    editing = state.get("saisie_edition")
    row = answer_row(form_values(), dataset, editing or state["saisie_jeton"])
    problems = check_answer(row, dataset)
    if any(p.severity == ERROR for p in problems):
        st.error("Rien n'a été enregistré : corrigez les champs signalés ci-dessous.", icon=":material/error:")
    else:
        try:
            outcome = save(row, editing)
        except StoreError as err:  # nothing was written; the form keeps what was typed
            st.error(str(err), icon=":material/error:")
messages = {} if outcome else problems_by_field(problems)
severity = {p.message: p.severity for p in problems}


def field_messages(field: str) -> None:
    for message in messages.get(field, []):
        if severity.get(message) == ERROR:
            st.error(md(message), icon=":material/error:")
        else:
            st.warning(md(message), icon=":material/warning:")


if outcome:
    remarks = [p.message for p in problems]
    if remarks:  # saved, with remarks: one message, in the colour of a remark
        st.warning(f"{outcome}, avec {len(remarks)} remarque(s) : {md(' ; '.join(remarks))}.", icon=":material/warning:")
    else:
        st.success(f"{outcome} : il apparaît sur la carte et dans les analyses.", icon=":material/check_circle:")
    left, right = st.columns(2)
    left.button("Saisir un autre lien pour la même structure", on_click=live_callback(clear_form), args=(True,))
    right.button("Nouvel entretien", on_click=live_callback(clear_form), args=(False,))
if state.get("saisie_edition"):
    edited_row = store.read("reponses").set_index("reponse_id", drop=False)
    if state["saisie_edition"] in edited_row.index:
        st.info(f"Modification de l'entretien du {md(answer_label(edited_row.loc[state['saisie_edition']], names))}.",
                icon=":material/edit:")

state.setdefault("saisie_vague", dataset.waves[-1] if dataset.waves else str(date.today().year))
state.setdefault("saisie_date", date.today())
with st.form("saisie"):
    left, right = st.columns(2)
    left.text_input("Vague d'enquête", key="saisie_vague", max_chars=ENTRY_MAX_CHARS["vague"])
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
            st.multiselect(choices.title, choices.codes, format_func=choices.label, key=key, placeholder="Choisir…",
                           select_all=False)
        else:
            st.radio(choices.title, choices.codes, format_func=choices.label, key=key, index=None, horizontal=True)
        field_messages(choices.column)
    for field, label in FREE_TEXT_FIELDS.items():
        st.text_area(label, key=f"saisie_{field}", height=68, max_chars=ENTRY_MAX_CHARS[field],
                     help="Pas de nom, de téléphone ni de courriel de personne.")
        if field in state.get("saisie_gardes", {}):
            st.caption(f"Le texte enregistré fait {format_int(state['saisie_gardes'][field])} caractères, plus que "
                       f"les {format_int(ENTRY_MAX_CHARS[field])} permis ici : il est gardé tel quel, sauf si vous "
                       "saisissez un nouveau texte.")
        field_messages(field)
    st.form_submit_button("Enregistrer l'entretien", type="primary", on_click=live_callback(state.update),
                          kwargs={"saisie_envoi": True})

st.markdown("#### Réponses déjà saisies pour cette structure")
respondent = state.get("saisie_repondant_id")
answers = store.read("reponses")
mine = answers[(answers["repondant_id"] == respondent)] if respondent else answers.iloc[0:0]
if mine.empty:
    st.caption("Choisissez la structure qui répond pour voir ses réponses.")
else:
    st.dataframe(answers_table(mine, names), hide_index=True, width="stretch")
    labels = {r["reponse_id"]: answer_label(r, names) for r in mine.to_dict("records")}
    chosen = st.selectbox("Réponse", list(labels), format_func=labels.get, key="saisie_choix")
    left, right = st.columns(2)
    left.button("Modifier cette réponse", on_click=live_callback(edit_answer), args=(chosen,))
    confirmed = right.checkbox("Je confirme la suppression", key="saisie_confirmer")
    if right.button("Supprimer cette réponse", disabled=not confirmed):
        try:
            store.delete("reponses", ["reponse_id"], [(chosen,)], f"Suppression de l'entretien du {labels[chosen]}")
        except StoreError as err:
            st.error(str(err), icon=":material/error:")
        else:
            state.pop("saisie_confirmer", None)
            st.rerun()
