"""Attack tests for issue 17 (an outside tester, branch attack17): each test is a way the sync or
the SMART connection can still lose data silently, leak or keep a secret, or fail where issue 17
says it must go on. Every test here failed on main when it was written; none is marked xfail.

Servers are loopback doubles only (127.0.0.1): `Paged`, a FHIR server that answers searches from a
script of pages, and the SMART double of tests/servers/smart_double.py (through `RecordDouble`).
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from connectors import smart
from connectors.fhir_server import FhirServerConnector
from ltc_dashboard.cli import main as cli
from ltc_dashboard.intake import sync
from ltc_dashboard.store import Store
from tests.servers.loopback import Loopback, Reply, Request, outcome

PATIENT = "p1"
TOKEN = "attack17-token"
SINCE = "2026-01-01T00:00:00Z"


def observation(n: int) -> dict:
    return {"resourceType": "Observation", "id": f"o{n}", "status": "final",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "271649006"}], "text": "Systolic"},
            "subject": {"reference": f"Patient/{PATIENT}"}, "effectiveDateTime": f"2025-01-{n:02d}",
            "valueQuantity": {"value": 120 + n, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                              "code": "mm[Hg]"}}


def bundle(base: str, resources: list[dict], total: int | None = None, next_url: str | None = None) -> dict:
    page = {"resourceType": "Bundle", "type": "searchset", "meta": {"lastUpdated": "2026-06-01T00:00:00Z"},
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}
    if total is not None:
        page["total"] = total
    if next_url:
        page["link"] = [{"relation": "next", "url": next_url}]
    return page


class Paged(Loopback):
    """A FHIR server on 127.0.0.1: the Patient, and for each search the reply `script` gives for
    (type, page number taken from `_page=`), else an empty searchset; `_history` from `history`."""

    def __init__(self, script: dict | None = None, history=None) -> None:
        self.script = script or {}
        self.history = history
        super().__init__(self._answer)

    @property
    def base(self) -> str:
        return f"{self.root}/fhir"

    def _answer(self, request: Request) -> Reply:
        path, _, query = request.path.partition("?")
        rtype = path[len("/fhir/"):]
        if rtype.endswith("/_history"):
            return self.history(self, request) if self.history else Reply.json(bundle(self.base, [], 0))
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        number = int(params.get("_page", "1"))
        if (rtype, number) in self.script:
            answer = self.script[(rtype, number)]
            return answer(self) if callable(answer) else answer
        if rtype == "Patient":
            return Reply.json(bundle(self.base, [{"resourceType": "Patient", "id": PATIENT}], 1))
        return Reply.json(bundle(self.base, [], 0))


def page_url(server: Paged, rtype: str, number: int) -> str:
    return f"{server.base}/{rtype}?patient=Patient/{PATIENT}&_count=2&_page={number}"


def run_sync(server: Paged, db, **options):
    store = Store(db)
    try:
        return sync.sync_patient(store, server.base, PATIENT, TOKEN, sleep=lambda s: None, retries=0,
                                 page_size=2, **options)
    finally:
        store.close()


# -- never lose data silently --------------------------------------------------------------------
def test_a_repeated_entry_does_not_hide_a_short_read(tmp_path):
    """Issue 17: "compare what arrived with Bundle.total ... a short read is an error". The server
    says total 3, sends o1 o2 on page 1 and o2 again (not o3) on the last page, as offset paging
    does when a record shifts between pages: only two distinct results arrived, so the sync must
    be incomplete, not counted complete because a duplicate made up the number."""
    with Paged() as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [observation(1), observation(2)], 3,
                                                              page_url(server, "Observation", 2)))
        server.script[("Observation", 2)] = Reply.json(bundle(server.base, [observation(2)], 3))
        report = run_sync(server, tmp_path / "ltc.db")

    assert len({r["id"] for r in report.fetched.resources if r["resourceType"] == "Observation"}) == 2
    assert not report.complete and report.exit_code == 3, report.incomplete


def test_a_refused_later_page_does_not_move_the_mark_or_pass_as_complete(tmp_path):
    """Issue 17: no silent loss. Page 1 of 2 arrives (total 4) and the server answers the next
    link with HTTP 400 (an expired paging cursor): half the results are stored, yet the sync says
    complete, exits 0, and records the Observation mark from page 1, so every later incremental
    sync asks only for newer entries and the second page is never read. It must be incomplete
    and leave the mark alone."""
    with Paged() as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [observation(1), observation(2)], 4,
                                                              page_url(server, "Observation", 2)))
        server.script[("Observation", 2)] = outcome(400, "paging cursor expired")
        db = tmp_path / "ltc.db"
        report = run_sync(server, db)
        marks = Store(db).sync_marks(server.base, PATIENT)

    assert report.counts["Observation"] == 2
    assert "Observation" not in marks, marks
    assert not report.complete and report.exit_code == 3


def test_a_401_mid_paging_does_not_say_none_were_brought_in(tmp_path):
    """Issue 17: a refused kind "skips that type with a plain notice". Page 1 of Observations
    arrives, page 2 answers 401: the page-1 entries are stored, but the notice tells the person
    "none were brought in". The notice must match what was stored (or nothing of the kind kept)."""
    with Paged() as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [observation(1), observation(2)], 4,
                                                              page_url(server, "Observation", 2)))
        server.script[("Observation", 2)] = outcome(401, "token expired")
        report = run_sync(server, tmp_path / "ltc.db")

    said_none = [line for line in report.incomplete if "Observation" in line and "none were brought in" in line]
    assert not (said_none and report.counts["Observation"] > 0), (report.counts["Observation"], report.incomplete)


def test_a_token_that_expires_mid_sync_fails_the_sync_instead_of_skipping_every_later_kind(tmp_path):
    """Issue 17 skips a kind on a 401/403 on *one* type; the existing suite pins that a token refused
    for every kind after the Patient is a failure. Here the token runs out after the Conditions:
    every later kind answers 401. The app stores a part-record and lists 15 kinds "the server did
    not let this app read", instead of failing with "sign in again" and leaving the store as it was."""
    from connectors.fhir_server import APP_TYPES

    expired = {(t, 1): outcome(401, "token expired") for t in APP_TYPES[2:]}
    with Paged(expired) as server:
        with pytest.raises(sync.Unauthorised):
            run_sync(server, tmp_path / "ltc.db")


