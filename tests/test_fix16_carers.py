"""Fix for attack 16's carer-listing leak: every path that lists RelatedPersons (sign-in, the
carer link route, the carer switcher, "What my carer can see") lists only those the gate shows the
patient. The NOPAT RelatedPerson is hand-made for issue 16's attack, shaped as a UK GP record's
safeguarding contact on the demo dementia patient (tests/test_attack16.py)."""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.access import proxy_links
from ltc_dashboard.store import Store
from test_app_support import DEMENTIA, demo_db, demo_db_template, headings, open_app  # noqa: F401

TODAY = dt.date(2026, 11, 25)
HIDDEN = {"resourceType": "RelatedPerson", "id": "dem-rp-hidden", "active": True,
          "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}]},
          "patient": {"reference": f"Patient/{DEMENTIA}"}, "name": [{"text": "Zed Hiddenname"}],
          "relationship": [{"text": "Safeguarding contact"}]}
GRANT = {"resourceType": "Consent", "id": "dem-hidden-grant", "status": "active",
         "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "INFA"}]}],
         "patient": {"reference": f"Patient/{DEMENTIA}"},
         "provision": {"type": "permit", "actor": [{
             "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"reference": "RelatedPerson/dem-rp-hidden"}}]}}


def _with_hidden(path) -> None:
    store = Store(path)
    store.put([HIDDEN, GRANT])
    store.close()


def test_proxy_links_never_lists_a_related_person_hidden_from_the_patient(demo_db):
    """proxy_links (every carer listing's source) leaves out a NOPAT RelatedPerson, even one a
    Consent names, and still lists the patient's other carers."""
    _with_hidden(demo_db)
    store = Store(demo_db)
    ids = {link.related_person_id for link in proxy_links(store, TODAY)}
    store.close()
    assert "dem-rp-hidden" not in ids
    assert "dem-rp-son" in ids


def test_the_carer_sign_in_list_never_names_a_related_person_hidden_from_the_patient(demo_db):
    """The sign-in page's carer list (which anyone at the device sees) never names the NOPAT contact."""
    _with_hidden(demo_db)
    at = open_app()
    at = at.radio(key="sign_in_kind").set_value("A carer").run()
    options = at.selectbox(key="sign_in_carer").options
    assert options and not any("Hiddenname" in o for o in options)


def test_the_carer_link_route_refuses_a_related_person_hidden_from_the_patient(demo_db):
    """The local link route (the carer switcher's source too) treats the hidden RelatedPerson as
    not linked to the record, rather than naming it in the sidebar."""
    _with_hidden(demo_db)
    at = open_app(DEMENTIA, "proxy:RelatedPerson/dem-rp-hidden")
    assert "not linked to this record" in at.error[0].value
    assert "Hiddenname" not in " ".join(str(m.value) for m in at.markdown)
