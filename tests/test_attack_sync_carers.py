"""Outside attack on kept SMART connections held per server, record and holder (issue 17; docs/sync.md,
ltc_dashboard/store/connections.py): a carer's kept connection must never replace, be used as, or forget another
holder's (the person's or another carer's), and never open another record. Store and sync level
only: connections are kept with `sync.keep_connection` as the sign-in keeps them (no network).
Breaks were strict xfails with their cause until fixed (branch fix-sync); the rest pin what held.

Shapes: the dementia demo record's carers (data/demo/dementia.json: RelatedPerson dem-rp-daughter
and dem-rp-son of Patient dementia, as tests/test_app_connect_carer.py uses them); fhirUser forms
from SMART App Launch 2.x ("fhirUser": a relative or absolute URL of a Patient, RelatedPerson,
Person ...) and FHIR R4 references.html (relative, absolute, versioned `/_history/n`).
"""

from __future__ import annotations

import time

import pytest

from connectors import smart
from ltc_dashboard import settings
from ltc_dashboard.cli import main as cli
from ltc_dashboard.gate.access import proxy_links
from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service import core as service
from ltc_dashboard.service import connect as service_connect
from ltc_dashboard.store import Store
from tests.servers.loopback import Loopback, Reply, outcome
from tests.test_app_connect import demo_record
from tests.test_app_support import DEMENTIA as PATIENT_ID
from tests.test_attack17 import PATIENT, Paged, bundle, observation

SERVER = "https://fhir.example.org/r4"
DEMENTIA = "dementia"  # a record id of the tests here (the demo record is PATIENT_ID)
DAUGHTER, SON = "dem-rp-daughter", "dem-rp-son"


def keep(store: Store, patient: str, related_person: str | None, tag: str | None = None) -> None:
    """Keep a connection as a sign-in does: tokens named after `tag` (default: the holder)."""
    tag = tag or str(related_person)
    config = smart.SmartConfig(SERVER, f"{SERVER}/authorize", f"{SERVER}/token", "kept")
    tokens = smart.Tokens(config, "ltc-dashboard", f"access-of-{tag}", expires_at=time.time() + 3600,
                          refresh_token=f"refresh-of-{tag}", scope="patient/*.rs offline_access",
                          patient=patient, fhir_user=related_person, lifetime=3600)
    assert sync.keep_connection(store, tokens, patient, related_person)


def access(store: Store, patient: str, proxy_id: str | None = None) -> str | None:
    tokens = sync.kept_tokens(store, SERVER, patient, proxy_id)
    return tokens.access_token if tokens else None


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "ltc.db")
    yield opened
    opened.close()


# -- breaks ---------------------------------------------------------------------------------------
def test_two_carers_with_versioned_fhir_user_keep_a_connection_each(store):
    """The daughter and the son each sign in; the server's fhirUser is a versioned reference
    (`RelatedPerson/dem-rp-daughter/_history/2`, `RelatedPerson/dem-rp-son/_history/2`; R4 allows a
    version-specific reference, and `_as_proxy` reads it as is). Each carer's connection must be
    kept beside the other's, not replace it."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}/_history/2", "daughter")
    keep(store, DEMENTIA, f"RelatedPerson/{SON}/_history/2", "son")

    assert len(store.connections(DEMENTIA)) == 2, store.connections(DEMENTIA)


def test_a_patient_id_shaped_like_a_carer_key_cannot_take_over_a_carers_tokens(store):
    """The daughter keeps her connection to the dementia record. Then a sign-in to the same server
    whose launch context names the patient "dementia as RelatedPerson/dem-rp-daughter" (server data,
    only `.strip()`-ed by service_connect.sync_signed_in) is kept. The daughter's kept tokens must
    still be hers: never another sign-in's."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")
    keep(store, f"{DEMENTIA} as RelatedPerson/{DAUGHTER}", None, "someone-else")

    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter"


