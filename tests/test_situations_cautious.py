"""Situations read cautiously where the record leaves them open (issue 15 attack, fix 15): a partial
birth date, an expected delivery date given to the month or in a panel, a remission code recorded as
possible, a personal target that cannot be trusted. Records are hand-made for issue 15 in the shape
of a UK GP record (SNOMED CT codes, LOINC 11778-8 for the expected delivery date, a Goal with an
HbA1c target) as in tests/fixtures/conditions/*; nothing here is real patient data. "Today" is
2026-11-25, frozen in a non-UK time zone by tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.base import Context
from conditions.diabetes import SPEC as DIABETES
from conditions.mental_health_lithium import triggers
from conditions.situations import situations
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.record.mapping_results import map_observation

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
T1 = ("46635009", "Type 1 diabetes mellitus")
T2 = ("44054006", "Type 2 diabetes mellitus")
REMISSION = ("703138006", "Type 2 diabetes mellitus in remission")


def condition(code, verification="confirmed", status="active") -> dict:
    return {"resourceType": "Condition", "id": f"c-{code[0]}", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"code": status}]},
            "verificationStatus": {"coding": [{"code": verification}]}, "onsetDateTime": "2015-01-01",
            "code": {"coding": [{"system": SCT, "code": code[0], "display": code[1]}]}}


def delivery_date(rid: str, recorded: str, due: str, key: str = "valueDateTime") -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "11778-8", "display": "Delivery date Estimated"}]},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": recorded, key: due}


def booking_panel(due: str, key: str = "valueDateTime") -> dict:
    """An antenatal booking panel carrying the expected delivery date as a SNOMED-coded component."""
    return {"resourceType": "Observation", "id": "booking", "status": "final",
            "code": {"text": "Antenatal booking"}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": "2026-07-01T10:00:00+01:00",
            "component": [{"code": {"coding": [{"system": SCT, "code": "161714006",
                                                 "display": "Estimated date of delivery"}]}, key: due}]}


def goal(target: dict, rid: str = "g", start: str = "2026-01-01") -> dict:
    return {"resourceType": "Goal", "id": rid, "lifecycleStatus": "active", "startDate": start,
            "description": {"text": "HbA1c agreed at review"}, "subject": {"reference": "Patient/p"},
            "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]}, **target}]}


def qty(value: float, unit: str | None = "mmol/mol") -> dict:
    found: dict = {"value": value}
    if unit:
        found.update(unit=unit, system=UCUM, code=unit)
    return found


def hba1c(when: str, value: float) -> dict:
    return {"resourceType": "Observation", "id": f"hba1c-{when}", "status": "final",
            "code": {"coding": [{"system": SCT, "code": "999791000000106"}]}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": "mmol/mol"}}


def context(*resources, born: str = "1970-01-01", viewer: str = "patient") -> Context:
    patient = {"resourceType": "Patient", "id": "p", "birthDate": born, "gender": "female",
               "name": [{"given": ["Ann"], "family": "Example"}]}
    return Context(record=map_record([patient, *resources]), today=TODAY, viewer_kind=viewer,
                   patient_name="Ann Example")


def measure(ctx: Context, measure_id: str):
    return next(m for m in DIABETES.view(ctx).measures if m.id == measure_id)


# -- pregnancy from an expected delivery date (§11.4) ----------------------------------------------

@pytest.mark.parametrize("due", ["2027-02-15T00:30:00+01:00", "2027-02", "2027-02-15"])
@pytest.mark.parametrize("key", ["valueDateTime", "valueDate"])
def test_a_delivery_date_in_a_snomed_coded_panel_component_shows_pregnancy(due, key):
    """A future expected delivery date in a panel component coded SNOMED 161714006 shows pregnancy
    as a dateTime with an offset, a month or a day, in valueDateTime or valueDate."""
    assert situations(context(condition(T2), booking_panel(due, key))).pregnant


def test_a_panel_holding_only_a_date_is_kept_as_an_entry_with_the_date_as_its_part():
    """A panel whose only component is a date stays an entry of its own (its code is still read)
    and the date becomes a result of its own, named by the panel's id."""
    found = map_observation(booking_panel("2027-02-15"))
    assert [r.id for r in found] == ["booking", "booking#date"]
    assert found[1].value_text == "2027-02-15" and found[1].date == dt.date(2026, 7, 1)


