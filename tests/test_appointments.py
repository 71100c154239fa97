"""Appointments from the record (issue 21): mapped from the UK Core example Appointment (read in
place from ../shared/fhir-samples/ukcore-r4-xml), with whom and where named only as the access
gate allows, status in words, and what a carer and the clinic shared screen see. Hand-made
resources below are small R4 shapes written for these tests, in the style of tests/test_access.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.fhir_xml import parse
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.record.appointments import appointment_lines, next_sentence, status_words
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store

UKCORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "ukcore-r4-xml"
TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def _xml(name: str) -> dict:
    return parse((UKCORE / f"{name}.xml").read_text())


class _Seen:
    """A stand-in for the gate's VisibleRecord: `get` answers only for the keys it was given."""

    def __init__(self, resources: list[dict], today: dt.date = TODAY) -> None:
        self._by_key = {f"{r['resourceType']}/{r['id']}": r for r in resources}
        self.today = today

    def get(self, key: str):
        return self._by_key.get(key)


def test_the_uk_core_example_maps_with_names_the_gate_resolves():
    """The UK Core orthopaedic appointment: 10:46 on 11 March 2022 (GMT), booked, its
    description, with the consultant and at the hospital location, both resolved."""
    appointment = _xml("UKCore-Appointment-OrthopaedicSurgery-Example")
    others = [_xml("UKCore-Practitioner-ConsultantSandraGose-Example"), _xml("UKCore-Location-HospitalSJUH-Example")]
    record = map_record([appointment])
    [line] = appointment_lines(record, [appointment], _Seen(others))
    assert (line.start.hour, line.start.minute, line.start.date()) == (10, 46, dt.date(2022, 3, 11))
    assert line.status == "booked" and line.description == "Appointment to investigate the pain in both hips"
    assert line.with_ and "Gose" in line.with_
    assert line.where == "ST JAMES'S UNIVERSITY HOSPITAL"  # the Location's own name, not the display text
    assert line.model_dump()["with"] == line.with_  # the JSON key is "with"


def test_a_participant_the_gate_cannot_resolve_is_left_unnamed():
    """With the Practitioner and Location not visible, their display text is not shown either."""
    appointment = _xml("UKCore-Appointment-OrthopaedicSurgery-Example")
    [line] = appointment_lines(map_record([appointment]), [appointment], _Seen([]))
    assert line.with_ is None and line.where is None
    assert "Sandra" not in line.model_dump_json()


def test_broken_participants_never_crash():
    """Odd participant shapes (no actor, a search URL, urn:uuid, a list for an actor) give no name."""
    raw = {"resourceType": "Appointment", "id": "a1", "status": "booked", "start": "2026-12-01T09:00:00Z",
           "participant": [{}, {"actor": "Practitioner/x"}, {"actor": {"reference": "Practitioner?name=x"}},
                           {"actor": {"reference": "urn:uuid:1234"}}, {"actor": {"reference": 5}},
                           {"actor": {"display": "Nurse Bee"}}]}
    [line] = appointment_lines(map_record([raw]), [raw], _Seen([]))
    assert line.with_ == "Nurse Bee" and line.where is None


@pytest.mark.parametrize("status, words", [("noshow", "missed"), ("fulfilled", "attended"), ("booked", "booked"),
                                           ("cancelled", "cancelled"), ("waitlist", "on the waiting list"),
                                           ("pending", "waiting to be confirmed"), (None, "status not recorded")])
def test_status_words(status, words):
    """Each R4 status reads in plain words; noshow is "missed"."""
    assert status_words(status) == words


def _appt(rid: str, start: str, status: str = "booked", labels=()) -> dict:
    resource = {"resourceType": "Appointment", "id": rid, "status": status, "start": start, "description": f"visit {rid}",
                "participant": [{"actor": {"reference": "Patient/p1"}}, {"actor": {"reference": "Practitioner/dr1"}}]}
    if labels:
        resource["meta"] = {"security": [{"system": ACT, "code": c} for c in labels]}
    return resource


def _consent(classes: tuple[str, ...]) -> dict:
    return {"resourceType": "Consent", "id": "c1", "status": "active", "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}], "patient": {"reference": "Patient/p1"},
            "provision": {"type": "permit", "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}],
                          "class": [{"system": "http://hl7.org/fhir/resource-types", "code": c} for c in classes]}}


@pytest.fixture
def service(tmp_path):
    store = Store(tmp_path / "a.db")
    store.put([{"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Test"}]},
               {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"}},
               {"resourceType": "Practitioner", "id": "dr1", "name": [{"text": "Dr One"}]},
               _appt("next", "2026-12-15T10:30:00+00:00"), _appt("gone", "2026-12-01T09:00:00+00:00", "entered-in-error"),
               _appt("psy", "2026-12-02T09:00:00+00:00", labels=("PSY",)),
               _appt("old", "2026-03-29T09:30:00+01:00", "noshow"), _consent(("Appointment",))])
    yield Service(store)
    store.close()


def test_the_patient_sees_upcoming_first_and_never_entered_in_error(service):
    """Upcoming soonest first, then past; entered-in-error is never listed; the next one is said."""
    lines = service.summary(Viewer(kind="patient", patient_id="p1"), TODAY).appointments
    assert [l.id for l in lines] == ["psy", "next", "old"]
    assert next_sentence(lines, TODAY, "patient") == "Your next appointment: Wednesday 2 December 2026 at 09:00, with Dr One."


def test_the_shared_screen_hides_what_the_gate_marks_sensitive(service):
    """A PSY-labelled appointment is not on the clinic shared screen."""
    lines = service.summary(Viewer(kind="clinic", patient_id="p1"), TODAY).appointments
    assert [l.id for l in lines] == ["next", "old"]


def test_a_carer_sees_appointments_only_as_the_consent_allows(service, tmp_path):
    """A carer permitted Appointments sees them, in "Their" words; one permitted Observations only sees none."""
    carer = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
    lines = service.summary(carer, TODAY).appointments
    assert [l.id for l in lines] == ["psy", "next", "old"]  # a PSY label hides from the shared screen, not a carer
    assert next_sentence(lines, TODAY, "proxy").startswith("Their next appointment:")
    service._store.put([_consent(("Observation",))])
    assert service.summary(carer, TODAY).appointments == []


def test_ltc_appointments_writes_the_calendar_and_summary_json_lists_them(service, tmp_path, capsys):
    """`ltc appointments --format ics --out FILE` writes every upcoming booked one; the summary JSON has
    `appointments` with the "with" key, upcoming first."""
    import json

    import icalendar

    from ltc_dashboard.cli import main as cli

    db = str(service._store.path)
    out = tmp_path / "a.ics"
    assert cli.main(["appointments", "--patient", "p1", "--format", "ics", "--out", str(out), "--db", db]) == 0
    uids = [str(e["UID"]).split("@")[0] for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")]
    assert uids == ["psy", "next"]
    assert cli.main(["summary", "--patient", "p1", "--format", "json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)["appointments"]
    assert [a["id"] for a in listed] == ["psy", "next", "old"] and listed[1]["with"] == "Dr One"
