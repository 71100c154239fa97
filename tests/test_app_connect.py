"""Connect a record: who gets the page, a token sync against a real FHIR server (sekmet), a refused
token, and a SMART sign-in whose answer comes back to the page (tests/servers/smart_double.py),
with the token never shown on the page nor left in the session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from streamlit.testing.v1 import AppTest

from ltc_dashboard.fhir_read import patient_of
from ltc_dashboard.store import Store
from test_app_support import (  # noqa: F401  (fixtures)
    APP, DAUGHTER, DEMENTIA, DIABETES, TIMEOUT, demo_db, demo_db_template, go, headings, no_errors,
    open_app, texts,
)
from tests.servers import sekmet as sk
from tests.servers.loopback import Reply, Request
from tests.servers.smart_double import SignedInUser, SmartDouble

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "ltc-dashboard"
REDIRECT = "http://127.0.0.1:8501/"
SERVER_TIME = "2026-11-25T14:05:00Z"  # what the double says its clock read: 14:05 in London (GMT)


# -- helpers --------------------------------------------------------------------------------------
def holds(value, secret: str, seen: set | None = None) -> bool:
    """Whether `secret` is anywhere inside `value`: strings, containers, dataclass fields (those left
    out of repr too) and objects' attributes."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return False
    seen.add(id(value))
    if isinstance(value, (str, bytes)):
        return secret in (value if isinstance(value, str) else value.decode("utf-8", "replace"))
    if isinstance(value, dict):
        return any(holds(k, secret, seen) or holds(v, secret, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(holds(v, secret, seen) for v in value)
    if dataclasses.is_dataclass(value):
        return any(holds(getattr(value, f.name), secret, seen) for f in dataclasses.fields(value))
    if hasattr(value, "__dict__") and not callable(value):
        return holds(vars(value), secret, seen)
    return secret in repr(value)


def session_holds(at: AppTest, secret: str) -> bool:
    """Whether st.session_state, as the app sees it, holds `secret` anywhere."""
    return holds({key: at.session_state[key] for key in at.session_state}, secret)


def streamlit_still_holds(at: AppTest, secret: str) -> bool:
    """Whether Streamlit's own copy of the session (widget values as the browser last sent them)
    holds `secret`: it keeps one message's values until the next arrives, whatever the app does."""
    return secret in repr(vars(at.session_state._state))


def connect_form(at: AppTest, server: str, patient: str = "", token: str = "") -> AppTest:
    """Fill in the Connect a record form (without submitting it)."""
    at.text_input(key="connect_server").input(server)
    at.text_input(key="connect_patient").input(patient)
    at.text_input(key="connect_token").input(token)
    return at


def uk_words(stamps) -> str:
    """The latest FHIR instant as the page words it: "5 March 2026 at 14:05" (UK time)."""
    latest = max(dt.datetime.fromisoformat(s) for s in stamps).astimezone(ZoneInfo("Europe/London"))
    return f"{latest.day} {latest:%B %Y} at {latest:%H:%M}"


def demo_record(name: str) -> list[dict]:
    """A demo record's resources (data/demo/<name>.json) as a server would hold them."""
    from connectors.base import Rejected
    from connectors.files import FileConnector

    return [r for r in FileConnector([ROOT / "data" / "demo" / f"{name}.json"]).read() if not isinstance(r, Rejected)]


class RecordDouble(SmartDouble):
    """The SMART double, whose FHIR surface also answers the sync's searches from one record."""

    def __init__(self, user: SignedInUser, record: list[dict], tokens: list[str]) -> None:
        self.record = record
        user.resources.update({f"{r['resourceType']}/{r['id']}": r for r in record})
        super().__init__(CLIENT, REDIRECT, user, tokens)

    def _read(self, request: Request, reference: str) -> Reply:
        if "/" in reference:
            return super()._read(request, reference)
        _, _, token = request.headers.get("authorization", "").partition(" ")
        if token not in self.issued:
            return Reply.json({"resourceType": "OperationOutcome", "issue": []}, 401)
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        ids = set(query["_id"].split(",")) if "_id" in query else None
        patient = query.get("patient", "").removeprefix("Patient/")
        found = [r for r in self.record if r["resourceType"] == reference and (ids is None or r["id"] in ids)
                 and (not patient or patient_of(r) == patient)]
        return Reply.json({"resourceType": "Bundle", "type": "searchset", "meta": {"lastUpdated": SERVER_TIME},
                           "entry": [{"fullUrl": f"{self.fhir_base}/{r['resourceType']}/{r['id']}", "resource": r}
                                     for r in found]})


def begin_smart_sign_in(at: AppTest, double: SmartDouble) -> dict[str, str]:
    """Start "Sign in with SMART" on the page, then do the browser's part at the sign-in page:
    the answer (code and state) it sends back to the app."""
    connect_form(at, double.fhir_base)
    at.button(key="connect_smart").click().run()
    no_errors(at)
    url = at.link_button(key="connect_smart_open").proto.url
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def answer_in_a_new_tab(answer: dict[str, str]) -> AppTest:
    """The sign-in page's answer arriving at the app's address with ?code=&state= in a new browser
    tab: a new session, which app.py starts on Connect a record."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in answer.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Path:
    """An empty store, chosen through LTC_DB."""
    path = tmp_path / "empty.db"
    Store(path).close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


@pytest.fixture
def smart_env(monkeypatch):
    """The client id and redirect address the app registers with the sign-in server."""
    monkeypatch.setenv("LTC_SMART_CLIENT_ID", CLIENT)
    monkeypatch.setenv("LTC_SMART_REDIRECT_URI", REDIRECT)


# -- who gets the page ------------------------------------------------------------------------------
def test_patients_get_connect_and_import_but_carers_and_the_shared_screen_do_not(demo_db):
    """Connect a record and Import a file are a patient's pages: not the shared screen's; a carer gets
    only "Sync their record" (their kept connection, tests/test_app_connect_carer.py), with no form
    to connect a server and no import."""
    at = go(open_app(DIABETES), "connect")
    no_errors(at)
    assert headings(at) == ["Connect a record"]
    assert at.text_input(key="connect_token").proto.type == at.text_input(key="connect_token").proto.PASSWORD
    for viewer, pages in ((DAUGHTER, ("import_file",)), ("clinic", ("connect", "import_file"))):
        at = open_app(DEMENTIA, viewer)
        for page in pages:
            with pytest.raises(ValueError):
                at.switch_page(f"pages/{page}.py")
    carer = go(open_app(DEMENTIA, DAUGHTER), "connect")
    no_errors(carer)
    assert headings(carer) == ["Sync their record"]
    assert not [b for b in carer.button if b.key in ("connect_go", "connect_smart")] and not carer.text_input


def test_with_a_login_configured_the_connect_page_is_the_way_in(demo_db, monkeypatch):
    """With LTC_LOGIN set, the first page is Connect a record, greeting as the sign-in page did."""
    monkeypatch.setenv("LTC_LOGIN", "smart")
    at = open_app()
    no_errors(at)
    assert headings(at) == ["Welcome"]
    assert {b.key for b in at.button} >= {"connect_go", "connect_smart"}
    assert at.text_input(key="connect_server").value == ""


def test_a_bad_address_is_refused_in_plain_words(demo_db):
    """An address that is not a web address gives a plain error and changes nothing."""
    at = go(open_app(DIABETES), "connect")
    connect_form(at, "fhir.example.org", "p1", "secret-token-1")
    at.button(key="connect_go").click().run()
    assert "address not usable" in at.error[0].value and "unchanged" in at.error[0].value
    assert "secret-token-1" not in texts(at)


# -- a token, against the real FHIR server ----------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The session's sekmet, loaded with the Synthea samples, the demo records and a letter."""
    return sk.sekmet_or_skip(tmp_path_factory)


@pytest.mark.server
def test_connect_with_a_token_shows_counts_and_the_last_sync_time(server, demo_db):
    """A token sync stores the record, shows counts per kind and the last sync time in UK words,
    opens the record, and leaves the token neither on the page nor in the session."""
    at = go(open_app(DIABETES), "connect")
    connect_form(at, server.base, sk.TRUMAN, server.token)
    at.button(key="connect_go").click().run()
    no_errors(at)

    assert at.session_state["viewer"].patient_id == sk.TRUMAN
    assert headings(at) == ["Connect a record"]
    counts = dict(zip(at.table[0].value["Kind of entry"], at.table[0].value["Received"]))
    assert counts["Observation"] == 659 and counts["Patient"] == 1
    marks = Store(demo_db).sync_marks(server.base, sk.TRUMAN)
    assert any(f"Last successful sync:** {uk_words(marks.values())}" in m.value for m in at.markdown)
    shown = texts(at)
    assert server.token not in shown
    assert not session_holds(at, server.token)
    at.run()  # the browser's next message replaces Streamlit's own copy of the last one
    assert not streamlit_still_holds(at, server.token)


@pytest.mark.server
def test_a_wrong_token_says_not_authorised_and_changes_nothing(server, demo_db):
    """A refused token gives a plain "not authorised" error; the store and the viewer are as before."""
    store = Store(demo_db)
    before = (store.counts(), store.sync_sources(), store.patient_ids())
    at = go(open_app(DIABETES), "connect")
    connect_form(at, server.base, sk.TRUMAN, "wrong-token-5e2b")
    at.button(key="connect_go").click().run()

    assert not at.exception
    assert "not authorised" in at.error[0].value and "unchanged" in at.error[0].value
    assert (store.counts(), store.sync_sources(), store.patient_ids()) == before
    assert at.session_state["viewer"].patient_id == DIABETES
    assert "wrong-token-5e2b" not in texts(at) and not session_holds(at, "wrong-token-5e2b")


# -- SMART: the answer comes back to the page --------------------------------------------------------
def test_smart_sign_in_answer_in_a_new_tab_syncs_and_opens_the_record(empty_db, smart_env):
    """Sign in with SMART: discovery and a PKCE sign-in (checked by the double), its answer arriving
    in a new tab, then the sync: counts, the last sync time, the patient's record open, and the
    token nowhere on the page or in either session."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["smart-access-3d9f"]) as double:
        first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        first.switch_page("pages/connect.py").run()
        answer = begin_smart_sign_in(first, double)
        at = answer_in_a_new_tab(answer)

    no_errors(at)
    assert double.token_errors == [] and [f["grant_type"] for f in double.token_requests] == ["authorization_code"]
    assert at.session_state["viewer"].patient_id == DIABETES and at.session_state["viewer"].kind == "patient"
    counts = dict(zip(at.table[0].value["Kind of entry"], at.table[0].value["Received"]))
    assert counts["Patient"] == 1 and counts["Observation"] > 10
    assert any("Last successful sync:** 25 November 2026 at 14:05" in m.value for m in at.markdown)
    assert Store(empty_db).patient_ids() == [DIABETES]
    assert at.query_params == {}
    for tab in (first, at):
        assert "smart-access-3d9f" not in texts(tab)
        assert not session_holds(tab, "smart-access-3d9f")


def test_a_carer_signing_in_gets_the_record_they_act_for(empty_db, smart_env):
    """A carer who signs in as a RelatedPerson syncs the person's record and sees it as their carer."""
    record = demo_record("dementia")
    user = SignedInUser(patient=None, fhir_user="RelatedPerson/dem-rp-daughter")
    with RecordDouble(user, record, ["carer-access-81c0"]) as double:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        at.switch_page("pages/connect.py").run()
        answer = begin_smart_sign_in(at, double)
        for key, value in answer.items():
            at.query_params[key] = value
        at.run()  # the answer in the same tab: the sign-in kept in this session is used

    no_errors(at)
    viewer = at.session_state["viewer"]
    assert (viewer.kind, viewer.patient_id, viewer.proxy_id) == ("proxy", DEMENTIA, "dem-rp-daughter")
    assert at.session_state["role"]["kind"] == "carer"
    assert "a carer's view" in at.caption[0].value
    assert not session_holds(at, "carer-access-81c0") and "carer-access-81c0" not in texts(at)


def test_a_sign_in_answer_is_used_once(empty_db, smart_env):
    """The same sign-in answer arriving again (a reload, or someone replaying it) is refused in plain
    words, before any second code exchange."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["once-access-1", "once-access-2"]) as double:
        first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        first.switch_page("pages/connect.py").run()
        answer = begin_smart_sign_in(first, double)
        no_errors(answer_in_a_new_tab(answer))
        again = answer_in_a_new_tab(answer)

    assert "sign-in failed" in again.error[0].value
    assert "not one the app is waiting for" in again.caption[0].value
    assert len(double.token_requests) == 1


def test_a_sync_reports_progress_kind_by_kind(tmp_path):
    """Through the service the pages use, a SMART sign-in's sync tells the progress bar which kind
    of entry it is fetching, out of how many, in order."""
    from ltc_dashboard.service import core as service
    from ltc_dashboard.service import connect as service_connect
    from ltc_dashboard.intake import sync

    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["progress-access-1"]) as double:
        url, pending = service_connect.smart_start(double.fhir_base, REDIRECT)
        location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
        tokens, records = service_connect.smart_finish(pending, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})
        calls = []
        outcome = service.Service(Store(tmp_path / "ltc.db")).sync_signed_in(
            tokens, records[0][0].patient_id, lambda *step: calls.append(step))

    assert [(acting.patient_id, name) for acting, name in records] == [(DIABETES, "Rajesh Example")]
    kinds = [what for _, _, what in calls if what]
    assert kinds[:2] == ["Patient", "Condition"] and "Observation" in kinds
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)
    assert all(total == len(sync.APP_TYPES) for _, total, _ in calls)
    assert set(outcome.last_sync) == {SERVER_TIME}
