"""Attack on who may see and order repeats (issue 21, branch atk21b): a carer whose Consent permits
only `correct`, a carer whose Consent ended yesterday, a carer of one patient ordering for another
(service and `ltc order-repeat`), granted scopes, a Task coming back in a file, and restoring
order Tasks that name someone else. `xfail(strict=True)`: a break, failing on main today;
unmarked: a probe that held.

Records: the demo records (data/demo: the dementia record's daughter and her Consent, the
diabetes record), the leak-test shapes of tests/leak_shapes.py (R4 Consents as
clinical-reference §8.2 writes them), the Task exactly as ltc_dashboard/exports/repeat_order.py sends it, and
the UK Core Task example (../shared/fhir-samples/ukcore-r4-xml/UKCore-Task-Colonoscopy-Example.xml).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from connectors.orders import scope_allows_create
from ltc_dashboard.cli.main import main
from ltc_dashboard.exports.own_content import TAG
from ltc_dashboard.exports.repeat_order import ORDER_EXTENSION, order_task
from ltc_dashboard.intake.ingest import import_paths
from leak_oracle import MARKER, TODAY, must_hide
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.repeats import OrderRefused
from ltc_dashboard.store import Store
from test_exports_support import DEMO, demo_resource, export_store_template, service, today, viewer  # noqa: F401
from test_feedback import DAUGHTER
from test_leaks_repeats import record, seen_text
from test_repeats import ORDERED

ROOT = Path(__file__).resolve().parents[1]
UKCORE = ROOT.parent / "shared" / "fhir-samples" / "ukcore-r4-xml"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"


def actions(*codes: str) -> list[dict]:
    return [{"coding": [{"system": ACTION, "code": code}]} for code in codes]


# -- a Consent whose only action is `correct` ---------------------------------------------------
def test_a_consent_permitting_only_correct_shows_the_carer_nothing():
    """The leak-test record of tests/test_leaks_repeats.py with Robin's Consent (consent-rp1)
    permitting only `correct` (R4 consent-action: "Allow correction of the information"): the
    oracle hides every entry from her; the gate must show her none of them either."""
    files, _ = record()
    files[0][2]["provision"]["action"] = actions("correct")
    folder = Path(tempfile.mkdtemp(prefix="atk21b-correct-"))
    try:
        from leak_shapes import write_files

        store = Store(folder / "r.db")
        import_paths(store, write_files(folder, files))
        robin = "proxy:RelatedPerson/rp1"
        hidden = must_hide(files, robin, None)
        assert hidden  # the oracle: nothing is surely permitted to her
        shown = seen_text(Service(store), Viewer.parse("p1", robin))
        store.close()
        assert not set(MARKER.findall(shown)) & hidden
    finally:
        shutil.rmtree(folder)


def test_the_daughter_with_a_correct_only_consent_is_offered_nothing(service):
    """The demo daughter's Consent (dementia.json) given `provision.action` correct only, as
    tests/test_feedback.py allow_corrections does."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    service._store.put([{**consent, "meta": {"versionId": "2"},
                         "provision": {**consent["provision"], "action": actions("correct")}}])
    assert service.repeat_choices(viewer("dem-patient", DAUGHTER), today()) == []


def test_a_carer_whose_consent_ended_yesterday_neither_orders_nor_sees_her_orders(service):
    """Probe (held): the daughter orders while allowed; her Consent then ends yesterday
    (provision.period.end 24 November): nothing listed, ordering refused, her order not shown."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    allowed = {**consent["provision"], "action": actions("access", "correct")}
    service._store.put([{**consent, "meta": {"versionId": "2"}, "provision": allowed}])
    daughter = viewer("dem-patient", DAUGHTER)
    offered = [c.focus_id for c in service.repeat_choices(daughter, today()) if c.offered]
    assert offered
    service.prepare_order(daughter, today(), offered[:1], now=ORDERED)
    ended = {**allowed, "period": {"start": "2022-06-01", "end": "2026-11-24"}}
    service._store.put([{**consent, "meta": {"versionId": "3"}, "provision": ended}])
    assert not service.may_order(daughter, today())
    assert service.repeat_choices(daughter, today()) == [] and service.repeat_orders(daughter, today()) == []
    with pytest.raises(OrderRefused):
        service.prepare_order(daughter, today(), offered[:1])
    assert service.summary(daughter, today()).repeat_orders == []


# -- a carer of one patient ordering for another -----------------------------------------------
def test_a_carer_of_one_patient_cannot_order_for_another_through_the_service(service):
    """Probe (held): the dementia patient's daughter, allowed to act, names the diabetes patient."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    service._store.put([{**consent, "meta": {"versionId": "2"},
                         "provision": {**consent["provision"], "action": actions("access", "correct")}}])
    stranger = viewer("dm-patient", DAUGHTER)
    before = service._store.repeat_orders("dm-patient")
    for medicine in ("dm-med-metformin", "dem-med-donepezil-10mg"):
        with pytest.raises(OrderRefused):
            service.prepare_order(stranger, today(), [medicine])
    assert service.repeat_choices(stranger, today()) == [] and service._store.repeat_orders("dm-patient") == before


