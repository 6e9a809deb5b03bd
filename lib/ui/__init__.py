"""Shared Streamlit widgets: page set-up, menu, data-set banner, sidebar filters.

With ``lib/ui/`` (cards, charts, entry, presentation), the only modules of ``lib/`` that import
streamlit. Every page starts with ``dataset, view = page_setup("Titre")`` and then lays out what ``lib/``
computes.
"""

from __future__ import annotations

from dataclasses import replace
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from starlette.exceptions import HTTPException
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.access import (BROKEN_CONFIGURATION, FAILED_LOGIN_PAUSE, FINANCEUR, OPEN_ROLE, ROLE_HELP, ROLES, Page,
                        home_of, may_open, may_store_upload, may_write, page_of, pages_for, sees_details,
                        sees_free_text, users_from_secrets)
from lib.dataset import (DEMO_DIR, Dataset, SecretsError, dataset_signature, is_demo_dir, load_dataset,
                         read_secrets, resolve_data_dir, secrets_file)
from lib.datasets_registry import JEU_PARAM, choose_dataset
from lib.login_throttle import LoginThrottle, client_address, state_file_for, trusted_proxies, wait_message
from lib.secrecy import funder_filters, public_dataset_cached, secrecy_threshold
from lib.filters import (
    ALL_WAVES,
    Filters,
    View,
    available_levels,
    filters_from_query,
    filters_to_query,
    with_level,
    QUERY_KEYS,
    ANSWER_FILTERS,
)
from lib.formatting import format_int
from lib.questionnaire import load_questionnaire
from lib.session_keys import ACCESS_KEY, DATASET_KEY, LOGOUT_KEY, USER_KEY, VIEW_AS_KEPT, VIEW_AS_KEY, VIEW_AS_PARAM
from lib.territories import LEVELS, short_territory_name, territory_options
from lib.ui.datasets import dataset_choice, dataset_selector, datasets_of
from lib.ui.presentation import add_to_presentation, presentation_bar
from lib.ui.views import cached_view
from lib.session_guard import Expected, expected_for, forged, notice, outside_options
from lib.text import markdown_escape

FAVICON = Path(__file__).resolve().parents[2] / "static" / "passerelles.png"
_FILTERS_KEY = "filters"
_WIDGET_KEYS = {"wave": "f_vague", "level": "f_niveau", "territories": "f_territoires", "types": "f_types",
                "forms": "f_formes", "frequencies": "f_frequences", "qualities": "f_qualites"}
_SECRET_NOTES_KEY = "_secret_notes"  # why a funder's shared link was narrowed (lib.secrecy.funder_filters)


@dataclass(frozen=True)
class Access:
    """Who is looking: the role, the user's name (None in open access), and whether the app is in open access."""

    role: str
    user: str | None
    open: bool


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


def shown_data_dir(access: Access, folder: Path | None = None) -> tuple[Path, Path | None]:
    """The folder to show (``folder``: the chosen data set's, else the default one), and the real data set
    refused because no user is configured (else None)."""
    folder = resolve_data_dir() if folder is None else folder
    if access.open and not is_demo_dir(folder):
        return DEMO_DIR, folder
    return folder, None


def current_dataset() -> Dataset:
    """The data set the app shows (reloaded when one of its files changes); the demo in open access."""
    access = current_access()
    _registry, allowed = datasets_of(access)
    choice = choose_dataset(allowed, st.session_state.get(DATASET_KEY) or st.query_params.get(JEU_PARAM))
    if choice.entry is None:
        raise PermissionError(choice.refusal)
    folder, _refused = shown_data_dir(access, choice.entry.folder)
    return _load_cached(str(folder), dataset_signature(folder))