def test_a_403_on_the_patient_skips_that_kind_and_keeps_the_rest(tmp_path):
    """Issue 17: "401/403 on one type skips that type with a plain notice and keeps the rest". A
    server that grants per-type scopes without Patient answers 403 on the Patient search (a 403
    is "not this kind", a 401 "not this token"): the app fails the whole sync, every time."""
    with Paged() as server:
        server.script[("Patient", 1)] = outcome(403, "scope does not cover Patient")
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [observation(1)], 1))
        report = run_sync(server, tmp_path / "ltc.db")

    assert report.counts["Observation"] == 1
    assert any("Patient" in line and "403" in line for line in report.incomplete)


def test_a_history_that_answers_200_with_an_operation_outcome_falls_back_to_a_full_read(tmp_path):
    """Issue 17: "a failing `_history` falls back to a full read of that type". A `_history` that
    answers HTTP 200 with an OperationOutcome (not a Bundle) fails every incremental sync instead."""
    def failing_history(server, request):
        return Reply.json({"resourceType": "OperationOutcome",
                           "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "history off"}]})

    with Paged(history=failing_history) as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [observation(1)], 1))
        connector = FhirServerConnector(server.base, PATIENT, TOKEN, since={"Observation": SINCE},
                                        retries=0, sleep=lambda s: None)
        fetched = connector.fetch()

    assert [r["id"] for r in fetched.resources if r["resourceType"] == "Observation"] == ["o1"]


# -- scopes from the server ----------------------------------------------------------------------
@pytest.mark.parametrize("listed", [("patient/*.cruds",), ("patient/*.*",), ("patient/*.r", "patient/*.s")],
                         ids=["v2-cruds", "v1-star-star", "v2-r-and-s-apart"])
def test_a_server_listing_wider_read_scopes_is_still_asked_for_a_read_scope(listed):
    """Issue 17: "ask for SMART v2 scopes where offered (v1 otherwise)". A server whose
    scopes_supported lists `patient/*.cruds` (v2, every permission), `patient/*.*` (v1 read and
    write) or `patient/*.r` and `patient/*.s` apart is asked for no resource scope at all: the
    sign-in succeeds and every read is then refused."""
    config = smart.SmartConfig("https://fhir.example/r4", "https://auth.example/authorize",
                               "https://auth.example/token", "smart-configuration",
                               ("context-standalone-patient", "permission-offline", "permission-v2", "permission-v1"),
                               ("launch/patient", "offline_access", *listed))
    scope = smart.choose_scope(config).split()
    assert any(s.startswith("patient/") for s in scope), scope


# -- the token response --------------------------------------------------------------------------
from test_app_connect import DIABETES, RecordDouble, demo_record  # noqa: E402
from test_smart_connection import CLOCK, signed_in  # noqa: E402
from tests.servers.smart_double import SignedInUser  # noqa: E402


