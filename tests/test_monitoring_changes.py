"""Monitoring after starts and dose changes (clinical-reference §11.9, §5.2, §6.2): the edges of
the lithium and DMARD schedules that the fixture pairs do not reach. Records are hand-made for
issue 15 in the shape of UK GP repeats (authorisation with intent plan, issues based on it)."""

from __future__ import annotations

import datetime as dt

from conditions import inflammatory_arthritis as ia
from conditions import mental_health as mh
from conditions.base import Context
from conditions.inflammatory_arthritis_rules import dmard_bloods_check
from conditions.mental_health_lithium import lithium_level_check
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
SCT, LOINC = "http://snomed.info/sct", "http://loinc.org"
LI400, LI200 = "Lithium carbonate 400mg modified-release tablets", "Lithium carbonate 200mg modified-release tablets"


def plan(rid, name, when, text, status="active", issues=()):
    found = [{"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "plan",
              "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p1"},
              "authoredOn": when, "dosageInstruction": [{"text": text}]}]
    for n, day in enumerate(issues):
        found.append({"resourceType": "MedicationRequest", "id": f"{rid}-{n}", "status": "completed",
                      "intent": "order", "medicationCodeableConcept": {"text": name},
                      "subject": {"reference": "Patient/p1"}, "authoredOn": day,
                      "basedOn": [{"reference": f"MedicationRequest/{rid}"}],
                      "dosageInstruction": [{"text": text}]})
    return found


def obs(rid, system, code, when, value, unit, **extra):
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
            **extra}


def level(rid, when, value):
    return obs(rid, LOINC, "14334-7", when, value, "mmol/L")


def bloods(prefix, when):
    return [obs(f"{prefix}-wcc", SCT, "1022541000000102", when, 6.0, "10*9/L"),
            obs(f"{prefix}-alt", LOINC, "1742-6", when, 25, "U/L"),
            obs(f"{prefix}-cr", SCT, "1000731000000107", when, 70, "umol/L")]


def context(*resources, born="1980-01-01", viewer="patient", today=TODAY):
    record = map_record([{"resourceType": "Patient", "id": "p1", "birthDate": born,
                          "name": [{"given": ["Dora"], "family": "Sample"}]}, *resources])
    return Context(record=record, today=today, viewer_kind=viewer, patient_name="Dora Sample")


def changed_lithium(*levels_, born="1980-01-01"):
    """Lithium 400mg at night since 2020, raised to 600mg (three 200mg) on 20 October 2026."""
    return context(*plan("a", LI400, "2020-01-01", "One tablet at night", "stopped", ["2026-09-01", "2026-10-01"]),
                   *plan("b", LI200, "2026-10-20", "Three tablets at night", issues=["2026-10-20"]),
                   level("l0", "2026-07-20", 0.6), *levels_, born=born)


def test_dose_change_with_only_an_earlier_level_is_overdue_not_six_monthly():
    """Issue 15's harm: a dose raised on 20 October with a level 3 months before is overdue a week
    after the change, never 'up to date' on the 6-monthly interval."""
    check = lithium_level_check(changed_lithium())
    assert (check.status, check.due, check.interval_days) == ("overdue", dt.date(2026, 10, 27), 7)


def test_too_early_level_is_said_in_words_and_does_not_count():
    """A level 3 days after the change is named as too early and the week's level stays due."""
    check = lithium_level_check(changed_lithium(level("l1", "2026-10-23", 0.7)))
    assert check.status == "overdue" and check.last_done == dt.date(2026, 10, 23)
    assert ("The level on 23 October 2026 was taken 3 days after the dose change on 20 October 2026, "
            "earlier than the usual week, so it does not count as the level after the change.") in check.note


def test_one_level_after_the_change_leaves_it_weekly_until_two_in_range():
    """One level a week after the change makes the next due a week later; two in range a week
    apart end the weekly levels (the design choice of intervals.csv lithium_stable)."""
    one = lithium_level_check(changed_lithium(level("l1", "2026-10-27", 0.7)))
    assert (one.interval_days, one.due, one.status) == (7, dt.date(2026, 11, 3), "overdue")
    two = lithium_level_check(changed_lithium(level("l1", "2026-10-27", 0.7), level("l2", "2026-11-03", 0.75)))
    assert two.interval_days == 183 and two.status == "ok" and two.note == "Every 6 months."


def test_two_levels_out_of_range_are_not_stable():
    """Two levels after the change, one above the usual range: still weekly."""
    check = lithium_level_check(changed_lithium(level("l1", "2026-10-27", 1.2), level("l2", "2026-11-03", 0.8)))
    assert check.interval_days == 7


def test_change_with_no_level_stays_overdue_however_long_ago():
    """A dose change a year ago with no level after it stays overdue on the weekly rule: the
    settling window ends the weekly phase only once a level followed the change."""
    ctx = context(*plan("a", LI400, "2020-01-01", "One tablet at night", "stopped", ["2025-10-01"]),
                  *plan("b", LI200, "2025-11-01", "Three tablets at night", issues=["2026-11-01"]),
                  level("l0", "2025-10-20", 0.6))
    check = lithium_level_check(ctx)
    assert (check.interval_days, check.due, check.status) == (7, dt.date(2025, 11, 8), "overdue")


