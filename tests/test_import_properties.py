"""Property tests (hypothesis) of the import's two guesses that change meaning: date order and ticks (issue 11).

- Dates written in one order are inferred in that order or "ambiguous", never in the other; read back in the
  inferred (or, when ambiguous, the true) order they give the dates written.
- A tick-column value is a tick only when it is in the checked vocabulary or the user mapped it so; a value no
  vocabulary knows is never a tick.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.importers.dates import AMBIGUOUS, DMY, MDY, YMD, format_date, infer_order, parse_date
from lib.importers.ticks import (
    CHECKED, CHECKED_WORDS, MEANINGS, NO_ANSWER_WORDS, UNCHECKED_WORDS, VOCABULARY, column_meanings,
)
from lib.text import fold

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(st.lists(DATES, min_size=1, max_size=30), st.sampled_from([DMY, MDY]))
def test_inferred_order_is_the_written_one_or_ambiguous_never_the_other(dates, order):
    written = [format_date(d, order) for d in dates]
    inferred = infer_order(written)
    assert inferred in (order, AMBIGUOUS)
    if any(d.day > 12 and d.day != d.month for d in dates):
        assert inferred == order  # a day above 12 decides
    read_as = order if inferred == AMBIGUOUS else inferred
    assert [parse_date(w, read_as)[0] for w in written] == dates


@FAST
@given(st.lists(DATES, min_size=1, max_size=30), st.sampled_from([DMY, MDY]), st.booleans())
def test_iso_dates_say_nothing_about_the_order_and_round_trip(dates, order, with_time):
    written = [d.isoformat() + ("T14:05:00" if with_time else "") for d in dates]
    assert infer_order(written) == YMD
    assert [parse_date(w, order)[0] for w in written] == dates


@FAST
@given(st.lists(DATES, min_size=1, max_size=10), st.lists(DATES, min_size=1, max_size=10))
def test_a_column_mixing_both_orders_with_deciding_values_is_asked(day_first, month_first):
    deciding_d = [d for d in day_first if d.day > 12]
    deciding_m = [d for d in month_first if d.day > 12]
    written = [format_date(d, DMY) for d in day_first] + [format_date(d, MDY) for d in month_first]
    inferred = infer_order(written)
    if deciding_d and deciding_m:
        assert inferred == AMBIGUOUS


# Words no vocabulary holds: letters only, at least 4, not a vocabulary word once folded.
UNKNOWN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéè", min_size=4, max_size=12).filter(
    lambda w: fold(w) not in VOCABULARY)
KNOWN = st.sampled_from(sorted(CHECKED_WORDS | UNCHECKED_WORDS | NO_ANSWER_WORDS))


@FAST
@given(st.lists(st.one_of(KNOWN, UNKNOWN, st.just("")), min_size=1, max_size=40),
       st.dictionaries(UNKNOWN, st.sampled_from(sorted(MEANINGS)), max_size=3))
def test_a_value_is_a_tick_only_if_checked_vocabulary_or_mapped_so(values, chosen):
    chosen = {fold(k): v for k, v in chosen.items()}
    meanings = column_meanings(values, chosen)
    for value in values:
        key = fold(value)
        is_tick = meanings[key] == CHECKED
        assert is_tick == (key in CHECKED_WORDS or (key not in VOCABULARY and chosen.get(key) == CHECKED))
        if key and key not in VOCABULARY and key not in chosen:
            assert meanings[key] is None  # unknown: asked, never ticked


@FAST
@given(st.lists(st.one_of(st.sampled_from(sorted(CHECKED_WORDS)), st.just("")), min_size=1, max_size=20),
       st.sampled_from(sorted(UNCHECKED_WORDS)))
def test_an_empty_cell_is_never_a_tick(values, unchecked):
    assert column_meanings(values)[""] != CHECKED
    assert column_meanings([*values, unchecked])[""] != CHECKED
