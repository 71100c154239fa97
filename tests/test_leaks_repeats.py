"""Repeat orders leak nothing (issue 21): for every viewer of a record (the patient, the clinic
shared screen, each carer, and a carer of someone else), no repeat the gate hides from them is
listed, can be ordered, or names an order they see; a carer sees only her own orders, and a
carer the record does not admit neither sees nor makes any.

What must stay hidden is answered by the conservative oracle (tests/leak_oracle.py `must_hide`),
not by the gate's code. The record is written here in the R4 shapes of tests/leak_shapes.py: repeat
authorisations (intent plan, course continuous) each carrying a marker, labelled restricted (R),
psychiatric (PSY, hidden on the shared screen), or dated before one carer's data period.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from ltc_dashboard.intake.ingest import import_paths
from leak_oracle import MARKER, TODAY, must_hide, viewers_of
from leak_shapes import ACT, CONF, Marks, base_record, carer, carer_permit, concept, consent, label, write_files
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.repeats import OrderRefused
from ltc_dashboard.store import Store

# access (to read: the oracle reads a permit without it as not letting the carer see) and correct
# (to act: the flags rule, service.repeats.may_order).
CORRECT = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": code}]}
           for code in ("access", "correct")]
COURSE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
                      "code": "continuous"}]}


def repeat(mark: str, day: str, labels: list[dict]) -> dict:
    """A repeat authorisation carrying `mark` in every text, with one issue's worth of date."""
    resource = {"resourceType": "MedicationRequest", "id": f"rep-{mark.lower()}", "status": "active", "intent": "plan",
                "courseOfTherapyType": COURSE, "medicationCodeableConcept": concept("Medicine", mark),
                "subject": {"reference": "Patient/p1"}, "authoredOn": day,
                "dosageInstruction": [{"text": f"dose {mark}"}], "note": [{"text": f"note {mark}"}]}
    if labels:
        resource["meta"] = {"security": labels}
    return resource


# Who may order (service.repeats.may_order), said here rather than found by running. rp2's Consent is
# dated 2024 (leak_shapes.consent), before her own data period (2026 on): since the one acting rule
# (ltc_dashboard/gate/acting.py, attack 21) reads the same Consent the gate lets her see by, in force now and
# permitting `correct`, she may act as she may see; the Consent's own date is not data she is shown.
# rp3's is dated inside her period, so she may too.
MAY_ORDER = {"patient": True, "clinic": False, "proxy:RelatedPerson/rp1": True,
             "proxy:RelatedPerson/rp2": True, "proxy:RelatedPerson/rp3": True,
             "proxy:RelatedPerson/rp-other": False}


def record() -> tuple[list, list[str]]:
    """The files (one Bundle) and the repeats' ids: carers rp1 (may act), rp2 (may act, data from
    2026 only, her Consent dated before it), rp3 (may act, data from 2026 only, her Consent dated
    within it), and a RelatedPerson of another patient."""
    marks, found = Marks(), base_record(None)
    found[2]["provision"]["action"] = CORRECT  # consent-rp1 lets Robin act on the record
    found += [carer("rp2", "Sam Carer"),
              consent("consent-rp2", carer_permit("rp2", dataPeriod={"start": "2026-01-01"}, action=CORRECT)),
              {"resourceType": "RelatedPerson", "id": "rp-other", "active": True,
               "patient": {"reference": "Patient/p2"}, "name": [{"text": "Other Carer"}]},
              carer("rp3", "Alex Carer"),
              consent("consent-rp3", carer_permit("rp3", dataPeriod={"start": "2026-01-01"}, action=CORRECT),
                      date="2026-01-01")]
    repeats = [repeat(marks.new(), "2026-09-01", []), repeat(marks.new(), "2026-09-01", [label("R", CONF)]),
               repeat(marks.new(), "2026-09-01", [label("PSY", ACT)]), repeat(marks.new(), "2025-06-01", [])]
    return [found + repeats], [r["id"] for r in repeats]


@pytest.fixture
def case():
    folder = Path(tempfile.mkdtemp(prefix="leaks-repeats-"))
    files, ids = record()
    store = Store(folder / "r.db")
    import_paths(store, write_files(folder, files))
    yield Service(store), files, ids
    store.close()
    shutil.rmtree(folder)


