"""A repeat is offered only when the gate withheld no medicine entry alike to it from that viewer
(ltc_dashboard/gate/medicines.py, attack 21b): what it withheld could say the practice stopped it.

Records: the demo diabetes record (data/demo/diabetes.json, via tests/test_exports_support.py),
with extra authorisations in the demo generator's shape (tests/test_attack21b.py `plan`), labelled
R (v3-Confidentiality: withheld from the patient too, data/terminology/sensitivity.csv).
"""

from __future__ import annotations

import pytest

from ltc_dashboard.service.repeats import WITHHELD_ALIKE, OrderRefused
from test_attack21b import ME, choice, plan
from test_exports_support import export_store_template, service, today  # noqa: F401  (fixtures)

CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
METFORMIN = "Metformin 500mg modified-release tablets"
RESTRICTED = {"security": [{"system": CONF, "code": "R"}]}


def test_a_restricted_stopped_authorisation_of_the_same_medicine_stops_the_offer(service):
    """A stopped metformin authorisation labelled R (hidden from the patient): metformin is listed
    but not offered, with plain words, and ordering it is refused."""
    assert choice(service, METFORMIN).offered  # the control: offered before
    service._store.put([{**plan("att-met-stopped", METFORMIN, status="stopped"), "meta": RESTRICTED}])
    found = choice(service, METFORMIN)
    assert not found.offered and found.reason == WITHHELD_ALIKE
    with pytest.raises(OrderRefused):
        service.prepare_order(ME, today(), [found.focus_id])


def test_a_withheld_entry_pointing_at_the_repeat_stops_the_offer(service):
    """An R-labelled request of another name whose basedOn is the metformin authorisation: alike."""
    focus = choice(service, METFORMIN).focus_id
    linked = {**plan("att-linked", "Other words", status="stopped", intent="order",
                     basedOn=[{"reference": f"MedicationRequest/{focus}"}]), "meta": RESTRICTED}
    service._store.put([linked])
    assert not choice(service, METFORMIN).offered


def test_a_withheld_entry_of_another_medicine_changes_nothing(service):
    """An R-labelled stopped authorisation of another medicine: metformin is still offered."""
    service._store.put([{**plan("att-other-stopped", "Lisinopril 10mg tablets", status="stopped"), "meta": RESTRICTED}])
    assert choice(service, METFORMIN).offered


def test_an_entered_in_error_copy_changes_nothing(service):
    """A metformin authorisation entered in error (withheld from everyone, never current): still offered."""
    service._store.put([plan("att-met-error", METFORMIN, status="entered-in-error")])
    assert choice(service, METFORMIN).offered