# -- held -----------------------------------------------------------------------------------------
def test_two_carers_and_the_person_each_keep_and_forget_their_own(store):
    """The person, the daughter and the son each keep a connection to one server for the dementia
    record: each finds only their own tokens; the son forgetting his leaves the other two whole."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")
    keep(store, DEMENTIA, f"{SERVER}/RelatedPerson/{SON}", "son")  # an absolute fhirUser

    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER), access(store, DEMENTIA, SON)) == \
        ("access-of-person", "access-of-daughter", "access-of-son")
    assert sync.forget_connection(store, SERVER, DEMENTIA, SON)
    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER), access(store, DEMENTIA, SON)) == \
        ("access-of-person", "access-of-daughter", None)


def test_the_same_carer_signing_in_again_replaces_only_their_own(store):
    """The daughter signs in twice, once with a relative and once with an absolute fhirUser (with a
    trailing slash): one connection of hers, the newest tokens; the person's untouched."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter-1")
    keep(store, DEMENTIA, f"{SERVER}/RelatedPerson/{DAUGHTER}/", "daughter-2")

    assert len(sync.connections(store, DEMENTIA, DAUGHTER)) == 1
    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter-2"
    assert access(store, DEMENTIA) == "access-of-person"


def test_a_carers_connection_for_one_parent_never_opens_another(store):
    """The daughter kept a connection for her mother's record (dementia). Asking with it for her
    father's record (another patient id, same server, same RelatedPerson id) finds nothing:
    `NotConnected`, and the mother's connection is not listed or forgettable under the father."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")

    assert access(store, "dementia-father", DAUGHTER) is None
    with pytest.raises(sync.NotConnected):
        sync.connected_token(store, SERVER, "dementia-father", proxy_id=DAUGHTER)
    assert sync.connections(store, "dementia-father", DAUGHTER) == []
    assert not sync.forget_connection(store, SERVER, "dementia-father", DAUGHTER)
    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter"


@pytest.mark.parametrize("proxy_id", [f"x/RelatedPerson/{DAUGHTER}", f"{DAUGHTER}/", f" {DAUGHTER}",
                                      f"{DAUGHTER.upper()}", f"{DAUGHTER}/_history/1", "", "RelatedPerson"])
def test_a_proxy_id_spelled_otherwise_is_not_the_carer(store, proxy_id):
    """`--as proxy:RelatedPerson/<id>` with an id that only resembles the daughter's (a slash
    smuggling her reference, a trailing slash, a space, another case, a version, empty, the type
    name): neither her connection nor the person's is found, used or forgotten by it."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")

    found = access(store, DEMENTIA, proxy_id)
    assert found is None or (proxy_id == "" and found == "access-of-person"), found
    if proxy_id:
        assert not sync.forget_connection(store, SERVER, DEMENTIA, proxy_id)
        assert sync.connections(store, DEMENTIA, proxy_id) == []
    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER)) == ("access-of-person", "access-of-daughter")


# -- a carer the record no longer admits -----------------------------------------------------------
def _ended(resources: list[dict], how: str) -> list[dict]:
    """The dementia demo record with the daughter's access ended: her Consent made inactive (the
    person withdrew it), or her RelatedPerson made inactive (the practice ended the role)."""
    changed = []
    for resource in resources:
        resource = dict(resource)
        if how == "consent withdrawn" and resource["id"] == "dem-consent-proxy-daughter":
            resource["status"] = "inactive"
        if how == "carer inactive" and resource["id"] == DAUGHTER:
            resource["active"] = False
        if how == "carer hidden" and resource["id"] == DAUGHTER:  # a safeguarding label: kept from the person
            resource["meta"] = {**resource.get("meta", {}), "security": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}]}
        changed.append(resource)
    return changed


