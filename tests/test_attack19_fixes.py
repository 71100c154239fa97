"""Outside attack on three fixes of issue 19 (commits 699633d, 6494282, fd3aeb3): record requests
asked of the gate's own-content rule, entered-in-error read by one owner that the store now asks
too, people named by fhir_read.person_name, and the shared screen's questions asked of the gate.

Where the inputs come from: every resource here is hand-made for this attack in R4 shapes taken from
tests/test_access.py (`consent`, `related`: the proxy Consent and RelatedPerson) and
tests/attack19_support.py (`base`, `kept`: the record with two carers, rp2 denied PSY-labelled
entries); the Consent with a top-level `deny` is the R4 Consent page's provision.type "deny"
(http://hl7.org/fhir/R4/consent.html). The odd spellings of entered-in-error are those a server
might send (padding, case, a code where a concept is expected and the reverse, a list where an
object is expected: fhir_read.py's own docstring says "any element may hold a list where FHIR has
an object"). Stores are made here, in tmp_path.

Written by helper-66 against commit de17d8f. Tests whose docstring starts "BROKE" failed then
and pass since the fix named in them; the rest are guards that held. The names part is in
tests/test_attack19_fixes_names.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from ltc_dashboard.exports.own_content import for_viewer
from ltc_dashboard.fhir_read import entered_in_error
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.gate.own_content import questions_for, screen_choices, shows_own_on_shared_screen
from ltc_dashboard.record.record_requests import RecordRequest, check
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.record_requests import visible_requests
from ltc_dashboard.store import Store
from ltc_dashboard.store.versions import resolve, restraint
from tests.attack19_support import base, kept
from tests.test_access import consent, related

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PATIENT = Viewer(kind="patient", patient_id="p1")
CLINIC = Viewer(kind="clinic", patient_id="p1")
CAROL = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
DAVE = Viewer(kind="proxy", patient_id="p1", proxy_id="rp2")
OTHER_PATIENT = Viewer(kind="patient", patient_id="p2")
NO_ID_PROXY = Viewer(kind="proxy", patient_id="p1", proxy_id=None)
ALL_VIEWERS = (PATIENT, CLINIC, CAROL, DAVE)


def shown_ids(store: Store, viewer: Viewer) -> set[str]:
    return {r["id"] for r in open_record(store, viewer, TODAY).resources}


# == 1. record requests: the gate's REQUESTS kind ==============================================
def _old_visible_requests(visible, rows):
    """The rule as service/record_requests.py wrote it before 699633d (copied from `git show
    699633d^:ltc_dashboard/service/record_requests.py`): the oracle."""
    viewer = visible.viewer
    if visible.denied_reason or viewer.kind not in ("patient", "proxy"):
        return []
    if viewer.kind == "proxy":
        rows = [r for r in rows if r.get("author") == str(viewer)]
    out = []
    for r in rows:
        if r.get("patient_id") != viewer.patient_id:
            continue
        try:
            out.append(RecordRequest.from_row(r))
        except (ValueError, TypeError, KeyError):
            pass
    return out


def _request_rows() -> list[dict]:
    """Request rows as the store keeps them (record_requests.check(...).row() plus id and
    patient_id), with every author and patient id an attacker might try, and malformed ones."""
    good = check("p1", "sar", TODAY, "patient").row()
    authors = ["patient", "clinic", "proxy:RelatedPerson/rp1", "proxy:RelatedPerson/rp2",
               "proxy:RelatedPerson/rp1 ", "PROXY:RelatedPerson/rp1", "proxy:RelatedPerson/None",
               "proxy:RelatedPerson/rp1/_history/2", "RelatedPerson/rp1", "", None, 7]
    rows, n = [], 0
    for author, pid in itertools.product(authors, ["p1", "p2", "P1", " p1", None]):
        n += 1
        rows.append({**good, "id": n, "author": author, "patient_id": pid})
    rows.append({**good, "id": 900, "author": "patient", "patient_id": "p1", "made": "not a date"})
    rows.append({**good, "id": 901, "author": "proxy:RelatedPerson/rp1", "patient_id": "p1", "made": None})
    rows.append({"id": 902, "author": "patient", "patient_id": "p1"})  # no kind, no made
    return rows


@pytest.mark.parametrize("viewer", [PATIENT, CLINIC, CAROL, DAVE, OTHER_PATIENT, NO_ID_PROXY], ids=str)
@pytest.mark.parametrize("denied", [None, "Your access has ended."])
def test_requests_follow_the_rule_they_followed_before_the_move(viewer, denied):
    """Tried: every viewer kind (and a proxy with no id), refused or not, against rows of this and
    other patients, authors that almost name the carer (padding, case, a versioned reference, the
    bare reference), and rows that cannot be read. The gate's REQUESTS answer must equal the old
    service rule exactly, and say: the patient every request of her record, a carer her own, the
    shared screen and anyone refused none. Held."""
    visible = SimpleNamespace(viewer=viewer, denied_reason=denied)
    rows = _request_rows()
    new = [r.id for r in visible_requests(visible, rows)]
    old = [r.id for r in _old_visible_requests(visible, rows)]
    assert new == old
    if denied or viewer.kind == "clinic":
        assert new == []
    by_id = {r["id"]: r for r in rows}
    for rid in new:
        assert by_id[rid]["patient_id"] == viewer.patient_id
        if viewer.kind == "proxy":
            assert by_id[rid]["author"] == str(viewer)


@pytest.fixture
def service(tmp_path):
    """p1 with carers rp1 (Carol) and rp2 (Dave), each with a proxy Consent (tests/test_access.py
    `consent`, `related`), and p2 another patient in the same store."""
    store = Store(tmp_path / "r.db")
    store.put([{"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Test"}]},
               {"resourceType": "Patient", "id": "p2", "name": [{"text": "Bob Other"}]},
               related(), related("rp2"), consent(period={"start": "2020-01-01"}),
               consent("c2", actor="RelatedPerson/rp2", period={"start": "2020-01-01"})])
    yield Service(store), store
    store.close()


def test_a_carer_whose_consent_ended_and_another_patients_rows_see_nothing(service):
    """Tried: requests kept by the patient, Carol and Dave, and one row of p2 written as Carol's;
    then Carol's Consent ended (a copy saying inactive that cannot be ordered against the active
    one: the store keeps the least granting). The patient sees her record's three, never p2's;
    Carol, once her consent has ended, none; Dave still only his; the shared screen none. Held."""
    svc, store = service
    row = lambda author, pid="p1": {**check(pid, "sar", TODAY, author).row()}
    mine = store.add_record_request("p1", row("patient"))
    carols = store.add_record_request("p1", row("proxy:RelatedPerson/rp1"))
    daves = store.add_record_request("p1", row("proxy:RelatedPerson/rp2"))
    store.add_record_request("p2", row("proxy:RelatedPerson/rp1", "p2"))
    ids = lambda v: {r.id for r in svc.record_requests(v, TODAY)}
    assert ids(PATIENT) == {mine, carols, daves}
    assert ids(CAROL) == {carols} and ids(DAVE) == {daves} and ids(CLINIC) == set()
    store.put([{**consent(period={"start": "2020-01-01"}), "status": "inactive", "meta": {"versionId": "x"}}])
    svc.forget(CAROL)
    assert open_record(store, CAROL, TODAY).denied_reason
    assert ids(CAROL) == set() and ids(DAVE) == {daves} and ids(CLINIC) == set()
    assert ids(PATIENT) == {mine, carols, daves}


# == 2. entered-in-error, one owner the store asks too ==========================================
def _obs(rid="o1", **extra) -> dict:
    resource = {"resourceType": "Observation", "id": rid, "status": "final",
                "subject": {"reference": "Patient/p1"}, "code": {"text": "Weight"},
                "effectiveDateTime": "2024-05-01", "valueQuantity": {"value": 80, "unit": "kg"}}
    resource.update(extra)
    return resource


def _cond(**extra) -> dict:
    resource = {"resourceType": "Condition", "id": "cx", "subject": {"reference": "Patient/p1"},
                "code": {"text": "Depression"}, "onsetDateTime": "2024-01-01",
                "clinicalStatus": {"coding": [{"code": "active"}]}}
    resource.update(extra)
    return resource


EIE = "entered-in-error"
ODD_COPIES = {
    "padded upper": _obs(status=" ENTERED-IN-ERROR "),
    "tab newline": _obs(status="\tEntered-in-error\n"),
    "number": _obs(status=7),
    "null": _obs(status=None),
    "list": _obs(status=[EIE]),
    "status coded": _obs(status={"coding": [{"code": EIE}]}),
    "docStatus": _obs(docStatus="Entered-In-Error"),
    "lifecycleStatus": _obs(lifecycleStatus=EIE.upper()),
    "verification coded": _obs(verificationStatus={"coding": [{"code": " Entered-in-error"}]}),
    "clinical coded": _obs(clinicalStatus={"coding": [{"system": "urn:x", "code": "y"}, {"code": EIE}]}),
    "verification code str": _obs(verificationStatus=EIE),
    "coding a lone dict": _obs(verificationStatus={"coding": {"code": EIE}}),
    "concept in a list": _obs(verificationStatus=[{"coding": [{"code": EIE}]}]),
    "coding code not text": _obs(verificationStatus={"coding": [{"code": [EIE]}]}),
}


@pytest.mark.parametrize("name", sorted(ODD_COPIES))
def test_a_copy_the_gate_withholds_is_never_outvoted_by_a_plain_copy(tmp_path, name):
    """Tried: a plain Observation copy and an odd copy of it that cannot be ordered (versionIds
    that are not numbers), in both arrival orders. Whatever the gate makes of the odd copy alone,
    the store's choice must not show any viewer more: if the gate withholds the odd copy from a
    viewer, the stored result is withheld from them too; and the store counts a copy as
    entered-in-error exactly when the gate does. Held for every spelling tried."""
    odd = {**ODD_COPIES[name], "meta": {"versionId": "b"}}
    plain = _obs(meta={"versionId": "a"})
    alone = Store(tmp_path / "alone.db")
    alone.put(base() + [odd])
    withheld_alone = {v.key for v in ALL_VIEWERS if "o1" not in shown_ids(alone, v)}
    assert restraint(odd)[0] == entered_in_error(odd)
    for n, copies in enumerate(([plain, odd], [odd, plain])):
        store = Store(tmp_path / f"both{n}.db")
        store.put(base())
        for copy in copies:
            store.put([copy])
        for viewer in ALL_VIEWERS:
            if viewer.key in withheld_alone:
                assert "o1" not in shown_ids(store, viewer), (name, viewer)


def test_an_entered_in_error_copy_beside_a_labelled_copy_keeps_the_label_and_is_hidden(tmp_path):
    """Tried: copy A labelled PSY (hidden from Dave, rp2, whose Consent denies PSY: attack19_support
    `base`), copy B unlabelled and saying " Entered-In-Error"; neither can be ordered. The store
    keeps B with A's label merged in, and nobody sees it, in either arrival order. Held."""
    labelled = _obs(meta={"versionId": "a", "security": [{"system": ACT, "code": "PSY"}]})
    in_error = _obs(status=" Entered-In-Error", meta={"versionId": "b"})
    for n, copies in enumerate(([labelled, in_error], [in_error, labelled])):
        store = Store(tmp_path / f"s{n}.db")
        store.put(base())
        for copy in copies:
            store.put([copy])
        kept_copy = next(r for r in store.resources_for("p1") if r["id"] == "o1")
        assert kept_copy["status"] == " Entered-In-Error"
        assert {"PSY"} <= {c.get("code") for c in kept_copy["meta"]["security"]}
        for viewer in ALL_VIEWERS:
            assert "o1" not in shown_ids(store, viewer), viewer


