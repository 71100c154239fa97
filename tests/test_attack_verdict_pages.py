"""Outside attack on "one verdict per result that matches the target the page shows" (issue 18),
through the pages a person sees (AppTest): the care plan page's Goal line and the condition page's
target must name the same number for the same Goal, and the table beside it must judge by it;
and, through the access gate and the app's own summary for each Viewer, nothing a carer may not
see (a Goal or a result before their Consent's dataPeriod) shapes their verdict, count or check.

The record is hand-written for this attack: an HbA1c Goal agreed in DCCT % ("6.5 %", as older
UK records and the Synthea samples in /work/shared/fhir-samples/ hold HbA1c) and a result in
mmol/mol, coded as in data/terminology/code_units.csv. Nothing here is real patient data.
"""

from __future__ import annotations

import re

import pytest

from ltc_dashboard.store import Store
from test_app_support import go, no_errors, open_app, open_expanders

SCT = "http://snomed.info/sct"


def _record(goal_quantity: dict, result: float) -> list[dict]:
    return [
        {"resourceType": "Patient", "id": "p", "birthDate": "1960-01-01", "gender": "male",
         "name": [{"given": ["Ann"], "family": "Example"}]},
        {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"}, "onsetDateTime": "2015-01-01",
         "clinicalStatus": {"coding": [{"code": "active"}]},
         "code": {"coding": [{"system": SCT, "code": "44054006", "display": "Type 2 diabetes mellitus"}]}},
        {"resourceType": "Goal", "id": "g", "lifecycleStatus": "active", "startDate": "2025-01-01",
         "description": {"text": "Blood sugar goal"}, "subject": {"reference": "Patient/p"},
         "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]}, "detailQuantity": goal_quantity}]},
        {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p"},
         "effectiveDateTime": "2026-10-12", "code": {"coding": [{"system": SCT, "code": "999791000000106"}]},
         "valueQuantity": {"value": result, "unit": "mmol/mol"}},
    ]


@pytest.fixture
def goal_db(tmp_path, monkeypatch, request):
    """A store holding only the record above, chosen through LTC_DB."""
    path = tmp_path / "app.db"
    store = Store(path)
    store.put(_record(*request.param))
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


def _care_plan_target(at) -> str:
    lines = [m.value for m in at.markdown if "Target:" in m.value]
    assert lines, "the care plan page shows the Goal's target"
    return lines[0]


@pytest.mark.parametrize("goal_db", [({"value": 6.5, "unit": "%"}, 48)], indirect=True)
def test_the_care_plan_page_and_the_condition_page_name_the_same_goal_number(goal_db):
    """One Goal of 6.5 % (DCCT) is one target: the condition page shows it as "48 mmol/mol or
    below" and judges 48 "within the target"; the care plan page's Goal line must name 48 too,
    not a second number for the same target."""
    at = open_expanders(go(open_app("p", "patient"), "condition"))  # the tables are made when opened
    no_errors(at)
    rows = [row for t in at.table for row in t.value.to_dict("records") if "How it compares" in row]
    assert {row["Result"]: row["How it compares"] for row in rows}["48 mmol/mol"] == "within the target"
    go(at, "care_plan")
    no_errors(at)
    shown = re.findall(r"\d+(?:\.\d+)?", _care_plan_target(at).replace("\\", ""))
    assert shown[:1] == ["48"], _care_plan_target(at)


@pytest.mark.parametrize("goal_db", [({"value": 53, "comparator": "<", "unit": "mmol/mol"}, 53)], indirect=True)
def test_a_strict_goal_is_worded_the_same_on_both_pages_and_judged_as_worded(goal_db):
    """A Goal "<53 mmol/mol" and a result of 53: whichever words a page uses for the target, a
    result the condition page calls "above the target" must not sit beside a target it shows as
    "53 mmol/mol or below"."""
    at = open_expanders(go(open_app("p", "patient"), "condition"))  # the tables are made when opened
    no_errors(at)
    rows = [row for t in at.table for row in t.value.to_dict("records") if "How it compares" in row]
    said = {row["Result"]: row["How it compares"] for row in rows}["53 mmol/mol"]
    page = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert not (said == "above the target" and "53 mmol/mol or below" in page)


# -- what a viewer may not see never shapes a verdict, a count or a check ----------------------------

def _hidden_record() -> list[dict]:
    """A carer whose Consent lets them see data from 1 June 2026 only (provision.dataPeriod, §8.2;
    the carer and Consent as tests/situation_records.carer); a personal Goal of 40 from 2025 and an
    HbA1c of 90 in March 2026 fall before it, an HbA1c of 45 in October 2026 after it."""
    from situation_records import CARER, PID, carer

    def hba1c(rid: str, when: str, value: float) -> dict:
        return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": f"Patient/{PID}"},
                "effectiveDateTime": when, "code": {"coding": [{"system": SCT, "code": "999791000000106"}]},
                "valueQuantity": {"value": value, "unit": "mmol/mol"}}
    shared = carer()
    shared[-1]["provision"]["dataPeriod"] = {"start": "2026-06-01"}
    assert shared[0]["id"] == CARER
    return [
        {"resourceType": "Patient", "id": PID, "birthDate": "1960-01-01", "gender": "male", "name": [{"given": ["Ann"], "family": "Example"}]},
        {"resourceType": "Condition", "id": "c", "subject": {"reference": f"Patient/{PID}"}, "onsetDateTime": "2026-07-01",
         "clinicalStatus": {"coding": [{"code": "active"}]}, "code": {"coding": [{"system": SCT, "code": "44054006"}]}},
        {"resourceType": "Goal", "id": "g", "lifecycleStatus": "active", "startDate": "2025-01-01", "subject": {"reference": f"Patient/{PID}"},
         "description": {"text": "Blood sugar goal"},
         "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]}, "detailQuantity": {"value": 40, "unit": "mmol/mol"}}]},
        hba1c("o-hidden", "2026-03-01", 90), hba1c("o-seen", "2026-10-01", 45), *shared]


def test_what_the_carer_may_not_see_never_shapes_their_verdict_or_check(tmp_path):
    """Through the gate and the app's own summary: the patient sees the Goal of 40, both results
    "above the target" and the HbA1c check on its stricter 3-month interval; the carer sees only
    the October result, judged against the guideline target the page shows them (48), nothing
    off target, and the 6-month interval (the hidden 90 and the hidden Goal shape nothing)."""
    import datetime as dt

    from conditions import verdict
    from pages import text
    from ltc_dashboard.gate.access import Viewer, open_record
    from situation_records import CARER, PID
    from ltc_dashboard.summary.core import build_summary

    store = Store(tmp_path / "app.db")
    store.put(_hidden_record())
    seen = {}
    for viewer in (Viewer(kind="patient", patient_id=PID), Viewer(kind="proxy", patient_id=PID, proxy_id=CARER)):
        view = {v.id: v for v in build_summary(open_record(store, viewer, dt.date(2026, 11, 25))).conditions}["diabetes"]
        measure = next(m for m in view.measures if m.id == "hba1c")
        check = next(c for c in view.checks if c.id == "hba1c")
        seen[viewer.kind] = ([p.id for p in measure.series], measure.target_high, measure.target_personal,
                             [verdict.words(measure, p) for p in measure.series], text.off_target(measure), check.interval_days)
    store.close()
    assert seen["patient"] == (["o-hidden", "o-seen"], 40, True, ["above the target"] * 2, "above", 91)
    assert seen["proxy"] == (["o-seen"], 48, False, ["within the target"], None, 183)


@pytest.mark.parametrize("order", [("1", "2"), ("2", "1")])
def test_a_goal_withdrawn_in_a_later_version_never_sets_the_target_whatever_the_import_order(tmp_path, order):
    """The same Goal (id g) imported as version 1 (active, 58) and version 2 (entered-in-error,
    meta.versionId and lastUpdated later), in either order, through the store and the gate: the
    newest version wins, so the guideline 48 is the target the patient's summary shows."""
    import datetime as dt

    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    base = _record({"value": 58, "unit": "mmol/mol"}, 55)
    goal = next(r for r in base if r["resourceType"] == "Goal")
    versions = {"1": {**goal, "meta": {"versionId": "1", "lastUpdated": "2025-01-01T10:00:00Z"}},
                "2": {**goal, "lifecycleStatus": "entered-in-error", "meta": {"versionId": "2", "lastUpdated": "2026-02-01T10:00:00Z"}}}
    store = Store(tmp_path / "app.db")
    store.put([r for r in base if r["resourceType"] != "Goal"])
    for version in order:
        store.put([versions[version]])
    view = {v.id: v for v in build_summary(open_record(store, Viewer(kind="patient", patient_id="p"), dt.date(2026, 11, 25))).conditions}["diabetes"]
    store.close()
    measure = next(m for m in view.measures if m.id == "hba1c")
    assert (measure.target_high, measure.target_personal) == (48, False)


# -- who "your" is, for a carer and the shared screen ----------------------------------------------

@pytest.fixture
def carer_goal_db(tmp_path, monkeypatch):
    """The Goal record of this file (a personal target of 53, an HbA1c of 60) about the patient of
    tests/situation_records.carer, whose carer may see the whole record; chosen through LTC_DB."""
    import json

    from situation_records import PID, carer

    def theirs(resource: dict) -> dict:
        if resource["resourceType"] == "Patient":
            return {**resource, "id": PID}
        return json.loads(json.dumps(resource).replace('"Patient/p"', f'"Patient/{PID}"'))

    path = tmp_path / "app.db"
    store = Store(path)
    store.put([theirs(r) for r in _record({"value": 53, "unit": "mmol/mol"}, 60)] + carer())
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


def test_the_chart_sentence_never_calls_the_patients_target_the_carers(carer_goal_db):
    """A carer opens the diabetes page: the HbA1c of 60 is above the patient's personal target of
    53, and the chart's sentence says so without "your personal target" (the carer has no target;
    the same page names it "Ann's personal target"). The shared screen is left out: there "your"
    addresses the patient by design (conditions/base.Context.wording)."""
    from situation_records import CARER, PID

    at = go(open_app(PID, f"proxy:RelatedPerson/{CARER}"), "condition")
    no_errors(at)
    said = " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)
    assert "above" in said and "53" in said  # the sentence is drawn
    at_ = said.find("your personal target")
    assert at_ < 0, said[max(0, at_ - 160): at_ + 80]


def test_the_chart_sentence_says_your_personal_target_to_the_patient(carer_goal_db):
    """The patient's own view does say "above your personal target of 53"."""
    from situation_records import PID

    at = go(open_app(PID, "patient"), "condition")
    no_errors(at)
    said = " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)
    assert "above your personal target of 53" in said