@pytest.mark.parametrize("due, pregnant", [("2026-11", True), ("2026-10", False), ("2027", True),
                                           ("2026-11-24", False), ("2025", False)])
def test_a_partial_delivery_date_is_in_the_future_when_its_last_possible_day_is(due, pregnant):
    """A month or year delivery date shows pregnancy when its latest possible day is after today
    (November 2026 on 25 November does; October 2026 does not; a past full date does not)."""
    assert situations(context(condition(T2), delivery_date("edd", "2026-04-01", due))).pregnant is pregnant


def test_a_month_only_delivery_date_dates_the_pregnancy_from_its_first_day():
    """A month-only delivery date dates the pregnancy's start from the month's first day (the longer
    pregnancy) and keeps the month's last day as the delivery date."""
    found = situations(context(condition(T2), delivery_date("edd", "2026-07-01", "2027-02")))
    assert found.delivery_date == dt.date(2027, 2, 28)
    assert found.pregnancy_start == dt.date(2027, 2, 1) - dt.timedelta(days=280)


def test_only_past_delivery_dates_do_not_show_pregnancy():
    """Delivery dates that are all past show no pregnancy, whichever was recorded last."""
    ctx = context(condition(T2), delivery_date("a", "2024-06-01", "2025-01-10"),
                  delivery_date("b", "2026-10-01", "2026-03-01"))
    assert not situations(ctx).pregnant


# -- age from a partial birth date (§11.3; §11 opening, the more cautious wins) --------------------

@pytest.mark.parametrize("born, ages, age", [("2008", (17, 18), None), ("2008-11", (17, 18), None),
                                             ("2008-11-30", (17, 17), 17), ("2008-11-25", (18, 18), 18),
                                             ("1961", (64, 65), None)])
def test_a_partial_birth_date_gives_an_age_range(born, ages, age):
    """The context gives (youngest, oldest) for a partial birth date, and an exact age only for a
    full one."""
    ctx = context(born=born)
    assert (ctx.age_range, ctx.age) == (ages, age)


def test_a_full_birth_date_of_an_adult_keeps_the_adult_view():
    """Born on 1 January 2008 is 18 today: the adult type 1 situation is said (the control for the
    partial dates that may be 17)."""
    assert "type1" in situations(context(condition(T1), born="2008-01-01")).ids()


def test_a_partial_birth_date_says_the_person_may_be_under_18_for_a_carer():
    """A carer reads that the person may be under 18 because the record gives the birth year only."""
    words = " ".join(s.words for s in situations(context(condition(T1), born="2008", viewer="proxy")).shown)
    assert "Ann may be under 18 (Ann's record gives the birth year only)" in words


def test_a_child_who_may_be_12_gets_the_checks_from_12():
    """Born in 2014 may be 12 today: the eye, kidney and blood pressure checks from age 12 are shown
    (closer monitoring wins)."""
    ids = {c.id for c in DIABETES.view(context(condition(T1), born="2014")).checks}
    assert {"retinal", "acr", "bp"} <= ids


@pytest.mark.parametrize("born, smoking", [("2010", False), ("2010-01-01", True)])
def test_no_smoking_check_while_a_child_may_be_under_16(born, smoking):
    """Born in 2010 may be 15 today: no smoking check; born on 1 January 2010 is 16: the check shows."""
    ids = {c.id for c in DIABETES.view(context(condition(T1), born=born)).checks}
    assert ("smoking" in ids) is smoking


@pytest.mark.parametrize("born, looser", [("1946-11", False), ("1945", True), ("1946-11-25", True)])
def test_the_over_80_blood_pressure_target_only_when_certainly_80(born, looser):
    """November 1946 may be 79 today: the under-80 target; born in 1945 or on 25 November 1946 is 80."""
    systolic = measure(context(condition(T2), born=born), "bp_systolic")
    assert ("80 and over" in (systolic.target or "")) is looser


@pytest.mark.parametrize("born, said", [("1961", "you are aged 64 or 65"), ("1961-11-25", "you are aged 65"),
                                        ("1962", None)])
def test_the_lithium_age_trigger_when_the_person_may_be_65(born, said):
    """Born in 1961 may be 65: the closer lithium monitoring trigger, said as "aged 64 or 65"; born in
    1962 is 63 or 64: no age trigger."""
    found = [t for t in triggers(context(born=born)) if "aged" in t]
    assert found == ([said] if said else [])


