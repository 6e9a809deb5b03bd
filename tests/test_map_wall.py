"""The map's view in the URL: read from a shared link, taken from the map's report, written back."""

from __future__ import annotations

import pytest

from lib.map_wall import MAX_ZOOM, MIN_ZOOM, ReportReading, format_view, parse_view, read_report, returned_view


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


# --- the map's reports of its view, while a view chosen by the URL or the search is on its way

ROSA_VIEW = (48.93681, 2.22238, 15.0)
DEPARTEMENT_FIT = (49.07547, 2.10206, 10.5)


def test_a_report_is_the_users_move_when_no_view_is_awaited() -> None:
    reading = read_report((49.0, 2.2, 12.0), None, None, 0)
    assert reading.accept and reading.target is None and not reading.resend


def test_the_last_report_read_again_is_nothing_new() -> None:
    reading = read_report(DEPARTEMENT_FIT, DEPARTEMENT_FIT, ROSA_VIEW, 2)
    assert not reading.accept and reading.target == ROSA_VIEW and reading.patience == 2 and not reading.resend
    assert read_report(None, None, ROSA_VIEW, 3) == ReportReading(False, ROSA_VIEW, 3)


def test_the_maps_first_fit_before_it_moves_is_not_the_users_move() -> None:
    reading = read_report(DEPARTEMENT_FIT, None, ROSA_VIEW, 3)
    assert not reading.accept and reading.target == ROSA_VIEW and reading.patience == 2
    assert not reading.resend  # another zoom: the map is still on its way, setView follows


def test_the_awaited_view_reached_is_taken_and_nothing_is_awaited_any_more() -> None:
    reading = read_report((48.93684, 2.22239, 15.0), DEPARTEMENT_FIT, ROSA_VIEW, 2)
    assert reading.accept and reading.target is None


def test_the_awaited_zoom_at_another_centre_sends_the_view_again() -> None:
    missed = (DEPARTEMENT_FIT[0], DEPARTEMENT_FIT[1], 15.0)
    reading = read_report(missed, DEPARTEMENT_FIT, ROSA_VIEW, 2)
    assert not reading.accept and reading.resend and reading.target == ROSA_VIEW and reading.patience == 1


def test_once_patience_is_spent_a_report_is_the_users_move() -> None:
    reading = read_report((49.2, 2.4, 11.0), DEPARTEMENT_FIT, ROSA_VIEW, 0)
    assert reading.accept and reading.target is None