def page_setup(script: str) -> tuple[Dataset, View]:
    """Every page's first call (``page_setup(__file__)``): login, access check, menu, banner, sidebar filters.

    A page the role may not open shows « Accès réservé » and stops before any
    data is read. Returns the data set and the view of the sidebar filters.
    """
    page = page_of(script)
    # A local icon: a Material icon here would be fetched from Google's servers.
    st.set_page_config(page_title=f"{page.label} · Passerelles", page_icon=str(FAVICON), layout="wide")
    # A projector's 1280×720 has no height to spare: less empty space above each page's title.
    st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}</style>")
    end_logged_out_session()
    drop_forged_state()
    _uploads_allowed(None)  # until this run shows a logged-in writer
    access = _resolve_access()
    _uploads_allowed(access)
    if not may_open(page, access.role):
        if page.script == "app.py":  # the home of a role without Accueil is its first page, with the link's filters
            st.switch_page(home_of(access.role).script, query_params=_query_params())
        menu(access)
        account_box(access)
        refuse(page, access)
    entry, registry, allowed = dataset_choice(page, access)  # a data set not given stops here, before any read
    presentation_bar(page, access)
    folder, refused = shown_data_dir(access, entry.folder)
    dataset = _load_cached(str(folder), dataset_signature(folder))
    if access.role == FINANCEUR:  # funders see the copy made under the statistical secret, never the data set
        dataset = funders_copy(dataset)
    else:
        st.session_state.pop(_SECRET_NOTES_KEY, None)
    menu_box = st.sidebar.container()  # drawn after the filters, so that its links carry this run's choices
    dataset_selector(entry, allowed, registry)
    filters = sidebar_filters(dataset) if dataset.secret is None else funder_sidebar(dataset)
    with menu_box:
        menu(access)
    add_to_presentation(page, access, dataset, _query_params())  # after the filters: the step keeps this run's view
    account_box(access)
    dataset_banner(dataset, compact=page.script != "app.py", access=access, refused=refused)
    for note in st.session_state.get(_SECRET_NOTES_KEY, []):
        st.info(note, icon=":material/shield_lock:")
    return dataset, cached_view(dataset, filters)


_UPLOAD_GUARD_LOCK = threading.Lock()


def _uploads_allowed(access: Access | None) -> None:
    """Let Streamlit keep this session's uploads only for a logged-in writer (lib.access.may_store_upload).

    The sessions allowed are kept on Streamlit's upload manager, whose ``add_file`` (called by the upload
    route, before any script runs) is wrapped once per process.
    """
    manager, context = runtime.get_instance().uploaded_file_mgr if runtime.exists() else None, get_script_run_ctx()
    if manager is None or context is None or not hasattr(manager, "file_storage"):
        return
    with _UPLOAD_GUARD_LOCK:
        if not hasattr(manager, "passerelles_writers"):
            writers, store = set(), manager.add_file

            def add_file(session_id: str, file) -> None:
                held = sum(len(f.data) for f in manager.file_storage.get(session_id, {}).values())
                if not may_store_upload(session_id in writers, held, len(file.data)):
                    raise HTTPException(status_code=403, detail="Envoi de fichier refusé")
                store(session_id, file)

            manager.add_file, manager.passerelles_writers = add_file, writers
    allowed = access is not None and may_write(access.role, access.open)
    (manager.passerelles_writers.add if allowed else manager.passerelles_writers.discard)(context.session_id)


def hidden_rule(dataset: Dataset, unit: str = "un chiffre") -> str:
    """The page's sentence on what is not shown: the statistical secret for funders, small counts for the comité."""
    if dataset.secret is not None:
        return (f"{unit} qui repose sur moins de {dataset.secret.k} structures ayant répondu est masqué "
                "(« secret », secret statistique)")
    return f"{unit} qui repose sur moins de 5 réponses n'est pas affiché"


def funders_copy(dataset: Dataset) -> Dataset:
    """The funders' copy of a data set (lib.secrecy.public_dataset), made once per data set and threshold."""
    return _public_cached(str(dataset.folder), dataset_signature(dataset.folder), funder_threshold())


def funder_threshold() -> int:
    """K of the statistical secret, from the secrets file (default 5, never below 3)."""
    return secrecy_threshold(read_secrets(secrets_file()))


@st.cache_resource(show_spinner="Préparation des chiffres publiables…", max_entries=4)
def _public_cached(folder: str, signature: tuple, k: int) -> Dataset:
    return public_dataset_cached(_load_cached(folder, signature), signature, k)


