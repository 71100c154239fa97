"""Outside attack on appointments (issue 21, branch atk21a): R4 Appointment shapes nobody here wrote,
security labels, clock changes, the calendar file and `ltc appointments`.

Where the shapes come from: the R4 Appointment page (http://hl7.org/fhir/R4/appointment.html):
participant.actor is a Reference (relative, absolute, urn:uuid, contained "#id", identifier-only
or display-only, R4 references.html), a group appointment lists several Patients, `end` is
optional and `minutesDuration` may give the length instead; labels from
data/terminology/sensitivity.csv (the gate's table) written in the spellings ltc_dashboard/gate/policy.py
reads; the two 01:30s of 25 October 2026 (BST ends at 01:00 UTC); calendar text with what RFC 5545
§3.3.11 says must be escaped and §3.1 says is folded. Everything is made here.

Tests marked xfail(strict=True) are breaks found on main: each fails today and passes when fixed.
Unmarked tests are probes that held, kept as regression tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import icalendar
import pytest

from ltc_dashboard.cli import main as cli
from ltc_dashboard.exports.calendar_ics import calendar
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import appointment_lines as sheet_lines

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes LTC_TODAY here, the process in UTC+14
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ME = Viewer(kind="patient", patient_id="p1")
CLINIC = Viewer(kind="clinic", patient_id="p1")
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")


def appt(rid: str, start: str | None, status: str = "booked", labels=(), parts=None, **extra) -> dict:
    """A small R4 Appointment for p1 with Dr One, its description a marker the leak checks look for."""
    resource = {"resourceType": "Appointment", "id": rid, "status": status, "description": f"SECRET{rid}",
                "participant": parts or [{"actor": {"reference": "Patient/p1"}},
                                         {"actor": {"reference": "Practitioner/dr1"}}]}
    if start:
        resource["start"] = start
    if labels:
        resource["meta"] = {"security": [{"system": s, "code": c} for s, c in labels]}
    resource.update(extra)
    return resource


def consent(end: str | None = None) -> dict:
    """The carer's proxy Consent (R4 shape of tests/test_appointments.py `_consent`), every class."""
    period = {"start": "2025-01-01", **({"end": end} if end else {})}
    return {"resourceType": "Consent", "id": "c1", "status": "active", "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}], "patient": {"reference": "Patient/p1"},
            "provision": {"type": "permit", "period": period, "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}]}}


BASE = [{"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Test"}]},
        {"resourceType": "Patient", "id": "p2", "name": [{"text": "Bob Other"}]},
        {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"},
         "name": [{"text": "Carol Carer"}]},
        {"resourceType": "Practitioner", "id": "dr1", "name": [{"text": "Dr One"}]}]


@pytest.fixture
def make(tmp_path):
    """A Service over a fresh store holding BASE and the given resources."""
    stores = []

    def build(*resources, carer_consent=None) -> Service:
        store = Store(tmp_path / f"s{len(stores)}.db")
        stores.append(store)
        store.put([*BASE, *resources, carer_consent or consent()], for_patient="p1")  # p1's record
        return Service(store)

    yield build
    for store in stores:
        store.close()


def ids(service: Service, viewer: Viewer = ME) -> list[str]:
    return [line.id for line in service.summary(viewer, TODAY).appointments]


def line(service: Service, rid: str, viewer: Viewer = ME):
    return next(l for l in service.summary(viewer, TODAY).appointments if l.id == rid)


# -- breaks -------------------------------------------------------------------------------------
def test_a_joint_appointment_listing_another_patient_first_is_still_this_patients(make):
    """A family appointment (mother and baby, a couple) with both Patients as participants, the
    other listed first: store.db patient_of files it under the first Patient, so this patient never
    sees it (the sync's own ownership check accepts it for this patient, then the store files it
    under the other). It must be in this patient's list. Imported for this patient (as an upload
    signed in as them is: ingest.import_items for_patient); imported for nobody (a file with both
    Patients, `ltc import`) it is refused with a plain reason and filed under neither."""
    from ltc_dashboard.intake.ingest import JOINT, import_items

    joint = appt("joint", "2026-12-10T10:00:00Z", parts=[
        {"actor": {"reference": "Patient/p2"}}, {"actor": {"reference": "Patient/p1"}},
        {"actor": {"reference": "Practitioner/dr1"}}])
    service = make()
    report = import_items(service._store, [joint])
    assert [r.reason for r in report.rejected] == [JOINT] and service._store.owner("Appointment", "joint") is None
    import_items(service._store, [joint], for_patient="p1")
    assert "joint" in ids(service)
    assert service._store.owner("Appointment", "joint") == "p1"
    assert "Bob Other" not in json.dumps(service.summary(ME, TODAY).model_dump(mode="json"))


