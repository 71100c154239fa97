"""Outside attack on what service.Service keeps in memory (issue 18, hazard H24): writes that change
who may see what (a Consent revoked, narrowed or given a new deny; a RelatedPerson deactivated),
made by another Store object or another process between two reads of one Service; viewers that
look alike but are not the same; days that move a consent's end; the prognosis choice; the
person's own questions read by a carer.

The oracle for every attack is the same: what a Service that has served other viewers and older
data versions gives now equals what a brand new Service over the same store file gives that viewer
alone. Record shapes: the demo dementia record's own Consent and RelatedPerson resources
(data/demo/dementia.json, built by data/demo/gen/documents.py), changed as a GP system would send
a new version (meta.versionId bumped); the nested deny by data reference and the urn/versioned
actor forms are FHIR R4 Consent.provision shapes (hl7.org/fhir/R4/consent.html).
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import os
import subprocess
import sys

import pytest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import VIEW_IDS, open_service
from ltc_dashboard.store import Store
from test_app_support import DEMENTIA, DIABETES, END_OF_LIFE, ROOT, SDV_LETTER, demo_db, demo_db_template  # noqa: F401

TODAY = dt.date(2026, 11, 25)
DAUGHTER_ID = "dem-rp-daughter"
PATIENT = Viewer(kind="patient", patient_id=DEMENTIA)
DAUGHTER = Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id=DAUGHTER_ID)
SON = Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-son")
CLINIC = Viewer(kind="clinic", patient_id=DEMENTIA)
REVIEW_LETTER = "Memory assessment service: review"  # a letter the daughter may read (data/demo/README.md)


def stored(db, rid: str) -> dict:
    store = Store(db)
    try:
        return copy.deepcopy({r["id"]: r for r in store.resources_for(DEMENTIA)}[rid])
    finally:
        store.close()


def write_elsewhere(db, *resources: dict) -> None:
    """Store new versions through a second Store object (another connection to the same file)."""
    store = Store(db)
    try:
        store.put(list(resources))
    finally:
        store.close()


def newer(resource: dict) -> dict:
    resource["meta"] = {"versionId": str(int(resource.get("meta", {}).get("versionId", "1")) + 1)}
    return resource


def fresh(db, viewer: Viewer, day: dt.date = TODAY) -> str:
    return open_service(str(db)).summary(viewer, day).model_dump_json()


def warm(svc, day: dt.date = TODAY) -> None:
    """Every dementia viewer opened and summarised in one Service (the patient first, as a
    carer preview or the sign-in list does)."""
    for viewer in (PATIENT, DAUGHTER, SON, CLINIC, PATIENT):
        svc.summary(viewer, day)


def letter_titles(svc, viewer: Viewer, day: dt.date = TODAY) -> set[str]:
    return {letter.title for letter in svc.record(viewer, day).letters}


def test_a_revoked_carer_consent_written_by_another_connection_is_applied_at_once(demo_db):
    """The daughter's Consent becomes status "inactive" (a new version stored through another
    Store object) between two reads: her next summary, letters and search are a fresh Service's."""
    svc = open_service(str(demo_db))
    warm(svc)
    assert REVIEW_LETTER in letter_titles(svc, DAUGHTER)
    assert svc.search_letters(DAUGHTER, TODAY, "memory")
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["status"] = "inactive"
    write_elsewhere(demo_db, consent)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)
    assert REVIEW_LETTER not in letter_titles(svc, DAUGHTER)
    assert svc.search_letters(DAUGHTER, TODAY, "memory") == []
    assert svc.summary(PATIENT, TODAY).model_dump_json() == fresh(demo_db, PATIENT)