def test_a_carers_permit_copy_entered_in_error_in_odd_case_ends_her_access(tmp_path):
    """Tried: Carol's proxy Consent, and a copy of it saying "Entered-In-Error" (odd case: before
    6494282 the store did not count it; the gate never read it as active). The store keeps the
    in-error copy and Carol is refused, in both arrival orders. Held."""
    permit = {**consent(period={"start": "2020-01-01"}), "meta": {"versionId": "a"}}
    odd = {**permit, "status": "Entered-In-Error", "meta": {"versionId": "b"}}
    for n, copies in enumerate(([permit, odd], [odd, permit])):
        store = Store(tmp_path / f"s{n}.db")
        store.put([{"resourceType": "Patient", "id": "p1"}, related(), _obs()])
        for copy in copies:
            store.put([copy])
        visible = open_record(store, CAROL, TODAY)
        assert visible.denied_reason and "o1" not in {r["id"] for r in visible.resources}


def _deny_consent(status: str = "active", version: str = "a") -> dict:
    """A privacy Consent for p1 that denies Carol (rp1) anything labelled PSY: R4 Consent with a
    top-level provision.type "deny" (tests/test_access.py `consent`, provision replaced)."""
    resource = consent("c9", actor="RelatedPerson/rp1")
    resource["provision"] = {"type": "deny", "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}],
                             "securityLabel": [{"system": ACT, "code": "PSY"}]}
    return {**resource, "status": status, "meta": {"versionId": version}}


