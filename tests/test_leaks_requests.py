"""Leak properties for requests to the practice (issue 21), for every viewer of the demo records
(data/demo/README.md: six patients, each seen as the patient and on the clinic shared screen; the
daughter, the son whose consent ended, and the attorney): a carer never sees another person's
requests, nor the patient's, nor another carer's; the shared screen shows none; no summary, sheet
or export carries any request; and what the request page says about withheld entries is the same
whether or not the record hides something.

Who must see which request is read here independently of ltc_dashboard/service/record_requests.py (`must_see`); every
request carries a marker (a made-up carer's name or words) that must not show where it does not
belong. Requests are made here by hand; the hidden entries in the differential are copies of demo
entries given a NOPAT or SDV label (clinical-reference §7.1).
"""

from __future__ import annotations

import copy
import json

import pytest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.summary.sheet import summary_markdown
from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, open_expanders, texts,
)
from test_exports_support import DEMO, every_export, export_store_template, service, today  # noqa: F401
from test_feedback import allow_corrections
from test_leaks import demo_viewers


def must_see(viewer: Viewer, author: str, patient_id: str) -> bool:
    """Whether this viewer must be able to see a request made by `author` for `patient_id`: the
    patient sees every request about them; a carer only those she made herself, and only while
    her view is not refused (the son's consent has ended); the shared screen none."""
    if viewer.patient_id != patient_id or viewer.kind == "clinic":
        return False
    if viewer.kind == "patient":
        return True
    return author == str(viewer) and viewer.proxy_id != "dem-rp-son"


def marker(patient_id: str, author: str) -> str:
    return f"Zq{patient_id.replace('-', '')}{author.replace(':', '').replace('/', '').replace('-', '')}Zq"


def make_every_request(svc) -> list[tuple[str, str, str]]:
    """A proxy request by every patient, and a subject access request by the daughter (given the
    right to act): (patient, author, marker)."""
    made = []
    for choice in svc.patients(today()):
        mark = marker(choice.id, "patient")
        svc.make_request(Viewer(kind="patient", patient_id=choice.id), today(), "proxy", carer_name=mark,
                         relationship="friend", access=["record"])
        made.append((choice.id, "patient", mark))
    allow_corrections(svc)
    mark = marker(DEMENTIA, DAUGHTER)
    svc.make_request(Viewer.parse(DEMENTIA, DAUGHTER), today(), "sar", details=mark)
    made.append((DEMENTIA, DAUGHTER, mark))
    return made


def test_every_viewer_sees_exactly_the_requests_they_must_and_no_output_carries_one(service, tmp_path):
    """For every demo viewer: the request list holds exactly the requests they must see (the
    control: some viewers see some); the summary, sheet and every export hold no request; and a
    request they must not see cannot be written out for them."""
    made = make_every_request(service)
    stored = {row["details"] or row["carer_name"]: row["id"] for pid, _, _ in made
              for row in service._store.record_requests(pid)}
    seen_any = 0
    for who in demo_viewers(service):
        listed = {r.details or r.carer_name for r in service.record_requests(who, today())}
        expected = {mark for pid, author, mark in made if must_see(who, author, pid)}
        assert listed == expected, f"{who}: {sorted(listed)} != {sorted(expected)}"
        seen_any += bool(listed)
        summary = service.summary(who, today())
        outputs = [summary.model_dump_json(), summary_markdown(summary), *every_export(service, who, tmp_path).values()]
        text = "\n".join(outputs)
        assert not [mark for _, _, mark in made if mark in text], f"{who}: a request reached the summary or an export"
        for pid, author, mark in made:
            if not must_see(who, author, pid) and pid == who.patient_id:
                request = next(r for r in service.record_requests(Viewer(kind="patient", patient_id=pid), today())
                               if stored[mark] == r.id)
                with pytest.raises(Exception):
                    service.request_document(who, today(), request, "text")
    assert seen_any >= 7  # six patients and the daughter


def test_no_page_of_any_viewer_shows_a_request_they_must_not_see(demo_db):
    """Every page the dementia record's viewers (patient, shared screen, daughter, son) and the
    diabetes patient reach, expanders open: no marker of a request they must not see is drawn;
    the request page of each who may see one shows it (the control)."""
    from ltc_dashboard.service.core import open_service

    made = make_every_request(open_service(str(demo_db)))
    checked = 0
    for patient, kind in ((DEMENTIA, "patient"), (DEMENTIA, "clinic"), (DEMENTIA, DAUGHTER),
                          (DEMENTIA, "proxy:RelatedPerson/dem-rp-son"), (DIABETES, "patient")):
        who = Viewer.parse(patient, kind)
        at = open_app(patient, kind)
        no_errors(at)
        for page_hash, info in list(at._registered_pages.items()):
            at._page_hash = page_hash
            at.run()
            open_expanders(at)
            shown = texts(at)
            wrong = [mark for pid, author, mark in made if not must_see(who, author, pid) and mark in shown]
            assert not wrong, f"{who} on {info['page_name']}: {wrong}"
            if info["page_name"] == "Ask for more of the record":
                assert all(mark in shown for pid, author, mark in made if must_see(who, author, pid)), who
            checked += 1
    assert checked >= 30


def _hidden_copy(file: str, label: str) -> dict:
    """The newest dated Observation of a demo file, copied under a new id and labelled to be hidden from
    this viewer (the rest as the demo ships it)."""
    bundle = json.loads((DEMO / file).read_text())
    results = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
               and e["resource"].get("effectiveDateTime")]
    hidden = copy.deepcopy(max(results, key=lambda r: r["effectiveDateTime"]))  # the newest: after any start
    hidden["id"] += "-hidden-copy"
    hidden.setdefault("meta", {})["security"] = [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                                  "code": label}]
    return hidden


def _page_words(patient: str, kind: str) -> str:
    """Everything the request page drew but the scripts (one holds the session's random token)."""
    at = go(open_app(patient, kind), "record_requests")
    no_errors(at)
    return "\n".join(str(node.proto) for node in at._tree
                     if getattr(node, "proto", None) is not None and getattr(node, "type", None) != "html")


@pytest.mark.parametrize("patient, kind, file, label", [
    (BIPOLAR, "patient", "bipolar_lithium.json", "NOPAT"),
    (DEMENTIA, DAUGHTER, "dementia.json", "SDV"),
])
def test_the_request_page_says_the_same_whether_or_not_the_record_hides_entries(demo_db, patient, kind, file, label):
    """Adding an entry hidden from this viewer (a NOPAT-labelled copy of a result for the patient,
    an SDV-labelled one for the daughter) changes nothing the request page draws; the copy is
    hidden and its unlabelled original shown (the control)."""
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard.store import Store

    before = _page_words(patient, kind)
    assert "What the online record holds" in before and "can keep some entries out" in before
    hidden = _hidden_copy(file, label)
    store = Store(demo_db)
    store.put([hidden])
    store.close()
    visible = open_service(str(demo_db)).open(Viewer.parse(patient, kind), today()).visible
    original = hidden["id"].removesuffix("-hidden-copy")
    assert not visible.sees(f"Observation/{hidden['id']}") and visible.sees(f"Observation/{original}")
    assert _page_words(patient, kind) == before
