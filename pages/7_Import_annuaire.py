"""Import de l'annuaire: the Ministry's school directory, previewed before it is written."""

import streamlit as st

from lib.annuaire import preview_school_directory
from lib.ui import page_setup
from lib.ui.entry import import_preview_and_confirm, writable_store

dataset, _view = page_setup(__file__)
st.title("Import de l'annuaire des écoles")
store = writable_store(dataset, __file__)  # nothing below for a visitor who may not write
st.caption("Chaque import montre un aperçu : rien n'est écrit avant votre confirmation, et la version précédente "
           "est toujours gardée (page « Structures et versions »).")
st.markdown("Le fichier CSV « Annuaire de l'éducation » ou « Adresse et géolocalisation des établissements » "
            "téléchargé sur data.education.gouv.fr : les écoles, collèges et lycées ouverts du département "
            "sont ajoutés ou mis à jour (nom, position, éducation prioritaire) ; les réponses ne changent pas.")
upload = st.file_uploader("Fichier de l'annuaire (CSV)", type=["csv", "txt"], key="annuaire_fichier")
if upload is not None:  # the importer itself refuses files over the limit, binary or empty ones
    preview = preview_school_directory(upload.getvalue(), upload.name, dataset)
    import_preview_and_confirm(preview, store, ["id"], "annuaire_confirmer")
