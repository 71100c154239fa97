"""The access gate: each rule of clinical-reference §7–8 hides exactly what it should.

Records here are built in the test from small helpers (hand-written FHIR R4 shapes following the
examples in clinical-reference §7.1 and §8.2).
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from ltc_dashboard.gate.access import RecordChanged, Viewer, ViewerError, open_record

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_STU3 = "http://hl7.org/fhir/v3/ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


def patient(pid="p1"):
    return {"resourceType": "Patient", "id": pid, "name": [{"given": ["Ann"], "family": "Test"}]}


def obs(rid, date="2025-06-01", labels=(), status="final", pid="p1", **extra):
    resource = {"resourceType": "Observation", "id": rid, "status": status,
                "code": {"text": f"text of {rid}"}, "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": date, **extra}
    if labels:
        resource["meta"] = {"security": [{"system": s, "code": c} for s, c in labels]}
    return resource


def consent(cid="c1", actor="RelatedPerson/rp1", period=None, data_period=None, denies=(), classes=(),
            status="active", pid="p1", date_time="2025-01-01"):
    provision = {"type": "permit"}
    if actor:
        provision["actor"] = [{"reference": {"reference": actor}}]
    if period:
        provision["period"] = period
    if data_period:
        provision["dataPeriod"] = data_period
    if classes:
        provision["class"] = [{"system": "http://hl7.org/fhir/resource-types", "code": c} for c in classes]
    if denies:
        provision["provision"] = list(denies)
    return {"resourceType": "Consent", "id": cid, "status": status, "dateTime": date_time,
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
            "patient": {"reference": f"Patient/{pid}"}, "provision": provision}


def related(rid="rp1", active=True, period=None, pid="p1"):
    resource = {"resourceType": "RelatedPerson", "id": rid, "active": active,
                "patient": {"reference": f"Patient/{pid}"}}
    if period:
        resource["period"] = period
    return resource


def visible_ids(store, viewer, today=TODAY):
    return {r["id"] for r in open_record(store, viewer, today).resources}


PATIENT = Viewer(kind="patient", patient_id="p1")
CLINIC = Viewer(kind="clinic", patient_id="p1")
PROXY = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")


@pytest.mark.parametrize("label", [(ACT, "NOPAT"), (ACT_STU3, "NOPAT"), (CONF, "R"), (CONF, "V")])
def test_redaction_labels_hide_from_every_viewer(fresh_store, label):
    """NOPAT (R4 and STU3 systems) and Confidentiality R/V hide an entry from all viewers."""
    fresh_store.put([patient(), obs("secret", labels=[label]), obs("plain"), related(),
                     consent(period={"start": "2020-01-01"})])
    for viewer in (PATIENT, CLINIC, PROXY):
        ids = visible_ids(fresh_store, viewer)
        assert "secret" not in ids and "plain" in ids, viewer


def test_confidentiality_normal_is_shown(fresh_store):
    """A Confidentiality N label is ordinary health data and stays visible."""
    fresh_store.put([patient(), obs("normal", labels=[(CONF, "N")])])
    assert "normal" in visible_ids(fresh_store, PATIENT)


@pytest.mark.parametrize("field", ["hasMember", "derivedFrom", "partOf", "encounter"])
def test_entries_pointing_at_hidden_ones_are_hidden(fresh_store, field):
    """An entry that references a hidden entry is hidden too, through any reference field."""
    ref = {"reference": "Observation/secret"}
    fresh_store.put([patient(), obs("secret", labels=[(ACT, "NOPAT")]),
                     obs("child", **{field: [ref] if field != "encounter" else ref}),
                     obs("grandchild", derivedFrom=[{"reference": "Observation/child"}])])
    assert visible_ids(fresh_store, PATIENT) == {"p1"}


def test_letter_relating_to_hidden_letter_and_its_binary_are_hidden(fresh_store):
    """DocumentReference.relatesTo a hidden letter hides it, and a Binary only shows via a visible letter."""
    def doc(rid, **extra):
        return {"resourceType": "DocumentReference", "id": rid, "status": "current", "date": "2025-01-01",
                "subject": {"reference": "Patient/p1"},
                "content": [{"attachment": {"url": f"Binary/b-{rid}", "contentType": "text/plain"}}], **extra}
    fresh_store.put([patient(),
                     {**doc("d1"), "meta": {"security": [{"system": ACT, "code": "NOPAT"}]}},
                     doc("d2", relatesTo=[{"code": "appends", "target": {"reference": "DocumentReference/d1"}}]),
                     doc("d3"),
                     {"resourceType": "Binary", "id": "b-d1", "securityContext": {"reference": "Patient/p1"}, "data": "eA=="},
                     {"resourceType": "Binary", "id": "b-d3", "securityContext": {"reference": "Patient/p1"}, "data": "eA=="}])
    assert visible_ids(fresh_store, PATIENT) == {"p1", "d3", "b-d3"}


def test_entered_in_error_is_never_shown(fresh_store):
    """Entries marked entered-in-error (status or verificationStatus) are hidden from everyone."""
    fresh_store.put([patient(), obs("wrong", status="entered-in-error"),
                     {"resourceType": "Condition", "id": "cond", "subject": {"reference": "Patient/p1"},
                      "recordedDate": "2020-01-01",
                      "verificationStatus": {"coding": [{"code": "entered-in-error"}]}}])
    assert visible_ids(fresh_store, PATIENT) == {"p1"}


def test_access_start_hides_older_entries_and_is_reported(fresh_store):
    """Before the patient's online-access start nothing shows; partial and undated entries count as before."""
    fresh_store.put([
        patient(), obs("before", date="2023-10-30"), obs("on", date="2023-10-31"),
        obs("utc-late", date="2023-10-30T23:30:00Z"),  # 30 Oct in the UK (GMT)
        obs("bst", date="2023-10-28T23:30:00Z"),  # 29 Oct 00:30 in the UK (BST) - still before
        obs("partial", date="2023"), obs("after-partial", date="2024"),
        {"resourceType": "Condition", "id": "undated", "subject": {"reference": "Patient/p1"}},
        consent("start", actor="Patient/p1", data_period={"start": "2023-10-31"}),
    ])
    record = open_record(fresh_store, PATIENT, TODAY)
    ids = {r["id"] for r in record.resources}
    assert record.record_starts == dt.date(2023, 10, 31)
    assert {"on", "after-partial"} <= ids
    assert not ids & {"before", "utc-late", "bst", "partial", "undated"}
    assert not {"before", "partial"} & visible_ids(fresh_store, CLINIC)


