"""Session and URL changes made from callbacks and pages: a view's zoom and centre reach the browser in one
message; the logout ends the session at the start of the next run, not inside its callback."""

from __future__ import annotations

import streamlit as st

from lib.session_keys import ACCESS_KEY, LOGOUT_KEY, USER_KEY
from lib.ui import end_logged_out_session, request_logout, set_url_param, set_url_params
from lib.ui.callbacks import live_callback


class RecordingParams(dict):
    """A stand-in for ``st.query_params`` that records each change the browser would be sent."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.messages: list[dict] = []

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.messages.append({key: value})

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        self.messages.append({key: None})

    def get_all(self, key) -> list:
        value = super().get(key)
        return [] if value is None else value if isinstance(value, list) else [value]

    def update(self, values=(), **more) -> None:
        changes = {**dict(values), **more}
        super().update(changes)
        self.messages.append(changes)


def test_a_view_reaches_the_url_in_one_message(monkeypatch) -> None:
    params = RecordingParams({"zoom": "9.75", "centre": "49.07503,2.10106", "fond": "aucun"})
    monkeypatch.setattr(st, "query_params", params)
    set_url_params({"zoom": "15", "centre": "48.93681,2.22238"})
    assert params.messages == [{"zoom": "15", "centre": "48.93681,2.22238"}]
    assert params == {"zoom": "15", "centre": "48.93681,2.22238", "fond": "aucun"}


def test_only_what_changed_is_sent_and_none_takes_a_key_out(monkeypatch) -> None:
    params = RecordingParams({"zoom": "15", "centre": "48.93681,2.22238", "structure": "E1"})
    monkeypatch.setattr(st, "query_params", params)
    set_url_params({"zoom": "15", "centre": "48.9,2.2"})
    set_url_params({"zoom": "15", "centre": "48.9,2.2"})  # nothing new: no message
    set_url_param("structure", None)
    set_url_param("zone", None)  # not there: no message
    assert params.messages == [{"centre": "48.9,2.2"}, {"structure": None}]
    assert params == {"zoom": "15", "centre": "48.9,2.2"}


def test_filters_with_several_values_reach_the_url_in_one_message(monkeypatch) -> None:
    params = RecordingParams({"vague": "2019", "fond": "aucun"})
    monkeypatch.setattr(st, "query_params", params)
    set_url_params({"vague": "2021", "forme": ["A", "B"], "territoire": None})
    set_url_params({"vague": "2021", "forme": ["A", "B"]})  # the same list again: no message
    assert params.messages == [{"vague": "2021", "forme": ["A", "B"]}]


def test_the_logout_only_marks_the_session_and_the_next_run_empties_it(monkeypatch) -> None:
    session = {USER_KEY: "comite", "carte_recherche": "rosa"}
    monkeypatch.setattr(st, "session_state", session)
    end_logged_out_session()  # no mark: nothing happens
    assert session == {USER_KEY: "comite", "carte_recherche": "rosa"}
    request_logout()  # the callback: the other callbacks of this rerun still read the session whole
    assert session[USER_KEY] == "comite" and session["carte_recherche"] == "rosa" and session[LOGOUT_KEY] is True
    end_logged_out_session()  # the start of the run
    assert session == {}


def test_a_callback_acts_only_in_a_live_session(monkeypatch) -> None:
    """After a logout has emptied the session, the browser may still report the last page's widgets once, and
    Streamlit runs their callbacks: they must not read keys that are gone (the Carte search's KeyError)."""
    calls = []

    def search() -> None:
        calls.append(st.session_state["carte_recherche"])

    guarded = live_callback(search)
    session = {ACCESS_KEY: "pilotage", "carte_recherche": "rosa"}
    monkeypatch.setattr(st, "session_state", session)
    guarded()
    assert calls == ["rosa"]
    session.clear()  # the logout's run: the browser still reports the search box
    guarded()  # no KeyError, nothing done
    assert calls == ["rosa"] and session == {}
