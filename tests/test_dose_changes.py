"""Starts and dose changes read from the record (clinical-reference §11.9), in every FHIR R4 shape
that carries a dose: MedicationRequest (intent plan with issues, UK GP repeats; a single US-style
order) and MedicationStatement; the medicine inline (medicationCodeableConcept) or by reference to
a Medication resource; the dose in doseQuantity, doseRange, the dose text or only the medicine's
name. Records are hand-made for issue 15 in the shape of a UK GP record and of the Synthea
samples in ../shared/fhir-samples."""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.base import Context
from conditions.dose_changes import dose_events, latest_event
from ltc_dashboard.record.doses import dose_amount, from_text, strength_in
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"


def med(rid, when, name, *, intent="order", status="active", based_on=None, dosage=None,
        reference=None, kind="MedicationRequest", course=None):
    found = {"resourceType": kind, "id": rid, "status": status, "subject": {"reference": "Patient/p1"}}
    if reference:
        found["medicationReference"] = {"reference": f"Medication/{reference}"}
    else:
        found["medicationCodeableConcept"] = {"text": name}
    if kind == "MedicationRequest":
        found.update(intent=intent, authoredOn=when)
        if dosage is not None:
            found["dosageInstruction"] = [dosage]
        if based_on:
            found["basedOn"] = [{"reference": f"MedicationRequest/{based_on}"}]
        if course:
            found["courseOfTherapyType"] = {"coding": [{"system": COURSE, "code": course}]}
    else:
        found["effectivePeriod"] = {"start": when}
        found["dateAsserted"] = when
        if dosage is not None:
            found["dosage"] = [dosage]
    return found


def medication(rid, name):
    return {"resourceType": "Medication", "id": rid, "code": {"text": name}}


def quantity(value, unit, frequency=None, period=None, period_unit=None, text=None):
    dosage = {"doseAndRate": [{"doseQuantity": {"value": value, "unit": unit}}]}
    if frequency or period:
        dosage["timing"] = {"repeat": {"frequency": frequency or 1, "period": period or 1,
                                       "periodUnit": period_unit or "d"}}
    if text:
        dosage["text"] = text
    return dosage


def events(*resources, medicine_class="lithium"):
    record = map_record([{"resourceType": "Patient", "id": "p1"}, *resources])
    return dose_events(Context(record=record, today=TODAY), medicine_class)


def kinds(found):
    return [(e.date.isoformat(), e.kind) for e in found]


def test_strength_in_a_name():
    """The strength in a medicine's name is read in mg (micrograms and grams converted); none or
    two strengths read as None."""
    assert strength_in("Lithium carbonate 400mg modified-release tablets") == 400
    assert strength_in("Methotrexate 2.5 mg tablets") == 2.5
    assert strength_in("Levothyroxine 50micrograms tablets") == 0.05
    assert strength_in("Co-codamol 30mg/500mg tablets") is None
    assert strength_in("Lithium carbonate tablets") is None


def test_dose_text_read_in_mg_a_day():
    """A dose text in mg, in tablets times the strength, with its frequency, reads as mg a day."""
    assert from_text("400mg at night", None) == 400
    assert from_text("Two tablets twice a day", 200) == 800
    assert from_text("15mg once a week", None) == pytest.approx(15 / 7)
    assert from_text("Take as directed", 400) is None
    assert from_text("One tablet daily", None) is None


def test_dose_quantity_with_timing_and_range():
    """doseQuantity in mg or in tablets times the strength, times the timing; doseRange's high end."""
    assert dose_amount([quantity(400, "mg", 1, 1, "d")], "Lithium carbonate 200mg tablets") == (400, 200)
    assert dose_amount([quantity(2, "tablet", 2, 1, "d")], "Lithium carbonate 200mg tablets") == (800, 200)
    weekly = dose_amount([quantity(15, "mg", 1, 1, "wk")], "Methotrexate 2.5mg tablets")[0]
    assert weekly == pytest.approx(15 / 7, abs=1e-4)
    ranged = {"doseAndRate": [{"doseRange": {"low": {"value": 200, "unit": "mg"},
                                             "high": {"value": 400, "unit": "mg"}}}]}
    assert dose_amount([ranged], None) == (400, None)


