"""Impact du projet: the funders' home. Headline figures per wave and their change, evolution per territory, method."""

import html
from dataclasses import replace

import streamlit as st

from lib.text import markdown_escape as md

from lib.charts import evolution_charts
from lib.charts.evolution import EVOLUTION_INDICATORS
from lib.charts.layout import describe_scope, empty_reason
from lib.charts.tables import display_table
from lib.filters import ALL_WAVES
from lib.formatting import format_date, format_int
from lib.impact import headlines, impact_by_wave, impact_table, method_facts, shown_wave
from lib.reference_pack import all_of_departement
from lib.secrecy import secret_method_text
from lib.ui import hidden_rule, page_setup
from lib.ui.charts import cached_analysis, download_buttons, nothing_to_show, show_chart, show_table, show_view_line

dataset, view = page_setup(__file__)

st.title("Impact du projet")
show_view_line(dataset, view.filters)
# describe_scope is HTML-escaped for plotly: back to plain text, then escaped for Markdown.
perimeter = md(html.unescape(" · ".join(describe_scope(view.filters).split(" · ")[1:]))
               or all_of_departement(dataset.reference.departement_name,
                                     dataset.reference.meta.get("departement_tncc")))
st.caption(f"Périmètre : {perimeter}. Chiffres agrégés seulement : aucune réponse individuelle, aucun texte "
           f"libre ; {hidden_rule(dataset)}.")
every_wave = replace(view.filters, wave=ALL_WAVES)
table = cached_analysis(impact_by_wave, dataset, every_wave)
wave = shown_wave(table, view.filters.wave)
nothing_to_show(empty_reason(every_wave, len(view.schools), int(table["reponses"].sum()), len(dataset.reponses)))

previous = table["vague"].tolist().index(wave) - 1
compared = f", comparée à la vague {md(table['vague'].iloc[previous])}" if previous >= 0 else " (première vague)"
st.subheader(f"Vague {md(wave)}{compared}")
if view.filters.wave == ALL_WAVES:
    st.caption("Toutes les vagues sont choisies dans les filtres : les chiffres sont ceux de la dernière vague.")
columns = st.columns(3)
for index, headline in enumerate(headlines(table, wave)):
    with columns[index % 3]:
        arrow = {1: "up", -1: "down"}.get(headline.direction, "off")
        colour = {1: "green", -1: "red"}.get(headline.direction, "gray")
        st.metric(headline.label, headline.value, delta=headline.delta, delta_color=colour, delta_arrow=arrow,
                  help=headline.help, border=True)
        st.caption(headline.detail)
if dataset.secret is not None and view.filters.territories:
    st.caption("La présence aux rencontres n'est publiée pour les financeurs qu'à l'échelle du département : "
               "retranchée du chiffre départemental, celle d'un territoire désignerait les quelques structures "
               "venues d'ailleurs (secret statistique).")

st.subheader("Vague après vague")
by_wave = impact_table(table)
show_table(display_table(by_wave), "tableau_impact_par_vague")
download_buttons(by_wave, "impact-par-vague")

st.subheader("Par territoire")
found = cached_analysis(evolution_charts, dataset, every_wave)
for tab, indicator in zip(st.tabs(list(EVOLUTION_INDICATORS.values())), EVOLUTION_INDICATORS):
    with tab:
        show_chart(found[indicator])

facts = cached_analysis(method_facts, dataset, every_wave)
with st.container(border=True):
    st.markdown("##### Méthode")
    if facts["reponses"] is None:  # the funders' copy: no count of interviews, no date, no mode
        survey = f"- **Enquêtes** : {len(facts['vagues'])} vague(s) ({md(', '.join(facts['vagues']))}).\n"
        small = f"- **{secret_method_text(int(facts['secret']))}**"
    else:
        modes = ", ".join(f"{label.lower()} : {format_int(n)}" for label, n in facts["modes"].items())
        survey = (f"- **Enquêtes** : {len(facts['vagues'])} vague(s) ({md(', '.join(facts['vagues']))}), du "
                  f"{format_date(facts['debut'])} au {format_date(facts['fin'])} ; {format_int(facts['reponses'])} "
                  f"réponses ({modes}), {format_int(facts['cote_ecole'])} côté école et "
                  f"{format_int(facts['cote_centre'])} côté centre social.\n")
        small = ("- **Petits effectifs** : une part ou une moyenne qui repose sur moins de 5 réponses est "
                 "masquée, ici comme dans les graphiques et les rapports.")
    st.markdown(
        survey +
        "- **Un lien** est un couple école – centre social (ou espace de vie sociale) cité dans au moins une réponse "
        "d'une vague ; il compte dans le territoire de son école. Quand les deux côtés répondent, leurs avis sur la "
        "qualité sont moyennés.\n"
        "- **Satisfaisant ou mieux** : qualité moyenne du lien d'au moins 3 sur l'échelle de 1 (difficile) à 4 "
        "(très satisfaisante).\n"
        "- **Rencontres** : les séances (rencontre départementale, groupes de réflexion, comité de pilotage) de "
        "l'année de la vague.\n" + small)