def test_a_narrowed_data_period_applies_to_the_next_read(demo_db):
    """The daughter's Consent keeps its permit but its dataPeriod now starts on 1 June 2026 (a
    practice narrowing proxy access to recent entries): older results and letters go at once."""
    svc = open_service(str(demo_db))
    warm(svc)
    before = svc.summary(DAUGHTER, TODAY).model_dump_json()
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["provision"]["dataPeriod"] = {"start": "2026-06-01T00:00:00+01:00"}
    write_elsewhere(demo_db, consent)
    after = svc.summary(DAUGHTER, TODAY).model_dump_json()
    assert after == fresh(demo_db, DAUGHTER)
    assert after != before
    found = [letter.id for letter in svc.search_letters(DAUGHTER, TODAY, "memory")]
    assert found == [letter.id for letter in open_service(str(demo_db)).search_letters(DAUGHTER, TODAY, "memory")]


def test_a_new_nested_deny_of_one_letter_applies_to_the_next_read(demo_db):
    """A nested deny provision naming one letter by a versioned absolute reference is added to
    the daughter's Consent: the carer's kept letters are not reused for the new data version."""
    svc = open_service(str(demo_db))
    warm(svc)
    letter = next(l for l in svc.record(DAUGHTER, TODAY).letters if l.title == REVIEW_LETTER)
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["provision"]["provision"].append({"type": "deny", "data": [{
        "meaning": "instance",
        "reference": {"reference": f"https://gp.example.org/fhir/DocumentReference/{letter.id}/_history/1"}}]})
    write_elsewhere(demo_db, consent)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)
    assert letter_titles(svc, DAUGHTER) == {l.title for l in open_service(str(demo_db)).record(DAUGHTER, TODAY).letters}


def test_a_deactivated_related_person_is_applied_at_once(demo_db):
    """The daughter's RelatedPerson becomes active=false with a period end (she is no longer
    the carer): the kept view of her is not served for the new data version."""
    svc = open_service(str(demo_db))
    warm(svc)
    person = newer(stored(demo_db, DAUGHTER_ID))
    person["active"] = False
    person["period"] = {"start": "2021-04-06", "end": "2026-11-01"}
    write_elsewhere(demo_db, person)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)
    assert {l.related_person_id for l in svc.carers(TODAY) if l.active_now} == {
        l.related_person_id for l in open_service(str(demo_db)).carers(TODAY) if l.active_now}


def test_a_consent_withdrawn_by_ltc_import_in_another_process_is_applied(demo_db, tmp_path):
    """`ltc import` run as a separate process (WAL: its commit is in the -wal file, not yet in
    the main file) withdraws the daughter's Consent: the server's Service sees the new data
    version on its next read."""
    svc = open_service(str(demo_db))
    warm(svc)
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["status"] = "inactive"
    path = tmp_path / "consent.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:6f0c2f7e-2a1d-4c1e-9a51-0d5e6e0c9a11", "resource": consent}]}))
    env = {**os.environ, "LTC_DB": str(demo_db)}
    done = subprocess.run([sys.executable, "-m", "ltc_dashboard.cli.main", "import", "--db", str(demo_db), str(path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)
    assert REVIEW_LETTER not in letter_titles(svc, DAUGHTER)


@pytest.mark.parametrize("proxy_id", ["DEM-RP-DAUGHTER", "dem-rp-daughter ", " dem-rp-daughter",
                                      "dem-rp-daughter/_history/1", "RelatedPerson/dem-rp-daughter",
                                      "dem-rp-son"])
def test_look_alike_carers_never_get_the_daughters_kept_view(demo_db, proxy_id):
    """Viewers that a loose comparison would take for the daughter (id case, spaces, a versioned
    or typed id) or a sibling carer, asked after the daughter's view is kept: each gets exactly what
    a fresh Service gives it, never the daughter's kept summary."""
    svc = open_service(str(demo_db))
    warm(svc)
    other = Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id=proxy_id)
    assert other.key != DAUGHTER.key
    assert svc.summary(other, TODAY).model_dump_json() == fresh(demo_db, other)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)