@pytest.mark.parametrize("status", [EIE, "Entered-In-Error", " entered-in-error "])
def test_a_deny_consents_entered_in_error_copy_must_not_lift_the_deny(tmp_path, status):
    """BROKE (fixed: store/versions.py `restraint` ranks a restricting Consent's in-force copy
    highest). Tried: Carol may see p1's record (her proxy Consent), but a second Consent denies
    her PSY-labelled entries. A copy of that deny Consent saying entered-in-error arrives that
    cannot be ordered against the active one (versionIds "a" and "b"). With the active deny
    alone, Carol does not see the PSY result; with both copies she does, in either arrival order.

    Cause: ltc_dashboard/store/versions.py:261-277 `restraint` puts entered-in-error first ("above
    all") for every Consent, but a deny Consent entered in error is one the gate no longer applies
    (ltc_dashboard/gate/consent.py:304 `_in_force`: status not "active", not in force): for a deny,
    the in-error copy is the one that grants MORE. 6494282 widened it: the odd-case spellings,
    which the store's old exact check missed, now win too. Fix: for a Consent that is not a
    carer's permit (a deny, the patient's access start), entered-in-error must not raise its
    restraint; rank the copy that is in force (status "active", not in error) highest, e.g.
    `return (False, status == "active" and not fhir_read.entered_in_error(resource), ...)`."""
    psy = _obs("psy", meta={"security": [{"system": ACT, "code": "PSY"}]})
    start = [{"resourceType": "Patient", "id": "p1"}, related(), consent(period={"start": "2020-01-01"}), psy, _obs()]
    alone = Store(tmp_path / "alone.db")
    alone.put(start + [_deny_consent()])
    assert "psy" not in shown_ids(alone, CAROL) and "o1" in shown_ids(alone, CAROL)
    for n, copies in enumerate(([_deny_consent(), _deny_consent(status, "b")],
                                [_deny_consent(status, "b"), _deny_consent()])):
        store = Store(tmp_path / f"s{n}.db")
        store.put(start)
        for copy in copies:
            store.put([copy])
        assert "psy" not in shown_ids(store, CAROL), (status, n)


