"""Streamlit cards drawn beside the map (the Carte page): a structure's card and a territory's figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.card_partners import partners_html
from lib.formatting import format_int
from lib.maps import format_indicator
from lib.metrics import INDICATORS, SMALL_COUNT_NOTE, TEXT_COLUMNS, StructureCard
from lib.territories import short_territory_name
from lib.text import markdown_escape
from lib.ui import shared_query

FREE_TEXT_LABELS = tuple(TEXT_COLUMNS.values())  # « Ressources », « Outils »… (columns of StructureCard.free_text)
CARD_PAGE = "pages/1_Carte.py"  # the map, opened on a structure's card by ``?structure=<id>``
FICHE_PAGE = "pages/16_Fiche_structure.py"  # a structure's whole fiche, opened by ``?structure=<id>``


def show_structure_card(card: StructureCard | None, free_text: bool) -> None:
    """The card beside the map: identity, partners per wave, and (pilotage only) what was said."""
    if card is None:
        st.warning("Cette structure n'est pas dans le jeu de données.")
        return
    st.subheader(markdown_escape(card.nom))
    facts = [card.type_label, card.commune]
    if card.education_prioritaire:
        facts.append(card.education_prioritaire)
    if card.qpv:
        facts.append(f"QPV {card.qpv}")
    st.caption(markdown_escape(" · ".join(facts)))
    if card.closed:
        st.warning("Établissement fermé selon l'annuaire de l'éducation (conservé pour ses réponses).")
    if card.position_approximative:
        st.caption("Position approximative : placée à la mairie, faute de coordonnées.")
    for line in card.network_lines:  # « Où agir ? »: built from data-free templates and numbers
        st.markdown(f"**{markdown_escape(line)}**" if line.startswith("Partenaires") else markdown_escape(line))
    show_partners(card)
    structure_link(FICHE_PAGE, card.id, "Fiche complète", ":material/description:",
                   "Ouvre la fiche de cette structure : partenaires, chiffres par vague, leviers et freins, place "
                   "dans le réseau. Son adresse se partage.")
    if free_text:
        show_free_text(card)


def structure_link(script: str, structure_id: str, label: str, icon: str, help_text: str) -> None:
    """A link to ``script`` opened on a structure, keeping the shared filters (wave, territory…)."""
    st.page_link(script, label=label, icon=icon, query_params={**shared_query(), "structure": structure_id},
                 help=help_text)


def show_partners(card: StructureCard) -> None:
    """The partners per wave, one a line with their quality and frequency badges (lib.card_partners)."""
    if not card.partners:
        st.info("Aucun lien recensé pour cette structure.")
        return
    count = len({row.partner_id for row in card.partners})
    st.markdown(f"**{format_int(count)} partenaire(s)**, par vague :")
    st.html(partners_html(card.partners))  # one partner a line, badges that wrap: no horizontal scroll


def show_free_text(card: StructureCard, expanded: bool = False) -> None:
    """What was said on the structure's links (comité roles only: the caller checks ``sees_free_text``)."""
    if card.free_text.empty:
        return
    with st.expander(f"Ce qui a été dit ({format_int(len(card.free_text))} réponse(s))", expanded=expanded):
        for answer in card.free_text.to_dict("records"):  # a list, not a wide table: the column is narrow
            said = [f"{label} : {markdown_escape(answer[label])}" for label in FREE_TEXT_LABELS if answer[label]]
            st.markdown(f"**{markdown_escape(answer['Vague'])} · {markdown_escape(answer['Partenaire'])}** "
                        f"(répondu par {answer['Répondu par']})  \n" + "  \n".join(said))


def show_territory_card(name: str, table: pd.DataFrame) -> None:
    """The figures of a territory clicked on the map: its short name, the official one under it."""
    st.subheader(markdown_escape(short_territory_name(name)))
    if short_territory_name(name) != name:
        st.caption(markdown_escape(name))
    rows = table[table["territoire"] == name]
    if rows.empty:
        st.info("Pas de donnée : aucun établissement scolaire retenu par les filtres.")
        return
    row = rows.iloc[0]
    st.metric("Établissements scolaires", format_int(row["ecoles"]))
    for code, indicator in INDICATORS.items():
        value = SMALL_COUNT_NOTE if indicator.needs_answers and row["masque"] else format_indicator(row[code], indicator)
        st.metric(indicator.label, value)
