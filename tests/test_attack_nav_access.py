"""Outside attack on issue 18: what a restored sign-in may see (branch attack-nav). A carer whose
permission changed while signed in (new versions of her Consent or RelatedPerson, in the shapes FHIR
R4 allows), addresses outside a viewer's menu, and links spelling the carer's reference every way,
each run through the stand-in browser of tests/attack_nav_support.py.

Records are the demo store's (data/demo/README.md): dem-patient with carers dem-rp-daughter (Consent
period 2022-06-01 to 2027-05-31) and dem-rp-son (Consent ended 2024-04-30); dm-patient. Failing
attacks were xfail(strict=True); branch fix-nav fixed them and removed the marks.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import pages.state as state
from attack_nav_support import Browser, stand_in_cookies, viewer_of  # noqa: F401
from ltc_dashboard.store import Store
from pages.sessions import COOKIE
from test_app_support import DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, headings, no_errors, texts  # noqa: F401


@pytest.fixture(autouse=True)
def _browser_cookies(stand_in_cookies):
    """Every test's AppTests read their cookies from the running stand-in Browser's jar."""


def test_a_carer_whose_consent_ended_while_signed_in_gets_no_record_on_reload(demo_db, monkeypatch):
    """The daughter signs in the day before her Consent's period ends (2027-05-31, dementia.json);
    the reload comes two days later. The restored carer sign-in must show no clinical entry."""
    monkeypatch.setenv("LTC_TODAY", "2027-05-30")
    browser = Browser()
    before = browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert state.SUMMARY in before.session_state and before.session_state[state.SUMMARY][2].conditions
    monkeypatch.setenv("LTC_TODAY", "2027-06-02")
    after = browser.open()
    no_errors(after)
    assert viewer_of(after) is None or viewer_of(after).kind == "proxy"
    summary = after.session_state[state.SUMMARY][2] if state.SUMMARY in after.session_state else None
    assert summary is None or (summary.denied and not summary.conditions)
    assert "donepezil" not in texts(after).lower() and "Alzheimer" not in texts(after)


OUTSIDE = [("carer", DEMENTIA, DAUGHTER, url) for url in ("my-settings", "access-log", "carer-view", "import-a-file",
                                                            "diabetes", "conditions")]
OUTSIDE += [("clinic", DIABETES, "clinic", url) for url in ("my-settings", "access-log", "carer-view", "import-a-file",
                                                            "check-my-record", "connect-record", "diabetes",
                                                            "repeat-prescriptions")]
OUTSIDE += [("ended carer", DEMENTIA, "proxy:RelatedPerson/dem-rp-son", url)
            for url in ("test-results", "my-letters", "medicines", "dementia", "my-questions", "repeat-prescriptions")]


@pytest.mark.parametrize(("who", "patient", "viewer", "url_path"), OUTSIDE,
                         ids=[f"{w}-{u}" for w, _, _, u in OUTSIDE])
def test_a_reload_of_a_page_outside_the_viewers_menu_shows_nothing_of_it(demo_db, who, patient, viewer, url_path):
    """A restored sign-in's browser reloads (or follows a bookmark of) an address not in that
    viewer's menu: for a carer the patient's settings, access log, carer preview, import, another
    patient's condition, the shared screen's Conditions; for the shared screen the patient's own
    pages and a condition page; for the son, whose Consent ended 2024-04-30 (dementia.json), any
    record page. The page itself is not run: a plain "not part of this view" or the overview."""
    browser = Browser()
    browser.open({"patient": patient, "viewer": viewer})
    at = browser.open(url_path=url_path)
    no_errors(at)
    assert viewer_of(at) is not None and viewer_of(at).kind == ("clinic" if who == "clinic" else "proxy")
    expected = "Overview" if url_path == "connect-record" else "This page is not part of this view"
    assert headings(at) == [expected]


def test_a_carers_reload_keeps_the_page_they_were_on(demo_db):
    """The daughter on Results reloads: Results again, as the same RelatedPerson (the promise the
    attacks above push against)."""
    browser = Browser()
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    at = browser.open(url_path="test-results")
    no_errors(at)
    assert headings(at) == ["Results"] and viewer_of(at).proxy_id == "dem-rp-daughter"

def _demo(resource_id: str) -> dict:
    """A resource of data/demo/dementia.json, as the demo ships it."""
    bundle = json.loads((Path(__file__).resolve().parent.parent / "data" / "demo" / "dementia.json").read_text())
    return next(copy.deepcopy(e["resource"]) for e in bundle["entry"] if e["resource"].get("id") == resource_id)


def _consent_v2(change) -> list[dict]:
    consent = _demo("dem-consent-proxy-daughter")
    consent["meta"] = {"versionId": "2", "lastUpdated": "2026-11-25T09:00:00+00:00"}
    change(consent)
    return [consent]


def _person_v2(change) -> list[dict]:
    person = _demo("dem-rp-daughter")
    person["meta"] = {"versionId": "2", "lastUpdated": "2026-11-25T09:00:00+00:00"}
    change(person)
    return [person]


NOPAT = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}
ENDED = {  # each a version 2 the practice's system could send while the daughter is signed in
    "consent inactive": lambda: _consent_v2(lambda c: c.update(status="inactive")),
    "consent rejected": lambda: _consent_v2(lambda c: c.update(status="rejected")),
    "consent entered-in-error": lambda: _consent_v2(lambda c: c.update(status="entered-in-error")),
    "consent turned to deny": lambda: _consent_v2(lambda c: c["provision"].update(type="deny")),
    "consent period ended yesterday with a time": lambda: _consent_v2(
        lambda c: c["provision"].update(period={"start": "2022-06-01", "end": "2026-11-24T12:00:00Z"})),
    "consent period ended yesterday (partial month 2026-10)": lambda: _consent_v2(
        lambda c: c["provision"].update(period={"start": "2022-06-01", "end": "2026-10"})),
    "related person inactive": lambda: _person_v2(lambda p: p.update(active=False)),
    "related person period ended": lambda: _person_v2(lambda p: p.update(period={"start": "2022-06-01", "end": "2026-11-01"})),
}


@pytest.mark.parametrize("change", list(ENDED), ids=list(ENDED))
def test_a_carer_whose_permission_was_withdrawn_while_signed_in_gets_no_record_on_reload(demo_db, change):
    """The daughter (dem-rp-daughter, Consent dem-consent-proxy-daughter, dementia.json) is signed
    in; a new version of her Consent or RelatedPerson arrives (status inactive/rejected/
    entered-in-error, provision turned to deny, period ended with a time or as a partial date, the
    RelatedPerson made inactive or its period ended). Her reload must show no clinical entry of Dorothy's, on the overview nor on Results."""
    browser = Browser()
    before = browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert before.session_state[state.SUMMARY][2].conditions  # she saw the dementia view before
    store = Store(demo_db)
    store.put(ENDED[change]())
    store.close()
    for url_path in (None, "test-results", "dementia", "medicines"):
        after = browser.open(url_path=url_path)
        no_errors(after)
        shown = texts(after)
        assert viewer_of(after) is None or viewer_of(after).kind == "proxy"
        if state.SUMMARY in after.session_state:
            assert not after.session_state[state.SUMMARY][2].conditions, (change, url_path)
        assert "Alzheimer" not in shown and "onepezil" not in shown and "MMSE" not in shown, (change, url_path)