def test_a_contained_practitioner_is_named(make):
    """participant.actor "#pr" naming a Practitioner contained in the Appointment (R4 dom-5: a
    contained resource has no security label of its own, it is part of what the gate passed)."""
    contained = appt("cont", "2026-12-11T10:00:00Z", parts=[
        {"actor": {"reference": "Patient/p1"}}, {"actor": {"reference": "#pr"}}],
        contained=[{"resourceType": "Practitioner", "id": "pr", "name": [{"text": "Dr Contained"}]}])
    service = make(contained)
    assert line(service, "cont").with_ == "Dr Contained"


def test_start_with_minutes_duration_gives_an_end(make):
    """start and minutesDuration 20, no end (R4 allows it; the demo generator writes both): the
    summary's end and the calendar event's end are 20 minutes after the start."""
    service = make(appt("mins", "2026-12-13T10:00:00Z", minutesDuration=20))
    assert line(service, "mins").end is not None
    data, _ = service.calendar_file(ME, TODAY, "mins")
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=20)


def test_ltc_appointments_for_a_carer_whose_consent_ended_says_why(make, tmp_path, capsys):
    """The carer's Consent ended yesterday: `ltc appointments --format ics --out FILE` must say why
    nothing is there (as `ltc export` prints the gate's reason) instead of silently writing an
    empty calendar over the file and exiting 0."""
    service = make(appt("a1", "2026-12-20T10:00:00Z"), carer_consent=consent(end="2026-11-24"))
    out = tmp_path / "mine.ics"
    out.write_text("MY OWN CALENDAR")
    code = cli.main(["appointments", "--patient", "p1", "--as", "proxy:RelatedPerson/rp1", "--format", "ics",
                     "--out", str(out), "--db", str(service._store.path)])
    said = capsys.readouterr().err
    assert code != 0 or "consent" in said.lower(), (code, said)
    assert out.read_text() == "MY OWN CALENDAR"  # the refusal leaves the person's file as it was


def test_a_sentinel_far_future_start_does_not_break_the_calendar(make):
    """9999-12-31, the "no date yet" sentinel many systems write (here as a date-only start, a
    waiting-list entry): listed as upcoming, and "Add to calendar" for every upcoming one (and the
    Appointments page, which makes each card's file) must not raise."""
    service = make(appt("far", "9999-12-31"), appt("ok", "2026-12-20T10:00:00Z"))
    assert ids(service) == ["ok", "far"]
    data, _ = service.calendar_file(ME, TODAY)
    assert b"UID:ok@" in data


def test_an_appointment_naming_the_patient_by_nhs_number_only_is_not_lost_silently(tmp_path):
    """The patient participant given by NHS number alone (R4 Reference.identifier with type
    Patient, as UK Core allows): the import accepts it, store.db patient_of files it under no
    patient, and it is neither listed nor counted. An Observation whose subject is identifier-only
    is refused with a plain reason (connectors/validate.py); this must be refused the same way, or
    shown to the patient whose NHS number it names."""
    from ltc_dashboard.intake.ingest import import_items

    nhs = {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}
    store = Store(tmp_path / "nhs.db")
    try:
        report = import_items(store, [{**BASE[0], "identifier": [nhs]}, BASE[3], appt("nhsonly", "2026-12-20T10:00:00Z", parts=[
            {"actor": {"type": "Patient", "identifier": nhs}}, {"actor": {"reference": "Practitioner/dr1"}}])])
        service = Service(store)
        refused = report.rejected  # only the Appointment can be refused here
        assert refused or "nhsonly" in ids(service) or service.open(ME, TODAY).visible.unchecked
    finally:
        store.close()