@pytest.fixture
def double():
    """The SMART double with the diabetes demo record (as tests/test_smart_connection.py sets it up)."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), [f"attack17-access-{n}" for n in range(1, 6)]) as running:
        running.expires_in = 60
        yield running


def test_an_expires_in_sent_as_a_string_still_sets_the_expiry(double):
    """Issue 17: "refresh before expiry". Token services that send `"expires_in": "60"` (a string,
    as Azure AD v1 did) get a token the app thinks never expires: it is never refreshed, and the
    first sync after the minute fails with a 401 although the refresh token would have renewed it."""
    double.expires_in = "60"
    tokens = signed_in(double)
    assert tokens.expires_at == CLOCK + 60


def test_a_huge_expires_in_is_not_an_unhandled_crash(double):
    """A token answer with `expires_in` of 10**400 (valid JSON) makes finish_sign_in raise a bare
    OverflowError, which no page or service catches (they catch ConnectorError). It must be taken
    as a very long lifetime, or refused with a SmartError in plain words."""
    double.expires_in = 10**400
    try:
        signed_in(double)
    except smart.SmartError:
        pass


def test_a_fhir_user_claim_that_is_not_a_string_is_not_an_unhandled_crash(double):
    """The id_token's fhirUser claim is server data: an object there (`{"reference": ...}`) makes
    patients_for raise AttributeError, which the Connect page does not catch. It must be ignored
    (the launch patient is still offered) or refused with a SmartError."""
    double.user.fhir_user = {"reference": f"Patient/{DIABETES}"}
    tokens = signed_in(double)
    try:
        choices = smart.patients_for(tokens, smart.SmartHttp())
    except smart.SmartError:
        return
    assert [c.patient_id for c in choices] == [DIABETES]


# -- the refresh token after "Forget this connection" --------------------------------------------
def _kept(refresh_token: str, access_token: str, expires_at: float) -> smart.Tokens:
    config = smart.SmartConfig("http://127.0.0.1:9/fhir", "http://127.0.0.1:9/authorize",
                               "http://127.0.0.1:9/token", "kept")
    return smart.Tokens(config, "ltc-dashboard", access_token, expires_at=expires_at,
                        refresh_token=refresh_token, lifetime=3600, patient=PATIENT)


def test_forget_leaves_no_token_in_the_write_ahead_log_while_another_session_reads(tmp_path, monkeypatch):
    """Issue 17: "Forget this connection" removes the refresh token (brief: check the SQLite file
    and its WAL). The store opens one connection per thread, so another Streamlit session can be
    mid-read when the person presses "Forget": the WAL checkpoint then cannot run, "forget" reports
    success (after waiting the 30-second busy timeout), and every token the connection ever held
    (the old and the current refresh token, the access tokens) stays in ltc.db-wal on disk until
    the app closes the store."""
    monkeypatch.setattr(Store, "BUSY_TIMEOUT_MS", 200)  # the checkpoint gives up after this, not 30 s
    db = tmp_path / "ltc.db"
    first, second = "attack17-refresh-one-" + "R" * 40, "attack17-refresh-two-" + "S" * 40
    store = Store(db)
    reader = None
    try:
        assert sync.keep_connection(store, _kept(first, "attack17-access-A" + "a" * 30, CLOCK + 3600), PATIENT)
        assert sync.keep_connection(store, _kept(second, "attack17-access-B" + "b" * 30, CLOCK + 7200), PATIENT)
        reader = sqlite3.connect(db, isolation_level=None)  # another session's read, under way
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM smart_connections").fetchall()
        assert sync.forget_connection(store, "http://127.0.0.1:9/fhir", PATIENT)
        leftovers = [(path.name, token[:20]) for path in (db, db.with_name(db.name + "-wal"))
                     for token in (first, second) if path.exists() and token.encode() in path.read_bytes()]
    finally:
        if reader is not None:
            reader.rollback()
            reader.close()
        store.close()
    assert leftovers == []


# -- two syncs at once ---------------------------------------------------------------------------
def test_two_syncs_renewing_at_once_do_not_end_in_sign_in_again(double, tmp_path, monkeypatch):
    """Issue 17: later syncs (the app and `ltc sync`) use the kept refresh token; "sign in again"
    only when it cannot be renewed. Two syncs start together on an expired token (the page and a
    scheduled `ltc sync`): both read the kept connection, the first renews (the server rotates the
    refresh token) and keeps the new tokens, the second renews with the refresh token it read,
    which the server has just retired, and fails with "sign in again", although the store holds
    a fresh, valid connection. It should use (or re-read) the renewed connection."""
    import time as clock

    db = tmp_path / "ltc.db"
    store_a, store_b = Store(db), Store(db)
    try:
        tokens = signed_in(double, now=CLOCK)
        assert sync.keep_connection(store_a, tokens, DIABETES)
        real_fresh = sync.fresh

        def second_sync_renews_after_the_first(stale, http, now=clock.time, margin=None):
            monkeypatch.setattr(sync, "fresh", real_fresh)
            sync.connected_token(store_a, double.fhir_base, DIABETES, smart.SmartHttp(), now=lambda: CLOCK + 120)
            return real_fresh(stale, http, now, margin)

        monkeypatch.setattr(sync, "fresh", second_sync_renews_after_the_first)
        token = sync.connected_token(store_b, double.fhir_base, DIABETES, smart.SmartHttp(), now=lambda: CLOCK + 120)
    finally:
        store_a.close()
        store_b.close()
    assert token in double.issued and token != tokens.access_token


def test_a_sync_that_fails_after_renewing_does_not_lose_the_rotated_refresh_token(double, tmp_path):
    """Issue 17: keep the refresh token; "sign in again" only when it cannot be renewed. The
    page's sync after sign-in (Service.sync_signed_in) renews an expired token first (the server
    rotates the refresh token), then the FHIR read fails (HTTP 500). The renewed tokens are neither
    kept in the store nor handed back, and the page still holds the retired refresh token, so the
    retry after the server recovers fails with "sign in again". (connected_token keeps renewed
    tokens at once for exactly this reason; sync_signed_in does not.)"""
    import time as clock

    from ltc_dashboard.service import core as service
    from ltc_dashboard.service import connect as service_connect

    tokens = signed_in(double, now=clock.time() - 120)  # a 60-second token, run out by now
    svc = service.Service(Store(tmp_path / "ltc.db"))
    serve = double._read
    double._read = lambda request, reference: (outcome(500, "down") if reference == "Observation"
                                               else serve(request, reference))
    with pytest.raises(service_connect.SyncFailed):
        svc.sync_signed_in(tokens, DIABETES, retries=0, sleep=lambda s: None)
    assert [f["grant_type"] for f in double.token_requests] == ["authorization_code", "refresh_token"]
    assert double.token_errors == []  # the renewal worked; the FHIR read is what failed
    double._read = serve  # the server is back

    try:
        svc.sync_signed_in(tokens, DIABETES, retries=0, sleep=lambda s: None)
    except service_connect.SyncFailed as failed:
        pytest.fail(f"the retry failed ({failed.kind}): the renewed refresh token was lost")


def test_a_token_without_expires_in_is_renewed_when_the_server_refuses_it(double, tmp_path):
    """Issue 17: later syncs use the kept refresh token; "sign in again" only when it cannot be
    renewed. `expires_in` is optional (RFC 6749 5.1): with none, the app never renews, so once the
    server ends the access token every sync over the kept connection fails as "not authorised"
    though the kept refresh token would renew it. A 401 on a kept connection should be met with
    one renewal before giving up."""
    from ltc_dashboard.service import core as service
    from ltc_dashboard.service import connect as service_connect

    double.expires_in = None  # the token answer carries "expires_in": null
    tokens = signed_in(double)
    assert tokens.expires_at is None and tokens.refresh_token
    svc = service.Service(Store(tmp_path / "ltc.db"))
    svc.sync_signed_in(tokens, DIABETES)
    double.issued.discard(tokens.access_token)  # the server ended the access token

    try:
        svc.sync_connection(double.fhir_base, DIABETES, now=lambda: CLOCK + 86_400)
    except service_connect.SyncFailed as failed:
        pytest.fail(f"the sync failed ({failed.kind}) with a usable refresh token kept")
    assert "refresh_token" in [f["grant_type"] for f in double.token_requests]


def test_a_server_that_lists_its_scopes_is_asked_only_for_listed_scopes():
    """Issue 17: a server refuses scopes it does not grant with `invalid_scope`; ask for
    `offline_access` "only where offered". This server's smart-configuration lists its scopes
    (no offline_access, no fhirUser) but also the capabilities permission-offline and
    sso-openid-connect: the app adds both unlisted scopes from the capabilities, and a strict
    server (as the SMART double is with scopes_supported) refuses the whole sign-in."""
    listed = ("launch/patient", "openid", "patient/*.rs")
    config = smart.SmartConfig("https://fhir.example/r4", "https://auth.example/authorize",
                               "https://auth.example/token", "smart-configuration",
                               ("launch-standalone", "context-standalone-patient", "permission-offline",
                                "sso-openid-connect", "permission-v2"), listed)
    asked = smart.choose_scope(config).split()
    assert [s for s in asked if s not in listed] == [], asked
