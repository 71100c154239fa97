"""FHIR dates keep their precision, land on the UK calendar day, and odd shapes never crash."""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.record.dates import DateError, clinical_date, human, parse
from ltc_dashboard.record.terminology import codings_of


@pytest.mark.parametrize("text, day, precision", [
    ("2019", dt.date(2019, 1, 1), "year"),
    ("2019-03", dt.date(2019, 3, 1), "month"),
    ("2019-03-04", dt.date(2019, 3, 4), "day"),
    ("2024-03-31T23:30:00Z", dt.date(2024, 4, 1), "time"),  # 00:30 BST on 1 April
    ("2024-01-10T23:30:00-05:00", dt.date(2024, 1, 11), "time"),
    ("2024-06-01T10:00", dt.date(2024, 6, 1), "time"),  # no zone: UK local time
])
def test_parse_keeps_precision_and_uk_day(text, day, precision):
    """A FHIR date becomes the UK calendar day it starts on, with its precision."""
    parsed = parse(text)
    assert (parsed.day, parsed.precision) == (day, precision)


def test_partial_dates_span_their_period():
    """"2019-02" stands for the whole of February 2019."""
    assert parse("2019-02").last_day == dt.date(2019, 2, 28)
    assert parse("2020").last_day == dt.date(2020, 12, 31)


@pytest.mark.parametrize("text", ["2019-02-30", "2019-13", "19-01-01", "2019-01-01T25:00:00Z"])
def test_impossible_dates_raise(text):
    """Impossible dates raise DateError rather than becoming a wrong day."""
    with pytest.raises(DateError):
        parse(text)


def test_human_dates():
    """Dates read as people in the UK write them, partial ones without an invented day."""
    assert human(dt.date(2026, 3, 5)) == "5 March 2026"
    assert human(dt.date(2019, 3, 1), "month") == "March 2019"
    assert human(dt.date(2019, 1, 1), "year") == "2019"


@pytest.mark.parametrize("resource", [
    {"resourceType": ["Observation"]}, {"resourceType": "Unknown", "meta": "not a dict"},
    {"resourceType": "Observation", "effectiveDateTime": 5}, {},
])
def test_clinical_date_tolerates_odd_shapes(resource):
    """A resource of an odd shape has no clinical date instead of crashing the gate."""
    assert clinical_date(resource) is None


def test_codings_of_tolerates_non_string_systems():
    """A coding whose system or code is not a string is read, not a crash."""
    assert codings_of({"system": 5, "code": "x"}) == [("", "x")]