def test_no_access_start_means_full_record(fresh_store):
    """Without an access-start Consent every date is visible and no start date is reported."""
    fresh_store.put([patient(), obs("old", date="1999-01-01")])
    record = open_record(fresh_store, PATIENT, TODAY)
    assert record.record_starts is None and "old" in {r["id"] for r in record.resources}


def test_proxy_without_consent_sees_no_clinical_data(fresh_store):
    """A RelatedPerson with no Consent sees nothing clinical, and is told why."""
    fresh_store.put([patient(), related(), obs("o1")])
    record = open_record(fresh_store, PROXY, TODAY)
    assert {r["id"] for r in record.resources} == {"p1"}
    assert "consent" in record.denied_reason


@pytest.mark.parametrize("period, visible", [
    ({"start": "2025-01-01", "end": "2027-01-01"}, True),
    ({"start": "2025-01-01", "end": "2026-11-24"}, False),  # expired yesterday
    ({"start": "2026-11-26"}, False),  # not started yet
    (None, True),
])
def test_proxy_access_only_within_provision_period(fresh_store, period, visible):
    """A proxy's Consent gives access only while `provision.period` covers today."""
    fresh_store.put([patient(), related(), obs("o1"), consent(period=period)])
    assert ("o1" in visible_ids(fresh_store, PROXY)) is visible


