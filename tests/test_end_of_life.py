"""Rules of the planning-ahead and end of life care view (clinical-reference §3): the checklist,
the CPR review date, the opt-in prompts and the app policy that hides prognosis and CPR entries."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from conditions import end_of_life as eol
from conditions import end_of_life_rules as rules
from conditions.base import Context
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
UKREL = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Margaret"], "family": "Example"}],
           "birthDate": "1941-04-12"}


def _code(code, display):
    return {"coding": [{"system": SCT, "code": code, "display": display}]}


def flag(code, display, start, end=None, status="active", text=None):
    period = {"start": start, **({"end": end} if end else {})}
    concept = _code(code, display) if code else {"text": text}
    return {"resourceType": "Flag", "id": f"flag-{code or 'text'}-{start}", "status": status,
            "code": concept, "subject": {"reference": "Patient/p1"}, "period": period}


def obs(code, display, when, value=None, text=None, value_code=None):
    res = {"resourceType": "Observation", "id": f"obs-{code or 'text'}-{when}", "status": "final",
           "code": _code(code, display) if code else {"text": text},
           "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when}
    if value is not None:
        res["valueQuantity"] = {"value": value, "unit": "{score}"}
    if value_code:
        res["valueCodeableConcept"] = _code(*value_code)
    return res


def letter(title, when, text, type_code=None):
    return {"resourceType": "DocumentReference", "id": f"doc-{when}-{title[:5]}", "status": "current",
            "type": _code(*type_code) if type_code else {"text": title}, "description": title,
            "subject": {"reference": "Patient/p1"}, "date": when,
            "context": {"period": {"start": when}},
            "content": [{"attachment": {"contentType": "text/plain",
                                        "data": base64.b64encode(text.encode()).decode()}}]}


def person(pid, name, codes, end=None):
    res = {"resourceType": "RelatedPerson", "id": pid, "patient": {"reference": "Patient/p1"},
           "name": [{"text": name}], "relationship": [{"coding": [{"system": s, "code": c} for s, c in codes]}],
           "period": {"start": "2025-01-01", **({"end": end} if end else {})}}
    return res


REGISTER = flag("526631000000108", "On end of life care register", "2026-01-10")
DNACPR = ("450476008", "Not for attempted cardiopulmonary resuscitation")
GSF_D = obs("845771000000107", "GSF prognostic indicator stage D", "2026-11-20")
RESPECT = ("1382601000000107", "ReSPECT form")


def ctx(*resources, viewer="patient", **preferences) -> Context:
    record = map_record([PATIENT, *resources])
    return Context(record=record, today=TODAY, viewer_kind=viewer, patient_name="Margaret Example",
                   preferences=preferences)


def items(context: Context) -> dict[str, tuple[str, str | None]]:
    return {label: (state, detail) for label, state, detail in eol.checklist(context).items}


def test_checklist_states_are_recorded_or_not_recorded_only():
    """The checklist never says overdue: every item is "recorded" or "not recorded" (§3.2)."""
    found = items(ctx(REGISTER, flag(*DNACPR, "2024-01-01", "2024-06-01"), viewer="clinic"))
    assert {state for state, _ in found.values()} <= {"recorded", "not recorded"}
    assert found["End of life care register"][0] == "recorded"
    assert found["ReSPECT form"] == ("not recorded", None)


def test_register_entry_shows_its_date():
    """The register line carries the date it was first recorded."""
    assert items(ctx(REGISTER))["End of life care register"] == (
        "recorded", "On end of life care register, first recorded on 10 January 2026")


def test_anticipatory_line_only_when_prognosis_is_weeks_or_days():
    """Anticipatory medicines are listed as "not recorded" only with a visible stage C/D or
    last-days code (§3.2), and a hidden prognosis code does not reveal itself through that line."""
    label = 'Anticipatory ("just in case") medicines'
    assert label not in items(ctx(REGISTER, viewer="clinic"))
    assert items(ctx(REGISTER, GSF_D, viewer="clinic", eol_show_prognosis="yes"))[label] == ("not recorded", None)
    assert label not in items(ctx(REGISTER, GSF_D))
    assert label not in items(ctx(REGISTER, GSF_D, viewer="clinic"))
    assert items(ctx(REGISTER, GSF_D, eol_show_prognosis="yes"))[label] == ("not recorded", None)


def test_anticipatory_line_recorded_from_an_injection_issue():
    """An issued anticipatory injection counts as recorded, with its date."""
    med = {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
           "medicationCodeableConcept": {"text": "Midazolam 10mg/2ml solution for injection ampoules"},
           "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-10-20"}
    found = items(ctx(REGISTER, med))['Anticipatory ("just in case") medicines']
    assert found == ("recorded", "Issued on 20 October 2026")


def test_cpr_line_hidden_from_patient_unless_chosen():
    """CPR decisions are not shown to the patient by default (§3.4 app policy); the note says how
    to see them; choosing to see them shows the decision and its review date."""
    cpr = flag(*DNACPR, "2026-03-10", "2026-09-10")
    assert "Resuscitation (CPR) decision" not in items(ctx(REGISTER, cpr))
    assert "choose to see them in settings" in eol.checklist(ctx(REGISTER, cpr)).note
    state, detail = items(ctx(REGISTER, cpr, eol_show_prognosis="yes"))["Resuscitation (CPR) decision"]
    assert state == "recorded" and "review date 10 September 2026" in detail


def test_cpr_line_follows_the_persons_choice_on_every_screen():
    """Neither a proxy nor the shared clinic screen shows the CPR decision until the person chose
    to see it; the shared screen is looked at with the patient."""
    cpr = flag(*DNACPR, "2026-03-10", "2026-09-10")
    assert "Resuscitation (CPR) decision" not in items(ctx(REGISTER, cpr, viewer="proxy"))
    assert "Resuscitation (CPR) decision" not in items(ctx(REGISTER, cpr, viewer="clinic"))
    shown = ctx(REGISTER, cpr, viewer="clinic", eol_show_prognosis="yes")
    assert items(shown)["Resuscitation (CPR) decision"][0] == "recorded"


def test_no_cpr_decision_reads_not_recorded():
    """With no decision, the CPR line says "not recorded" and there is no check (never "never")."""
    context = ctx(REGISTER, viewer="clinic", eol_show_prognosis="yes")
    assert items(context)["Resuscitation (CPR) decision"] == ("not recorded", None)
    assert eol.cpr_check(context) is None


def test_cpr_check_status_follows_the_review_date():
    """Review date passed: overdue; inside the 30-day grace window: due-soon; later: ok."""
    def status(end):
        return eol.cpr_check(ctx(flag(*DNACPR, "2026-01-01", end), viewer="clinic", eol_show_prognosis="yes")).status
    assert status("2026-11-24") == "overdue"
    assert status("2026-12-10") == "due-soon"
    assert status("2027-03-01") == "ok"


def test_cpr_check_uses_decision_and_review_dates():
    """The check's last_done is period.start and due is period.end of the CPR Flag [R5]."""
    check = eol.cpr_check(ctx(flag(*DNACPR, "2026-01-01", "2026-07-01"), viewer="clinic", eol_show_prognosis="yes"))
    assert (check.id, check.last_done, check.due) == ("cpr_review", dt.date(2026, 1, 1), dt.date(2026, 7, 1))


