"""Everything on screen is French: no English text from Streamlit's defaults in any page's script output.

The browser side (texts drawn by Streamlit's frontend itself) is tests/browser/test_filters_hold.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test
from lib.access import PAGES, SAISIE, pages_for

pytestmark = pytest.mark.usefixtures("fresh_app")  # see tests/conftest.py

# Streamlit's and Leaflet's English defaults, as a meeting room would read them on the wall.
ENGLISH = ("Select all", "Deploy", "Choose an option", "Choose options", "No results", "Browse files",
           "Drag and drop", "Limit 200MB", "Running", "miles", "Zoom in", "Zoom out", "Toggle", "Full Screen",
           "Select...", "Add an option", "Clear all", "Press Enter", "Show password", "Hide password")


def protos(node):
    """Every element proto of an AppTest tree (labels, placeholders, help, options, texts)."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield proto
    for child in getattr(node, "children", {}).values():
        yield from protos(child)


def english_in(at: AppTest) -> list[str]:
    found = []
    for proto in protos(at._tree):
        text = str(proto)
        if 'component_name: "streamlit_folium.st_folium"' in text:
            continue  # the map's Leaflet texts are the map's own (lib/maps.py), checked with the map
        found += [word for word in ENGLISH if word in text]
        if "select_all" in text and "select_all: 0" not in text and "multiselect" in type(proto).__name__.lower():
            found.append("Select all (multiselect)")
    return found


@pytest.mark.parametrize("script", [p.script for p in PAGES])
def test_no_english_on_any_page_in_the_open_demo(script):
    assert english_in(app_test(script)) == []


@pytest.mark.usefixtures("with_users")
@pytest.mark.parametrize("script", [p.script for p in pages_for(SAISIE)])
def test_no_english_on_any_page_of_a_logged_in_writer(script):
    assert english_in(app_test(script, SAISIE)) == []


def test_the_check_finds_an_english_default():
    """The test above can fail: a multiselect without ``select_all=False`` or ``placeholder`` is caught."""
    at = AppTest.from_string('import streamlit as st\nst.multiselect("Choix", ["a", "b"])\n'
                             'st.selectbox("Un", ["a"], index=None)\n', default_timeout=30).run()
    found = english_in(at)
    assert "Select all (multiselect)" in found, found