def test_a_carer_of_one_patient_cannot_order_for_another_with_the_cli(tmp_path, capsys):
    """Probe (held): `ltc order-repeat --patient dm-patient --as proxy:RelatedPerson/dem-rp-daughter`."""
    db = tmp_path / "two.db"
    assert main(["import", str(DEMO / "diabetes.json"), str(DEMO / "dementia.json"), "--db", str(db)]) == 0
    capsys.readouterr()
    code = main(["order-repeat", "--patient", "dm-patient", "--as", DAUGHTER, "--medication", "dm-med-metformin",
                 "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Metformin" not in err
    store = Store(db)
    assert all(row["author"] == "patient" for row in store.repeat_orders("dm-patient"))
    store.close()


# -- scopes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("scope, allowed", [
    ("patient/*.read", False), ("launch/patient patient/Task.read", False), ("patient/Task.rs", False),
    ("patient/Task.c", True), ("patient/Task.write", True), ("patient/*.cruds", True), ("patient/*.*", True),
    ("system/Task.write", False), ("patient/Task.c?status=requested", False), ("patient/Appointment.c", False),
])
def test_which_granted_scopes_allow_sending_an_order(scope, allowed):
    """Probe (held): SMART v1 (.read/.write/.*) and v2 (cruds letters) scopes; a v2 scope with a
    query (SMART 2.0 fine-grained) is not read as allowing a create (fail closed)."""
    assert scope_allows_create(scope, "Task") is allowed


# -- a Task coming back in a file, and restored orders ---------------------------------------------
def test_the_sent_task_coming_back_in_a_file_is_not_an_order_or_an_entry(service, tmp_path):
    """Probe (held): the Task exactly as the app sends it, and the UK Core Task example, imported
    in a file: no order is added, and nothing of either shows in the summary."""
    import datetime as dt

    sent = {**order_task("dm-patient", "dm-med-metformin", "Metformin 500mg modified-release tablets",
                         dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc), "urn:uuid:att21b-1"), "id": "att-sent"}
    path = tmp_path / "back.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": sent}]}))
    before = service._store.repeat_orders("dm-patient")
    import_paths(service._store, [path, UKCORE / "UKCore-Task-Colonoscopy-Example.xml"])
    assert service._store.repeat_orders("dm-patient") == before
    text = json.dumps(service.summary(viewer("dm-patient"), today()).model_dump(mode="json"))
    assert "Please issue my repeat" not in text and "att-sent" not in text


def _own_order(patient: str, focus: str, display: str | None) -> dict:
    """An own-content order Task as ltc_dashboard/exports/repeat_order.py own_task writes it."""
    task = {"resourceType": "Task", "id": f"own-order-att-{patient}", "meta": {"tag": [TAG]},
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:att21b-{patient}"}],
            "status": "requested", "intent": "order", "focus": {"reference": f"MedicationRequest/{focus}"},
            "for": {"reference": f"Patient/{patient}"}, "authoredOn": "2026-11-20T12:00:00+00:00",
            "extension": [{"url": ORDER_EXTENSION, "extension": [
                {"url": "how", "valueCode": "message"}, {"url": "status", "valueCode": "prepared"},
                {"url": "author", "valueString": "patient"}]}]}
    if display:
        task["focus"]["display"] = display
    return task


