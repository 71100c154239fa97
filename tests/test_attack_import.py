"""An outside review's attacks on the importer, the crash-proofing, the text rendering and the
upload rules (issue 13, issue 14's FHIR XML part). Each test is a failure found by the review,
marked xfail(strict=True) until the product is fixed: when a fix lands the test passes, the strict
xfail turns it red, and the marker is removed.

Every input here is hand-made by the outside review in shapes FHIR R4 (or an attacker) allows; the
records they aim at are the demo store's (data/demo).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import io
import json
import zlib
from pathlib import Path

import pytest

from connectors.base import Rejected
from connectors.files import FileConnector
from ltc_dashboard.cli.main import main
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service import core as service
from ltc_dashboard.service.connect import UploadRefused
from ltc_dashboard.store import Store
from test_app_support import DIABETES, RHEUMATOID, demo_db, demo_db_template  # noqa: F401  (fixtures)

TODAY = dt.date(2026, 11, 25)
ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"


def ndjson(*resources) -> bytes:
    return ("\n".join(json.dumps(r) for r in resources) + "\n").encode()


def run_cli(*argv) -> tuple[int, str]:
    """`ltc` in-process: (exit code, stdout and stderr together); a traceback propagates."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue() + err.getvalue()


def patient_view(patient: str) -> Viewer:
    return Viewer(kind="patient", patient_id=patient)


def observation(rid: str, patient: str, **changes) -> dict:
    resource = {"resourceType": "Observation", "id": rid, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}], "text": "Weight"},
                "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": "2026-10-01",
                "valueQuantity": {"value": 80, "unit": "kg"}}
    resource.update(changes)
    return resource


