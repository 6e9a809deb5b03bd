"""Shared Streamlit widgets: page set-up, menu, data-set banner, sidebar filters.

The only module of ``lib/`` that imports streamlit. Every page starts with
``dataset, view = page_setup("Titre")`` and then lays out what ``lib/`` computes.
"""

from __future__ import annotations

from dataclasses import astuple, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.dataset import Dataset, dataset_signature, load_dataset, problems_frame, resolve_data_dir
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
from lib.charts import PNG_HINT, Chart
from lib.export import XLSX_MIME, to_csv_bytes, to_xlsx_bytes
from lib.formatting import format_int
from lib.store import READ_ONLY_MESSAGE, Store, StoreError, create_user_dataset, user_dataset_dir
from lib.maps import format_indicator
from lib.metrics import INDICATORS, SMALL_COUNT_NOTE, StructureCard
from lib.questionnaire import load_questionnaire
from lib.territories import LEVELS, territory_options
from lib.text import markdown_escape

# The menu: (script, label, icon). Pages are added here as they are built.
PAGES: list[tuple[str, str, str]] = [
    ("app.py", "Accueil", ":material/home:"),
    ("pages/1_Carte.py", "Carte des partenariats", ":material/map:"),
    ("pages/2_Liens_par_territoire.py", "Liens par territoire", ":material/bar_chart:"),
    ("pages/3_Leviers_et_freins.py", "Leviers et freins", ":material/balance:"),
    ("pages/4_Evolution.py", "Évolution", ":material/timeline:"),
    ("pages/5_Saisie.py", "Saisie d'un entretien", ":material/edit_note:"),
    ("pages/6_Import_enquete.py", "Import d'enquête", ":material/upload_file:"),
    ("pages/7_Import_annuaire.py", "Import de l'annuaire", ":material/school:"),
    ("pages/8_Structures_et_versions.py", "Structures et versions", ":material/history:"),
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


# --- analyses: widgets shared by the analysis pages (Liens par territoire, Leviers et freins, Évolution)


def cached_analysis(compute, dataset: Dataset, filters: Filters, *options):
    """``compute(view, *options)`` for the view of ``filters``, cached on the data set's files, filters and options.

    The tables are small: ``st.cache_data`` hands each rerun a cheap copy.
    ``compute`` must depend on nothing else (a pure function of ``lib/``).
    """
    key = (str(dataset.folder), dataset_signature(dataset.folder), astuple(filters), options)
    return _cached_analysis(f"{compute.__module__}.{compute.__qualname__}", key, compute, dataset, filters, options)


@st.cache_data(show_spinner="Calcul des analyses…", max_entries=64)
def _cached_analysis(name: str, key: tuple, _compute, _dataset: Dataset, _filters: Filters, _options: tuple):
    del name, key  # the cache key
    return _compute(apply_filters(_dataset, _filters), *_options)


def chart_config(name: str) -> dict:
    """Plotly's toolbar kept to its PNG button (drawn in the browser: works offline), named after the chart."""
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "modeBarButtonsToRemove": ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d",
                                   "autoScale2d", "resetScale2d"],
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2},
    }


def download_buttons(table: pd.DataFrame, name: str) -> None:
    """CSV and Excel downloads of a table (made when clicked, not on every run)."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button("Tableau CSV", data=lambda: to_csv_bytes(table), file_name=f"{name}.csv", mime="text/csv",
                         on_click="ignore", key=f"csv_{name}", icon=":material/download:")
    right.download_button("Tableau Excel", data=lambda: to_xlsx_bytes({name: table}), file_name=f"{name}.xlsx",
                          mime=XLSX_MIME, on_click="ignore", key=f"xlsx_{name}", icon=":material/download:")


def show_chart(chart: Chart) -> None:
    """A chart, then « Voir les données »: the table behind it and its downloads (CSV, Excel; PNG on the chart)."""
    st.plotly_chart(chart.to_figure(), theme=None, config=chart_config(chart.name), key=f"graphique_{chart.name}",
                    alt=chart.title)
    with st.expander("Voir les données · télécharger"):
        st.dataframe(chart.shown, hide_index=True, width="stretch")
        download_buttons(chart.table, chart.name)
        st.caption(PNG_HINT)


def nothing_to_show(reason: str | None) -> None:
    """Stop the page with the reason there is nothing to show."""
    if reason:
        st.info(f"Rien à afficher : {reason}", icon=":material/info:")
        st.stop()


def writable_store(dataset: Dataset) -> Store:
    """The store of the data set shown; on the demo, the offer to create the user's own and a stop."""
    if not dataset.is_demo:
        return Store(dataset.folder)
    target = user_dataset_dir()
    st.warning(READ_ONLY_MESSAGE, icon=":material/lock:")
    st.markdown(f"Votre propre jeu de données sera créé dans `{target}` (vide : vous y importerez l'annuaire "
                "des écoles, vos centres sociaux et vos enquêtes). Il n'est jamais envoyé sur Internet.")
    if st.button("Créer mon jeu de données", type="primary"):
        try:
            create_user_dataset(target)
        except StoreError as err:
            st.error(str(err))
        else:
            st.rerun()  # the app now shows the new data set (see lib.dataset.resolve_data_dir)
    st.stop()


def show_problems(problems: list, intro: str) -> None:
    """Rejected rows and warnings as a table (file, line, column, value, reason), with a sentence above."""
    if not problems:
        return
    if intro:
        st.error(intro, icon=":material/error:")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")


def import_preview_and_confirm(preview, store: Store, key: list[str], confirm_key: str) -> bool:
    """Show an import's preview (counts, rows, rejected lines with reasons) and write it on confirmation.

    Returns True once written.
    """
    from lib.imports import apply_preview, preview_summary

    if preview.rejected and not preview.has_changes and preview.rows_read == 0:
        show_problems(preview.problems, f"Fichier refusé : {preview.problems[0].message}")
        return False
    st.markdown(f"**Aperçu** — {preview_summary(preview)}")
    for note in preview.notes:
        st.caption(note)
    if not preview.added.empty:
        with st.expander(f"{format_int(len(preview.added))} ligne(s) à ajouter"):
            st.dataframe(preview.added, hide_index=True, width="stretch")
    if not preview.updated.empty:
        with st.expander(f"{format_int(len(preview.updated))} ligne(s) à mettre à jour"):
            st.dataframe(preview.updated, hide_index=True, width="stretch")
    if preview.problems:
        with st.expander(f"{format_int(len(preview.rejected))} erreur(s) et "
                         f"{format_int(len(preview.problems) - len(preview.rejected))} avertissement(s)",
                         expanded=bool(preview.rejected)):
            st.dataframe(problems_frame(preview.problems), hide_index=True, width="stretch")
    if not preview.has_changes:
        if preview.rows_read == 0:
            st.info("Rien à importer : le fichier ne contient aucune ligne de données.")
        elif preview.unchanged:
            st.info("Rien à écrire : le jeu de données contient déjà ces lignes.")
        else:
            st.info("Rien à importer : aucune ligne n'est retenue (voir les erreurs et les remarques ci-dessus).")
        return False
    if st.button("Confirmer l'import", type="primary", key=confirm_key):
        try:
            added, updated = apply_preview(preview, store, key)
        except StoreError as err:  # busy, disk full, file changed meanwhile: nothing was written
            st.error(str(err), icon=":material/error:")
            return False
        st.success(f"Import enregistré : {format_int(added)} ajout(s), {format_int(updated)} mise(s) à jour. "
                   "La version précédente est gardée (page « Structures et versions »).",
                   icon=":material/check_circle:")
        return True
    return False