@pytest.mark.parametrize("viewer", [
    Viewer(kind="patient", patient_id=DEMENTIA, proxy_id=DAUGHTER_ID),
    Viewer(kind="clinic", patient_id=DEMENTIA, proxy_id=DAUGHTER_ID),
    Viewer(kind="proxy", patient_id=DIABETES, proxy_id=DAUGHTER_ID),
    Viewer(kind="patient", patient_id=DEMENTIA.upper()),
    Viewer(kind="patient", patient_id=f"{DEMENTIA} "),
], ids=["patient-with-proxy-id", "clinic-with-proxy-id", "daughter-on-another-record", "patient-id-upper",
        "patient-id-trailing-space"])
def test_odd_viewers_get_what_a_fresh_service_gives_them(demo_db, viewer):
    """A Viewer with a proxy id it should not carry, or the daughter's id on another patient's
    record, asked between the real ones: nothing kept for the real viewers is served to it."""
    svc = open_service(str(demo_db))
    warm(svc)
    svc.summary(Viewer(kind="patient", patient_id=DIABETES), TODAY)
    assert svc.summary(viewer, TODAY).model_dump_json() == fresh(demo_db, viewer)
    for real in (PATIENT, DAUGHTER, CLINIC):
        assert svc.summary(real, TODAY).model_dump_json() == fresh(demo_db, real)


def test_the_sons_ended_consent_is_judged_on_each_day_asked(demo_db):
    """The son's consent ended on 30 April 2024: one Service asked for 29 April 2024, then
    today, then 29 April again gives each day what a fresh Service gives for it."""
    svc = open_service(str(demo_db))
    then = dt.date(2024, 4, 29)
    for day in (then, TODAY, then, TODAY):
        assert svc.summary(SON, day).model_dump_json() == fresh(demo_db, SON, day), day
    assert fresh(demo_db, SON, then) != fresh(demo_db, SON, TODAY)


def test_the_prognosis_choice_changed_between_reads_is_applied(demo_db):
    """The end-of-life patient turns 'show prognosis' on and off (a personal-table write, not a
    data version): the Service gives each state what a fresh one gives, for the patient and the
    clinic screen, although both share the mapped entries of one data version."""
    svc = open_service(str(demo_db))
    patient, clinic = Viewer(kind="patient", patient_id=END_OF_LIFE), Viewer(kind="clinic", patient_id=END_OF_LIFE)
    for value in ("yes", "no", "yes"):
        svc.set_preference(patient, "eol_show_prognosis", value)
        for viewer in (clinic, patient):
            assert svc.summary(viewer, TODAY).model_dump_json() == fresh(demo_db, viewer), (value, viewer.kind)


def test_a_question_kept_from_the_sdv_letter_never_reaches_the_carer(demo_db):
    """The patient keeps a suggestion built from the safeguarding letter (sources = that letter)
    while the daughter's summary is kept: the daughter's next summary equals a fresh one and holds
    neither the question nor the letter; the patient's holds the question."""
    svc = open_service(str(demo_db))
    warm(svc)
    sdv = next(l for l in svc.record(PATIENT, TODAY).letters if l.title == SDV_LETTER)
    text = "The safeguarding enquiry outcome letter is in my record. What happens next?"
    svc.add_question(PATIENT, text, source="suggested", rule_id=None, sources=(f"DocumentReference/{sdv.id}",))
    carer = svc.summary(DAUGHTER, TODAY).model_dump_json()
    assert carer == fresh(demo_db, DAUGHTER)
    assert text not in carer and SDV_LETTER not in carer
    assert text in svc.summary(PATIENT, TODAY).model_dump_json()