def funder_sidebar(dataset: Dataset) -> Filters:
    """A funder's filters: one wave, one territory among those offered, nothing else (lib/secrecy.py says why).

    A shared link asking for more is narrowed on the first run, and the page says how and why.
    """
    state = st.session_state
    if _FILTERS_KEY not in state or state.get("_filters_folder") != f"secret:{dataset.folder}":
        filters, notes = funder_filters(_query_params(), dataset)
        state[_FILTERS_KEY], state[_SECRET_NOTES_KEY] = filters, notes
        state["_filters_folder"] = f"secret:{dataset.folder}"
        state[_WIDGET_KEYS["wave"]], state[_WIDGET_KEYS["level"]] = filters.wave, filters.level
        state[_WIDGET_KEYS["territories"]] = list(filters.territories)
    current: Filters = state[_FILTERS_KEY]
    for name in ("wave", "level", "territories"):
        keep_widget_value(_WIDGET_KEYS[name], _widget_seed(current, name))
    offered = dataset.secret.offered
    with st.sidebar:
        st.markdown("**Filtres**")
        waves = list(dataset.waves) or [current.wave]
        if state.get(_WIDGET_KEYS["wave"]) not in waves:
            state[_WIDGET_KEYS["wave"]] = current.wave if current.wave in waves else waves[-1]
        st.selectbox("Vague d'enquête", waves, key=_WIDGET_KEYS["wave"], format_func=lambda w: f"Vague {w}")
        levels = [level for level in available_levels(dataset) if offered.get(level)]
        if not levels:  # no territory rests on enough structures: the département only
            st.caption("Chiffres du département seulement : aucun territoire ne réunit assez de structures "
                       "ayant répondu (secret statistique).")
            level = current.level
        else:
            if state.get(_WIDGET_KEYS["level"]) not in levels:  # a level kept from another session or page
                state[_WIDGET_KEYS["level"]] = current.level if current.level in levels else levels[0]
            st.selectbox("Regrouper par", levels, key=_WIDGET_KEYS["level"], format_func=LEVELS.get)
            level = state[_WIDGET_KEYS["level"]]
        options = list(offered.get(level, ()))
        state[_WIDGET_KEYS["territories"]] = [t for t in state[_WIDGET_KEYS["territories"]] if t in options][:1]
        if options:
            st.multiselect("Territoire", options, key=_WIDGET_KEYS["territories"], max_selections=1,
                           placeholder="Tout le département", format_func=short_territory_name, select_all=False,
                           help="Un territoire à la fois ; ceux où trop peu de structures ont répondu sont "
                                "regroupés ou absents (secret statistique).")
    chosen = Filters(wave=state[_WIDGET_KEYS["wave"]], level=level,
                     territories=tuple(state[_WIDGET_KEYS["territories"]]))
    if chosen != current:
        state[_SECRET_NOTES_KEY] = []  # the funder chose: what the link asked for no longer applies
    state[_FILTERS_KEY] = chosen
    _sync_query(filters_to_query(chosen, dataset))
    return chosen


@st.cache_resource
def _throttle(secrets_path: str) -> LoginThrottle:
    """Failed logins, shared by every session of the server (and kept in a file: see lib/login_throttle.py)."""
    return LoginThrottle(state_file_for(Path(secrets_path)))


def _client() -> str:
    """This session's client address, through the configured reverse proxy if any (for the login throttle)."""
    forwarded = st.context.headers.get("X-Forwarded-For")
    return client_address(st.context.ip_address, forwarded, trusted_proxies(read_secrets(secrets_file())))


def configuration_broken(error: SecretsError) -> None:
    """A secrets file that cannot be read stops every page: no data opens, the demo does not stand in for it."""
    print(f"passerelles: {error}", file=sys.stderr)
    st.title("Passerelles")
    st.error(BROKEN_CONFIGURATION.format(markdown_escape(error)), icon=":material/error:")
    st.stop()


