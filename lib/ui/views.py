"""The filtered view of a data set, computed once and shared by every session and rerun that asks for it."""

from __future__ import annotations

from dataclasses import astuple

import streamlit as st

from lib.dataset import Dataset, dataset_signature
from lib.filters import Filters, View, apply_filters


def cached_view(dataset: Dataset, filters: Filters) -> View:
    """``apply_filters(dataset, filters)``, shared: keyed on the data set's files, the funders' threshold (their
    copy never shares an entry with the comité's) and the filters.

    At France scale the view takes a quarter of a second (62,300 structures, 150,000 answers), on every rerun
    of every page before this cache. Like the loader's data set, the view is read-only: pages and ``lib``
    derive new frames from it and never assign into it (tests/test_pages.py checks it after every page).
    """
    secret = getattr(dataset.secret, "k", None)
    return _cached_view(str(dataset.folder), dataset_signature(dataset.folder), secret, astuple(filters),
                        dataset, filters)


# A resource cache, not st.cache_data: no pickled copy per rerun (the point). Few entries: a France-scale view
# of every wave holds all 150,000 answers.
@st.cache_resource(show_spinner=False, max_entries=6)
def _cached_view(folder: str, signature: tuple, secret, key: tuple, _dataset: Dataset, _filters: Filters) -> View:
    del folder, signature, secret, key  # the cache key
    return apply_filters(_dataset, _filters)