def test_restraint_never_crashes_on_odd_shapes():
    """Tried: the owner and the store's choice on copies with lists, numbers and nulls where
    objects and codes are expected, and a Consent and RelatedPerson whose status, period and
    provision are of the wrong JSON type. Nothing raises; a single copy is kept certain. Held."""
    odd = [{"resourceType": "Consent", "status": ["active"], "provision": "x"},
           {"resourceType": "Consent", "status": None, "provision": [{"type": ["deny"]}, 3]},
           {"resourceType": "RelatedPerson", "active": "true", "period": {"end": ["2020"]}},
           {"resourceType": "RelatedPerson", "period": [{"end": "2020-01-01"}]},
           {"resourceType": "Observation", "status": {"x": 1}, "verificationStatus": 3, "clinicalStatus": [1]}]
    for resource in odd:
        entered_in_error(resource)
        restraint(resource)
    for a, b in itertools.combinations(odd, 2):
        resolve([a, b])


@pytest.mark.parametrize("shape", ["concept in a list", "coding a lone dict", "verification code str"])
def test_entered_in_error_read_through_a_list_or_a_lone_coding_fails_closed(tmp_path, shape):
    """BROKE (fixed: fhir_read.entered_in_error reads every shape, `_says_in_error`). Tried:
    a Condition whose verificationStatus says entered-in-error in a shape
    fhir_read.py's docstring says a stored resource may have (a list where an object is expected,
    a lone Coding where `coding` should be a list, a bare code where a concept is expected). The
    owner's docstring promises any odd spelling "is still caught (fail closed)"; instead the gate
    shows the entry to the patient, the shared screen and carers, and nothing is counted unchecked.
    (The old store check read the bare code; the gate never did.)

    Cause: ltc_dashboard/fhir_read.py:283-295 `entered_in_error` reads a concept only as one dict
    with a list `coding`, and a code element only as text; it does not use the module's own
    `objects()` / `codings()` readers (which note odd shapes, fhir_read.odd_seen). Fix: read each
    element with `objects()` (a lone object or a list) and each concept's codings with
    `coding_list`/`codings`, and treat a bare string in a concept element as its code; or have
    the gate withhold and count an entry whose status elements are not in FHIR's shape."""
    odd = {"concept in a list": [{"coding": [{"code": EIE}]}],
           "coding a lone dict": {"coding": {"code": EIE}},
           "verification code str": EIE}[shape]
    store = Store(tmp_path / "s.db")
    store.put(base() + [_cond(verificationStatus=odd)])
    for viewer in ALL_VIEWERS:
        visible = open_record(store, viewer, TODAY)
        assert "cx" not in {r["id"] for r in visible.resources}, viewer


