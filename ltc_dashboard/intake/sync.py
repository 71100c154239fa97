"""Sync one patient's record from a FHIR R4 server into the store: all of it, or nothing.

    connector (everything fetched into memory) -> ingest.import_items -> store, in one transaction

The connector fetches the whole change first; only when every request has succeeded does one store
transaction write the resources (through `import_items`), apply the deletions the server
reported and record the new sync marks. A failure anywhere (timeout, 5xx
after retries, 429 with a long Retry-After, a malformed page, a next link to another server)
raises a `ConnectorError` and leaves the store exactly as it was; the next sync starts from the
last successful one. The token is passed in (or read from LTC_TOKEN) and never stored or printed.

The "Connect a record" page uses `sync_patient`, `last_sync`, `synced_sources` and the SMART steps
re-exported below (`discover`, `start_sign_in`, `finish_sign_in`, `fresh`, `patients_for`); it
catches `ConnectorError` (re-exported here: pages never import `connectors`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from connectors import notices
from connectors.base import BadPayload, ConnectorError, NotFound, RateLimited, Rejected, ServerError, Unauthorised
from connectors.fhir_server import APP_TYPES, Fetched, FhirServerConnector, TokenEnded
from connectors.smart import (
    ActingFor, PendingSignIn, SignInAgain, SmartConfig, SmartError, SmartHttp, StateMismatch, Tokens, discover,
    fresh, finish_sign_in, patients_for, refresh, start_sign_in,
)
from ltc_dashboard.intake.ingest import ImportReport, import_items
from ltc_dashboard.store import Store
from ltc_dashboard.store.connections import holder_of

TOKEN_ENV = "LTC_TOKEN"


@dataclass
class SyncReport:
    """What one sync did: stored and deleted per type, what was rejected, and what it cost."""

    server: str
    patient_id: str
    incremental: bool
    imported: ImportReport = field(default_factory=ImportReport)
    deleted: Counter = field(default_factory=Counter)
    fetched: Fetched = field(default_factory=Fetched)
    seconds: float = 0.0

    @property
    def counts(self) -> Counter:
        """Resources per type received and now in the store (new, changed or the same)."""
        return self.imported.counts

    @property
    def rejected(self) -> list[Rejected]:
        return self.imported.rejected

    @property
    def incomplete(self) -> list[str]:
        """Kinds of entry the server did not give whole (a short read, a refused kind), in words."""
        return self.fetched.incomplete

    @property
    def complete(self) -> bool:
        """Every kind of entry arrived whole (rejected single items aside)."""
        return not self.incomplete

    @property
    def exit_code(self) -> int:
        """0 when everything was stored, 1 when some items were rejected, 3 when what arrived was
        stored but the server did not give every kind whole (the sync is incomplete)."""
        return 3 if self.incomplete else 1 if self.rejected else 0


def server_key(url: str) -> str:
    """The server's base URL as kept in the sync state (no trailing slash)."""
    return url.strip().rstrip("/")


def token_from_env() -> str | None:
    """The bearer token in LTC_TOKEN, if set."""
    return os.environ.get(TOKEN_ENV) or None


def last_sync(store: Store, server: str, patient_id: str) -> dict[str, str]:
    """Resource type -> server time of the last successful sync (empty: never synced)."""
    return store.sync_marks(server_key(server), patient_id)


def synced_sources(store: Store) -> list[dict]:
    """Each (server, patient id) synced into this store, with the newest server time reached."""
    return store.sync_sources()