def test_an_upload_holding_someone_elses_order_adds_nothing_to_their_orders(service):
    """Probe (held): the diabetes patient uploads a file holding an order Task for the dementia
    patient: it is not written into the dementia patient's orders."""
    before = service._store.repeat_orders("dem-patient")
    mine = _own_order("dm-patient", "dm-med-metformin", "Metformin 500mg modified-release tablets")
    theirs = _own_order("dem-patient", "dem-med-donepezil-10mg", "Donepezil 10mg tablets")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": mine}, {"resource": theirs}]}
    service.import_upload("mine.json", json.dumps(bundle).encode(), viewer=viewer("dm-patient"))
    assert service._store.repeat_orders("dem-patient") == before
    assert "urn:uuid:att21b-dm-patient" in {r["identifier"] for r in service._store.repeat_orders("dm-patient")}


def test_a_restored_order_pointing_at_another_patients_medicine_names_nothing_of_it(service, tmp_path):
    """Probe (held): an own-content order for the diabetes patient whose focus is the dementia
    patient's donepezil, with no display: the store's name of the other patient's entry is never
    shown, and it is never marked issued from the other record. Since the fix for attack 21b's
    restricted-medicine orders (ltc_dashboard/gate/own_content.py ORDERS), an order is shown only while
    the medicine it names is visible, so this one is not listed at all (it was listed as "a repeat
    medicine")."""
    path = tmp_path / "own.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": _own_order("dm-patient", "dem-med-donepezil-10mg", None)}]}))
    import_paths(service._store, [path])
    text = json.dumps([(o.medication, o.words(today()), o.status) for o in service.repeat_orders(viewer("dm-patient"), today())])
    assert "onepezil" not in text and "urn:uuid:att21b-dm-patient" in {
        r["identifier"] for r in service._store.repeat_orders("dm-patient")}  # kept, not shown
    assert "a repeat medicine" not in text and "issued" not in text.replace("not yet issued", "")


# -- what in a Consent lets a carer order -------------------------------------------------------
def _daughter_consent(service, action: list[dict], nested: list[dict] | None = None) -> None:
    """The demo daughter's Consent again (dementia.json), with `action` and extra nested rules."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    provision = {**consent["provision"], "action": action,
                 "provision": [*consent["provision"]["provision"], *(nested or [])]}
    service._store.put([{**consent, "meta": {"versionId": "2"}, "provision": provision}])


def test_a_deny_of_correcting_medicines_two_levels_down_stops_ordering(service):
    """The daughter's Consent (R4 Consent.provision.provision): she may see and correct; a
    nested permit for MedicationRequests holds a deny of `correct` for them. Ordering a repeat is
    read as correcting (service.repeats.may_order), so she must not order."""
    meds = {"type": "permit", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}],
            "provision": [{"type": "deny", "action": actions("correct")}]}
    _daughter_consent(service, actions("access", "correct"), [meds])
    daughter = viewer("dem-patient", DAUGHTER)
    offered = [c.focus_id for c in service.repeat_choices(daughter, today()) if c.offered]
    assert offered  # she still sees her mother's repeats
    with pytest.raises(OrderRefused):
        service.prepare_order(daughter, today(), offered[:1])


def test_a_correct_code_of_another_system_does_not_let_a_carer_order(service):
    """The action is consentaction `access` plus a local code system's `correct` (its meaning is
    that system's, which the app cannot know: R4's binding for action is an example only)."""
    local = [{"coding": [{"system": "https://example.org/CodeSystem/practice-proxy-actions", "code": "correct"}]}]
    _daughter_consent(service, actions("access") + local)
    assert not service.may_order(viewer("dem-patient", DAUGHTER), today())


def test_a_carer_allowed_to_see_but_not_to_correct_may_not_order(service):
    """Probe (held): action access only."""
    _daughter_consent(service, actions("access"))
    daughter = viewer("dem-patient", DAUGHTER)
    assert not service.may_order(daughter, today())
    offered = [c.focus_id for c in service.repeat_choices(daughter, today()) if c.offered]
    assert offered
    with pytest.raises(OrderRefused):
        service.prepare_order(daughter, today(), offered[:1])


def test_a_carers_task_does_not_say_my_prescription():
    """The Task a carer's order sends (requester RelatedPerson, ltc_dashboard/exports/repeat_order.py order_task)."""
    import datetime as dt

    task = order_task("dem-patient", "dem-med-donepezil-10mg", "Donepezil 10mg tablets",
                      dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc), "urn:uuid:att21b-2",
                      "RelatedPerson/dem-rp-daughter")
    assert task["requester"]["reference"] == "RelatedPerson/dem-rp-daughter"
    assert " my " not in f" {task['description']} "