@pytest.mark.parametrize("via", ["ltc sync", "Sync now"])
@pytest.mark.parametrize("how", ["consent withdrawn", "carer inactive", "carer hidden"])
def test_a_carer_whose_access_ended_cannot_sync_over_their_kept_connection(tmp_path, how, via, monkeypatch):
    """The daughter kept a connection to her mother's record; since then her access ended in the
    record the app holds (her INFA Consent inactive, her RelatedPerson inactive, or her RelatedPerson
    labelled NOPAT, hidden: the gate then lists her as not active, or not at all: ltc_dashboard/gate/access.py
    proxy_links). `ltc sync --as
    proxy:RelatedPerson/dem-rp-daughter`, or "Sync now" on her "Sync their record" page (the service's
`sync_connection`), must not use her connection: nothing reaches the server.
    Record: data/demo/dementia.json (as tests/test_app_connect_carer.py loads it)."""
    monkeypatch.delenv("LTC_TOKEN", raising=False)
    db = tmp_path / "ltc.db"
    opened = Store(db)
    import_items(opened, _ended(demo_record("dementia"), how))
    links = [l for l in proxy_links(opened, settings.today()) if l.related_person_id == DAUGHTER]
    assert not any(l.active_now for l in links), links  # the gate no longer admits her (or lists her)
    with Loopback(lambda request: outcome(401, "token not accepted")) as server:
        base = f"{server.root}/fhir"
        config = smart.SmartConfig(base, f"{base}/authorize", f"{base}/token", "kept")
        tokens = smart.Tokens(config, "ltc-dashboard", "access-of-daughter", expires_at=time.time() + 3600,
                              refresh_token="refresh-of-daughter", scope="patient/*.rs offline_access",
                              patient=PATIENT_ID, fhir_user=f"RelatedPerson/{DAUGHTER}", lifetime=3600)
        assert sync.keep_connection(opened, tokens, PATIENT_ID, f"RelatedPerson/{DAUGHTER}")
        opened.close()
        if via == "ltc sync":
            code = cli.main(["sync", "--server", base, "--patient", PATIENT_ID, "--db", str(db),
                             "--as", f"proxy:RelatedPerson/{DAUGHTER}"])
            assert code == 2
        else:
            svc = service.Service(Store(db))
            with pytest.raises(service_connect.SyncFailed):
                svc.sync_connection(base, PATIENT_ID, proxy_id=DAUGHTER, retries=0, sleep=lambda s: None)
        reached = list(server.requests)

    assert reached == [], [r.path for r in reached]


# -- a carer's narrower view of the record ----------------------------------------------------------
class ScopedServer(Paged):
    """`Paged` (tests/test_attack17.py) without `_history` (404), whose access control shows the
    carer's token fewer Observations than the person's: the person sees o1 o2 o3, the carer o1 only
    (the other two are ones the practice keeps from proxies), `total` counting what that token may see."""

    def __init__(self) -> None:
        super().__init__(history=lambda srv, request: outcome(404, "no history"))

    def _answer(self, request):
        rtype = request.path.partition("?")[0][len("/fhir/"):]
        if rtype == "Observation":
            carer = request.headers.get("authorization") == "Bearer access-of-carer"
            shown_ids = ["o1"] if carer else ["o1", "o2", "o3"]
            return Reply.json(bundle(self.base, [_observation(rid) for rid in shown_ids], len(shown_ids)))
        return super()._answer(request)


def _observation(rid: str) -> dict:
    resource = observation(1)
    resource["id"] = rid
    return resource


def test_a_carers_narrower_view_does_not_remove_what_the_persons_sync_gave(tmp_path):
    """The person syncs with their own token (o1 o2 o3). Their carer then syncs the same record from
    the same server over the carer's kept connection ("Sync now"): the server's access control
    (docs/sync.md: "a server's access control should already limit it to what the token may see")
    shows the carer o1 only, total 1. Nothing was deleted on the server: o2 and o3 must stay in the
    person's record. Shape: the test_attack17 Observation; proxy-filtered searches as NHS App-style
    proxy access gives them."""
    db = tmp_path / "ltc.db"
    with ScopedServer() as server:
        opened = Store(db)
        sync.sync_patient(opened, server.base, PATIENT, "access-of-person", sleep=lambda s: None, retries=0)
        assert {r["id"] for r in opened.resources_for(PATIENT) if r["resourceType"] == "Observation"} == \
            {"o1", "o2", "o3"}
        config = smart.SmartConfig(server.base, f"{server.base}/authorize", f"{server.base}/token", "kept")
        tokens = smart.Tokens(config, "ltc-dashboard", "access-of-carer", expires_at=time.time() + 3600,
                              refresh_token="refresh-of-carer", scope="patient/*.rs offline_access",
                              patient=PATIENT, fhir_user="RelatedPerson/rp1", lifetime=3600)
        assert sync.keep_connection(opened, tokens, PATIENT, "RelatedPerson/rp1")
        opened.close()
        svc = service.Service(Store(db))
        svc.sync_connection(server.base, PATIENT, proxy_id="rp1", retries=0, sleep=lambda s: None)

    opened = Store(db)
    try:
        kept = {r["id"] for r in opened.resources_for(PATIENT) if r["resourceType"] == "Observation"}
    finally:
        opened.close()
    assert kept == {"o1", "o2", "o3"}