# -- the file reader: decompression, XML ---------------------------------------------------------
def _gzip_of_spaces(megabytes: int) -> bytes:
    """A gzip file of about megabytes/1000 MB that expands to `megabytes` MB: '{' spaces '}'."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts, chunk = [packer.compress(b"{")], b" " * (1 << 20)
    parts += [packer.compress(chunk) for _ in range(megabytes)]
    parts += [packer.compress(b"}"), packer.flush()]
    return b"".join(parts)


def test_a_gzip_bomb_is_refused_for_its_size_before_it_is_read(tmp_path):
    """A 260 KB .json.gz that expands past the 200 MB upload limit is refused by size, by name of
    the limit, not decompressed whole into memory (hand-made by the outside review)."""
    # Seen: connectors/files.py `gzip.decompress(data)` expands it all (a 400 KB file took 850 MB of
    # memory; a 200 MB upload, which uploads.check_upload allows, would expand to about 200 GB) and the
    # reason given is the content's ('not a FHIR resource (no resourceType)'), not the size.
    bomb = tmp_path / "record.json.gz"
    bomb.write_bytes(_gzip_of_spaces(256))
    assert bomb.stat().st_size < 300_000
    items = list(FileConnector([bomb]).read())
    assert len(items) == 1 and isinstance(items[0], Rejected)
    assert any(word in items[0].reason for word in ("too large", "too big", "expands", "uncompressed", "decompress"))


XML_HEAD = '<Patient xmlns="http://hl7.org/fhir"><id value="xml-person"/>'


def test_a_huge_whole_number_in_fhir_xml_is_rejected_not_a_traceback(tmp_path, db_path):
    """`ltc import` of an XML Patient whose multipleBirthInteger has 5,000 digits rejects that file
    with a reason and still imports the other file given (hand-made by the outside review)."""
    # Seen: connectors/fhir_xml.py `_typed` calls int(text); Python refuses over 4,300 digits with a
    # ValueError that `_read_file` does not catch (it catches XmlError only): `ltc import` ends in a
    # traceback and nothing is imported.
    good = tmp_path / "a-good.json"
    good.write_text(json.dumps({"resourceType": "Patient", "id": "good-person", "name": [{"text": "Good"}]}))
    bad = tmp_path / "b-bad.xml"
    bad.write_text(XML_HEAD + '<multipleBirthInteger value="' + "1" * 5000 + '"/></Patient>')
    code, said = run_cli("import", good, bad, "--db", db_path)
    assert code == 1 and "b-bad.xml" in said and "rejected" in said
    assert Store(db_path).patient_ids() == ["good-person"]


def test_a_deeply_nested_xhtml_narrative_is_rejected_not_a_traceback(tmp_path, db_path):
    """`ltc import` of an XML Patient whose narrative div nests 100,000 <b> elements rejects that
    file with a reason and still imports the other file given (hand-made by the outside review)."""
    # Seen: connectors/fhir_xml.py `_xhtml` (copy.deepcopy / tostring of the div) recurses past
    # Python's limit; the RecursionError is not caught: `ltc import` ends in a traceback. The depth
    # check (MAX_DEPTH) covers FHIR elements, not the XHTML inside a narrative.
    good = tmp_path / "a-good.json"
    good.write_text(json.dumps({"resourceType": "Patient", "id": "good-person", "name": [{"text": "Good"}]}))
    bad = tmp_path / "b-bad.xml"
    depth = 100_000
    bad.write_text(XML_HEAD + '<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">'
                   + "<b>" * depth + "x" + "</b>" * depth + "</div></text></Patient>")
    code, said = run_cli("import", good, bad, "--db", db_path)
    assert code == 1 and "b-bad.xml" in said and "rejected" in said
    assert Store(db_path).patient_ids() == ["good-person"]


# -- references that name no patient -------------------------------------------------------------
@pytest.mark.parametrize("subject", [
    {"reference": "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"},
    {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}},
], ids=["conditional reference", "identifier only"])
def test_a_subject_that_cannot_be_resolved_is_rejected_not_stored_without_a_patient(tmp_path, db_path, subject):
    """An Observation whose subject is a transaction's conditional reference (`Patient?identifier=`)
    or a logical identifier that no Patient in the file carries is rejected with a reason, never
    stored without a patient (issue 14: 'never stored without a patient'; hand-made by the outside
    review)."""
    # Seen: `ltc import` exits 0 with nothing rejected, and the row is stored with patient_id NULL
    # (fhir_read.patient_of finds no 'Patient/' in it): an entry of nobody's record, shown to no one,
    # with no word to the person importing.
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"text": "P One"}]},
         "request": {"method": "PUT", "url": "Patient/p1"}},
        {"resource": observation("o1", "p1", subject=subject), "request": {"method": "POST", "url": "Observation"}},
    ]}
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(bundle))
    code, said = run_cli("import", path, "--db", db_path)
    assert code == 1 and "rejected" in said and "entry 2" in said
    assert [r["id"] for r in Store(db_path).of_type("Observation")] == []


# -- the upload's scope --------------------------------------------------------------------------
def test_an_upload_cannot_name_another_patients_medicine(demo_db):
    """Signed in as the diabetes patient, uploading a Medication whose id another patient's
    MedicationRequest names (but the store does not hold yet) does not change what that other
    patient's medicines list says (hand-made by the outside review)."""
    # Seen: uploads.scope_problem lets a new shared resource through (placement None): the
    # rheumatoid arthritis patient's 'Unnamed medicine' becomes 'ATTACKER MEDICINE' in their record,
    # summary and exports, written by someone else's upload.
    store = Store(demo_db)
    request = {"resourceType": "MedicationRequest", "id": "ra-mr-x", "status": "active", "intent": "order",
               "subject": {"reference": f"Patient/{RHEUMATOID}"}, "medicationReference": {"reference": "Medication/med-x"},
               "authoredOn": "2026-10-01", "dosageInstruction": [{"text": "one daily"}]}
    from ltc_dashboard.intake.ingest import import_items
    assert not import_items(store, [request]).rejected  # (`ltc import`: the practice's own record)
    svc = service.Service(store)
    before = [m.name for m in svc.record(patient_view(RHEUMATOID), TODAY).medications if m.id == "ra-mr-x"]

    medicine = {"resourceType": "Medication", "id": "med-x", "code": {"text": "ATTACKER MEDICINE"}}
    svc.import_upload("mine.ndjson", ndjson(medicine), viewer=patient_view(DIABETES))

    after_service = service.Service(Store(demo_db))
    after = [m.name for m in after_service.record(patient_view(RHEUMATOID), TODAY).medications if m.id == "ra-mr-x"]
    assert after == before
    assert "ATTACKER" not in after_service.summary(patient_view(RHEUMATOID), TODAY).model_dump_json()


