"""The page « Fiche d'une structure »: a search box to pick one, then its fiche (lib.structure_fiche)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.dataset import Dataset, dataset_signature
from lib.filters import ALL_WAVES
from lib.formatting import format_int
from lib.map_search import search_structures
from lib.structure_fiche import (Cited, StructureFiche, network_lines, network_place, network_wave, structure_fiche,
                                 wave_network)
from lib.text import markdown_escape
from lib.ui import set_url_param
from lib.ui.callbacks import live_callback
from lib.ui.cards import CARD_PAGE, show_free_text, show_partners, structure_link

SEARCH_KEY, RESULT_KEY, FOUND_KEY = "fiche_recherche", "fiche_resultat", "fiche_trouvees"
SHOWN_ID = 60  # characters of an unknown id repeated in the message (a forged URL can hold anything)


def chosen_structure() -> str | None:
    """The structure in the URL (``?structure=<id>``), set by the card's link, a shared address or the search."""
    return st.query_params.get("structure") or None


def _open(structure_id: str | None) -> None:
    set_url_param("structure", structure_id)


def _search(structures: pd.DataFrame) -> None:
    found = search_structures(structures, st.session_state.get(SEARCH_KEY) or "")
    st.session_state[FOUND_KEY] = {f.id: f.label for f in found}
    st.session_state.pop(RESULT_KEY, None)
    if found:
        _open(found[0].id)


def search_box(structures: pd.DataFrame, selected: str | None) -> None:
    """Find a structure by name, commune or UAI (lib.map_search); the best match opens, the others are offered."""
    st.text_input("Chercher une structure", key=SEARCH_KEY, on_change=live_callback(_search), args=(structures,),
                  placeholder="Nom, commune ou UAI…", width=480)
    found = st.session_state.get(FOUND_KEY, {})
    if st.session_state.get(SEARCH_KEY) and not found:
        st.warning(f"Aucune structure ne correspond à « {markdown_escape(st.session_state[SEARCH_KEY])} ».")
    elif len(found) > 1:
        st.selectbox("Résultats de la recherche", list(found), format_func=found.get, key=RESULT_KEY,
                     index=list(found).index(selected) if selected in found else None,
                     on_change=live_callback(lambda: _open(st.session_state[RESULT_KEY])), width=480)


@st.cache_data(show_spinner="Calcul du réseau…", max_entries=16)
def _cached_network(key: tuple, _reponses: pd.DataFrame, wave: str) -> pd.DataFrame:
    del key  # the cache key: the data set's files
    return wave_network(_reponses, wave)


def _cited_lines(title: str, cited: tuple[Cited, ...]) -> None:
    st.markdown(f"**{title}**")
    if not cited:
        st.caption("Aucun cité.")
        return
    st.markdown("\n".join(f"- {markdown_escape(c.label)} — {format_int(c.links)} lien(s)" for c in cited))


def show_fiche(dataset: Dataset, structure_id: str, wave: str, free_text: bool) -> None:
    """The fiche of ``structure_id`` (every wave), or a French message when the data set has no such structure."""
    fiche = structure_fiche(dataset.structures, dataset.reponses, structure_id, wave)
    if fiche is None:
        shown = structure_id[:SHOWN_ID] + ("…" if len(structure_id) > SHOWN_ID else "")
        st.warning(f"Aucune structure « {markdown_escape(shown)} » dans le jeu de données : cherchez-la par son "
                   "nom ci-dessus.", icon=":material/search_off:")
        return
    card = fiche.card
    st.subheader(markdown_escape(card.nom))
    # Side by side: on a projector's 1280×720 the partners start on the first screen, next to the figures.
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("  \n".join(
            f"**{fact.label}** : {markdown_escape(fact.value)}"
            + (f" ({markdown_escape(fact.detail)})" if fact.detail else "") for fact in fiche.facts))
        if card.closed:
            st.warning("Établissement fermé selon l'annuaire de l'éducation (conservé pour ses réponses).")
        structure_link(CARD_PAGE, card.id, "Voir sur la carte", ":material/map:",
                       "Ouvre la carte des partenariats sur cette structure, avec les mêmes filtres.")
        _show_figures(dataset, fiche, wave)
    with right:
        st.markdown("#### Partenaires")
        show_partners(card)
        if free_text:
            show_free_text(card)


def _show_figures(dataset: Dataset, fiche: StructureFiche, wave: str) -> None:
    """Per wave links and quality, leviers and freins most cited, place in the network."""
    st.markdown("#### Par vague")
    if not fiche.waves:
        st.info("Aucun lien recensé pour cette structure.")
    else:
        st.dataframe(pd.DataFrame({
            "Vague": [w.wave for w in fiche.waves],
            "Liens": [w.links for w in fiche.waves],
            "Réponses": [w.answers for w in fiche.waves],
            "Qualité moyenne (1 à 4)": [w.quality_text for w in fiche.waves],
        }), hide_index=True, width="content")
        st.caption("Qualité moyenne des réponses sur ses liens, des deux côtés ; masquée sous 5 réponses.")
    scope = "toutes vagues confondues" if wave == ALL_WAVES else f"vague {markdown_escape(wave)}"
    st.markdown(f"#### Leviers et freins les plus cités ({scope})")
    left, right = st.columns(2)
    with left:
        _cited_lines("Ce qui fait que ça marche", fiche.leviers)
    with right:
        _cited_lines("Ce qui freine", fiche.freins)
    shown_wave = network_wave(list(dataset.waves), wave)
    if shown_wave is not None:
        st.markdown("#### Place dans le réseau")
        key = (str(dataset.folder), dataset_signature(dataset.folder))
        place = network_place(_cached_network(key, dataset.reponses, shown_wave), fiche.card.id, shown_wave)
        st.markdown("  \n".join(markdown_escape(line) for line in network_lines(place)))