# -- a carer whose data period hides the authorisation ---------------------------------------------
def test_a_stopped_repeat_is_not_orderable_by_a_carer_whose_data_period_hides_its_authorisation(tmp_path):
    """The leak-test record (tests/test_leaks_repeats.py: rp2 may see and act, data from 2026) with
    a repeat authorised in 2025 and stopped (R4 status stopped on the plan), issued monthly in 2026
    before it was stopped (issues in the demo generator's shape: completed, basedOn the plan)."""
    files, _ = record()
    course = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
                          "code": "continuous"}]}
    common = {"resourceType": "MedicationRequest", "courseOfTherapyType": course,
              "medicationCodeableConcept": {"text": "Lithium carbonate 400mg tablets"},
              "subject": {"reference": "Patient/p1"}}
    stopped = {**common, "id": "att-li-plan", "status": "stopped", "intent": "plan", "authoredOn": "2025-06-01"}
    issues = [{**common, "id": f"att-li-{d}", "status": "completed", "intent": "order", "authoredOn": d,
               "basedOn": [{"reference": "MedicationRequest/att-li-plan"}]} for d in ("2026-09-01", "2026-10-01")]
    files[0] += [stopped, *issues]
    # Her Consent dated within her data period (§8.2's example: dateTime = dataPeriod.start), so she
    # sees it and may act (dated 2024 as record() makes it, her own data period hides it from her).
    next(r for r in files[0] if r.get("id") == "consent-rp2")["dateTime"] = "2026-01-01"
    folder = tmp_path / "files"
    folder.mkdir()
    from leak_shapes import write_files

    store = Store(tmp_path / "r.db")
    import_paths(store, write_files(folder, files))
    service = Service(store)
    names = lambda who: {c.medication.name for c in service.repeat_choices(who, TODAY) if c.offered}  # noqa: E731
    assert "Lithium carbonate 400mg tablets" not in names(Viewer(kind="patient", patient_id="p1"))
    sam = Viewer.parse("p1", "proxy:RelatedPerson/rp2")
    assert service.may_order(sam, TODAY)
    try:
        assert "Lithium carbonate 400mg tablets" not in names(sam)
    finally:
        store.close()


def test_the_clinic_screen_cannot_send_an_order_and_nothing_is_asked_of_the_server(service):
    """Probe (held): send_order from the shared screen is refused before any request (port 9 on
    127.0.0.1: nothing listens, and nothing is tried) and keeps no order."""
    before = service._store.repeat_orders("dm-patient")
    with pytest.raises(OrderRefused):
        service.send_order(viewer("dm-patient", "clinic"), today(), "dm-med-metformin", "http://127.0.0.1:9/fhir", "t")
    assert service._store.repeat_orders("dm-patient") == before


# -- where the token goes -----------------------------------------------------------------------
class _Capture:
    """A requests transport adapter that keeps what would be sent and sends nothing."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def send(self, request, **kwargs):
        import requests

        self.seen.append((request.url, request.headers.get("Authorization")))
        raise requests.ConnectionError("nothing leaves this machine in tests")

    def close(self) -> None:
        pass


def test_an_order_never_sends_the_token_over_plain_http_to_another_host(service):
    """`ltc order-repeat --patient dm-patient --medication dm-med-metformin --server
    http://fhir.example.org/r4 --token T`, as the service sees it (the transport captured here)."""
    import requests

    capture = _Capture()
    session = requests.Session()
    session.mount("http://", capture)
    try:
        service.send_order(viewer("dm-patient"), today(), "dm-med-metformin", "http://fhir.example.org/r4",
                           "secret-token-att21b", session=session)
    except (OrderRefused, ValueError):
        pass  # refused before sending: the fix
    assert not [url for url, auth in capture.seen if auth and "secret-token-att21b" in auth], capture.seen


def test_a_nested_permit_to_correct_medication_requests_lets_the_carer_order(service):
    """§8.2: "provision.class / nested provision can limit access to e.g. MedicationRequest only
    (repeat ordering)". The daughter may see (root: access); a nested permit lets her `correct`
    MedicationRequests, the action service.repeats.may_order reads as ordering."""
    meds = {"type": "permit", "action": actions("correct"),
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    _daughter_consent(service, actions("access"), [meds])
    assert service.may_order(viewer("dem-patient", DAUGHTER), today())