# -- a remission code recorded as possible (§11.8) -------------------------------------------------

@pytest.mark.parametrize("verification, found", [("differential", "possible"), ("unconfirmed", "possible"),
                                                 ("confirmed", "remission"), ("refuted", "none")])
def test_a_remission_code_by_its_verification(verification, found):
    """A remission code recorded as differential or unconfirmed is possible (results only); confirmed
    is remission; refuted is ignored."""
    assert situations(context(condition(REMISSION, verification))).diagnosis == found


def test_a_provisional_remission_code_does_not_hide_confirmed_diabetes():
    """Confirmed type 2 diabetes with a provisional remission code stays confirmed (full view)."""
    assert situations(context(condition(T2), condition(REMISSION, "provisional"))).diagnosis == "confirmed"


# -- a personal target that cannot be trusted (§11.6, §11.11) --------------------------------------

@pytest.mark.parametrize("target", [
    {"detailRange": {"low": qty(58, "mmol/L"), "high": qty(70, "mmol/L")}},  # a unit that does not fit
    {"detailRange": {"low": qty(58), "high": qty(300)}},  # above the possible range
    {"detailRange": {"low": qty(5.5, None), "high": qty(7, None)}},  # no unit, DCCT % by its size
    {"detailQuantity": qty(7, None)},  # a single value, no unit, DCCT % by its size
    {"detailQuantity": qty(7, "mmol/L")},  # a single value in a unit that does not fit
])
def test_an_untrusted_personal_target_falls_back_to_the_guideline(target):
    """A personal HbA1c target that cannot be trusted is not used: the guideline target shows, no
    personal range is said, and nothing claims a personal target."""
    ctx = context(condition(T2), goal(target), hba1c("2026-10-01", 62))
    shown = measure(ctx, "hba1c")
    assert situations(ctx).personal_range is None and "personal_range" not in situations(ctx).ids()
    assert not shown.target_personal and shown.target == measure(context(condition(T2), hba1c("2026-10-01", 62)),
                                                                 "hba1c").target


def test_a_single_value_target_without_a_unit_plausible_in_mmol_per_mol_is_used():
    """A single HbA1c target of 53 with no unit is possible in mmol/mol, so it is the personal target."""
    shown = measure(context(condition(T2), goal({"detailQuantity": qty(53, None)})), "hba1c")
    assert shown.target_personal and shown.target == "53 mmol/mol or below"


def test_a_single_value_target_in_percent_is_said_in_whole_mmol_per_mol():
    """A single HbA1c target of 7.5 % is said as 58 mmol/mol (not 58.5)."""
    shown = measure(context(condition(T2), goal({"detailQuantity": qty(7.5, "%")})), "hba1c")
    assert shown.target_personal and shown.target == "58 mmol/mol or below"


def test_a_range_in_percent_reads_the_same_in_the_situation_and_the_target():
    """A range of 7.5 to 8.5 % is said as 58 to 69 in the situation line and the measure target."""
    ctx = context(condition(T2), goal({"detailRange": {"low": qty(7.5, "%"), "high": qty(8.5, "%")}}))
    words = " ".join(s.words for s in situations(ctx).shown)
    assert "your personal range is 58 to 69 mmol/mol" in words
    assert measure(ctx, "hba1c").target == "58 to 69 mmol/mol"
    assert situations(ctx).personal_range == (58, 69)


def test_a_newer_untrusted_range_does_not_bring_back_an_older_one():
    """When the most recent HbA1c goal cannot be trusted, an older range it may have replaced is not
    used either: the guideline applies."""
    ctx = context(condition(T2), goal({"detailRange": {"low": qty(53), "high": qty(64)}}, "old", "2024-01-01"),
                  goal({"detailRange": {"low": qty(70), "high": qty(58)}}, "new", "2026-01-01"))
    assert situations(ctx).personal_range is None and not measure(ctx, "hba1c").target_personal


def test_an_untrusted_goal_target_says_why_in_the_mapped_record():
    """The mapped Goal target keeps why it is not used (low above high)."""
    record = map_record([goal({"detailRange": {"low": qty(70), "high": qty(58)}})])
    said = "The target's low is above its high, so it is not used as a personal target."
    assert record.goals[0].targets[0].unit_problem == said