def _resolve_access() -> Access:
    """This run's Access; without a logged-in user (users configured), the login form and a stop."""
    state = st.session_state
    try:
        users = users_from_secrets(read_secrets(secrets_file()))
    except SecretsError as error:
        state.pop(ACCESS_KEY, None)
        configuration_broken(error)
    if not users.configured:
        # The widget, else the session (another page), else the URL (a reload or a shared link).
        role = state.get(VIEW_AS_KEY, state.get(VIEW_AS_KEPT, st.query_params.get(VIEW_AS_PARAM, OPEN_ROLE)))
        role = state[VIEW_AS_KEY] = state[VIEW_AS_KEPT] = role if role in ROLES else OPEN_ROLE
        set_url_param(VIEW_AS_PARAM, None if role == OPEN_ROLE else role)
        access = Access(role, None, True)
    else:
        user = users.users.get(state.get(USER_KEY) or "")
        if user is None:  # never logged in, logged out, or removed from the secrets since
            state.pop(ACCESS_KEY, None)
            login_form(users)
        access = Access(user.role, user.name, False)  # the role as configured now, not at login
    state[ACCESS_KEY] = access
    return access


def drop_forged_state() -> None:
    """Drop every session value of the wrong type (a forged widget state) before anything reads it, and say so."""
    state = st.session_state
    dropped = forged({key: state[key] for key in state},
                     {ACCESS_KEY: Expected((Access,)), _FILTERS_KEY: Expected((Filters,))})
    for key, _label in dropped:
        del state[key]
    if dropped:
        _forged_notice([label for _key, label in dropped])


def _forged_notice(labels: list[str]) -> None:
    print(f"passerelles: réglages de session refusés : {', '.join(labels)}", file=sys.stderr)
    st.warning(notice(labels), icon=":material/warning:")


def current_access() -> Access:
    """The Access of this run (page_setup resolved it)."""
    access = st.session_state.get(ACCESS_KEY)
    return access if isinstance(access, Access) else _resolve_access()


def current_role() -> str:
    return current_access().role


def can_see_free_text() -> bool:
    """Free-text answers are for the comité de pilotage (roles pilotage and saisie), never for funders."""
    return sees_free_text(current_role())


def can_see_details() -> bool:
    """Per-link lists and per-structure quality: comité de pilotage only."""
    return sees_details(current_role())


def can_write() -> bool:
    """Data entry, imports, uploads, new meetings: a logged-in user of the saisie role (never in open access)."""
    access = current_access()
    return may_write(access.role, access.open)


def login_form(users) -> None:
    """The login page: name and password; a wrong one is answered after a pause, repeated ones lock the name."""
    st.title("Passerelles")
    st.markdown("Les liens entre écoles et centres sociaux. **Accès réservé** aux partenaires du projet : "
                "connectez-vous avec l'identifiant que vous a donné le comité de pilotage.")
    if users.problems:
        for problem in users.problems:
            print(f"passerelles: secrets: {problem}", file=sys.stderr)  # for the administrator, not the visitor
        if not users.users:
            st.error("La configuration des comptes est incorrecte : personne ne peut se connecter. "
                     "L'administrateur trouvera le détail dans le journal du serveur.", icon=":material/error:")
    with st.form("connexion", clear_on_submit=True):
        name = st.text_input("Identifiant", autocomplete="username")
        password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        result = _throttle(str(secrets_file())).attempt(users, name, password, _client())
        if result.user is not None:
            st.session_state.clear()  # a new session: nothing carried over from before the login
            st.session_state[USER_KEY] = result.user.name
            st.rerun()
        if result.checked:
            time.sleep(FAILED_LOGIN_PAUSE)
            message = "Identifiant ou mot de passe incorrect."
            if result.wait:
                message += f" Trop d'essais manqués : prochain essai dans {math.ceil(result.wait)} s."
            st.error(message, icon=":material/error:")
        else:  # not checked: a delay holds this name, this client or every login, or all check slots are busy
            st.error(wait_message(result), icon=":material/timer:")
    st.stop()


def request_logout() -> None:
    """« Se déconnecter »: only a mark. Other callbacks of the same rerun run after this one, in no set order, and
    read the session (the Carte search's box: a KeyError when this callback had emptied it, on a clean clone);
    the session is emptied at the start of the run (end_logged_out_session)."""
    st.session_state[LOGOUT_KEY] = True


def end_logged_out_session() -> None:
    """A run after « Se déconnecter » starts with an empty session: logged out, nothing carried over."""
    if st.session_state.get(LOGOUT_KEY) is True:
        st.session_state.clear()


