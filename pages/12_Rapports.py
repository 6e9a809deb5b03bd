"""Rapports: the fiche territoire (PDF), the département report (PDF) and the aggregates (Excel) to download."""

import streamlit as st

from lib.export import XLSX_MIME
from lib.filters import ALL_WAVES, Filters
from lib.text import markdown_escape as md
from lib.reports import aggregates_xlsx, departement_pdf, fiche_pdf, funder_scope, report_filename, scope_choices
from lib.ui import can_see_details, can_see_free_text, current_access, funders_copy, hidden_rule, page_setup
from lib.ui.charts import nothing_to_show, show_view_line

dataset, view = page_setup(__file__)

st.title("Rapports")
waves = dataset.waves
nothing_to_show(None if waves else "le jeu de données ne contient encore aucune réponse d'enquête.")

# The documents follow the sidebar filters (and so the URL): the territory and the wave chosen on the other pages.
wave = view.filters.wave if view.filters.wave in waves else waves[-1]
scopes = {"|".join((scope.level, *scope.territories)): scope for scope in scope_choices(dataset)}
chosen = [key for key in ("|".join((view.filters.level, name)) for name in view.filters.territories) if key in scopes]
key = chosen[0] if chosen else next(iter(scopes))
show_view_line(dataset, Filters(wave=wave, level=view.filters.level, territories=scopes[key].territories))
if len(chosen) > 1:
    key = st.selectbox("Plusieurs territoires sont choisis : un document par territoire", chosen,
                       format_func=lambda k: scopes[k].name, key="rapport_territoire")
scope = scopes[key]
notes = []
if view.filters.wave == ALL_WAVES:
    notes.append(f"un document porte sur une vague : la dernière, {md(wave)}")
if view.filters.territories and not chosen:
    notes.append("un document porte sur une commune, une intercommunalité ou un territoire du projet : "
                 "choisi par groupe, il porte sur tout le département")
if view.filters.types or view.filters.forms or view.filters.frequencies or view.filters.qualities:
    notes.append("les documents comptent toutes les structures et toutes les réponses (les filtres de types et "
                 "de réponses ne s'y appliquent pas)")
st.caption("Des documents à imprimer ou à joindre à une demande de financement, faits des mêmes chiffres que les "
           f"pages de Passerelles. Dans la version financeurs, {hidden_rule(funders_copy(dataset))}. Territoire et "
           "vague : ceux des filtres de la barre latérale" + (" ; " + " ; ".join(notes) if notes else "") + ".")

if can_see_free_text():
    funders = st.toggle("Version financeurs", value=False, key="version_financeurs",
                        help="Sans aucune réponse libre (ressources, outils, pistes, commentaires) : la version à "
                             "joindre à une demande de financement.")
else:
    funders = True
    st.info("Version financeurs : chiffres agrégés, aucune réponse libre, secret statistique.",
            icon=":material/verified_user:")
free_text = not funders
if funders and dataset.secret is None:  # the comité's funders version: the same copy funders see
    dataset = funders_copy(dataset)
    scope, why = funder_scope(dataset, scope)
    if why:
        st.info(why, icon=":material/shield_lock:")
version = "financeurs" if funders else "pilotage"
if not current_access().open and dataset.is_demo:
    st.caption("Les documents produits sur la démonstration portent la mention « données de démonstration ».")

fiche, report, table = st.columns(3)
with fiche.container(border=True):
    st.markdown(f"**Fiche territoire** · {md(scope.name)}, vague {md(wave)}")
    st.caption("Une page : chiffres clés et leur évolution, carte du territoire, fréquence et qualité des liens, "
               "leviers et freins" + (", quelques pistes recueillies." if free_text else "."))
    st.download_button("Fiche (PDF)", data=lambda: fiche_pdf(dataset, scope, wave, free_text),
                       file_name=report_filename(f"fiche-{version}", scope, wave, "pdf"), mime="application/pdf",
                       on_click="ignore", key="fiche_pdf", icon=":material/download:", type="primary")
with report.container(border=True):
    st.markdown(f"**Rapport départemental** · vague {md(wave)}")
    st.caption("Plusieurs pages pour tout le département : chiffres clés, évolution entre les vagues, un tableau "
               "par intercommunalité, carte, leviers et freins, méthode.")
    departement = scope_choices(dataset)[0]
    st.download_button("Rapport (PDF)", data=lambda: departement_pdf(dataset, wave, free_text),
                       file_name=report_filename(f"rapport-{version}", departement, wave, "pdf"),
                       mime="application/pdf", on_click="ignore", key="rapport_pdf", icon=":material/download:")
with table.container(border=True):
    st.markdown(f"**Chiffres agrégés** · {md(scope.name)}, vague {md(wave)}")
    st.caption("Un onglet par graphique, prêt pour Excel ou LibreOffice ; jamais de réponse libre ni de ligne par "
               "lien.")
    st.download_button("Tableaux (Excel)", data=lambda: aggregates_xlsx(dataset, scope, wave),
                       file_name=report_filename("chiffres", scope, wave, "xlsx"), mime=XLSX_MIME,
                       on_click="ignore", key="chiffres_xlsx", icon=":material/download:")
if can_see_details():  # a command line is for the comité's administrator, never for funders
    st.caption("Les mêmes documents sans l'interface : `python -m lib.cli report --territoire … --vague … "
               "--role financeur -o fiche.pdf`.")
