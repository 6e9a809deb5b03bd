"""The map's view in the URL: read from a shared link, taken from the map's report, written back."""

from __future__ import annotations

import pytest

from lib.map_wall import MAX_ZOOM, MIN_ZOOM, format_view, parse_view, returned_view


def test_a_view_goes_to_the_url_and_comes_back_the_same():
    view = returned_view({"zoom": 13.25, "center": {"lat": 49.0123456, "lng": 2.2345678}})
    assert view == (49.01235, 2.23457, 13.25)
    assert format_view(view) == ("13.25", "49.01235,2.23457")
    assert parse_view(*format_view(view)) == view


@pytest.mark.parametrize("zoom, centre", [
    (None, None), ("12", None), (None, "49,2"), ("douze", "49,2"), ("12", "49"), ("12", "49,2,3"),
    ("12", "a,b"), ("12", "91,2"), ("12", "49,181"), (str(MIN_ZOOM - 1), "49,2"), (str(MAX_ZOOM + 1), "49,2"),
    ("nan", "49,2"), ("12", "nan,2"), ("<script>", "49,2"),
])
def test_a_forged_or_broken_view_in_a_link_is_no_view(zoom, centre):
    assert parse_view(zoom, centre) is None


@pytest.mark.parametrize("returned", [
    None, {}, {"zoom": 12}, {"center": {"lat": 49, "lng": 2}}, {"zoom": None, "center": {"lat": 49, "lng": 2}},
    {"zoom": 12, "center": [49, 2]}, {"zoom": 12, "center": {"lat": "x", "lng": 2}},
    # A map whose frame has no size yet reports zoom 0: not a view the user chose.
    {"zoom": 0, "center": {"lat": 49.07, "lng": 2.1}},
])
def test_the_map_reports_no_view_before_it_has_one(returned):
    assert returned_view(returned) is None


def test_a_view_near_another_is_the_same_to_a_few_pixels():
    from lib.map_wall import near_view

    assert near_view((49.0, 2.2, 15.0), (49.0004, 2.1996, 15.0))
    assert not near_view((49.0, 2.2, 15.0), (49.0, 2.2, 9.75))
    assert not near_view((49.0, 2.2, 15.0), (49.075, 2.1, 15.0))