def test_cpr_check_ignores_inactive_flags_and_missing_review_dates():
    """An inactive CPR Flag is no decision, and a decision without a review date gives no check."""
    assert eol.cpr_check(ctx(flag(*DNACPR, "2026-01-01", "2026-02-01", status="inactive"), viewer="clinic")) is None
    assert eol.cpr_check(ctx(flag(*DNACPR, "2026-01-01"), viewer="clinic")) is None


def test_no_questions_without_opt_in():
    """Without the planning-ahead opt-in there are no questions at all (§3.3), and the intro says
    how to turn them on."""
    context = ctx(REGISTER, letter("ReSPECT form", "2024-01-01", "Form.", RESPECT))
    assert eol.SPEC.view(context).questions == []
    assert "turn on planning-ahead prompts" in eol.intro(context)


def test_opted_in_register_without_plan_prompts():
    """Opted in, on the register and no plan recorded: the gentle "no plan" question (§3.3)."""
    view = eol.SPEC.view(ctx(REGISTER, eol_prompts="yes"))
    assert [q.rule_id for q in view.questions] == ["end_of_life.no_plan_document"]


def test_plan_review_prompt_uses_the_table_year():
    """A ReSPECT form prompts once it is more than the eol_acp_review interval (365 days) old."""
    fresh = ctx(REGISTER, letter("ReSPECT form", "2025-11-26", "Form.", RESPECT), eol_prompts="yes")
    stale = ctx(REGISTER, letter("ReSPECT form", "2025-11-24", "Form.", RESPECT), eol_prompts="yes")
    assert eol.ask_plan_review(fresh, eol.SPEC.view(fresh)) == []
    assert "24 November 2025" in eol.ask_plan_review(stale, eol.SPEC.view(stale))[0].text


