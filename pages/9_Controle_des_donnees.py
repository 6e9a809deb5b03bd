"""Contrôle des données: the validation report of the data set shown, by file, line and column."""

import streamlit as st

from lib.dataset import ERROR, FILES, WARNING, problems_frame
from lib.export import to_csv_bytes
from lib.formatting import format_int
from lib.ui import page_setup

dataset, _view = page_setup(__file__)

st.title("Contrôle des données")
st.markdown(
    "Chaque problème est repéré par son **fichier**, sa **ligne** et sa **colonne**. "
    "Les **erreurs** écartent la ligne (ou la valeur) des chiffres et de la carte ; "
    "les **avertissements** signalent ce qui mérite une vérification."
)

counts = st.columns(4)
counts[0].metric("Structures lues", format_int(len(dataset.structures)))
counts[1].metric("Réponses lues", format_int(len(dataset.reponses)))
counts[2].metric("Erreurs", format_int(len(dataset.errors)))
counts[3].metric("Avertissements", format_int(len(dataset.warnings)))

if not dataset.problems:
    st.success("Aucun problème détecté dans ce jeu de données.", icon=":material/check_circle:")
    st.stop()

report = problems_frame(dataset.problems)
left, right = st.columns(2)
severities = left.multiselect("Gravité", [ERROR, WARNING], default=[ERROR, WARNING], placeholder="Aucune gravité",
                             select_all=False)
files = right.multiselect("Fichier", [spec.filename for spec in FILES.values()], placeholder="Tous les fichiers",
                          select_all=False)
shown = report[report["gravité"].isin(severities)]
if files:
    shown = shown[shown["fichier"].isin(files)]
st.dataframe(shown, hide_index=True, width="stretch")
st.download_button(
    "Télécharger le rapport (CSV)",
    to_csv_bytes(shown),
    file_name="controle-des-donnees.csv",
    mime="text/csv",
)
