"""Structures et versions: edit the centres sociaux and EVS; see every change and restore a version."""

import pandas as pd
import streamlit as st

from lib.dataset import ERROR, check_rows
from lib.formatting import format_int
from lib.questionnaire import load_questionnaire
from lib.store import StoreError
from lib.text import markdown_escape as md
from lib.imports import preview_structures_csv
from lib.ui import import_preview_and_confirm, page_setup, show_problems, writable_store

dataset, _view = page_setup(__file__)
st.title("Structures et versions")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write

st.markdown("#### Centres sociaux et espaces de vie sociale")
st.caption("Ajoutez une ligne pour un nouveau centre, corrigez un nom, ou déplacez un centre en saisissant les "
           "coordonnées de son adresse (degrés décimaux, par exemple 49,0364 et 2,0761). Les écoles viennent de "
           "l'annuaire de l'éducation (page « Imports »).")
table = store.read("structures")
centres = table[table["type"].isin(load_questionnaire().centre_types)]
columns = ["id", "type", "nom", "commune_insee", "adresse", "latitude", "longitude", "qpv"]
edited = st.data_editor(
    centres[columns], num_rows="dynamic", hide_index=True, width="stretch", key="centres_editeur",
    column_config={
        "id": st.column_config.TextColumn("Identifiant", required=True, help="Par exemple CS-95-046"),
        "type": st.column_config.SelectboxColumn("Type", options=load_questionnaire().centre_types, required=True),
        "nom": st.column_config.TextColumn("Nom", required=True),
        "commune_insee": st.column_config.TextColumn("Code commune (INSEE)", required=True),
        "adresse": "Adresse", "latitude": "Latitude", "longitude": "Longitude", "qpv": "QPV",
    },
)
if st.button("Enregistrer les centres", type="primary"):
    edited = edited.fillna("").astype(str)
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
                if store.replace("structures", merged.fillna("").astype(str), "modification",
                                 "Centres sociaux et EVS modifiés dans le tableau"):
                    st.success("Centres enregistrés.", icon=":material/check_circle:")
            except StoreError as err:
                st.error(str(err), icon=":material/error:")
            show_problems(problems, "")

st.markdown("##### Ou depuis un fichier CSV")
upload = st.file_uploader("Centres sociaux et EVS (CSV, colonnes de structures.csv)", type=["csv", "txt"],
                          key="centres_fichier")
if upload is not None:
    preview = preview_structures_csv(upload.getvalue(), upload.name, dataset, store.read("structures"))
    import_preview_and_confirm(preview, store, ["id"], "centres_confirmer")

st.markdown("#### Historique des modifications")
journal = store.journal()
if journal.empty:
    st.caption("Aucune modification enregistrée pour l'instant.")
else:
    st.dataframe(journal.drop(columns=["version"]), hide_index=True, width="stretch")

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