def sync_patient(
    store: Store, server: str, patient_id: str, token: str | None = None, *, full: bool = False,
    holder: str = "", scope: str | None = None, **options
) -> SyncReport:
    """Fetch the patient's record (only what changed since the last sync, unless `full`) and store
    it in one transaction. Raises `ConnectorError` with the store untouched. `holder` says whose
    reads these are ('' the person's own, or a typed token; 'RelatedPerson/ID' a carer's): a sync
    only removes by absence what the same holder's reads gave. `scope` is the granted scope when
    known (a SMART sign-in). `options` go to `FhirServerConnector` (page_size, timeout, retries,
    sleep, session)."""
    started = time.monotonic()
    key = server_key(server)
    since = {} if full else store.sync_marks(key, patient_id)
    held = store.held_ids(key, patient_id, holder)
    fetched = FhirServerConnector(key, patient_id, token, since=since, held=held, **options).fetch()
    report = SyncReport(server=key, patient_id=patient_id, incremental=bool(since), fetched=fetched)
    view = view_of(scope, token)
    with store.atomic():
        report.imported = import_items(store, fetched.items(), from_server=True, for_patient=patient_id)
        for rtype, rid in fetched.deleted:  # a reported DELETE: unless a file or another server gave it too
            if store.owner(rtype, rid) == patient_id and not store.held_elsewhere(key, rtype, rid, None) \
                    and store.delete(rtype, rid):
                report.deleted[rtype] += 1
        store.let_go(key, patient_id, fetched.deleted, holder)
        _remove_unlisted(store, key, patient_id, holder, view, fetched, report)
        store.hold(key, patient_id, sorted(k for k in fetched.matched if k[0] in APP_TYPES), holder)
        store.set_sync_marks(key, patient_id, fetched.marks)
        store.set_sync_view(key, patient_id, holder, view)
    report.seconds = time.monotonic() - started
    return report


def view_of(scope: str | None, token: str | None) -> str:
    """What a sync's reads may see, to compare with the last sync's: the granted read scopes when
    known, else a short one-way digest of the typed token (the token itself is never stored)."""
    if scope is not None:
        return "scope:" + " ".join(sorted(s for s in scope.split() if s.startswith(("patient/", "user/", "system/"))))
    if token:
        return "token:" + hashlib.sha256(f"ltc-view\0{token}".encode()).hexdigest()[:16]
    return "none"


def _remove_unlisted(store: Store, server: str, patient_id: str, holder: str, view: str, fetched: Fetched,
                     report: SyncReport) -> None:
    """After a complete, certain full read of a kind, what this holder's reads from this server gave
    for the patient before and the read no longer lists is gone from it: removed here (marked
    removed by absence). Only entries still filed under this patient, that did not arrive in this
    very sync, and that no other source holds (another server, another holder, a file import);
    never the Patient itself (a server that stops listing the person is not taken as deleting the
    record); never what the person wrote. When the reads were allowed to see something else last
    time (another scope or token), nothing is removed: those entries are kept, no longer held from
    this read, and the person is told. Inside the sync's transaction."""
    if not fetched.listed:  # an incremental sync with no full read: nothing to compare
        return
    held = store.held_ids(server, patient_id, holder)
    arrived = {(r["resourceType"], r["id"]) for r in fetched.resources}
    before = store.sync_view(server, patient_id, holder)
    changed = before != view and (before is not None or bool(held))
    kept = 0
    for rtype, ids in sorted(fetched.listed.items()):
        if rtype == "Patient":
            continue
        gone = sorted(rid for rid in held.get(rtype, set()) - ids if (rtype, rid) not in arrived)
        if changed:
            kept += len(gone)
        else:
            for rid in gone:
                if store.owner(rtype, rid) == patient_id and not store.held_elsewhere(server, rtype, rid, holder) \
                        and store.delete(rtype, rid, reported=False):
                    report.deleted[rtype] += 1
        store.let_go(server, patient_id, [(rtype, rid) for rid in gone], holder)
    if kept:
        fetched.notes.append(notices.view_changed(kept))


# -- staying connected (issue 17) -----------------------------------------------------------------
class NotConnected(Unauthorised):
    """No connection is kept for this server and patient: sign in (or give a token) first."""


