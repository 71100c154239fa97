"""Outside review of the access gate (issue 13): record shapes R4 allows that the shape families
(tests/leak_families.py) do not build, each tried against one viewer's outputs.

Every fixture here is hand-made by the outside review: a minimal record, a marker (HIDQX7...Z)
in the text of what the viewer must never see, and the outputs test_leak_shapes.viewer_outputs
reads (summary, sheet, record, every export decoded, letter search for the marker). A test that
leaked was a strict xfail naming what leaked until its fix; each now passes.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from leak_oracle import TODAY
from leak_shapes import SHOWN_RESULT, b64, bundle, carer, carer_permit, consent, entry, label, shared, write_files
from test_leak_shapes import viewer_outputs

MEMORY = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
HIDDEN, OTHER = "HIDQX7ATK1Z", "HIDQX7ATK2Z"
NOPAT = {"security": [label("NOPAT")]}
CARER = "proxy:RelatedPerson/rp1"


def person() -> dict:
    return {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Attack"}], "birthDate": "1950-01-01"}


def control() -> dict:
    return entry("Observation", SHOWN_RESULT, rid="control-result")


def access_start(start: str = "2023-01-01") -> dict:
    """The patient's own online-access start (clinical-reference §8.3)."""
    return consent("access-start", {"type": "permit", "actor": [{"reference": {"reference": "Patient/p1"}}],
                                    "dataPeriod": {"start": start}}, date="2023-01-01")