def test_triggers_are_worded_for_a_carer():
    """The 3-monthly note names the trigger in the carer's words (aged 65 or over, an ACE
    inhibitor), and a 6-monthly note needs none."""
    ctx = context(*plan("a", LI400, "2015-01-01", "One tablet at night", issues=["2026-11-01"]),
                  *plan("r", "Ramipril 5mg capsules", "2024-01-01", "One daily", issues=["2026-11-01"]),
                  level("l1", "2026-05-01", 0.6), level("l2", "2026-09-01", 0.6),
                  born="1958-01-01", viewer="proxy")
    check = lithium_level_check(ctx)
    assert check.interval_days == 91
    assert check.note == ("Every 3 months, not 6, because Dora is aged 68; Dora's record lists ramipril, "
                          "which can affect lithium levels.")


def test_calcium_flagged_high_by_the_lab_is_a_trigger():
    """Calcium flagged high by the lab makes levels 3-monthly, named in the note."""
    calcium = obs("ca", SCT, "935201000000104", "2026-09-01", 2.7, "mmol/L",
                  interpretation=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H"}]}])
    ctx = context(*plan("a", LI400, "2015-01-01", "One tablet at night", issues=["2026-11-01"]),
                  level("l1", "2026-05-01", 0.6), level("l2", "2026-09-01", 0.6), calcium)
    check = lithium_level_check(ctx)
    assert check.interval_days == 91 and "calcium" in check.note.lower() and "outside the lab's range" in check.note


def test_overdue_question_names_the_dose_change():
    """The overdue lithium question starts with the dose change it follows."""
    ctx = changed_lithium()
    texts = [q.text for q in mh.SPEC.view(ctx).questions]
    assert any(t.startswith("Your lithium dose changed on 20 October 2026 and your last lithium blood "
                            "test was on 20 July 2026") for t in texts)


MTX = "Methotrexate 2.5mg tablets"


def test_dmard_dose_decrease_does_not_restart_fortnightly_bloods():
    """A methotrexate dose lowered a month ago keeps the stable 12-weekly interval (§11.9 restarts
    only on a start or an increase)."""
    ctx = context(*plan("m", MTX, "2019-01-01", "Six tablets once a week", "stopped", ["2026-09-01"]),
                  *plan("n", MTX, "2026-10-25", "Four tablets once a week", issues=["2026-10-25"]),
                  *bloods("b", "2026-10-20"))
    assert dmard_bloods_check(ctx).interval_days == 84


def test_dmard_dose_increase_restarts_fortnightly_bloods():
    """A methotrexate dose raised a month ago gives bloods every 2 weeks, saying why."""
    ctx = context(*plan("m", MTX, "2019-01-01", "Four tablets once a week", "stopped", ["2026-09-01"]),
                  *plan("n", MTX, "2026-10-25", "Six tablets once a week", issues=["2026-10-25"]),
                  *bloods("b", "2026-11-20"))
    check = dmard_bloods_check(ctx)
    assert check.interval_days == 14 and check.status == "ok"
    assert check.note.startswith("Every 2 weeks because the methotrexate dose was increased on 25 October 2026")


def test_combination_monthly_only_in_its_first_year():
    """Methotrexate with leflunomide together for over 12 months returns to the stable interval."""
    ctx = context(*plan("m", MTX, "2019-01-01", "Six tablets once a week", issues=["2026-11-01"]),
                  *plan("l", "Leflunomide 20mg tablets", "2025-06-01", "One tablet daily", issues=["2026-11-01"]),
                  *bloods("b", "2026-10-20"))
    assert dmard_bloods_check(ctx).interval_days == 84


def bp(when, systolic, diastolic):
    return {"resourceType": "Observation", "id": f"bp-{when}", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": SCT, "code": "75367002"}]}, "effectiveDateTime": when,
            "component": [
                {"code": {"coding": [{"system": SCT, "code": "72313002"}]},
                 "valueQuantity": {"value": systolic, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
                {"code": {"coding": [{"system": SCT, "code": "1091811000000102"}]},
                 "valueQuantity": {"value": diastolic, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]}


def lef_questions(*resources, viewer="patient"):
    ctx = context(*plan("l", "Leflunomide 20mg tablets", "2024-01-01", "One tablet daily", issues=["2026-11-01"]),
                  *resources, viewer=viewer)
    return [q.text for q in ia.SPEC.view(ctx).questions if "blood pressure on" in q.text]


def test_leflunomide_bp_at_140_90_asks_nothing_and_above_asks_for_a_carer():
    """Exactly 140/90 is not above it; 138/92 is (diastolic), asked in the carer's words with no
    advice on the medicine."""
    assert lef_questions(bp("2026-10-20", 140, 90)) == []
    asked = lef_questions(bp("2026-10-20", 138, 92), viewer="proxy")
    assert asked == ["Dora's blood pressure on 20 October 2026 was 138/92 mmHg, above 140/90, while taking "
                     "leflunomide (blood pressure is checked as part of leflunomide monitoring). You and "
                     "Dora could ask what this means."]
    for word in ("stop", "start", "increase", "reduce", "change your dose"):
        assert word not in asked[0].lower()