def keep_connection(store: Store, tokens: Tokens, patient_id: str, related_person: str | None = None) -> bool:
    """Keep what a later sync needs: the connection in the store, its tokens in the owner-only tokens
    file beside it (ltc_dashboard/store/connections.py); whether it was kept. Only
    renewable sign-ins are kept: without a refresh token the next sync needs a sign-in anyway."""
    if not tokens.refresh_token:
        return False
    store.save_connection({
        "server": server_key(tokens.config.fhir_base), "patient_id": patient_id, "related_person": related_person,
        "client_id": tokens.client_id, "authorization_endpoint": tokens.config.authorization_endpoint,
        "token_endpoint": tokens.config.token_endpoint, "scope": tokens.scope, "access_token": tokens.access_token,
        "expires_at": tokens.expires_at, "lifetime": tokens.lifetime, "refresh_token": tokens.refresh_token,
    })
    return True


def held_by(related_person: str | None, proxy_id: str | None) -> bool:
    """Whether a connection kept with `related_person` (None: the person's own sign-in) is the one of
    this holder: the person (`proxy_id` None) or the carer whose RelatedPerson id is `proxy_id`."""
    if proxy_id is None:
        return related_person is None
    return isinstance(related_person, str) and holder_of(related_person) == f"RelatedPerson/{proxy_id}"


def holder(proxy_id: str | None) -> str:
    """The store's key for who kept a connection or whose reads a sync's are (ltc_dashboard/store/connections.py
    `holder_of`): '' for the person, 'RelatedPerson/ID' for the carer `proxy_id`."""
    return f"RelatedPerson/{proxy_id}" if proxy_id else ""


def proxy_of(related_person: str | None) -> str | None:
    """The RelatedPerson id a kept connection acts as (None: the person's own); a version in the
    reference (`RelatedPerson/X/_history/2`) is not part of who they are."""
    return holder_of(related_person).split("/")[-1] if related_person else None


def carer_may_sync(store: Store, patient_id: str, proxy_id: str, today) -> bool:
    """Whether the carer `proxy_id` may still act for this record: the gate decides
    (ltc_dashboard/gate/access.py `carer_may_sync`: listed to the person with a Consent that lets them see the
    record today, or a RelatedPerson the store has never held)."""
    from ltc_dashboard.gate.access import carer_may_sync as gate_rule  # the gate; loaded only when a carer syncs

    return gate_rule(store, patient_id, proxy_id, today)


def kept_tokens(store: Store, server: str, patient_id: str, proxy_id: str | None = None) -> Tokens | None:
    """The kept connection for this server and patient as `Tokens`, or None; only the one its holder
    kept: the person's own (`proxy_id` None) or that carer's. A connection someone else kept for the
    same record is neither shown nor used (`kept_by_someone_else` says it is there)."""
    row = store.connection(server_key(server), patient_id, holder(proxy_id))
    if row is None or not held_by(row["related_person"], proxy_id):
        return None
    config = SmartConfig(row["server"], row["authorization_endpoint"], row["token_endpoint"], "kept")
    return Tokens(config, row["client_id"], row["access_token"], expires_at=row["expires_at"],
                  refresh_token=row["refresh_token"], scope=row["scope"], patient=patient_id,
                  fhir_user=row["related_person"], lifetime=row["lifetime"])  # a proxy's RelatedPerson


def kept_by_someone_else(store: Store, server: str, patient_id: str, proxy_id: str | None = None) -> bool:
    """Whether a connection for this server and record is kept, but by other holders than this one only."""
    kept = [c for c in store.connections(patient_id) if c["server"] == server_key(server)]
    return bool(kept) and not any(held_by(c["related_person"], proxy_id) for c in kept)


