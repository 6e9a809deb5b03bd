"""Liens par territoire: frequency, forms, objects, quality and coverage of the links, territory by territory."""

import streamlit as st

from lib.charts import link_charts
from lib.charts.layout import empty_reason
from lib.ui import hidden_rule, page_setup
from lib.ui.charts import cached_analysis, nothing_to_show, show_chart, show_view_line

dataset, view = page_setup(__file__)

st.title("Liens par territoire")
show_view_line(dataset, view.filters)
st.caption("Un lien est un couple école – centre social ; il compte dans le territoire de son école. "
           f"Tous les filtres de la barre latérale s'appliquent ; {hidden_rule(dataset)}.")
nothing_to_show(empty_reason(view.filters, len(view.schools), len(view.reponses), len(dataset.reponses)))

found = cached_analysis(link_charts, dataset, view.filters)
frequency, forms, objects, quality, coverage = st.tabs(["Fréquence", "Formes", "Objets", "Qualité", "Couverture"])
with frequency:
    show_chart(found["frequence"])
with forms:
    show_chart(found["formes_ensemble"])
    show_chart(found["formes"])
with objects:
    show_chart(found["objets_ensemble"])
    show_chart(found["objets"])
with quality:
    show_chart(found["qualite"])
    st.caption("Chaque réponse compte : un lien évalué par l'école et par le centre compte deux fois. La carte, "
               "elle, donne la qualité moyenne par lien.")
with coverage:
    show_chart(found["couverture"])
    st.caption("Un établissement a un lien s'il est cité dans au moins une réponse de la vague choisie. La "
               "couverture compte des établissements, pas des réponses : elle est donnée pour chaque territoire.")
