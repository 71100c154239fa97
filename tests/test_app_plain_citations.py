"""The condition page, as drawn by Streamlit, shows plain citations and never an internal
reference (issue 15, "Wording"), for the patient, a carer and the clinic screen."""

from __future__ import annotations

import pytest

from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, texts,
)
from test_plain_citations import internal_references


@pytest.mark.parametrize("patient, viewer", [(DIABETES, "patient"), (DEMENTIA, DAUGHTER), (DIABETES, "clinic"),
                                             (BIPOLAR, "patient")])
def test_condition_page_shows_no_internal_reference(demo_db, patient, viewer):
    """Everything the condition page draws (text, tables, chart labels) is free of "§",
    "clinical-reference", bracketed source keys and "(unverified)", and its sources are plain."""
    at = go(open_app(patient, viewer), "condition")
    no_errors(at)
    drawn = texts(at)
    assert "source" in drawn.casefold()
    assert internal_references(drawn) == []


def test_an_unverified_interval_is_said_once_in_words(demo_db):
    """A check whose source marks part of it unverified shows its plain sources and one sentence,
    "This interval is awaiting clinical review.", never "(unverified)"."""
    at = go(open_app(DIABETES, "patient"), "condition")
    checks = next(t.value for t in at.table if "Check" in t.value.columns)
    row = checks[checks["Check"] == "Cholesterol"].iloc[0]
    assert row["Source"] == ("National Diabetes Audit; Quality and Outcomes Framework (diabetes). "
                             "This interval is awaiting clinical review.")
    assert "(unverified)" not in texts(at)
