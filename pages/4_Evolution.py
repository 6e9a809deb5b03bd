"""Évolution: each indicator wave after wave, per territory; links new and lost between two waves."""

from dataclasses import replace

import streamlit as st

from lib.charts import changes_chart, evolution_charts
from lib.charts.evolution import EVOLUTION_INDICATORS
from lib.charts.layout import empty_reason
from lib.filters import ALL_WAVES
from lib.text import markdown_escape as md
from lib.ui import page_setup, url_choice
from lib.ui.charts import cached_analysis, nothing_to_show, show_chart, show_view_line

dataset, view = page_setup(__file__)

st.title("Évolution entre les vagues d'enquête")
every_wave = replace(view.filters, wave=ALL_WAVES)
show_view_line(dataset, every_wave)
st.caption("Toutes les vagues côte à côte, avec les autres filtres de la barre latérale. La vague choisie dans "
           "les filtres est celle que l'on compare à une vague antérieure, plus bas.")
found = cached_analysis(evolution_charts, dataset, every_wave)
waves = found["vagues"]
nothing_to_show(empty_reason(every_wave, len(view.schools), found["reponses"], len(dataset.reponses)))

for tab, indicator in zip(st.tabs(list(EVOLUTION_INDICATORS.values())), EVOLUTION_INDICATORS):
    with tab:
        show_chart(found[indicator])

st.subheader("Liens nouveaux et liens perdus")
if dataset.secret is not None:  # counts spanning two waves: each would need its own secondary suppression
    st.info("Les liens nouveaux et perdus entre deux vagues ne sont pas publiés pour les financeurs (secret "
            "statistique) : comparez les vagues avec les graphiques ci-dessus.", icon=":material/shield_lock:")
    st.stop()
if len(waves) < 2:
    st.info(f"Rien à comparer : une seule vague d'enquête ({md(waves[0])}) dans ce périmètre.")
    st.stop()
chosen = view.filters.wave
after = chosen if chosen in waves[1:] else waves[-1]
if chosen not in (after, ALL_WAVES):
    why = "est la première de ce périmètre" if chosen == waves[0] else "n'a pas de réponse dans ce périmètre"
    st.caption(f"La vague {md(chosen)} {why} : la comparaison porte sur la vague {md(after)}.")
earlier = waves[: waves.index(after)]
before = url_choice(f"Comparer la vague {md(after)} avec la vague", earlier, "depuis", earlier[-1], container=st)
show_chart(cached_analysis(changes_chart, dataset, every_wave, before, after))