def connected_token(store: Store, server: str, patient_id: str, http: SmartHttp | None = None,
                    now=time.time, proxy_id: str | None = None) -> str:
    """A usable access token from the kept connection of this holder (the person, or the carer
    `proxy_id`): refreshed shortly before expiry, and the renewed tokens kept at once (a rotated
    refresh token is never lost to a sync that fails later). `NotConnected` without one;
    `SignInAgain` when it has run out and cannot be renewed."""
    tokens = kept_tokens(store, server, patient_id, proxy_id)
    if tokens is None:
        raise NotConnected("this app keeps no connection to that server for that record; sign in first")
    return usable_tokens(store, tokens, patient_id, tokens.fhir_user, http or SmartHttp(), now).access_token


def usable_tokens(store: Store, tokens: Tokens, patient_id: str, related_person: str | None, http: SmartHttp,
                  now=time.time) -> Tokens:
    """`tokens`, renewed when about to expire, the renewed ones kept in `store` at once. When the
    renewal is refused, the kept connection is read again: another sync (the page and `ltc sync`
    at once, or a sync that failed after renewing) may have renewed it and retired the refresh
    token used here; its newer tokens are used (renewed in turn if need be). `SignInAgain` else."""
    try:
        renewed = fresh(tokens, http, now)
    except SignInAgain:
        kept = kept_tokens(store, tokens.config.fhir_base, patient_id, proxy_of(related_person))
        if kept is None or kept.refresh_token in (None, tokens.refresh_token):
            raise
        tokens = kept
        renewed = fresh(kept, http, now)
    if renewed is not tokens:
        keep_connection(store, renewed, patient_id, related_person)
    return renewed


def renew_connection(store: Store, server: str, patient_id: str, refused: str, http: SmartHttp | None = None,
                     now=time.time, proxy_id: str | None = None) -> str:
    """A new access token for a kept connection whose token `refused` the server answered with a
    401 (a token with no stated expiry, or one the server ended early): renewed once and kept.
    `SignInAgain` when it cannot be renewed, or when the kept token is another than the refused one
    and is refused too (the caller tries once only)."""
    tokens = kept_tokens(store, server, patient_id, proxy_id)
    if tokens is None:
        raise NotConnected("this app keeps no connection to that server for that record; sign in first")
    if tokens.access_token != refused:  # renewed meanwhile by another sync: try that one
        return tokens.access_token
    try:
        renewed = refresh(tokens, http or SmartHttp(), now)
    except (SmartError, ConnectorError) as exc:
        raise SignInAgain("the connection to this server has ended and could not be renewed; please sign in "
                          "again", getattr(exc, "error", None), getattr(exc, "description", None)) from None
    keep_connection(store, renewed, patient_id, tokens.fhir_user)
    return renewed.access_token


def forget_connection(store: Store, server: str, patient_id: str, proxy_id: str | None = None) -> bool:
    """Remove this holder's kept connection (its tokens with it); whether there was one. The ones
    other holders kept for the same record are left as they are."""
    return store.forget_connection(server_key(server), patient_id, holder(proxy_id))


def connections(store: Store, patient_id: str, proxy_id: str | None = None) -> list[dict]:
    """The connections this holder kept for this record (the person's own, or the carer
    `proxy_id`'s), without tokens: server, patient_id, related_person, saved, renewable."""
    return [c for c in store.connections(patient_id) if held_by(c["related_person"], proxy_id)]


__all__ = [
    "APP_TYPES", "ActingFor", "carer_may_sync", "view_of", "BadPayload", "ConnectorError", "NotFound", "PendingSignIn", "RateLimited",
    "NotConnected", "SignInAgain", "connected_token", "connections", "forget_connection", "held_by", "holder",
    "keep_connection", "kept_by_someone_else", "kept_tokens", "proxy_of", "renew_connection", "usable_tokens", "ServerError", "SmartConfig", "SmartError", "SmartHttp", "StateMismatch", "SyncReport", "TOKEN_ENV",
    "TokenEnded", "Tokens", "Unauthorised", "discover", "finish_sign_in", "fresh", "last_sync", "patients_for",
    "server_key", "start_sign_in", "sync_patient", "synced_sources", "token_from_env",
]