def test_preferred_place_prompt_needs_admission_in_the_latest_letter():
    """Only the most recent letter counts for the admission trigger (§3.3)."""
    place = obs(None, None, "2026-03-01", text="Preferred place of care", value_code=("264362003", "Home"))
    admitted = letter("Discharge", "2026-10-01", "She was admitted to hospital with pneumonia.")
    later = letter("Visit", "2026-11-01", "Seen at home, comfortable.")
    with_admission = ctx(REGISTER, place, admitted, eol_prompts="yes")
    assert "preferred place of care is home" in eol.ask_preferred_place(with_admission, None)[0].text
    assert eol.ask_preferred_place(ctx(REGISTER, place, admitted, later, eol_prompts="yes"), None) == []


def test_acp_declined_is_shown_and_stops_the_no_plan_prompt():
    """A recorded decline shows as such in the checklist and counts as addressed (§1.3)."""
    declined = obs("1095091000000103", "End of life advance care plan declined", "2026-06-01")
    context = ctx(REGISTER, declined, eol_prompts="yes")
    assert items(context)["Advance care plan"] == ("recorded", "Declined on 1 June 2026")
    assert eol.ask_no_plan(context, None) == []


def test_attorney_from_related_person_flag_text_but_not_ended_role():
    """An attorney is a RelatedPerson with Agent/POWATT/HPOWATT or an LPA Flag by its words; a
    role that has ended does not count."""
    assert rules.attorneys(ctx(person("a", "Anne Example", [(ROLE, "HPOWATT")])))[0].text == "Anne Example"
    lpa_flag = flag(None, None, "2025-05-01", text="Lasting power of attorney for health and welfare")
    assert rules.attorneys(ctx(lpa_flag))[0].kind == "flag"
    assert rules.attorneys(ctx(person("a", "Anne Example", [(UKREL, "Agent")], end="2026-01-01"))) == []
    assert rules.attorneys(ctx(person("c", "Carol Example", [(UKREL, "Carer")]))) == []


def test_proxy_wording_names_the_patient():
    """A proxy's questions are worded for a carer, with the patient's first name (§1.4 rule 6)."""
    context = ctx(REGISTER, person("a", "Anne Example", [(UKREL, "Agent")]), viewer="proxy",
                  eol_prompts="yes")
    texts = [q.text for q in eol.SPEC.view(context).questions]
    assert "Anne Example is recorded as Margaret's attorney for health and welfare. You and Margaret could check the details are correct." in texts
    assert all("your" not in t.split(".")[0].lower() for t in texts)


def test_hidden_prognosis_does_not_open_the_view():
    """A prognosis code the person has not chosen to see never makes the view apply (§3.4), on
    the patient's or the shared clinic screen; once they chose to see it, it does."""
    only_prognosis = (GSF_D,)
    assert not eol.SPEC.applies(ctx(*only_prognosis))
    assert not eol.SPEC.applies(ctx(*only_prognosis, viewer="clinic"))
    assert eol.SPEC.applies(ctx(*only_prognosis, eol_show_prognosis="yes"))


def test_prognosis_panel_only_for_viewers_allowed_to_see_it():
    """The prognosis panel is absent by default, on the clinic screen too, and present once the
    person chose to see prognosis entries."""
    assert [p.id for p in eol.panels(ctx(REGISTER, GSF_D))] == ["shared_record_checklist"]
    assert [p.id for p in eol.panels(ctx(REGISTER, GSF_D, viewer="clinic"))] == ["shared_record_checklist"]
    shown = ctx(REGISTER, GSF_D, viewer="clinic", eol_show_prognosis="yes")
    assert [p.id for p in eol.panels(shown)] == ["shared_record_checklist", "prognosis"]


def test_inactive_register_flag_does_not_count():
    """A register Flag that is no longer active is not a register entry."""
    ended = flag("526631000000108", "On end of life care register", "2025-01-01", status="inactive")
    assert rules.register_entries(ctx(ended)) == []


def test_demo_end_of_life_record_gives_a_full_view(fresh_store):
    """The UK-coded demo record opens a non-empty end of life view through the access gate."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    import_paths(fresh_store, [DEMO / "end_of_life.json"])
    patient_id = next(iter(fresh_store.patient_ids()))
    visible = open_record(fresh_store, Viewer(kind="clinic", patient_id=patient_id), TODAY, reveal_prognosis=True)
    views = {v.id: v for v in build_summary(visible, preferences={"eol_prompts": "yes", "eol_show_prognosis": "yes"}).conditions}
    view = views["end_of_life"]
    assert view.panels and view.questions
    assert [c.id for c in view.checks] == ["cpr_review"]