def test_a_comment_on_the_sdv_letter_made_while_the_carer_is_kept_never_reaches_her(demo_db):
    """The patient comments on the safeguarding letter after the daughter's view is kept: the
    daughter's flags, own content, summary and export give what a fresh Service gives and hold
    neither the comment nor the letter; the patient's flags hold it."""
    svc = open_service(str(demo_db))
    warm(svc)
    words = "This enquiry outcome is about my neighbour, not me"
    svc.flag_entry(PATIENT, TODAY, "DocumentReference/dem-doc-safeguarding-2024-02-12", "comment", words)
    assert words in repr(svc.flags(PATIENT, TODAY))
    other = open_service(str(demo_db))
    assert repr(svc.flags(DAUGHTER, TODAY)) == repr(other.flags(DAUGHTER, TODAY))
    assert words not in repr(svc.flags(DAUGHTER, TODAY)) and words not in repr(svc.own_content(DAUGHTER, TODAY))
    assert words not in svc.summary(DAUGHTER, TODAY).model_dump_json()
    bundle = svc.export(DAUGHTER, TODAY, "fhir")
    assert words.encode() not in bundle.data and b"dem-doc-safeguarding" not in bundle.data


def _containers_holding(word: str) -> list[str]:
    """Every live dict, list, tuple or set (frozen ones included) holding a text with `word`, directly
    or in a tuple it holds: where record words could be kept in the process."""
    gc.unfreeze()  # the Service freezes what it opened (service._collector_paused); look at it all
    gc.collect()
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            items = [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            items = list(obj)
        else:
            continue
        inner = [y for x in items if isinstance(x, tuple) for y in x]
        if any(isinstance(x, str) and word in x for x in (*items, *inner)):
            found.append(repr(obj)[:160])
    return found


def test_nothing_of_a_forgotten_record_stays_anywhere_in_the_process(demo_db):
    """A Condition with words found nowhere else (free text only, no code, as a GP system sends
    a locally typed problem) is added to the bipolar record; the patient's view is opened and
    summarised, then forgotten and the Service dropped: no live container in the process still
    holds those words."""
    word = "-".join(["Qzx", "attack", "marker", "7731"])  # made at run time: not a constant of this module
    store = Store(demo_db)
    store.put([{"resourceType": "Condition", "id": "mh-cond-cache-attack", "meta": {"versionId": "1"},
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                               "code": "active"}]},
                "code": {"text": f"Locally typed problem {word}"}, "subject": {"reference": "Patient/mh-patient"},
                "recordedDate": "2026-10-01"}])
    store.close()
    svc = open_service(str(demo_db))
    patient = Viewer(kind="patient", patient_id="mh-patient")
    assert word in repr(svc.record(patient, TODAY).conditions)
    svc.summary(patient, TODAY)
    svc.forget(patient)
    assert svc.held_viewers() == set()
    svc._store.close()
    del svc
    assert _containers_holding(word) == []


def test_a_second_carer_with_the_same_name_gets_only_her_own_view(demo_db):
    """Another RelatedPerson of Dorothy named "Susan Specimen" too (a neighbour, no Consent) is
    added while the daughter's view is kept: she gets what a fresh Service gives her (the
    daughter's permission is not hers), and the daughter keeps her own."""
    neighbour = stored(demo_db, DAUGHTER_ID)
    neighbour.update(id="dem-rp-susan-neighbour", relationship=[{"text": "Neighbour"}],
                     telecom=[{"system": "phone", "value": "07700 900999", "use": "mobile"}])
    svc = open_service(str(demo_db))
    warm(svc)
    write_elsewhere(demo_db, neighbour)
    other = Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-susan-neighbour")
    theirs = svc.summary(other, TODAY).model_dump_json()
    assert theirs == fresh(demo_db, other)
    assert theirs != svc.summary(DAUGHTER, TODAY).model_dump_json()
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)