def shown(files: list, viewer: str, marks: set[str]) -> dict[str, list[str]]:
    """Import the files in order into a fresh store; where each marker reached this viewer."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    folder = Path(tempfile.mkdtemp(prefix="attack-gate-", dir=MEMORY))
    try:
        db = folder / "attack.db"
        store = Store(db)
        import_paths(store, write_files(folder, files))
        texts = viewer_outputs(Service(store), Viewer.parse("p1", viewer), db, marks, thorough=False)
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    found = {}
    for where, text in texts.items():
        hit = sorted(m for m in marks if m in text.upper())
        if hit:
            found[where] = hit
    return found


# -- the patient's online-access start ---------------------------------------------------------
@pytest.mark.parametrize("reference", ["https://gp.example.org/fhir/Patient/p1", "Patient/p1/_history/1"])
def test_access_start_consent_with_an_absolute_or_versioned_patient_reference(reference):
    """An access-start Consent naming the patient as an absolute or versioned reference still
    hides a 2020 entry from the patient (fixture hand-made by the outside review)."""
    start = access_start()
    start["patient"] = {"reference": reference}
    old = entry("Observation", HIDDEN, day="2020-05-01")
    assert not shown([[person(), start, old, control()]], "patient", {HIDDEN})


def test_access_start_with_a_time_hides_earlier_entries_that_day():
    """Online access that starts at noon UTC does not show an entry made at 01:00 UTC the same
    day (fixture hand-made by the outside review)."""
    early = entry("Observation", HIDDEN, day="2023-01-01T01:00:00Z")
    files = [[person(), access_start("2023-01-01T12:00:00Z"), early, control()]]
    assert not shown(files, "patient", {HIDDEN})


# -- the Patient resource itself ----------------------------------------------------------------
def test_nopat_resource_contained_in_the_patient():
    """A NOPAT Observation contained in the Patient resource does not reach the patient's export
    (fixture hand-made by the outside review)."""
    inner = entry("Observation", HIDDEN, rid="c1")
    del inner["subject"]
    inner["meta"] = NOPAT
    patient = {**person(), "contained": [inner]}
    assert not shown([[patient, control()]], "patient", {HIDDEN})


def test_patient_names_a_withheld_practitioner():
    """The Patient's generalPractitioner display of a NOPAT Practitioner is not exported to the
    patient (fixture hand-made by the outside review)."""
    doctor = shared("Practitioner", HIDDEN, rid="gp1")
    doctor["meta"] = NOPAT
    patient = {**person(), "generalPractitioner": [{"reference": "Practitioner/gp1", "display": f"Dr {HIDDEN}"}]}
    assert not shown([[patient, doctor, control()]], "patient", {HIDDEN})


# -- copies that cannot be ordered ---------------------------------------------------------------
@pytest.mark.parametrize("meta", [{}, {"versionId": "x7"}])
def test_unordered_entered_in_error_copy(meta):
    """Two copies of one result, one saying entered-in-error, that cannot be ordered for certain
    (one has no version, or a non-numeric versionId) do not show the result (fixture hand-made by
    the outside review)."""
    plain = entry("Observation", HIDDEN, rid="o1")
    plain["meta"] = {"lastUpdated": "2025-06-02T00:00:00Z"}
    retracted = {**copy.deepcopy(plain), "status": "entered-in-error", "meta": meta}
    assert not shown([[person(), control()], [retracted], [plain]], "patient", {HIDDEN})


def test_unordered_copies_keep_a_contained_label():
    """Two unordered copies of a prescription, one whose contained Medication is NOPAT, keep it
    hidden (item 4: keep every hiding label of both; fixture hand-made by the outside review)."""
    medicine = shared("Medication", HIDDEN, rid="m1")
    medicine["meta"] = NOPAT
    labelled = entry("MedicationRequest", HIDDEN, rid="mr1")
    del labelled["medicationCodeableConcept"]
    labelled.update(medicationReference={"reference": "#m1"}, contained=[medicine])
    unlabelled = copy.deepcopy(labelled)
    unlabelled["contained"][0]["meta"] = {}
    unlabelled["meta"] = {"lastUpdated": "2025-06-02T00:00:00Z"}
    assert shown([[person(), control(), labelled]], "patient", {HIDDEN}) == {}  # alone: hidden
    assert not shown([[person(), control()], [labelled], [unlabelled]], "patient", {HIDDEN})


def test_unordered_withdrawn_consent_copy():
    """A carer's Consent stored as an active copy with a lastUpdated and an inactive copy without
    one (cannot be ordered) grants the carer nothing (fixture hand-made by the outside review)."""
    active = consent("consent-rp1", carer_permit("rp1"))
    active["meta"] = {"versionId": "1", "lastUpdated": "2026-01-01T00:00:00Z"}
    withdrawn = {**copy.deepcopy(active), "status": "inactive", "meta": {}}
    files = [[person(), carer("rp1"), entry("Observation", HIDDEN), control()], [withdrawn], [active]]
    assert not shown(files, CARER, {HIDDEN})


# -- a carer's consent period --------------------------------------------------------------------
def test_carer_consent_ending_earlier_today():
    """A carer's permission whose period ended at 09:00 UTC today (UK date 2026-11-25) is not
    surely in force today, so shows nothing (fixture hand-made by the outside review)."""
    permit = consent("consent-rp1", carer_permit("rp1"))
    permit["provision"]["period"] = {"start": "2020-01-01", "end": f"{TODAY.isoformat()}T09:00:00Z"}
    files = [[person(), carer("rp1"), permit, entry("Observation", HIDDEN), control()]]
    assert not shown(files, CARER, {HIDDEN})


# -- labels in places the gate does not read ---------------------------------------------------
def test_nopat_on_the_bundle_itself():
    """A Bundle labelled NOPAT (a high-water mark: some entry in it is redacted, which one is not
    said) does not show its unlabelled entries (fixture hand-made by the outside review)."""
    labelled = bundle([person(), control(), entry("Observation", HIDDEN)])
    labelled["meta"] = NOPAT
    assert not shown([labelled], "patient", {HIDDEN})


def test_nopat_in_meta_tag():
    """An entry carrying the NOPAT ActCode in meta.tag rather than meta.security is withheld (fail
    closed: the sender meant to redact it; fixture hand-made by the outside review)."""
    tagged = entry("Observation", HIDDEN)
    tagged["meta"] = {"tag": [label("NOPAT")]}
    assert not shown([[person(), control(), tagged]], "patient", {HIDDEN})


# -- references the gate does not follow -------------------------------------------------------
def test_logical_reference_to_a_hidden_entry():
    """A report whose result is a logical reference (identifier, no `reference`) to a NOPAT
    Observation, with that result's text as display, does not export that text (fixture
    hand-made by the outside review)."""
    hidden = entry("Observation", OTHER, rid="hid")
    hidden.update(meta=NOPAT, identifier=[{"system": "urn:lab", "value": "L1"}])
    report = entry("DiagnosticReport", "SHOWNQ7D", rid="dr1")
    report["result"] = [{"identifier": {"system": "urn:lab", "value": "L1"}, "display": f"Result {HIDDEN}"}]
    assert not shown([[person(), control(), hidden, report]], "patient", {HIDDEN, OTHER})


def test_binary_shared_by_a_hidden_and_a_visible_letter():
    """The Binary of a NOPAT letter is not shown (record, export, letter search) because another,
    unlabelled letter also attaches it (fixture hand-made by the outside review)."""
    body = {"resourceType": "Binary", "id": "bin1", "contentType": "text/plain",
            "data": b64(f"Secret letter body {HIDDEN} words")}
    redacted = entry("DocumentReference", OTHER, rid="letA")
    redacted.update(meta=NOPAT, content=[{"attachment": {"contentType": "text/plain", "url": "Binary/bin1"}}])
    second = entry("DocumentReference", "SHOWNQ7B", rid="letB")
    second["content"] = [{"attachment": {"contentType": "text/plain", "url": "Binary/bin1"}}]
    assert not shown([[person(), control(), body, redacted, second]], "patient", {HIDDEN, OTHER})


@pytest.mark.parametrize("inner_type", ["DocumentReference", "Composition"])
def test_label_of_a_contained_letter_in_its_own_element(inner_type):
    """A report containing a letter labelled in the letter's own element (securityLabel NOPAT,
    confidentiality R), not meta.security, is withheld as its container's label (item 6; fixture
    hand-made by the outside review)."""
    report = entry("DiagnosticReport", HIDDEN, rid="dr1")
    if inner_type == "DocumentReference":
        inner = entry("DocumentReference", HIDDEN, rid="cd1")
        del inner["subject"]
        inner["securityLabel"] = [{"coding": [label("NOPAT")]}]
    else:
        inner = {"resourceType": "Composition", "id": "cd1", "status": "final", "type": {"text": "Letter"},
                 "date": "2025-06-01", "title": f"Letter {HIDDEN}", "author": [{"display": "Dr A"}],
                 "confidentiality": "R"}
    report.update(contained=[inner], presentedForm=[{"url": "#cd1", "title": "See letter"}])
    assert not shown([[person(), control(), report]], "patient", {HIDDEN})


# -- other people's access -------------------------------------------------------------------------
@pytest.mark.parametrize("reference", ["https://gp.example.org/fhir/RelatedPerson/rp2", "RelatedPerson/rp2/_history/1"])
def test_other_carer_named_in_another_reference_form(reference):
    """Another carer's RelatedPerson, named by their access Consent in an absolute or versioned
    reference, is not in this carer's record or export (item 11; fixture hand-made by the outside
    review)."""
    other = consent("consent-rp2", carer_permit("rp2"))
    other["provision"]["actor"] = [{"reference": {"reference": reference}}]
    files = [[person(), carer("rp1"), consent("consent-rp1", carer_permit("rp1")), carer("rp2", f"Other {HIDDEN}"),
              other, control()]]
    assert not shown(files, CARER, {HIDDEN})


# -- Consents that are the person's care, dated before a data boundary ------------------------------
def _care_consent(scope: str) -> dict:
    return {"resourceType": "Consent", "id": f"{scope}1", "status": "active", "dateTime": "2015-03-01",
            "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">Decision {HIDDEN}</div>'},
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": scope}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "75320-2"}], "text": f"Directive {HIDDEN}"}],
            "patient": {"reference": "Patient/p1"}, "policyRule": {"text": f"Refuses blood products {HIDDEN}"}}


@pytest.mark.parametrize("scope", ["adr", "treatment"])
def test_care_consent_before_the_access_start(scope):
    """An advance-directive or treatment Consent decided in 2015 (Consent.dateTime) is not shown
    to a patient whose online record starts in 2023 (item 3; fixture hand-made by the outside
    review)."""
    assert not shown([[person(), access_start(), _care_consent(scope), control()]], "patient", {HIDDEN})


def test_care_consent_before_a_carers_data_period():
    """A carer permitted data from 2023 does not see a 2015 advance-directive Consent (fixture
    hand-made by the outside review)."""
    permit = consent("consent-rp1", carer_permit("rp1", dataPeriod={"start": "2023-01-01"}))
    assert not shown([[person(), carer("rp1"), permit, _care_consent("adr"), control()]], CARER, {HIDDEN})


def test_access_start_consent_with_the_loinc_category():
    """A patient-privacy Consent for the patient, with a data-period start but category LOINC
    59284-0 "Patient consent" rather than INFA, is not ignored: it limits the record or, unread,
    withholds it (fail closed; fixture hand-made by the outside review)."""
    start = access_start()
    start["category"] = [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}]
    old = entry("Observation", HIDDEN, day="2020-05-01")
    assert not shown([[person(), start, old, control()]], "patient", {HIDDEN})