def test_yes_this_is_me_cannot_write_into_a_record_that_is_already_someone_elses(demo_db):
    """Signed in as the diabetes patient, a file holding the rheumatoid arthritis patient's own
    Patient entry and a result of theirs asks "Is this you?"; answering yes must not add the result
    to that other person's existing record (hand-made by the outside review)."""
    # Seen: service_connect.import_upload with this_is_me='ra-patient' takes that record as the
    # target and stores 'planted' in it (and pages/import_file.py then signs the uploader in as that
    # person): any patient can write into, and open, any other record the store already holds, by
    # answering yes to a question about a name that is not theirs.
    store = Store(demo_db)
    other = next(r for r in store.resources_for(RHEUMATOID) if r["resourceType"] == "Patient")
    planted = {"resourceType": "Observation", "id": "planted", "status": "final", "code": {"text": "Planted"},
               "subject": {"reference": f"Patient/{RHEUMATOID}"}, "effectiveDateTime": "2026-11-01", "valueString": "x"}
    svc = service.Service(store)
    asked = svc.import_upload("f.ndjson", ndjson(other, planted), viewer=patient_view(DIABETES))
    assert asked.ask is not None and asked.ask.id == RHEUMATOID
    with contextlib.suppress(UploadRefused):
        svc.import_upload("f.ndjson", ndjson(other, planted), viewer=patient_view(DIABETES), this_is_me=RHEUMATOID)
    assert "planted" not in {r["id"] for r in Store(demo_db).resources_for(RHEUMATOID)}


# -- text shown as text --------------------------------------------------------------------------
def test_record_names_in_the_which_record_choice_are_text(demo_db):
    """After a SMART sign-in that opens two records, the 'Which record?' choice shows each name the
    server gives as text: Markdown image and link syntax in a name is escaped (hand-made by the
    outside review)."""
    # Seen: pages/connect.py passes `r[1]` (service_connect._name: the server's Patient.name, given
    # and family joined) unescaped as st.radio option labels, which Streamlit renders as Markdown
    # (images included): the option reads '![t](http://127.0.0.2:9/p.png) **Evil** ...' raw, so the
    # browser would fetch the image from another origin.
    from connectors.smart import ActingFor
    from test_app_support import go, open_app

    at = go(open_app(DIABETES), "connect")
    evil = "![t](http://127.0.0.2:9/p.png) **Evil** [x](http://127.0.0.2:9)"
    at.session_state["connect_smart_signed_in"] = (object(), [(ActingFor("p1"), evil), (ActingFor("p2", "rp1"), "Other")])
    at.run()
    assert not at.exception
    labels = at.radio(key="connect_choice").options
    bare = [__import__("re").sub(r"\\.", "", label) for label in labels]  # escaped characters removed
    assert not [label for label in bare if "![" in label or "](" in label or "**" in label], labels


# -- Bundle oddities -----------------------------------------------------------------------------
def test_a_urn_uuid_that_two_entries_share_is_not_resolved_to_either(tmp_path, db_path):
    """A Bundle where two Patients share one `urn:uuid:` fullUrl (FHIR bdl-7 forbids it) and a
    result's subject is that urn: the result is rejected as ambiguous, not filed in one of the two
    records (hand-made by the outside review)."""
    # Seen: connectors/files.py `_bundle_items` fills `targets[full_url]` entry by entry, so the last
    # Patient wins: `ltc import` exits 0 with nothing rejected and the result is filed in p2's
    # record, though the file cannot say whose it is (with the entries in the other order, p1's).
    shared = "urn:uuid:7a1f9a4e-0000-4000-8000-000000000001"
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": shared, "resource": {"resourceType": "Patient", "id": "p1", "name": [{"text": "P One"}]}},
        {"fullUrl": shared, "resource": {"resourceType": "Patient", "id": "p2", "name": [{"text": "P Two"}]}},
        {"fullUrl": "urn:uuid:7a1f9a4e-0000-4000-8000-000000000002",
         "resource": observation("o1", "x", subject={"reference": shared})},
    ]}
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(bundle))
    code, said = run_cli("import", path, "--db", db_path)
    store = Store(db_path)
    filed = [r["id"] for pid in ("p1", "p2") for r in store.resources_for(pid) if r["resourceType"] == "Observation"]
    assert filed == [] and code == 1 and "rejected" in said, said
