"""Leviers et freins: what makes links work and what holds them back, by side, territory and quality."""

import streamlit as st

from lib.charts import lever_charts
from lib.charts.layout import context_for, empty_reason
from lib.charts.tables import display_table
from lib.metrics import free_text_answers, search_answers
from lib.territories import territory_column
from lib.text import fold
from lib.ui import can_see_details, can_see_free_text, hidden_rule, page_setup
from lib.ui.charts import cached_analysis, download_buttons, nothing_to_show, show_chart, show_table, show_view_line

dataset, view = page_setup(__file__)

st.title("Leviers et freins")
show_view_line(dataset, view.filters)
st.caption("Ce qui fait que ça marche, ce qui freine : plusieurs réponses possibles. Tous les filtres de la barre "
           f"latérale s'appliquent ; {hidden_rule(dataset)}.")
nothing_to_show(empty_reason(view.filters, len(view.schools), len(view.reponses), len(dataset.reponses)))

found = cached_analysis(lever_charts, dataset, view.filters)
# The comité de pilotage's: the list of links whose sides disagree, and what was said. Never for funders.
details, free_text = can_see_details(), can_see_free_text()
tabs = st.tabs(["Leviers", "Freins", "Regards croisés", *(["Paroles recueillies"] if free_text else [])])
for tab, question in zip(tabs, ("leviers", "freins")):
    with tab:
        for part in ("cote", "territoire", "qualite"):
            show_chart(found[f"{question}_{part}"])

with tabs[2]:
    if dataset.secret is None:
        show_chart(found["ecarts"])
    else:  # a distribution over the few links rated by both sides: not for funders
        st.info("Les écarts de perception entre l'école et le centre portent sur trop peu de liens pour être "
                "publiés (secret statistique) : ils restent réservés au comité de pilotage.",
                icon=":material/shield_lock:")
    gaps = found["ecarts_liste"]
    if details and len(gaps):
        st.markdown(f"**Les {len(gaps)} liens où l'école et le centre ne jugent pas la qualité de la même façon** "
                    "— réservé au comité de pilotage")
        show_table(display_table(gaps), "tableau_liens_ecarts")
        download_buttons(gaps, "liens-ecarts-de-perception")

if free_text:
    with tabs[3]:
        st.caption("Ressources, outils, pistes et commentaires, tels que recueillis — réservé au comité de "
                   "pilotage, jamais sur une page destinée aux financeurs.")
        label = context_for(view.filters).label
        texts = cached_analysis(free_text_answers, dataset, view.filters, territory_column(view.filters.level), label)
        query = st.text_input("Rechercher dans les réponses", key="paroles_recherche",
                              placeholder="Un ou plusieurs mots, sans tenir compte des accents…")
        matching = search_answers(texts, query)
        counts = matching[label].value_counts()
        place = st.selectbox(label, ["tous", *sorted(counts.index, key=fold)], key="paroles_territoire",
                             format_func=lambda t: f"Tous ({len(matching)} réponses)" if t == "tous"
                             else f"{t} ({counts[t]})")
        shown = matching if place == "tous" else matching[matching[label] == place]
        if shown.empty:
            st.info("Rien à afficher : aucune réponse libre ne correspond à la recherche et aux filtres.")
        else:
            show_table(shown, "tableau_paroles", height=420)
            download_buttons(shown, "paroles-recueillies")
