"""Streamlit cards drawn beside the map (the Carte page): a structure's card and a territory's figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.formatting import format_int
from lib.maps import format_indicator
from lib.metrics import INDICATORS, SMALL_COUNT_NOTE, StructureCard
from lib.territories import short_territory_name
from lib.text import markdown_escape


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
    if card.partners.empty:
        st.info("Aucun lien recensé pour cette structure.")
    else:
        st.markdown(f"**{format_int(card.partners['Partenaire'].nunique())} partenaire(s)**, par vague :")
        st.dataframe(card.partners, hide_index=True, width="stretch")
    if free_text and not card.free_text.empty:
        with st.expander(f"Ce qui a été dit ({format_int(len(card.free_text))} réponse(s))"):
            st.dataframe(card.free_text, hide_index=True, width="stretch")


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
