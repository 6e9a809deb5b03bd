"""Fiche d'une structure: its identity, partners, figures per wave, leviers and freins, place in the network."""

import streamlit as st

from lib.ui import can_see_free_text, page_setup
from lib.ui.charts import show_view_line
from lib.ui.fiche import chosen_structure, search_box, show_fiche

dataset, view = page_setup(__file__)

st.title("Fiche d'une structure")
show_view_line(dataset, view.filters)
st.caption("Toute l'histoire d'une école, d'un collège, d'un lycée ou d'un centre social : ses partenaires à chaque "
           "vague, la qualité de ses liens, ce qui les fait marcher ou les freine. Les leviers, les freins et le réseau "
           "suivent la vague choisie dans la barre latérale.")
selected = chosen_structure()
search_box(dataset.structures.drop_duplicates("id"), selected)
if selected:
    show_fiche(dataset, selected, view.filters.wave, free_text=can_see_free_text())
else:
    st.info("Cherchez une structure par son nom, sa commune ou son UAI, ou ouvrez sa fiche depuis sa carte sur la "
            "« Carte des partenariats ».", icon=":material/search:")