# == 4. the shared screen's questions, comments and own content ===============================
def _question_rows(store: Store) -> None:
    """The patient's own question, a kept suggestion with recorded sources, one with none, Carol's
    and Dave's questions (Store.add_question, as the service writes them)."""
    store.add_question("p1", "PATIENT-OWN question", "patient")
    store.add_question("p1", "PATIENT-KEPT suggestion", "patient", source="suggested", rule_id="r1",
                       sources=["Observation/o0"])
    store.add_question("p1", "PATIENT-UNSOURCED suggestion", "patient", source="suggested", rule_id="r2")
    store.add_question("p1", "CAROL question", "proxy:RelatedPerson/rp1")
    store.add_question("p1", "DAVE question", "proxy:RelatedPerson/rp2")
    store.add_question("p1", "CLINIC-AUTHORED question", "clinic")


@pytest.mark.parametrize("choice", [None, "no", "yes"])
def test_the_shared_screen_shows_no_carers_questions_and_the_persons_only_by_choice(tmp_path, choice):
    """Tried: questions by the patient (own, a kept suggestion, one kept before sources were
    recorded), by each carer and one stored as the clinic's, a carer's comment, with the
    shared-screen choice unset, "no" and "yes". Through the service's summary, the gate's
    questions_for, the pages' helper (shows_own_on_shared_screen) and the export's own content
    (exports.own_content.for_viewer): the shared screen never shows a carer's question or any
    comment, and the person's questions only when they chose "yes" (then never the unsourced
    suggestion); a carer sees only her own questions; the summary tells only the patient how many
    are withheld. Held."""
    store = kept(Store(tmp_path / "s.db"))
    _question_rows(store)
    svc = Service(store)
    if choice:
        svc.set_preference(PATIENT, "shared_screen_own", choice)
    preferences = svc.preferences("p1")
    comments = [{"id": 1, "resource_type": "Observation", "resource_id": "o0", "text": "CAROL comment",
                 "author": "proxy:RelatedPerson/rp1"},
                {"id": 2, "resource_type": "Observation", "resource_id": "o0", "text": "PATIENT comment",
                 "author": "patient"}]
    assert shows_own_on_shared_screen(preferences) is (choice == "yes")
    assert screen_choices(preferences).own is (choice == "yes")
    texts = lambda rows: {r["text"] for r in rows}
    expected_clinic = {"PATIENT-OWN question", "PATIENT-KEPT suggestion", "CLINIC-AUTHORED question"} \
        if choice == "yes" else set()
    for viewer, expected in ((CLINIC, expected_clinic), (CAROL, {"CAROL question"}), (DAVE, {"DAVE question"})):
        visible = open_record(store, viewer, TODAY)
        rows, withheld = questions_for(visible, store.questions("p1"), preferences)
        assert texts(rows) == expected, viewer
        summary = svc.summary(viewer, TODAY)
        assert {q.text for q in summary.questions if q.own_id is not None} == expected, viewer
        assert summary.own_questions_withheld == 0
        own = for_viewer(visible, store.questions("p1"), comments, [], [], preferences)
        assert texts(own.questions) == expected, viewer
        words = " ".join(c["text"] for c in own.comments)
        assert "PATIENT comment" not in words or viewer.kind == "patient"
        if viewer.kind == "clinic":
            assert own.comments == [] and own.preferences == {}
        dumped = summary.model_dump_json()
        assert "CAROL question" not in dumped or viewer == CAROL
        assert "DAVE question" not in dumped or viewer == DAVE
        assert "PATIENT-UNSOURCED" not in dumped