def test_a_carer_whose_related_person_became_hidden_while_signed_in_gets_no_record_on_reload(demo_db):
    """The daughter is signed in; a version 2 of RelatedPerson/dem-rp-daughter arrives labelled NOPAT
    (the shape of attack 16's safeguarding contact, tests/test_fix16_carers.py), so the patient's own
    view hides her and the link route and sign-in list no longer offer her. A fresh link is refused;
    her reload must not bring the record back either."""
    browser = Browser()
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    store = Store(demo_db)
    store.put(_person_v2(lambda p: p.update(meta={**p["meta"], "security": [NOPAT]})))
    store.close()
    fresh = Browser().open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert viewer_of(fresh) is None and "not linked to this record" in fresh.error[0].value
    after = browser.open()
    shown = texts(after)
    assert viewer_of(after) is None or not after.session_state[state.SUMMARY][2].conditions
    assert "Alzheimer" not in shown and "onepezil" not in shown

REFERENCE_FORMS = ["proxy:RelatedPerson/dem-rp-daughter/_history/1", "proxy:https://gp.example.org/fhir/RelatedPerson/dem-rp-daughter",
                   "proxy:urn:uuid:dem-rp-daughter", "proxy:#dem-rp-daughter", "proxy:RelatedPerson/dem-rp-son",
                   "proxy:Patient/dem-patient", "proxy:RelatedPerson/", "proxy:RelatedPerson/dem-rp-daughter?x=1",
                   "PATIENT", "proxy:relatedperson/dem-rp-daughter"]


@pytest.mark.parametrize("viewer", REFERENCE_FORMS)
def test_a_link_in_any_reference_form_gives_the_named_carer_or_nothing(demo_db, viewer):
    """Links spelling the carer's reference every way FHIR R4 writes one (versioned, absolute,
    urn:uuid, contained '#', a Patient in the RelatedPerson's place, empty id, a query, wrong case)
    or the viewer word in capitals: the result is refused, or exactly the named RelatedPerson's view, and the
    token the browser keeps restores that same viewer and nothing wider."""
    browser = Browser()
    at = browser.open({"patient": DEMENTIA, "viewer": viewer})
    got = viewer_of(at)
    if got is None:
        assert COOKIE not in browser.jar
        return
    assert got.kind == "proxy" and got.proxy_id in ("dem-rp-daughter", "dem-rp-son"), got
    restored = viewer_of(browser.open())
    assert restored == got