# -- what held ------------------------------------------------------------------------------------
HIDDEN_FROM_ALL = [("r", [(CONF, "R")]), ("v-lower", [(CONF, "v")]),
                   ("nopat-stu3", [("http://hl7.org/fhir/v3/ActCode", "NOPAT")]), ("bare-r", [("", "R")])]
CLINIC_ONLY = [("psy", [(ACT, "PSY")]), ("eth", [(ACT, "ETH")]), ("sdv", [(ACT, "SDV")])]


def _outputs(service: Service, viewer: Viewer) -> str:
    """Everything this viewer can take away: summary JSON, sheet lines, FHIR export and .ics."""
    summary = service.summary(viewer, TODAY)
    return "\n".join([json.dumps(summary.model_dump(mode="json")), "\n".join(sheet_lines(summary)),
                      service.export(viewer, TODAY, "fhir").data.decode(), service.calendar_file(viewer, TODAY)[0].decode()])


def test_labels_hide_the_appointment_its_question_link_and_next_sentence(make):
    """R, V (lower case), STU3 NOPAT and a bare R hide the appointment from everyone; PSY/ETH/SDV from
    the shared screen only. A question linked to the PSY one is never tied to it on the shared screen,
    and the next appointment there is the unlabelled one."""
    resources = [appt(rid, "2026-12-01T10:00:00Z", labels=labels) for rid, labels in HIDDEN_FROM_ALL + CLINIC_ONLY]
    service = make(*resources, appt("ok", "2026-12-20T10:00:00Z"))
    qid = service.add_question(ME, "Can we talk about the letter?")
    service.link_question(ME, TODAY, qid, "psy")
    for viewer in (ME, CLINIC, CARER):
        text = _outputs(service, viewer)
        assert not [rid for rid, _ in HIDDEN_FROM_ALL if f"SECRET{rid}" in text], viewer.kind
    clinic = _outputs(service, CLINIC)
    assert not re.search(r"SECRET(psy|eth|sdv)", clinic)
    assert '"appointment_id": "psy"' not in clinic
    assert sheet_lines(service.summary(CLINIC, TODAY))[0].startswith("Your next appointment: Sunday 20 December 2026")
    assert set(ids(service)) == {"psy", "eth", "sdv", "ok"}


def test_an_appointment_for_a_restricted_condition_is_hidden_with_it(make):
    """reasonReference to a Condition labelled R: the appointment is withheld too (gate chains)."""
    condition = {"resourceType": "Condition", "id": "cond-r", "subject": {"reference": "Patient/p1"},
                 "code": {"text": "restricted"}, "recordedDate": "2026-01-01",
                 "meta": {"security": [{"system": CONF, "code": "R"}]}}
    service = make(condition, appt("why", "2026-12-04T10:00:00Z", reasonReference=[{"reference": "Condition/cond-r"}]))
    assert all("SECRETwhy" not in _outputs(service, v) for v in (ME, CLINIC, CARER))


def test_a_carer_whose_consent_ended_yesterday_sees_no_appointment(make):
    """Consent period end 24 November, today 25th: nothing listed, no next sentence, empty calendar."""
    service = make(appt("a1", "2026-12-20T10:00:00Z"), carer_consent=consent(end="2026-11-24"))
    summary = service.summary(CARER, TODAY)
    assert summary.appointments == [] and sheet_lines(summary) == []
    assert b"VEVENT" not in service.calendar_file(CARER, TODAY)[0]


def test_participants_in_other_reference_forms(make):
    """Absolute and versioned references name the Practitioner; another Patient, a RelatedPerson,
    an identifier-only Patient and a urn:uuid are never named; display-only text is."""
    parts = [{"actor": {"reference": "https://gp.example/fhir/Patient/p1"}},
             {"actor": {"reference": "https://gp.example/fhir/Practitioner/dr1/_history/3"}},
             {"actor": {"reference": "Patient/p2", "display": "Bob Other"}},
             {"actor": {"reference": "RelatedPerson/rp1"}},
             {"actor": {"type": "Patient", "identifier": {"value": "9000000009"}, "display": "Someone Else"}},
             {"actor": {"reference": "urn:uuid:9b1c3f52-0000-4000-8000-000000000001"}},
             {"actor": {"type": "Location", "display": "Room 4"}}]
    service = make(appt("forms", "2026-12-12T10:00:00Z", parts=parts))
    shown = line(service, "forms")
    assert (shown.with_, shown.where) == ("Dr One", "Room 4")


