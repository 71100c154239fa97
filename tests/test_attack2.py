"""Second outside review of the access gate (issue 13): hand-made by the second outside review.

Each test builds a minimal record with a marker (HIDQX7...Z) in what one viewer must never see and
reads that viewer's outputs with the harness of tests/test_attack_gate.py. A shape that still leaks
was a strict xfail naming what leaked until its fix; each now passes.
"""

from __future__ import annotations

import pytest

from leak_shapes import entry, label
from test_attack_gate import HIDDEN, person, control, shown
from test_app_support import demo_db, demo_db_template  # noqa: F401  (fixtures)

GSF_D = "845771000000107"  # GSF prognostic indicator stage D (days prognosis)


def _prognosis_flag(system: str) -> dict:
    flag = entry("Flag", HIDDEN)
    flag["code"] = {"coding": [{"system": system, "code": GSF_D, "display": f"GSF {HIDDEN}"}],
                    "text": f"Prognosis {HIDDEN}"}
    return flag


@pytest.mark.parametrize("system", ["https://snomed.info/sct", "HTTP://SNOMED.INFO/SCT"])
def test_prognosis_code_with_a_variant_snomed_system(system):
    """A GSF stage D Flag whose SNOMED system is spelt with https or in upper case stays out of the
    patient's view until they choose to see it (item 7; hand-made by the second outside review)."""
    assert not shown([[person(), control(), _prognosis_flag(system)]], "patient", {HIDDEN})


@pytest.mark.parametrize("code", ["\uff2e\uff2f\uff30\uff21\uff34", "NO\u200bPAT"])
def test_nopat_label_with_unicode_lookalikes(code):
    """A result labelled in the ActCode system with NOPAT in fullwidth letters (NFKC: NOPAT) or with
    a zero-width space inside is withheld from the patient: a label the gate cannot read for
    certain fails closed (hand-made by the second outside review)."""
    result = entry("Observation", HIDDEN)
    result["meta"] = {"security": [label(code)]}
    assert not shown([[person(), control(), result]], "patient", {HIDDEN})


def _carer_with(modify) -> list:
    from leak_shapes import carer, carer_permit, consent
    permit = consent("consent-rp1", carer_permit("rp1"))
    modify(permit["provision"])
    return [[person(), carer("rp1"), permit, entry("Observation", HIDDEN), control()]]


def _actor_modifier(provision: dict) -> None:
    provision["actor"][0]["modifierExtension"] = [{"url": "http://example.org/not-this-actor", "valueBoolean": True}]


def _data_modifier(provision: dict) -> None:
    provision["provision"] = [{"type": "deny", "data": [{
        "meaning": "instance", "reference": {"reference": "Observation/none"},
        "modifierExtension": [{"url": "http://example.org/every-other-instance", "valueBoolean": True}]}]}]


@pytest.mark.parametrize("modify", [_actor_modifier, _data_modifier], ids=["actor", "data"])
def test_modifier_extension_inside_a_provision_backbone(modify):
    """A carer's permit whose actor (or a nested deny's data item) carries a modifierExtension the
    gate does not know shows the carer nothing: R4 forbids ignoring an unknown modifier (item 2:
    what is not implemented restricts; hand-made by the second outside review)."""
    assert not shown(_carer_with(modify), "proxy:RelatedPerson/rp1", {HIDDEN})


def test_shared_screen_count_of_withheld_kept_questions(demo_db):
    """With own questions shown on the shared screen, a question kept from a PSY-labelled lithium
    result adds nothing to the shared screen's "N questions kept from the record are not shown"
    count: it would say that a PSY-hidden entry exists (hand-made by the second outside review)."""
    from ltc_dashboard.exports.own_content import SHARED_SCREEN_PREFERENCE
    from ltc_dashboard.intake.ingest import import_items
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store
    from test_shared_screen_own import BIPOLAR, LITHIUM_RULE, TODAY, psy_lithium

    service = Service(Store(demo_db))
    patient, clinic = Viewer(kind="patient", patient_id=BIPOLAR), Viewer(kind="clinic", patient_id=BIPOLAR)
    service.set_preference(patient, SHARED_SCREEN_PREFERENCE, "yes")
    before = service.summary(clinic, TODAY).model_dump(exclude={"questions"})
    assert not import_items(service._store, [psy_lithium()]).rejected
    question = next(q for q in service.summary(patient, TODAY).questions if q.rule_id == LITHIUM_RULE)
    service.add_question(patient, question.text, source="suggested", rule_id=question.rule_id, sources=question.sources)
    after = service.summary(clinic, TODAY)
    assert after.own_questions_withheld == before["own_questions_withheld"] == 0