def refuse(page: Page, access: Access) -> None:
    """« Accès réservé »: the page's content is never computed for a role that may not see it."""
    st.title("Accès réservé")
    why = f" : {page.why_closed}" if page.why_closed else ""
    st.error(f"La page « {page.label} » n'est pas ouverte au rôle « {ROLES[access.role]} »{why}.",
             icon=":material/lock:")
    page_link(home_of(access.role).script, f"Aller à « {home_of(access.role).label} »", ":material/arrow_forward:")
    st.stop()


def menu(access: Access) -> None:
    """The pages the role may open, who is logged in, and the way out."""
    with st.sidebar:
        st.markdown("### Passerelles")
        for page in pages_for(access.role):
            page_link(page.script, page.label, page.icon)
        st.divider()


def shared_query() -> dict[str, list[str]]:
    """The URL parameters that follow the user from page to page: the shared filters, the demo's role and the
    data set (``jeu``).

    A page's own parameters (map view, chosen structure…) stay on their page.
    """
    return {key: st.query_params.get_all(key) for key in (*QUERY_KEYS, VIEW_AS_PARAM, JEU_PARAM)
            if key in st.query_params}


def page_link(script: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app that keeps the shared filters (``st.page_link`` alone drops the URL's)."""
    st.page_link(script, label=label, icon=icon, query_params=shared_query())


def account_box(access: Access) -> None:
    """At the foot of the sidebar: who is logged in and the way out; in open access, the role to preview."""
    with st.sidebar:
        st.divider()
        if access.open:
            st.selectbox("Voir la démonstration comme", list(ROLES), key=VIEW_AS_KEY, format_func=ROLES.get,
                         help="Accès libre : aucun compte n'est configuré. Chaque rôle voit ses propres pages : "
                              + " ; ".join(f"{ROLES[r]} : {ROLE_HELP[r]}" for r in ROLES) + ".")
        else:
            st.caption(f"Connecté : **{markdown_escape(access.user or '')}** · {ROLES[access.role]}")
            st.button("Se déconnecter", on_click=request_logout, icon=":material/logout:", key="deconnexion")


def dataset_banner(dataset: Dataset, compact: bool = False, access: Access | None = None,
                   refused: Path | None = None) -> None:
    """Say which data set is shown; the demo is always labelled as such (one line off the home page)."""
    open_access = access is not None and access.open
    if open_access and not compact:
        st.warning("**Démonstration — accès libre** : aucun compte n'est configuré, seules les données fictives "
                   "de démonstration s'ouvrent.", icon=":material/lock_open:")
    if refused is not None:
        st.error(f"Le jeu de données `{refused}` n'est pas ouvert : Passerelles n'ouvre des données réelles "
                 "qu'avec des comptes. Créez-en un avec `python -m lib.cli add-user NOM ROLE` (rôles : "
                 f"{', '.join(ROLES)}), puis rechargez la page.", icon=":material/lock:")
    if dataset.is_demo and compact:
        st.caption(":material/science: **Données de démonstration** — structures et réponses fictives"
                   + (" · **démonstration — accès libre**, aucun compte configuré." if open_access else "."))
    elif dataset.is_demo:
        st.info(
            f"**Données de démonstration** — structures et réponses fictives, placées sur les communes réelles "
            f"{dataset.reference.of_departement}. Aucune donnée réelle n'est affichée.",
            icon=":material/science:",
        )
    elif access is None or sees_details(access.role):  # the server's folders are none of a funder's business
        st.caption(f"Jeu de données : `{str(dataset.folder).replace('`', '')}`")
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
    _keep_known_choices(dataset, current)
    for name, key in _WIDGET_KEYS.items():
        keep_widget_value(key, _widget_seed(current, name))

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
        st.multiselect("Territoires", options, key=_WIDGET_KEYS["territories"], placeholder="Tous les territoires",
                       format_func=short_territory_name, select_all=False)
        st.multiselect("Types de structure", list(type_labels), key=_WIDGET_KEYS["types"], select_all=False,
                       format_func=type_labels.get, placeholder="Tous les types")
        answer_filters = [name for name in ANSWER_FILTERS if state[_WIDGET_KEYS[name]]]
        with st.expander("Réponses : forme, fréquence, qualité", expanded=bool(answer_filters)):
            for name, (_key, list_name) in ANSWER_FILTERS.items():
                labels = q[list_name].labels
                st.multiselect(q[list_name].title, list(labels), key=_WIDGET_KEYS[name], format_func=labels.get,
                               select_all=False,
                               placeholder="Toutes")

    chosen = with_level(current, level)
    chosen = replace(chosen, wave=state[_WIDGET_KEYS["wave"]],
                     **{name: tuple(state[_WIDGET_KEYS[name]]) for name in _WIDGET_KEYS if name not in ("wave", "level")})
    state[_FILTERS_KEY] = chosen
    _sync_query(filters_to_query(chosen, dataset))
    return chosen


def _widget_seed(filters: Filters, name: str):
    """A filter's value as its widget holds it (a list for a multiselect)."""
    value = getattr(filters, name)
    return list(value) if isinstance(value, tuple) else value


def keep_widget_value(key: str, seed) -> None:
    """Carry a widget's value over to this page, or seed it; call it before drawing the widget.

    A widget's identity includes its page: on another page, a widget with the
    same key starts from its default (« Toutes les vagues ») although
    ``st.session_state[key]`` still reads the old value. Writing that value back
    before the widget is drawn makes the new widget start from it; a key that
    Streamlit has dropped (a page drawn without the widget) is seeded instead.
    """
    state = st.session_state
    state[key] = state[key] if key in state else seed


def _keep_known_choices(dataset: Dataset, current: Filters) -> None:
    """A filter widget's value outside its options (forged) goes back to the current filter, with a notice."""
    state, q = st.session_state, load_questionnaire()
    options = {"wave": [ALL_WAVES, *dataset.waves], "level": list(available_levels(dataset)),
               "types": list(q["types_structure"].labels),
               **{name: list(q[list_name].labels) for name, (_key, list_name) in ANSWER_FILTERS.items()}}
    fixed = outside_options({name: state.get(key) for name, key in _WIDGET_KEYS.items()}, options)
    for name, value in fixed.items():
        state[_WIDGET_KEYS[name]] = getattr(current, name) if value is None else value
    if fixed:
        _forged_notice([expected_for(_WIDGET_KEYS[name]).label for name in fixed])


def _sync_query(wanted: dict[str, str | list[str]]) -> None:
    """Write the filters into the URL, leaving the page's own parameters alone."""
    set_url_params({key: wanted.get(key) for key in QUERY_KEYS})


def url_choice(label: str, options: list[str], key: str, default: str, format_func=str, container=None) -> str:
    """A selectbox whose value is kept in the session and in the URL (``?key=value``).

    Defaults stay out of the URL; an unknown value in a shared link falls back
    to the default.
    """
    state = st.session_state
    widget_key, kept_key = f"url_{key}", f"kept_{key}"
    # Streamlit forgets a widget's value on another page: the URL, then the session, remember it.
    keep_widget_value(widget_key, st.query_params.get(key, state.get(kept_key, default)))
    if state[widget_key] not in options:
        state[widget_key] = default
    (container or st).selectbox(label, options, key=widget_key, format_func=format_func)
    value = state[kept_key] = state[widget_key]
    set_url_param(key, None if value == default else value)
    return value


def set_url_param(key: str, value: str | None) -> None:
    """Put ``key=value`` in the URL, or take ``key`` out when ``value`` is None."""
    set_url_params({key: value})


def set_url_params(values: dict[str, str | list[str] | None]) -> None:
    """Put every ``key=value`` in the URL (a list repeats the key, ``None`` takes it out), the new values in one
    change.

    Each change of ``st.query_params`` is a message of its own to the browser: the map's zoom and centre set one
    after the other gave, for a moment, a URL with the new zoom and the old centre (a reload then, or a link
    copied then, opened the wrong view; seen in a browser test).
    """
    for key, value in values.items():
        if value is None and key in st.query_params:
            del st.query_params[key]
    changed = {key: value for key, value in values.items()
               if value is not None and (st.query_params.get_all(key) if isinstance(value, list)
                                         else st.query_params.get(key)) != value}
    if changed:
        st.query_params.update(changed)


def assets_url() -> str:
    """Where the app serves Leaflet (static/node_modules), behind any base URL path."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/node_modules" if base else "/app/static/node_modules"


