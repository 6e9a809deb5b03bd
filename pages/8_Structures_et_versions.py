"""Structures et versions: edit the centres sociaux and EVS; see every change and restore a version."""

import pandas as pd
import streamlit as st

from lib.dataset import ERROR, check_rows
from lib.formatting import format_int
from lib.imports import preview_structures_csv
from lib.journal import journal_table, repairs
from lib.questionnaire import load_questionnaire
from lib.store import StoreError
from lib.text import markdown_escape as md
from lib.ui import page_setup
from lib.ui.entry import import_preview_and_confirm, show_problems, writable_store

dataset, _view = page_setup(__file__)
state = st.session_state
st.title("Structures et versions")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may write nothing; opening mends the journal
journal = store.journal()
for repair in repairs(journal)[:3]:
    st.warning(repair, icon=":material/build:")
if "centres_fait" in state:  # after a save or an import: the rerun that shows the table as it is now
    remarks, text = state.pop("centres_fait")
    (st.warning if remarks else st.success)(text, icon=":material/warning:" if remarks else ":material/check_circle:")

st.markdown("#### Centres sociaux et espaces de vie sociale")
st.caption("Ajoutez une ligne pour un nouveau centre, corrigez un nom, ou déplacez un centre en saisissant les "
           "coordonnées de son adresse (degrés décimaux, par exemple 49,0364 et 2,0761). Les écoles viennent de "
           "l'annuaire de l'éducation (page « Import de l'annuaire »).")
q = load_questionnaire()
table = store.read("structures")
centres = table[table["type"].isin(q.centre_types)]
columns = ["id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude", "qpv"]
communes = dict(zip(dataset.reference.communes["code_insee"], dataset.reference.communes["nom"]))
shown = centres[columns].assign(commune=centres["commune_insee"].map(communes).fillna(""))
edited = st.data_editor(
    shown, num_rows="dynamic", hide_index=True, width="stretch",
    key=f"centres_editeur_{state.get('centres_version', 0)}",  # a new table after an import
    column_order=["nom", "type", "commune", "commune_insee", "adresse", "latitude", "longitude", "qpv", "id"],
    column_config={
        "id": st.column_config.TextColumn("Identifiant", required=True, help="Par exemple CS-95-046"),
        "type": st.column_config.SelectboxColumn("Type", options=q.centre_types, required=True,
                                                 format_func=q["types_structure"].label),
        "nom": st.column_config.TextColumn("Nom", required=True),
        "commune": st.column_config.TextColumn("Commune", disabled=True),
        "commune_insee": st.column_config.TextColumn("Code commune (INSEE)", required=True),
        "adresse": "Adresse", "latitude": "Latitude", "longitude": "Longitude", "qpv": "QPV",
    },
)
if st.button("Enregistrer les centres", type="primary"):
    edited = edited.drop(columns="commune").fillna("").astype(str)
    edited["_line"] = range(1, len(edited) + 1)
    ok, problems = check_rows("structures", edited, dataset, "tableau des centres")
    if any(p.severity == ERROR for p in problems):
        show_problems(problems, "Rien n'a été enregistré : corrigez ces lignes du tableau.")
    else:
        removed = set(centres["id"]) - set(edited["id"])
        used = removed & set(dataset.reponses["centre_id"])
        if used:
            st.error(f"Ces centres ont des réponses et ne peuvent pas être retirés : {md(', '.join(sorted(used)))}.")
        else:
            others = table[~table["id"].isin(centres["id"])]
            merged = pd.concat([others, edited.drop(columns="_line").reindex(columns=table.columns, fill_value="")])
            try:
                saved = store.replace("structures", merged.fillna("").astype(str), "modification",
                                      "Centres sociaux et EVS modifiés dans le tableau")
            except StoreError as err:
                st.error(str(err), icon=":material/error:")
            else:
                if saved:  # a new table from the file: the editor's changes are in it now
                    remarks = f", avec {len(problems)} remarque(s) : {' ; '.join(map(str, problems))}" if problems else ""
                    state["centres_fait"] = (bool(problems), f"Centres enregistrés{remarks}.")
                    state["centres_version"] = state.get("centres_version", 0) + 1
                    st.rerun()
                st.info("Rien à enregistrer : le tableau est identique au fichier.", icon=":material/info:")

st.markdown("##### Ou depuis un fichier CSV")
upload = st.file_uploader("Centres sociaux et EVS (CSV, colonnes de structures.csv)", type=["csv", "txt"],
                          key=f"centres_fichier_{state.get('centres_version', 0)}")
if upload is not None:
    preview = preview_structures_csv(upload.getvalue(), upload.name, dataset, store.read("structures"))
    if import_preview_and_confirm(preview, store, ["id"], "centres_confirmer"):
        # Draw the page again: the table above shows the imported centres, the file is put away.
        state["centres_fait"] = (False, f"Import enregistré : {format_int(len(preview.added))} centre(s) ajouté(s), "
                                        f"{format_int(len(preview.updated))} mis à jour ; ils sont dans le tableau.")
        state["centres_version"] = state.get("centres_version", 0) + 1
        st.rerun()

st.markdown("#### Historique des modifications")
if journal.empty:
    st.caption("Aucune modification enregistrée pour l'instant.")
else:
    st.dataframe(journal_table(journal), hide_index=True, width="stretch")

st.markdown("#### Revenir à une version précédente")
versions = store.versions()
if not versions:
    st.caption("Aucune version précédente gardée pour l'instant.")
else:
    labels = {v.id: f"{v.time.astimezone().strftime('%d/%m/%Y %H:%M:%S')} — {v.file} "
                    f"({format_int(v.size)} octets) — avant : {v.description or v.action}" for v in versions}
    chosen = st.selectbox("Version", list(labels), format_func=labels.get, key="version_choisie")
    st.caption("La version actuelle est gardée elle aussi : une restauration peut être annulée.")
    if st.button("Restaurer cette version"):
        try:
            store.restore(chosen)
        except StoreError as err:
            st.error(str(err), icon=":material/error:")
        else:
            st.rerun()