@pytest.mark.parametrize("actor", [
    "RelatedPerson/dem-rp-daughter/_history/1",
    "https://gp.example.org/fhir/RelatedPerson/dem-rp-daughter",
    "urn:uuid:0b7c6a52-6c3e-4d5f-8a31-2f4a1c9e7d10",
    "#dem-rp-daughter",
])
def test_a_consent_rewritten_with_another_actor_reference_form_is_applied(demo_db, actor):
    """The daughter's Consent is sent again (new version) naming her by a versioned, an absolute,
    an unresolvable urn:uuid or a contained-style local reference, between reads: the kept view is not reused; she gets
    what a fresh Service gives for the new data version."""
    svc = open_service(str(demo_db))
    warm(svc)
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["provision"]["actor"][0]["reference"] = {"reference": actor}
    write_elsewhere(demo_db, consent)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER)
    assert letter_titles(svc, DAUGHTER) == letter_titles(open_service(str(demo_db)), DAUGHTER)


@pytest.mark.parametrize("view_id", ["mental_health", "end_of_life", "diabetes"])
def test_a_view_chosen_by_the_patient_while_the_carer_is_kept_is_not_the_carers(demo_db, view_id):
    """Dorothy chooses to show a condition view (issue 16; a personal-table write, no new data
    version) while her daughter's summary is kept, then the daughter chooses another: each next
    summary equals what a fresh Service gives, and neither's choice shows in the other's views."""
    svc = open_service(str(demo_db))
    warm(svc)
    svc.choose_view(PATIENT, view_id, True)
    for viewer in (DAUGHTER, PATIENT, CLINIC):
        assert svc.summary(viewer, TODAY).model_dump_json() == fresh(demo_db, viewer), viewer.kind
    assert view_id in {v.id for v in svc.summary(PATIENT, TODAY).conditions}
    assert view_id not in {v.id for v in svc.summary(DAUGHTER, TODAY).conditions}
    other = next(v for v in VIEW_IDS if v != view_id)
    svc.choose_view(DAUGHTER, other, True)
    for viewer in (PATIENT, DAUGHTER):
        assert svc.summary(viewer, TODAY).model_dump_json() == fresh(demo_db, viewer), viewer.kind


def test_a_carers_view_from_before_her_consent_was_withdrawn_is_not_kept(demo_db):
    """The daughter's Consent is withdrawn (a new version, written by another connection) and
    every viewer reads again: nothing opened at the old data version is still kept."""
    svc = open_service(str(demo_db))
    warm(svc)
    old = svc._store.data_version()
    consent = newer(stored(demo_db, "dem-consent-proxy-daughter"))
    consent["status"] = "inactive"
    write_elsewhere(demo_db, consent)
    warm(svc)
    assert svc._store.data_version() != old
    assert not [k for k in svc._cache if k[3] == old]
    assert not [k for k in svc._mapped if k[1] == old]


def test_an_older_consent_arriving_after_the_withdrawal_does_not_bring_the_kept_view_back(demo_db):
    """Version 3 of the daughter's Consent (inactive) is stored, then version 2 (active, older)
    arrives late from another sync: the store keeps version 3, and the Service serves the
    withdrawn view, as a fresh one does, not the view it kept while she was permitted."""
    svc = open_service(str(demo_db))
    warm(svc)
    permitted = svc.summary(DAUGHTER, TODAY).model_dump_json()
    base = stored(demo_db, "dem-consent-proxy-daughter")
    withdrawn = copy.deepcopy(base)
    withdrawn.update(meta={"versionId": "3", "lastUpdated": "2026-11-20T10:00:00+00:00"}, status="inactive")
    write_elsewhere(demo_db, withdrawn)
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER) != permitted
    late = copy.deepcopy(base)
    late["meta"] = {"versionId": "2", "lastUpdated": "2026-11-10T10:00:00+00:00"}
    write_elsewhere(demo_db, late)
    assert stored(demo_db, "dem-consent-proxy-daughter")["status"] == "inactive"
    assert svc.summary(DAUGHTER, TODAY).model_dump_json() == fresh(demo_db, DAUGHTER) != permitted
    assert REVIEW_LETTER not in letter_titles(svc, DAUGHTER)