def test_proxy_data_period_and_denies(fresh_store):
    """A proxy sees data inside dataPeriod only, minus entries a nested deny names by label or class."""
    deny = {"type": "deny", "securityLabel": [{"system": ACT, "code": "SDV"}]}
    deny_class = {"type": "deny", "class": [{"code": "DocumentReference"}]}
    fresh_store.put([
        patient(), related(), obs("early", date="2019-12-31"), obs("ok", date="2024-01-01"),
        obs("abuse", date="2024-01-01", labels=[(ACT, "SDV")]),
        {"resourceType": "DocumentReference", "id": "letter", "status": "current", "date": "2024-02-01",
         "subject": {"reference": "Patient/p1"}},
        consent(data_period={"start": "2020-01-01"}, denies=[deny, deny_class]),
    ])
    assert visible_ids(fresh_store, PROXY) >= {"ok"}
    assert not visible_ids(fresh_store, PROXY) & {"early", "abuse", "letter"}
    assert {"early", "abuse", "letter"} <= visible_ids(fresh_store, PATIENT)


def test_proxy_class_limits_types(fresh_store):
    """A Consent with provision.class lets the proxy see only those resource types."""
    fresh_store.put([patient(), related(), obs("o1"),
                     {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
                      "authoredOn": "2026-01-01", "subject": {"reference": "Patient/p1"},
                      "medicationCodeableConcept": {"text": "Metformin 500mg tablets"}},
                     consent(classes=["MedicationRequest"])])
    assert visible_ids(fresh_store, PROXY) == {"p1", "m1"}


def test_other_proxies_and_inactive_people_see_nothing(fresh_store):
    """A Consent for another RelatedPerson, an inactive RelatedPerson or a draft Consent grants nothing."""
    fresh_store.put([patient(), related(), related("rp2", active=False), related("rp3"), obs("o1"),
                     consent("c1", actor="RelatedPerson/rp2"), consent("c3", actor="RelatedPerson/rp3", status="draft")])
    for proxy in ("rp1", "rp2", "rp3"):
        assert visible_ids(fresh_store, Viewer(kind="proxy", patient_id="p1", proxy_id=proxy)) == {"p1"}


def test_proxy_of_another_patient_sees_nothing(fresh_store):
    """A RelatedPerson of one patient gets nothing of another patient, whatever the Consent says."""
    fresh_store.put([patient("p1"), patient("p2"), related("rp1", pid="p1"), obs("o2", pid="p2"),
                     consent(pid="p2", actor="RelatedPerson/rp1")])
    assert visible_ids(fresh_store, Viewer(kind="proxy", patient_id="p2", proxy_id="rp1")) == {"p2"}


@pytest.mark.parametrize("code", ["PSY", "ETH", "SDV", "SEX", "HIV", "STD", "SOC"])
def test_clinic_screen_hides_sensitive_categories(fresh_store, code):
    """The clinic shared screen hides the sensitivity categories the patient still sees."""
    fresh_store.put([patient(), obs("sensitive", labels=[(ACT, code)])])
    assert "sensitive" not in visible_ids(fresh_store, CLINIC)
    assert "sensitive" in visible_ids(fresh_store, PATIENT)


def test_letter_search_goes_through_the_gate(fresh_store):
    """Full-text search never returns a letter the viewer cannot see."""
    def text(words):  # the letter's own text; the gate's snapshot puts it in the search index
        return [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(words.encode()).decode()}}]

    fresh_store.put([patient(),
                     {"resourceType": "DocumentReference", "id": "d1", "status": "current", "date": "2025-01-01",
                      "subject": {"reference": "Patient/p1"}, "meta": {"security": [{"system": ACT, "code": "NOPAT"}]},
                      "content": text("collateral history from neighbour")},
                     {"resourceType": "DocumentReference", "id": "d2", "status": "current", "date": "2025-01-01",
                      "subject": {"reference": "Patient/p1"}, "content": text("neighbourhood walking group")}])
    record = open_record(fresh_store, PATIENT, TODAY)
    assert [d["id"] for d in record.search_letters("neighbour")] == ["d2"]
    assert record.search_letters("collateral") == []


@pytest.mark.parametrize("text", ["patient", "clinic", "proxy:RelatedPerson/rp-9"])
def test_viewer_parse_round_trips(text):
    """The CLI/URL viewer forms parse and print back the same."""
    assert str(Viewer.parse("p1", text)) == text