def test_uk_repeat_new_authorisation_at_another_dose_in_dose_quantity():
    """A UK GP repeat (authorisation with intent plan, issues based on it) followed by a new
    authorisation at a higher doseQuantity is a start and then a dose increase on the new
    authorisation's date; issues at the same dose are not changes."""
    name = "Lithium carbonate 200mg modified-release tablets"
    found = events(
        med("a", "2026-01-10", name, intent="plan", course="continuous", dosage=quantity(400, "mg", 1, 1, "d")),
        med("a1", "2026-01-10", name, based_on="a", status="completed", dosage=quantity(400, "mg", 1, 1, "d")),
        med("a2", "2026-02-10", name, based_on="a", status="completed"),
        med("b", "2026-10-20", name, intent="plan", course="continuous", dosage=quantity(600, "mg", 1, 1, "d")),
        med("b1", "2026-10-20", name, based_on="b", status="completed", dosage=quantity(600, "mg", 1, 1, "d")))
    assert kinds(found) == [("2026-01-10", "start"), ("2026-10-20", "increase")]
    assert (found[-1].before, found[-1].after) == (400, 600)


def test_two_strengths_are_two_entries_and_the_change_is_seen_across_them():
    """Lithium 200mg then 400mg tablets, by name only (no instruction), are grouped as two
    medicines; the change from one to the other is still a dose increase."""
    found = events(
        med("a", "2026-03-01", "Lithium carbonate 200mg tablets", status="completed"),
        med("b", "2026-06-01", "Lithium carbonate 200mg tablets", status="completed"),
        med("c", "2026-10-20", "Lithium carbonate 400mg tablets"))
    assert kinds(found) == [("2026-03-01", "start"), ("2026-10-20", "increase")]


def test_same_dose_in_another_strength_is_not_a_change():
    """Two 200mg tablets at night then one 400mg tablet at night is the same dose: no change."""
    found = events(
        med("a", "2026-03-01", "Lithium carbonate 200mg tablets", dosage={"text": "Two tablets at night"}),
        med("b", "2026-10-20", "Lithium carbonate 400mg tablets", dosage={"text": "One tablet at night"}))
    assert kinds(found) == [("2026-03-01", "start")]


def test_medication_by_reference_and_dose_in_text_decrease():
    """The medicine by medicationReference to a Medication resource, the dose only in the text:
    a lower dose later is a decrease."""
    found = events(
        medication("m1", "Priadel 400mg modified-release tablets"),
        med("a", "2026-05-01", None, reference="m1", dosage={"text": "Two tablets at night"}),
        med("b", "2026-09-01", None, reference="m1", dosage={"text": "One tablet at night"}))
    assert kinds(found) == [("2026-05-01", "start"), ("2026-09-01", "decrease")]


def test_statements_carry_doses():
    """MedicationStatements (what the person takes) with different doses are a change on the
    later statement's start date."""
    found = events(
        med("s1", "2026-02-01", "Methotrexate 2.5mg tablets", kind="MedicationStatement",
            dosage=quantity(10, "mg", 1, 1, "wk")),
        med("s2", "2026-08-15", "Methotrexate 2.5mg tablets", kind="MedicationStatement",
            dosage=quantity(15, "mg", 1, 1, "wk")),
        medicine_class="methotrexate")
    assert kinds(found) == [("2026-02-01", "start"), ("2026-08-15", "increase")]


def test_us_style_single_order_is_a_start_only():
    """A US-style single active order (never re-issued) is a start with no change."""
    found = events(med("o", "2025-06-03T09:30:00-04:00", "Lithium carbonate 300 MG Oral Capsule",
                       dosage=quantity(1, "{capsule}", 2, 1, "d")))
    assert kinds(found) == [("2025-06-03", "start")]
    assert found[0].after == 600


def test_undetectable_dose_says_nothing():
    """Doses that cannot be read (no instruction, no strength in the name) give a start, never a
    guessed change."""
    found = events(med("a", "2026-01-01", "Lithium carbonate tablets"),
                   med("b", "2026-06-01", "Lithium carbonate tablets", dosage={"text": "As directed"}))
    assert kinds(found) == [("2026-01-01", "start")]
    assert latest_event(Context(record=map_record([{"resourceType": "Patient", "id": "p1"}]), today=TODAY),
                        "lithium") is None


def test_future_dated_entries_are_not_counted():
    """An order dated after today is not yet a change."""
    found = events(med("a", "2026-01-01", "Lithium carbonate 200mg tablets"),
                   med("b", "2026-12-20", "Lithium carbonate 400mg tablets"))
    assert kinds(found) == [("2026-01-01", "start")]
