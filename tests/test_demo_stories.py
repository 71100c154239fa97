"""The demo records in data/demo tell each exemplar's story: repeat medicines issued on time, and
the diabetes, dementia, arthritis and lithium histories the dashboard is demonstrated with. Split
from tests/test_demo_data.py (well-formed Bundles and special cases) to keep each under 400 lines;
its helpers read the same generated files."""

from __future__ import annotations

import datetime as dt
import json

from test_demo_data import (  # noqa: F401  (bundles: the module's fixture)
    LAPSED, TODAY, _day, bundles, codes, everything, letter_text, resources, series,
)


def test_repeat_medicines_issue_every_eight_weeks(bundles):
    """Active repeats are continuous, issued about every 56 days, last issue within 2 months; the
    one lapsed repeat (issue 21: active, last issued in January 2026) is the exception it is for."""
    plans = [r for r in everything(bundles) if r["resourceType"] == "MedicationRequest"
             and r["intent"] == "plan" and r["status"] == "active" and r["id"] != LAPSED]
    assert plans
    for plan in plans:
        assert "continuous" in codes(plan["courseOfTherapyType"])
        issues = sorted(r["authoredOn"] for r in everything(bundles)
                        if r["resourceType"] == "MedicationRequest"
                        and r.get("basedOn", [{}])[0].get("reference") ==
                        f"MedicationRequest/{plan['id']}")
        assert (TODAY - dt.date.fromisoformat(issues[-1])).days <= 61, plan["id"]
        gaps = {(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days
                for a, b in zip(issues, issues[1:])}
        interval = plan["dispenseRequest"]["expectedSupplyDuration"]["value"]
        assert all(abs(gap - interval) <= 5 for gap in gaps), plan["id"]


def test_appointments_are_upcoming_and_past(bundles):
    """The diabetes demo has appointments before and after today, among them one booked ahead (issue 21)."""
    found = [r for r in everything(bundles) if r["resourceType"] == "Appointment"]
    days = {r["status"]: _day(r["start"]) for r in found}
    assert days["booked"] > TODAY and days["fulfilled"] < TODAY and days["noshow"] < TODAY


def test_diabetes_story(bundles):
    """HbA1c spans 8+ years, the last rose by 5 or more to above the personal target of 53, and
    retinal screening is overdue while the foot check is recent."""
    hba1c = series(bundles, "dm-patient", "999791000000106")
    assert _day(hba1c[-1][0]).year - _day(hba1c[0][0]).year >= 8
    assert hba1c[-1][1] - hba1c[-2][1] >= 5 and hba1c[-1][1] >= 53 + 5
    found = {key: max(r["effectiveDateTime"][:10] for r in resources(bundles["diabetes.json"])
                      if r["resourceType"] == "Observation" and code in codes(r["code"]))
             for key, code in (("retinal", "390852004"), ("foot", "401191002"),
                               ("acr", "1023491000000104"))}
    assert (TODAY - _day(found["retinal"])).days > 365
    assert (TODAY - _day(found["acr"])).days > 365
    assert (TODAY - _day(found["foot"])).days < 60


def test_dementia_story(bundles):
    """MMSE falls by 3 or more between two tests, the last care-plan review is over a year old,
    and the second dementia record started donepezil within the last three months."""
    mmse = [value for _, value in series(bundles, "dem-patient", "447316007")]
    assert any(a - b >= 3 for a, b in zip(mmse, mmse[1:]))
    reviews = [r["effectiveDateTime"][:10] for r in resources(bundles["dementia.json"])
               if r["resourceType"] == "Observation" and "956861000000107" in codes(r["code"])]
    assert (TODAY - _day(max(reviews))).days > 365
    starts = [r["authoredOn"] for r in resources(bundles["dementia_recent_start.json"])
              if r["resourceType"] == "MedicationRequest" and r["intent"] == "plan"
              and r["medicationCodeableConcept"]["text"].startswith("Donepezil")]
    assert (TODAY - _day(min(starts))).days <= 92


def test_arthritis_story(bundles):
    """The last DMARD bloods are over 14 weeks old, one neutrophil count is below 1.6, CRP rose
    on the last two tests, and a clinic letter names a biologic missing from the GP list."""
    neutrophils = series(bundles, "ra-patient", "1022551000000104")
    assert (TODAY - _day(neutrophils[-1][0])).days > 14 * 7
    assert any(value < 1.6 for _, value in neutrophils)
    crp = [value for _, value in series(bundles, "ra-patient", "999651000000107")]
    assert crp[-3] < crp[-2] < crp[-1]
    bundle = bundles["rheumatoid_arthritis.json"]
    letters = " ".join(letter_text(bundle, r) for r in resources(bundle)
                       if r["resourceType"] == "DocumentReference")
    medicines = " ".join(r["medicationCodeableConcept"]["text"] for r in resources(bundle)
                         if r["resourceType"] == "MedicationRequest")
    assert "adalimumab" in letters and "adalimumab" not in medicines.lower()


def test_lithium_story(bundles):
    """One lithium level is above 1.0, eGFR falls over the last tests, and PHQ-9 changes by 5
    or more between two questionnaires."""
    lithium = [value for _, value in series(bundles, "mh-patient", "1006681000000100")]
    assert any(value > 1.0 for value in lithium)
    egfr = [value for _, value in series(bundles, "mh-patient", "1011481000000105")]
    assert egfr[-3] > egfr[-2] > egfr[-1]
    phq9 = [value for _, value in series(bundles, "mh-patient", "720433000")]
    assert any(abs(a - b) >= 5 for a, b in zip(phq9, phq9[1:]))


def test_repeat_ordering_has_a_lapsed_repeat_and_one_order(bundles):
    """Issue 21: the lapsed repeat's last issue is over 6 months old while it stays active, and the
    diabetes record holds one order the person prepared, as an own-content Task for a repeat."""
    diabetes = resources(bundles["diabetes.json"])
    issues = sorted(r["authoredOn"] for r in diabetes if r["resourceType"] == "MedicationRequest"
                    and r.get("basedOn", [{}])[0].get("reference") == f"MedicationRequest/{LAPSED}")
    assert (TODAY - dt.date.fromisoformat(issues[-1])).days > 183
    [task] = [r for r in everything(bundles) if r["resourceType"] == "Task"]
    assert task["meta"]["tag"][0]["code"] == "own-content" and task["code"]["coding"][0]["code"] == "fulfill"
    assert task["focus"]["reference"] == "MedicationRequest/dm-med-atorvastatin"