@pytest.mark.parametrize("text", ["", "doctor", "proxy:", "proxy:RelatedPerson/", "proxy:Patient/p1"])
def test_viewer_parse_rejects_unknown_forms(text):
    """Unknown viewer forms get a clear error naming the accepted forms."""
    with pytest.raises(ViewerError, match="Use patient, clinic or proxy"):
        Viewer.parse("p1", text)


def test_pointing_at_an_out_of_window_entry_does_not_hide(fresh_store):
    """A later entry pointing at one from before the online-access start stays visible: only
    entries withheld for their content pass their hiding on."""
    fresh_store.put([patient(), obs("old", date="2010-01-01"),
                     obs("new", date="2026-01-01", derivedFrom=[{"reference": "Observation/old"}]),
                     consent("start", actor="Patient/p1", data_period={"start": "2023-10-31"})])
    assert visible_ids(fresh_store, PATIENT) == {"p1", "new", "start"}


# -- the record is read again when used: what changed since the gate looked is never shown -------
def redacted_copy(rid):
    """A newer version of an entry, now labelled NOPAT (as a practice's redaction arrives by sync)."""
    resource = obs(rid, labels=[(ACT, "NOPAT")])
    resource["meta"]["versionId"] = "2"
    return resource


def test_an_entry_redacted_after_the_gate_looked_stops_the_read(fresh_store):
    """The visible record keeps fingerprints, not resources: an entry the practice redacts between
    the gate's read and a later use (a sync in another session) is not shown from the old decision."""
    fresh_store.put([patient(), obs("o1"), obs("o2")])
    visible = open_record(fresh_store, PATIENT, TODAY)
    assert {r["id"] for r in visible.resources} == {"p1", "o1", "o2"}
    fresh_store.put([redacted_copy("o2")])
    with pytest.raises(RecordChanged):
        list(visible.iter_resources())
    assert visible_ids(fresh_store, PATIENT) == {"p1", "o1"}  # opened again, the gate hides it


def test_an_entry_stored_after_the_gate_looked_is_not_in_the_old_record(fresh_store):
    fresh_store.put([patient(), obs("o1")])
    visible = open_record(fresh_store, PATIENT, TODAY)
    fresh_store.put([obs("late", labels=[(ACT, "NOPAT")])])
    assert {r["id"] for r in visible.resources} == {"p1", "o1"}


def test_the_service_opens_again_when_the_record_changes_while_it_is_mapped(fresh_store, monkeypatch):
    from ltc_dashboard.service import core as service_module

    fresh_store.put([patient(), obs("o1"), obs("o2")])
    svc = service_module.Service(fresh_store)
    real_map = service_module.map_visible
    calls = []

    def map_after_a_sync(visible, memo):
        if not calls:  # the first time: another session redacts o2 mid-open
            fresh_store.put([redacted_copy("o2")])
        calls.append(1)
        return real_map(visible, memo)

    monkeypatch.setattr(service_module, "map_visible", map_after_a_sync)
    record = svc.record(PATIENT, TODAY)
    assert len(calls) == 2
    assert {r.id for r in record.results} == {"o1"}


def test_a_reader_of_the_visible_record_runs_again_when_a_sync_changes_it(fresh_store, monkeypatch):
    """Exports, flags and letter search read the visible record after it was opened; a redaction
    synced in between makes that read refuse (RecordChanged), and the service reads afresh."""
    from ltc_dashboard.service import core as service_module
    from ltc_dashboard.exports import feedback

    fresh_store.put([patient(), obs("o1"), obs("o2")])
    svc = service_module.Service(fresh_store)
    svc.open(PATIENT, TODAY)
    real_resolve, calls = feedback.resolve, []

    def resolve_after_a_sync(visible, reference):
        if not calls:
            fresh_store.put([redacted_copy("o2")])  # between the open and the read
        calls.append(reference)
        return real_resolve(visible, reference)

    monkeypatch.setattr(feedback, "resolve", resolve_after_a_sync)
    with pytest.raises(service_module.FlagRefused):  # o2 is now redacted: not flaggable
        svc.flag_entry(PATIENT, TODAY, "Observation/o2", "looks_wrong", "this is not mine")
    assert len(calls) == 2
    assert svc.flag_entry(PATIENT, TODAY, "Observation/o1", "looks_wrong", "this is not mine") > 0