def seen_text(service: Service, who: Viewer) -> str:
    """Everything about repeats and orders this viewer is shown, as one text."""
    choices = [(c.medication.name, c.medication.dosage_text, c.reason, c.focus_id)
               for c in service.repeat_choices(who, TODAY)]
    orders = [(o.medication, o.words(TODAY)) for o in service.repeat_orders(who, TODAY)]
    summary = service.summary(who, TODAY).model_dump(mode="json")["repeat_orders"]
    return json.dumps([choices, orders, summary])


def test_no_viewer_lists_orders_or_sees_an_order_of_a_hidden_repeat(case):
    """The patient orders every repeat she may; then each viewer: the hidden repeats' markers reach
    nothing they see, ordering one is refused, and a carer sees her own orders only."""
    service, files, ids = case
    patient = Viewer(kind="patient", patient_id="p1")
    for rid in ids:
        try:
            service.prepare_order(patient, TODAY, [rid])
        except OrderRefused:
            pass
    checked = ordered = 0
    for text in viewers_of(files):
        who = Viewer.parse("p1", text)
        hidden = must_hide(files, text, None)
        for rid in ids:
            mark = rid.removeprefix("rep-").upper()
            if mark not in hidden:
                continue
            checked += 1
            with pytest.raises(OrderRefused):
                service.prepare_order(who, TODAY, [rid])
        shown = seen_text(service, who)
        assert not set(MARKER.findall(shown)) & hidden, f"{text} saw a hidden repeat"
        assert service.may_order(who, TODAY) is MAY_ORDER[text], text
        if who.kind == "proxy":
            assert service.repeat_orders(who, TODAY) == []  # the patient's orders are hers
            offered = [c.focus_id for c in service.repeat_choices(who, TODAY) if c.offered]
            if not MAY_ORDER[text]:
                for rid in offered:
                    with pytest.raises(OrderRefused):
                        service.prepare_order(who, TODAY, [rid])
                continue
            assert offered, f"{text} may order but is offered nothing"
            service.prepare_order(who, TODAY, offered)
            assert {o.author for o in service.repeat_orders(who, TODAY)} == {text}
            assert not set(MARKER.findall(seen_text(service, who))) & hidden
            ordered += 1
    assert checked >= 6  # R hidden from all four; PSY from the clinic; the 2025 repeat from rp2 and rp3
    assert ordered == 3  # rp1, rp2 and rp3 each ordered (MAY_ORDER)


def test_a_carer_the_record_does_not_admit_neither_sees_nor_makes_orders(case):
    """Another patient's carer, named as a viewer of p1: no repeats, no orders, ordering refused."""
    service, _, ids = case
    service.prepare_order(Viewer(kind="patient", patient_id="p1"), TODAY, [ids[0]])
    stranger = Viewer.parse("p1", "proxy:RelatedPerson/rp-other")
    assert not service.may_order(stranger, TODAY)
    assert service.repeat_choices(stranger, TODAY) == [] and service.repeat_orders(stranger, TODAY) == []
    with pytest.raises(OrderRefused):
        service.prepare_order(stranger, TODAY, [ids[0]])
    assert service.summary(stranger, TODAY).repeat_orders == []


def test_a_carers_own_order_goes_when_its_medicine_leaves_her_view(case):
    """Robin orders the 2025 repeat; a newer version of her Consent limits her to data from 2026:
    her order of it is no longer shown to her (its name would say the hidden entry exists), while
    the patient still sees it."""
    service, files, ids = case
    robin = Viewer.parse("p1", "proxy:RelatedPerson/rp1")
    service.prepare_order(robin, TODAY, [ids[3]])
    assert [o.medication_id for o in service.repeat_orders(robin, TODAY)] == [ids[3]]
    narrowed = json.loads(json.dumps(files[0][2]))
    narrowed["meta"] = {"versionId": "2"}
    narrowed["provision"]["dataPeriod"] = {"start": "2026-01-01"}
    service._store.put([narrowed])
    assert service.repeat_orders(robin, TODAY) == []
    assert ids[3].removeprefix("rep-").upper() not in seen_text(service, robin)
    assert [o.medication_id for o in service.repeat_orders(Viewer(kind="patient", patient_id="p1"), TODAY)] == [ids[3]]
