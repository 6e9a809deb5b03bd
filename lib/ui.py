"""Shared Streamlit widgets: page set-up, menu, data-set banner, sidebar filters.

The only module of ``lib/`` that imports streamlit. Every page starts with
``dataset, view = page_setup("Titre")`` and then lays out what ``lib/`` computes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
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
    ANSWER_FILTERS,
)
from lib.formatting import format_int
from lib.maps import format_indicator
from lib.metrics import INDICATORS, SMALL_COUNT_NOTE, StructureCard
from lib.questionnaire import load_questionnaire
from lib.territories import LEVELS, territory_options
from lib.text import markdown_escape

# The menu: (script, label, icon). Pages are added here as they are built.
PAGES: list[tuple[str, str, str]] = [
    ("app.py", "Accueil", ":material/home:"),
    ("pages/1_Carte.py", "Carte des partenariats", ":material/map:"),
    ("pages/9_Controle_des_donnees.py", "Contrôle des données", ":material/fact_check:"),
]

FAVICON = Path(__file__).resolve().parents[1] / "static" / "passerelles.png"
_FILTERS_KEY = "filters"
_WIDGET_KEYS = {"wave": "f_vague", "level": "f_niveau", "territories": "f_territoires", "types": "f_types",
                "forms": "f_formes", "frequencies": "f_frequences", "qualities": "f_qualites"}


@st.cache_resource(show_spinner="Chargement des données…", max_entries=4)
def _load_cached(folder: str, signature: tuple) -> Dataset:
    """The one cached loader: keyed on the folder and its files' sizes and times.

    A resource cache, not ``st.cache_data``: the latter hands every rerun a
    copy made through pickle, 0.8 s for the 150,000 answers of a national
    data set, more than the page itself. The data set is read-only: pages
    and ``lib`` derive new frames from it (pandas 3 copy-on-write keeps them
    apart) and never assign into it; a test checks it after every page.
    """
    del signature  # only part of the cache key
    return load_dataset(Path(folder))


def current_dataset() -> Dataset:
    """The data set the app shows (reloaded when one of its files changes)."""
    folder = resolve_data_dir()
    return _load_cached(str(folder), dataset_signature(folder))


def page_setup(title: str, home: bool = False) -> tuple[Dataset, View]:
    """Page config, menu, data-set banner and sidebar filters; returns the data and the filtered view."""
    # A local icon: a Material icon here would be fetched from Google's servers.
    st.set_page_config(page_title=f"{title} · Passerelles", page_icon=str(FAVICON), layout="wide")
    dataset = current_dataset()
    menu()
    filters = sidebar_filters(dataset)
    dataset_banner(dataset, compact=not home)
    return dataset, apply_filters(dataset, filters)


def menu() -> None:
    """The pages the user may open (role checks come with the access rules)."""
    with st.sidebar:
        st.markdown("### Passerelles")
        for script, label, icon in PAGES:
            st.page_link(script, label=label, icon=icon)
        st.divider()


def dataset_banner(dataset: Dataset, compact: bool = False) -> None:
    """Say which data set is shown; the demo is always labelled as such (one line off the home page)."""
    if dataset.is_demo and compact:
        st.caption(":material/science: **Données de démonstration** — structures et réponses fictives.")
    elif dataset.is_demo:
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
    seeds = {name: getattr(current, name) for name in _WIDGET_KEYS}
    seeds = {name: list(value) if isinstance(value, tuple) else value for name, value in seeds.items()}
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
        answer_filters = [name for name in ANSWER_FILTERS if state[_WIDGET_KEYS[name]]]
        with st.expander("Réponses : forme, fréquence, qualité", expanded=bool(answer_filters)):
            for name, (_key, list_name) in ANSWER_FILTERS.items():
                labels = q[list_name].labels
                st.multiselect(q[list_name].title, list(labels), key=_WIDGET_KEYS[name], format_func=labels.get,
                               placeholder="Toutes")

    chosen = with_level(current, level)
    chosen = replace(chosen, wave=state[_WIDGET_KEYS["wave"]],
                     **{name: tuple(state[_WIDGET_KEYS[name]]) for name in _WIDGET_KEYS if name not in ("wave", "level")})
    state[_FILTERS_KEY] = chosen
    _sync_query(filters_to_query(chosen, dataset))
    return chosen


def _sync_query(wanted: dict[str, str | list[str]]) -> None:
    """Write the filters into the URL, leaving the page's own parameters alone."""
    for key in QUERY_KEYS:
        value = wanted.get(key)
        if isinstance(value, list):
            if st.query_params.get_all(key) != value:
                st.query_params[key] = value
        else:
            set_url_param(key, value)


def url_choice(label: str, options: list[str], key: str, default: str, format_func=str, container=None) -> str:
    """A selectbox whose value is kept in the session and in the URL (``?key=value``).

    Defaults stay out of the URL; an unknown value in a shared link falls back
    to the default.
    """
    state = st.session_state
    widget_key, kept_key = f"url_{key}", f"kept_{key}"
    if widget_key not in state:
        # Streamlit forgets a widget's value on another page: the URL, then the session, remember it.
        wanted = st.query_params.get(key, state.get(kept_key, default))
        state[widget_key] = wanted if wanted in options else default
    elif state[widget_key] not in options:
        state[widget_key] = default
    (container or st).selectbox(label, options, key=widget_key, format_func=format_func)
    value = state[kept_key] = state[widget_key]
    set_url_param(key, None if value == default else value)
    return value


def set_url_param(key: str, value: str | None) -> None:
    """Put ``key=value`` in the URL, or take ``key`` out when ``value`` is None."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def assets_url() -> str:
    """Where the app serves Leaflet (static/node_modules), behind any base URL path."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/node_modules" if base else "/app/static/node_modules"


def can_see_free_text() -> bool:
    """Free-text answers are for the comité de pilotage only.

    There are no accounts yet: the app runs as the comité de pilotage's
    working tool; the funders' role and its restrictions come with the access
    rules.
    """
    return True


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
    if card.partners.empty:
        st.info("Aucun lien recensé pour cette structure.")
    else:
        st.markdown(f"**{format_int(card.partners['Partenaire'].nunique())} partenaire(s)**, par vague :")
        st.dataframe(card.partners, hide_index=True, width="stretch")
    if free_text and not card.free_text.empty:
        with st.expander(f"Ce qui a été dit ({format_int(len(card.free_text))} réponse(s))"):
            st.dataframe(card.free_text, hide_index=True, width="stretch")


def show_territory_card(name: str, table: pd.DataFrame) -> None:
    """The figures of a territory clicked on the map."""
    st.subheader(markdown_escape(name))
    rows = table[table["territoire"] == name]
    if rows.empty:
        st.info("Pas de donnée : aucun établissement scolaire retenu par les filtres.")
        return
    row = rows.iloc[0]
    st.metric("Établissements scolaires", format_int(row["ecoles"]))
    for code, indicator in INDICATORS.items():
        value = SMALL_COUNT_NOTE if indicator.needs_answers and row["masque"] else format_indicator(row[code], indicator)
        st.metric(indicator.label, value)
