"""Widget callbacks that act only in a live session.

Streamlit runs a widget's callback at the start of a run when the browser reports the widget changed. After
« Se déconnecter » has emptied the session, the browser can still report the last page's widgets once (a run
started before their page was replaced): to Streamlit, whose session no longer holds their values, they have
changed, and their callbacks run on the emptied session. The Carte search's callback then raised KeyError (seen
twice in clean-clone runs of test_access.py::test_wrong_password_then_logout, where nothing was typed).
A live session holds its Access (set by page_setup on every run, gone with a logout), so a callback without it
does nothing: it would read keys that are gone, or write state for nobody.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from lib.session_keys import ACCESS_KEY


def live_callback(function: Callable) -> Callable:
    """``function`` as a widget callback that does nothing in a session emptied by a logout."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        if ACCESS_KEY in st.session_state:
            return function(*args, **kwargs)
        return None

    return guarded
