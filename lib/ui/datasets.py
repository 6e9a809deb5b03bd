"""Several data sets on one server, in the app: which one a page opens, its refusal, the sidebar's choice.

The rules are lib/datasets_registry.py's; ``lib.ui.page_setup`` calls :func:`dataset_choice` on every page
before any data is read.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import streamlit as st

import lib.ui as ui  # page_setup's module, which imports this one: its names are read at call time
from lib.access import Page, User, Users, normalise_name, save_user, users_from_secrets
from lib.dataset import SecretsError, read_secrets, secrets_file
from lib.datasets_registry import (DEFAULT_ID, JEU_PARAM, DataSetEntry, Registry, allowed_datasets, choose_dataset,
                                   load_registry, manages_account, new_account_datasets, url_value)
from lib.session_keys import (ACCESS_KEY, DATASET_KEY, DATASET_WIDGET_KEY, USER_KEY, VIEW_AS_KEPT, VIEW_AS_KEY,
                              VIEW_AS_PARAM)
from lib.text import markdown_escape
from lib.ui.callbacks import live_callback

if TYPE_CHECKING:
    from lib.ui import Access

# Kept when another data set is chosen: who is logged in and the demo's role; nothing of the other data set.
_KEPT_ON_SWITCH = (USER_KEY, ACCESS_KEY, VIEW_AS_KEY, VIEW_AS_KEPT)


def datasets_of(access: Access) -> tuple[Registry, list[DataSetEntry]]:
    """The server's data sets and those this account opens (lib.datasets_registry decides)."""
    try:
        registry = load_registry()
        users = users_from_secrets(read_secrets(secrets_file()))
    except SecretsError as error:
        ui.configuration_broken(error)
    user = None if access.open else users.users.get(access.user or "")
    if not access.open and user is None:  # removed from the secrets since this run's login check
        return registry, []
    return registry, allowed_datasets(registry, user.datasets if user else None, access.open)


def dataset_choice(page: Page, access: Access) -> tuple[DataSetEntry, Registry, list[DataSetEntry]]:
    """The data set this run opens: the URL's ``?jeu=`` (else this session's, else the account's first).

    One the account is not given is refused (« Accès réservé », nothing of any data set is read) rather than
    replaced by another. Choosing another data set forgets every view setting of the previous one.
    """
    state = st.session_state
    registry, allowed = datasets_of(access)
    choice = choose_dataset(allowed, st.query_params.get(JEU_PARAM) or state.get(DATASET_KEY))
    if choice.entry is None:
        refuse_dataset(page, access, choice.refusal or "", allowed, registry)
    entry = choice.entry
    if state.get(DATASET_KEY) not in (None, entry.id):
        for key in [key for key in state if key not in _KEPT_ON_SWITCH]:
            del state[key]
        for key in [key for key in st.query_params if key not in (JEU_PARAM, VIEW_AS_PARAM)]:
            del st.query_params[key]
    state[DATASET_KEY] = entry.id
    ui.set_url_param(JEU_PARAM, url_value(registry, entry, access.open))
    return entry, registry, allowed


def refuse_dataset(page: Page, access: Access, reason: str, allowed: list[DataSetEntry], registry: Registry) -> None:
    """A data set the account is not given: the reason, links to the account's own data sets, and a stop."""
    for problem in registry.problems:
        print(f"passerelles: secrets: {problem}", file=sys.stderr)  # for the administrator, not the visitor
    ui.account_box(access)
    st.title("Accès réservé")
    st.error(markdown_escape(reason), icon=":material/lock:")
    for entry in allowed:
        st.page_link(page.script, label=f"Ouvrir « {markdown_escape(entry.name)} »", icon=":material/arrow_forward:",
                     query_params={JEU_PARAM: url_value(registry, entry, access.open) or entry.id})
    st.stop()


def _switch_dataset() -> None:
    """« Jeu de données » changed: the URL names the new one; the next run checks it and opens it."""
    st.query_params[JEU_PARAM] = str(st.session_state.get(DATASET_WIDGET_KEY, ""))


def dataset_selector(entry: DataSetEntry, allowed: list[DataSetEntry], registry: Registry) -> None:
    """Sidebar: « Jeu de données » for an account given several, its name for an account given one of several."""
    with st.sidebar:
        if len(allowed) > 1:
            names = {e.id: e.name for e in allowed}
            st.session_state[DATASET_WIDGET_KEY] = entry.id  # the URL decides; the widget shows it
            st.selectbox("Jeu de données", list(names), key=DATASET_WIDGET_KEY, format_func=names.get,
                         on_change=live_callback(_switch_dataset),
                         help="Les jeux de données ouverts à votre compte ; l'adresse de la page dit lequel est ouvert.")
        elif registry.several:
            st.caption(f"Jeu de données : **{markdown_escape(entry.name)}**")


def team_accounts(users: Users) -> list[User]:
    """The accounts a team page of the open data set lists and may change (lib.datasets_registry.manages_account)."""
    registry, open_id = load_registry(), st.session_state.get(DATASET_KEY) or DEFAULT_ID
    return [user for user in users.users.values() if manages_account(registry, user.datasets, open_id)]


def save_team_account(users: Users, name: str, role: str, password: str) -> None:
    """Create (or change the password of) an account of the open data set's team, given that data set only.

    Raises:
        ValueError: the name belongs to an account of another data set (French), or ``save_user``'s reasons.
    """
    registry, open_id = load_registry(), st.session_state.get(DATASET_KEY) or DEFAULT_ID
    existing = users.users.get(normalise_name(name))
    if existing is not None and not manages_account(registry, existing.datasets, open_id):
        raise ValueError("Cet identifiant est déjà pris : choisissez-en un autre.")
    save_user(secrets_file(), name, role, password, new_account_datasets(registry, open_id))