def test_the_two_0130s_of_25_october_keep_their_instants_and_order(make):
    """01:30 BST and 01:30 GMT on 25 October 2026: the JSON keeps both offsets, the later is listed
    first among past ones, and the calendar writes each at its own UTC instant."""
    service = make(appt("bst", "2026-10-25T01:30:00+01:00"), appt("gmt", "2026-10-25T01:30:00+00:00"))
    listed = [(a["id"], a["start"]) for a in service.summary(ME, TODAY).model_dump(mode="json")["appointments"]]
    assert listed == [("gmt", "2026-10-25T01:30:00Z"), ("bst", "2026-10-25T01:30:00+01:00")]
    for rid, utc_hour in (("bst", 0), ("gmt", 1)):
        data, _ = service.calendar_file(ME, TODAY, rid)
        start = icalendar.Calendar.from_ical(data).walk("VEVENT")[0].decoded("DTSTART")
        assert start == dt.datetime(2026, 10, 25, utc_hour, 30, tzinfo=dt.timezone.utc)


def test_a_prognosis_reason_hides_the_appointment_unless_chosen(make):
    """reasonCode GSF prognostic indicator stage D (SNOMED 845771000000107, valuesets.csv): hidden
    from every viewer by default, as the gate does for prognosis codes anywhere in an entry."""
    gsf = {"coding": [{"system": "http://snomed.info/sct", "code": "845771000000107"}]}
    service = make(appt("gsf", "2026-12-20T10:00:00Z", reasonCode=[gsf]))
    assert all("SECRETgsf" not in _outputs(service, v) for v in (ME, CLINIC, CARER))


def test_a_start_in_another_zone_lands_on_the_uk_day(make):
    """23:30 at -05:00 on 14 December is 04:30 on the 15th in the UK: listed and said on the 15th."""
    from ltc_dashboard.record.appointments import when_words

    service = make(appt("ny", "2026-12-14T23:30:00-05:00"))
    assert when_words(line(service, "ny")) == "Tuesday 15 December 2026 at 04:30"


def test_calendar_text_cannot_inject_an_event_and_folds_whole_characters():
    """A description with an injected END:VEVENT/BEGIN:VEVENT, commas, semicolons, emoji (a ZWJ
    family, 4-byte letters) and 80+ byte lines: one event, read back word for word, no line over
    75 octets, valid UTF-8 on every physical line."""
    from zoneinfo import ZoneInfo

    from ltc_dashboard.record.appointments import AppointmentLine

    words = ("Review; bloods, feet\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected\nbring 👨‍👩‍👧‍👦 "
             + "𝔇𝔦𝔞𝔟𝔢𝔱𝔢𝔰 " * 12 + "é" * 40)
    start = dt.datetime(2026, 12, 15, 10, 30, tzinfo=ZoneInfo("Europe/London"))
    data = calendar([AppointmentLine(id="a1", start=start, status="booked", description=words,
                                     where="Room 2, 1st floor; east")], dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == words.replace("\r\n", "\n")
    rows = data.split(b"\r\n")
    assert max(len(row) for row in rows) <= 75
    for row in rows:
        row.decode("utf-8")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_sheet_of_the_shared_screen_names_no_hidden_appointment(make):
    """The shared screen's PDF sheet (pdftotext) names the unlabelled appointment, not the PSY one."""
    from test_leaks import pdf_text

    service = make(appt("psy", "2026-12-01T10:00:00Z", labels=[(ACT, "PSY")]), appt("ok", "2026-12-20T10:00:00Z"))
    words = " ".join(pdf_text(service.export(CLINIC, TODAY, "pdf").data).split())
    assert "Sunday 20 December 2026" in words and "Tuesday 1 December" not in words
