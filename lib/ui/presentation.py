"""Streamlit side of presentations: add the current view as a step, play the steps (bar, arrow keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from lib.access import Page
from lib.dataset import Dataset
from lib.presentations import PAGE_SCRIPT as PRESENTATION_PAGE, add_step, may_present, presentation_names, read_steps
from lib.session_keys import USER_KEY, VIEW_AS_KEPT, VIEW_AS_KEY
from lib.store import Store, StoreError
from lib.text import markdown_escape

if TYPE_CHECKING:  # lib.ui imports this module: the type only, never at run time
    from lib.ui import Access

_PLAY_KEY = "_presentation_lecture"  # the presentation being played: its steps and the current index
# Kept when a step opens its view: who is logged in, the demo role, the presentation itself.
_KEPT_ON_STEP = (USER_KEY, VIEW_AS_KEY, VIEW_AS_KEPT, _PLAY_KEY)


def add_to_presentation(page: Page, access: Access, dataset: Dataset, query: dict[str, list[str]]) -> None:
    """Sidebar: save this view (page and URL query) as a step of a presentation (comité de pilotage only)."""
    if not may_present(access.role) or page.script == PRESENTATION_PAGE or access.open or dataset.is_demo:
        return  # funders are never offered presentations; the demo data set is read-only
    store = Store(dataset.folder)
    with st.sidebar.popover("Ajouter à une présentation", icon=":material/add_to_queue:", width="stretch"):
        with st.form("ajout_etape", clear_on_submit=True, border=False):
            names = presentation_names(read_steps(store))
            new = "Nouvelle présentation…"
            chosen = st.selectbox("Présentation", [*names, new], key="etape_presentation")
            new_name = st.text_input("Nom de la nouvelle présentation", key="etape_nouvelle", max_chars=80)
            title = st.text_input("Titre de l'étape", key="etape_titre", max_chars=120)
            comment = st.text_area("Commentaire", key="etape_commentaire", max_chars=1000)
            if st.form_submit_button("Ajouter cette vue", icon=":material/add:"):
                name = new_name if chosen == new else chosen
                try:
                    add_step(store, name, title, comment, page.script, query, access.role)
                except StoreError as err:
                    st.error(str(err))
                else:
                    st.success(f"Étape ajoutée à « {markdown_escape(name)} ».")


def start_presentation(steps: list) -> None:
    """Play ``steps`` (lib.presentations.Step) from the first: each opens its own page and URL."""
    st.session_state[_PLAY_KEY] = {"steps": list(steps), "index": 0}
    _open_step(0)


def _open_step(index: int) -> None:
    """Open step ``index`` as its shared link would: the view's session values are forgotten, the URL decides."""
    state = st.session_state
    play = state[_PLAY_KEY]
    play["index"] = index
    for key in list(state):
        if key not in _KEPT_ON_STEP and not str(key).startswith("_passerelles"):
            del state[key]
    step = play["steps"][index]
    st.switch_page(step.page, query_params=step.query_params)


def presentation_bar(page: Page, access: Access) -> None:
    """While a presentation plays: the page full width (no sidebar), and a bar with the step, ← → and Échap."""
    state = st.session_state
    play = state.get(_PLAY_KEY)
    if not play:
        return
    steps, index = play["steps"], play["index"]
    if not may_present(access.role) or page.script != steps[index].page:
        state.pop(_PLAY_KEY, None)  # left the presentation (menu, address bar): the app as usual
        return
    st.html("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
            "[data-testid='stHeader'] {display: none !important;}</style>")
    step = steps[index]
    left, middle, right, close = st.columns([1.2, 6, 1.2, 1], vertical_alignment="center")
    back = left.button("Précédente", shortcut="Left", disabled=index == 0, key="etape_precedente",
                       icon=":material/arrow_back:")
    middle.markdown(f"**{index + 1}/{len(steps)} · {markdown_escape(step.title)}**"
                    + (f"  \n{markdown_escape(step.comment)}" if step.comment else ""))
    forward = right.button("Suivante", shortcut="Right", disabled=index == len(steps) - 1, key="etape_suivante",
                           icon=":material/arrow_forward:")
    leave = close.button("Quitter", shortcut="Esc", key="etape_quitter", icon=":material/close:")
    if back or forward:
        _open_step(index + (1 if forward else -1))
    if leave:
        state.pop(_PLAY_KEY, None)
        st.switch_page(PRESENTATION_PAGE)
