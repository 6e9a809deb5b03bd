"""Où agir ? Where a link could be built or is weakening, blank zones, and the shape of the network."""

import streamlit as st

from lib.export import XLSX_MIME, to_xlsx_bytes
from lib.formatting import format_int
from lib.network import BROKER_EXPLANATION
from lib.opportunities import (CENTRE_MAX_SHARE, CENTRE_MIN_NEAR, DIFFICULT_MAX, QUALITY_DROP, RADIUS_CHOICES_M,
                               RADIUS_M, SATISFIED_MIN, format_km, sheets)
from lib.ui import can_see_free_text, page_setup, url_choice
from lib.ui.charts import cached_where, download_buttons, show_table, show_view_line

dataset, view = page_setup(__file__)

st.title("Où agir ?")
show_view_line(dataset, view.filters)
st.caption("Les occasions de lien, les zones blanches et la forme du réseau, pour préparer une visite ou choisir "
           "où porter l'effort. Les filtres de la barre latérale s'appliquent (vague, territoire, type). "
           "Page réservée au comité de pilotage et à la saisie : les financeurs ne voient pas ces listes nominatives.")

low, high = RADIUS_CHOICES_M
radii = [str(r) for r in range(low, high + 1, 250)]
with st.sidebar:
    st.markdown("**Où agir ?**")
    radius = int(url_choice("Distance « à proximité » (à vol d'oiseau)", radii, "rayon", str(RADIUS_M),
                            format_func=lambda r: format_km(int(r))))
near = format_km(radius)


found = cached_where(dataset, view.filters, radius, can_see_free_text())

links = {"Fiche": st.column_config.LinkColumn("Fiche", display_text="Voir sur la carte",
                                             help="Ouvre la carte sur la fiche de la structure")}
shares = {name: st.column_config.NumberColumn(name, format="percent")
          for name in ("Part des écoles proches partenaires", "Part des écoles liées", "Densité des liens")}


def show(table, name: str) -> None:
    """A list, its card links, and its CSV and Excel downloads."""
    if table.empty:
        st.info("Aucune ligne avec ces filtres.", icon=":material/info:")
        return
    show_table(table, f"tableau_{name}", column_config={**links, **shares}, fixed={"Fiche": 140})
    download_buttons(table, name)


counts = st.columns(5)
counts[0].metric("Occasions", format_int(len(found.opportunities)))
counts[1].metric(f"Écoles sans lien à moins de {near} d'un centre", format_int(len(found.schools)))
counts[2].metric("Centres avec peu d'écoles partenaires", format_int(int(found.centres["Peu de partenaires"].sum())))
counts[3].metric("Liens disparus ou affaiblis", format_int(len(found.changes)))
counts[4].metric("Communes sans aucun lien", format_int(len(found.blank_communes)))

tabs = st.tabs(["Occasions", "Écoles sans lien", "Centres", "Liens fragilisés", "Zones blanches", "Forme du réseau",
                "Sans coordonnées"])
with tabs[0]:
    st.caption("Toutes les occasions, REP+ d'abord, puis REP, puis les autres ; à priorité égale, chaque sorte "
               "d'occasion à son tour. « Ce qui marche ailleurs » : les leviers les plus cités là où les liens du "
               "même territoire sont jugés satisfaisants.")
    show(found.opportunities, "ou_agir_occasions")
with tabs[1]:
    st.caption(f"Écoles sans lien recensé dans la vague choisie et à moins de {near} d'au moins un centre social "
               "ou espace de vie sociale ; classées par éducation prioritaire puis par nombre de centres proches.")
    show(found.schools, "ou_agir_ecoles_sans_lien")
with tabs[2]:
    st.caption(f"Pour chaque centre : ses écoles partenaires et les écoles à moins de {near}. Il est signalé "
               f"quand au moins {CENTRE_MIN_NEAR} écoles l'entourent et qu'il travaille avec moins de "
               f"{round(CENTRE_MAX_SHARE * 100)} % d'entre elles.")
    show(found.centres, "ou_agir_centres")
with tabs[3]:
    before = found.before or "–"
    st.caption(f"Entre la vague {before} et la suivante : un lien a disparu quand l'école ou le centre a répondu "
               "sans plus citer l'autre ; il s'est affaibli quand sa qualité moyenne a perdu "
               f"{format_int(QUALITY_DROP)} niveau ou plus.")
    show(found.changes, "ou_agir_liens_fragilises")
    st.markdown("**Perceptions opposées**")
    st.caption(f"Un côté juge le lien difficile (qualité {str(DIFFICULT_MAX).replace('.', ',')} ou moins), "
               f"l'autre satisfaisant ({format_int(SATISFIED_MIN)} ou plus).")
    show(found.gaps, "ou_agir_perceptions_opposees")
with tabs[4]:
    st.markdown("**Communes où des écoles n'ont aucun lien**")
    show(found.blank_communes, "ou_agir_communes_sans_lien")
    st.markdown("**Intercommunalités sans aucun lien**")
    show(found.blank_epci, "ou_agir_epci_sans_lien")
    st.markdown(f"**Écoles sans centre à moins de {near}**")
    st.caption("Par commune ; « toutes les écoles placées » : aucune école de la commune n'a de centre proche.")
    show(found.far_schools, "ou_agir_ecoles_loin")
with tabs[5]:
    st.caption(f"Partenaires : nombre de structures avec qui elle a un lien. Une structure qui « relie des "
               f"groupes » {BROKER_EXPLANATION} : si elle partait, des écoles et des centres qui travaillent "
               "ensemble ne seraient plus reliés au reste. Une paire isolée : une école et un centre liés l'un à "
               "l'autre seulement.")
    show(found.network, "ou_agir_reseau")
    st.markdown("**Par territoire**")
    st.caption(f"Densité des liens : paires école – centre à moins de {near} qui ont un lien, rapportées à toutes "
               "ces paires.")
    show(found.territories, "ou_agir_territoires")
with tabs[6]:
    st.caption("Structures sans coordonnées propres (placées à la mairie sur la carte) : elles ne comptent dans "
               "aucune distance, à compléter dans « Structures et versions » ou l'annuaire.")
    show(found.unplaced, "ou_agir_sans_coordonnees")

st.download_button("Toutes les listes (Excel)", data=lambda: to_xlsx_bytes(sheets(found)), mime=XLSX_MIME,
                   file_name="ou_agir.xlsx", on_click="ignore", key="xlsx_ou_agir", icon=":material/download:")
