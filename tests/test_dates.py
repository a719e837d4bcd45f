"""rag/dates.py: the one date parser, for user input and article dates alike."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.assistant import merge_filters
from rag.dates import date_int, from_int, normalise_date, parse_date
from rag.types import Filters, QuestionError


@pytest.mark.parametrize("value, expected", [
    ("2021-05-04", "2021-05-04"),
    (" 2024-02-29T10:00:00Z", "2024-02-29"),
    ("2020/01/05", "2020-01-05"),
    (dt.date(2022, 3, 1), "2022-03-01"),
    (None, ""),
    ("", ""),
])
def test_real_dates_are_read(value, expected):
    assert parse_date(value) == (expected, "")


@pytest.mark.parametrize("value, why", [
    ("2012-13-45", "'2012-13-45' is not a real date (month must be in 1..12)"),
    ("2022-02-29", "'2022-02-29' is not a real date (day is out of range for month)"),
    ("0000-01-01", "'0000-01-01' is not a real date"),
    ("yesterday", "'yesterday' is not a date as YYYY-MM-DD"),
    ("21-05-2021", "is not a date as YYYY-MM-DD"),
])
def test_unreal_dates_are_refused_with_the_reason(value, why):
    date, reason = parse_date(value)
    assert date == "" and normalise_date(value) == ""
    assert why in reason


@pytest.mark.parametrize("since, until, message", [
    ("2012-13-45", None, "since must be a date as YYYY-MM-DD: '2012-13-45' is not a real date"),
    (None, "soon", "until must be a date as YYYY-MM-DD: 'soon' is not a date"),
])
def test_filters_refuse_unreal_dates(since, until, message):
    with pytest.raises(QuestionError, match=message):
        merge_filters(None, since, until, None)
    with pytest.raises(QuestionError, match=message):
        merge_filters(Filters(since=since, until=until), None, None, None)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none(),
                 st.dates().map(str), st.datetimes().map(lambda d: d.isoformat())))
def test_any_value_gives_a_real_date_or_a_reason(value):
    date, why = parse_date(value)
    assert bool(date) != bool(why) or (not date and not why and not str(value or "").strip())
    if date:
        assert dt.date.fromisoformat(date)  # a real calendar date, always
        assert from_int(date_int(date)) == dt.date.fromisoformat(date)
    else:
        assert "\n" not in why  # one line


@settings(max_examples=100, deadline=None)
@given(since=st.one_of(st.none(), st.text(max_size=30), st.dates().map(str)),
       until=st.one_of(st.none(), st.text(max_size=30), st.dates().map(str)),
       sources=st.one_of(st.none(), st.lists(st.text(max_size=20), max_size=3)))
def test_filters_are_built_or_refused_in_one_line(since, until, sources):
    try:
        f = merge_filters(None, since, until, sources)
    except QuestionError as exc:
        assert "\n" not in str(exc)
        return
    for value in (f.since, f.until) if f else ():
        assert value is None or dt.date.fromisoformat(value)


def test_reuters_dates_are_real_dates_too():
    from rag.dates import parse_reuters_date

    assert parse_reuters_date("26-FEB-1987 15:01:01.79") == ("1987-02-26", "1987-02-26T15:01:01")
    assert parse_reuters_date("31-FEB-1987 15:01:01.79") == ("", "")
