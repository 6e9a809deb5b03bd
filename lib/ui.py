"""Shared Streamlit widgets: page set-up, menu, data-set banner, sidebar filters.

The only module of ``lib/`` that imports streamlit. Every page starts with
``dataset, view = page_setup("Titre")`` and then lays out what ``lib/`` computes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from lib.dataset import Dataset, dataset_signature, load_dataset, resolve_data_dir
from lib.filters import (
    ALL_WAVES,
    Filters,
    View,
    apply_filters,
    available_levels,
    filters_from_query,
    filters_to_query,
    with_level,
    QUERY_KEYS,
)
from lib.formatting import format_int
from lib.questionnaire import load_questionnaire
from lib.territories import LEVELS, territory_options

# The menu: (script, label, icon). Pages are added here as they are built.
PAGES: list[tuple[str, str, str]] = [
    ("app.py", "Accueil", ":material/home:"),
    ("pages/9_Controle_des_donnees.py", "Contrôle des données", ":material/fact_check:"),
]

_FILTERS_KEY = "filters"
_WIDGET_KEYS = {"wave": "f_vague", "level": "f_niveau", "territories": "f_territoires", "types": "f_types"}


@st.cache_data(show_spinner="Chargement des données…", max_entries=4)
def _load_cached(folder: str, signature: tuple) -> Dataset:
    """The one cached loader: keyed on the folder and its files' sizes and times."""
    del signature  # only part of the cache key
    return load_dataset(Path(folder))


def current_dataset() -> Dataset:
    """The data set the app shows (reloaded when one of its files changes)."""
    folder = resolve_data_dir()
    return _load_cached(str(folder), dataset_signature(folder))


def page_setup(title: str, icon: str = ":material/hub:") -> tuple[Dataset, View]:
    """Page config, menu, data-set banner and sidebar filters; returns the data and the filtered view."""
    st.set_page_config(page_title=f"{title} · Passerelles", page_icon=icon, layout="wide")
    dataset = current_dataset()
    menu()
    filters = sidebar_filters(dataset)
    dataset_banner(dataset)
    return dataset, apply_filters(dataset, filters)


def menu() -> None:
    """The pages the user may open (role checks come with the access rules)."""
    with st.sidebar:
        st.markdown("### Passerelles")
        for script, label, icon in PAGES:
            st.page_link(script, label=label, icon=icon)
        st.divider()


def dataset_banner(dataset: Dataset) -> None:
    """Say which data set is shown; the demo is always labelled as such."""
    if dataset.is_demo:
        st.info(
            f"**Données de démonstration** — structures et réponses fictives, placées sur les communes réelles "
            f"du {dataset.reference.departement_name}. Aucune donnée réelle n'est affichée.",
            icon=":material/science:",
        )
    else:
        st.caption(f"Jeu de données : `{dataset.folder}`")
    if dataset.errors:
        st.warning(
            f"{format_int(len(dataset.errors))} erreur(s) dans les données : les lignes concernées sont "
            "écartées des chiffres. Voir « Contrôle des données ».",
            icon=":material/error:",
        )


def _query_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def sidebar_filters(dataset: Dataset) -> Filters:
    """Wave, territory level, territories and structure types, kept in the session and the URL.

    The filters live in ``st.session_state["filters"]``; widgets are seeded
    from it because Streamlit forgets widget values when the page changes.
    A new session (a shared link) starts from the URL.
    """
    state = st.session_state
    if _FILTERS_KEY not in state or state.get("_filters_folder") != str(dataset.folder):
        state[_FILTERS_KEY] = filters_from_query(_query_params(), dataset)
        state["_filters_folder"] = str(dataset.folder)
        for key in _WIDGET_KEYS.values():
            state.pop(key, None)
    current: Filters = state[_FILTERS_KEY]
    seeds = {"wave": current.wave, "level": current.level,
             "territories": list(current.territories), "types": list(current.types)}
    for name, key in _WIDGET_KEYS.items():
        if key not in state:
            state[key] = seeds[name]

    q = load_questionnaire()
    type_labels = q["types_structure"].labels
    with st.sidebar:
        st.markdown("**Filtres**")
        waves = [ALL_WAVES, *dataset.waves]
        st.selectbox("Vague d'enquête", waves, key=_WIDGET_KEYS["wave"],
                     format_func=lambda w: "Toutes les vagues" if w == ALL_WAVES else f"Vague {w}")
        st.selectbox("Regrouper par", available_levels(dataset), key=_WIDGET_KEYS["level"],
                     format_func=LEVELS.get)
        level = state[_WIDGET_KEYS["level"]]
        if level != current.level:
            state[_WIDGET_KEYS["territories"]] = []
        options = territory_options(dataset.structures, level)
        state[_WIDGET_KEYS["territories"]] = [t for t in state[_WIDGET_KEYS["territories"]] if t in options]
        st.multiselect("Territoires", options, key=_WIDGET_KEYS["territories"], placeholder="Tous les territoires")
        st.multiselect("Types de structure", list(type_labels), key=_WIDGET_KEYS["types"],
                       format_func=type_labels.get, placeholder="Tous les types")

    chosen = with_level(current, level)
    chosen = replace(chosen, wave=state[_WIDGET_KEYS["wave"]],
                     territories=tuple(state[_WIDGET_KEYS["territories"]]), types=tuple(state[_WIDGET_KEYS["types"]]))
    state[_FILTERS_KEY] = chosen
    _sync_query(filters_to_query(chosen, dataset))
    return chosen


def _sync_query(wanted: dict[str, str | list[str]]) -> None:
    """Write the filters into the URL, leaving the page's own parameters alone."""
    for key in QUERY_KEYS:
        value = wanted.get(key)
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value
