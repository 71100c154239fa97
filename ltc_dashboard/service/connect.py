"""Bringing records in from the app: an upload and a sync from a FHIR server (with SMART
sign-in), for pages/import_file.py and pages/connect.py, which never import the store, the
connectors or sync themselves. `Service` (ltc_dashboard/service/core.py) takes these methods from
`ConnectMixin`, which reads the service's store and never changes the service's own state: moving
from the demo store to the per-user store is core.py's `_switch_store`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from connectors.base import Rejected
from connectors.files import FileConnector
from connectors.http import token_may_travel
from ltc_dashboard import fhir_read
from ltc_dashboard import settings
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake import stores
from ltc_dashboard.intake import sync
from ltc_dashboard.intake import uploads
from ltc_dashboard.intake.ingest import ImportReport, import_items
from ltc_dashboard.intake.uploads import UploadRefused  # noqa: F401  the import page catches it
from ltc_dashboard.record.dates import parse_or_none
from ltc_dashboard.store import Store, StoreError, copy_digest  # noqa: F401  StoreError: the pages catch it

MAX_UPLOAD_BYTES = uploads.MAX_UPLOAD_BYTES  # issue 7; Streamlit's own server.maxUploadSize is 200 MB too
UPLOAD_TYPES = ("json", "ndjson", "xml", "gz")  # for the uploader: .json, .ndjson, .xml, each also .gz
Progress = Callable[[int, int, str], None]  # a sync's (kinds fetched, out of, the kind now: "" after)
ActingFor, PendingSignIn, Tokens = sync.ActingFor, sync.PendingSignIn, sync.Tokens  # secrets not in repr
proxy_of = sync.proxy_of  # the RelatedPerson id a sign-in's fhirUser names (a version left out)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class SyncFailed(Exception):
    """A sync or SMART sign-in failed, store unchanged: `kind` names the fault, `detail` what was seen;
    for a refused sign-in, `oauth_error` (the server's code) and `server_says` (its own explanation,
    cleaned for showing as text)."""

    def __init__(self, kind: str, detail: str = "", oauth_error: str | None = None,
                 server_says: str | None = None) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail
        self.oauth_error, self.server_says = oauth_error, server_says


@dataclass(frozen=True)
class Person:
    """Who a file is about, as the file says ("This file is about NAME, born DATE. Is this you?")."""
    id: str
    name: str
    birth_date: dt.date | None


@dataclass(frozen=True)
class ImportOutcome:
    """An upload's import report, the Patients in the file, and whether the app switched stores;
    the record it went into; or, with nothing imported, the other person the file is about."""
    report: ImportReport
    patients: tuple[str, ...]
    switched: bool
    patient_id: str | None = None
    ask: Person | None = None


@dataclass(frozen=True)
class SyncOutcome:
    """A sync's report, the server's times of the last successful sync, whether the app switched."""
    report: sync.SyncReport
    last_sync: list[str]  # Service.last_sync
    switched: bool


def check_upload(name: str, size: int) -> None:
    """uploads.check_upload (UploadRefused, before the file is read) against MAX_UPLOAD_BYTES."""
    uploads.check_upload(name, size, MAX_UPLOAD_BYTES)


def client_id_default() -> str:
    """The client id registered with sign-in servers: LTC_SMART_CLIENT_ID, else "ltc-dashboard"."""
    return os.environ.get("LTC_SMART_CLIENT_ID") or "ltc-dashboard"


def smart_start(server: str, redirect_uri: str, client_id: str | None = None) -> tuple[str, PendingSignIn]:
    """The server's sign-in address (discovery, the scopes it offers, PKCE, a new state), and the
    sign-in to keep meanwhile. `client_id`: as typed on the page, else `client_id_default()`."""
    _check_server(server.strip(), None)
    back = urlsplit(redirect_uri.strip())
    if back.scheme not in ("http", "https") or not back.hostname:
        raise SyncFailed("return address not usable")
    try:
        config = sync.discover(server.strip(), sync.SmartHttp())
        return sync.start_sign_in(config, (client_id or "").strip() or client_id_default(), redirect_uri.strip())
    except (sync.ConnectorError, requests.RequestException) as exc:
        raise _failure(exc) from None


def smart_finish(pending: PendingSignIn, answer: dict[str, str]) -> tuple[Tokens, list[tuple[ActingFor, str]]]:
    """Check the sign-in server's answer (`code` and `state`, or `error`) against `pending`, exchange
    the code, and list the records the person may open (their own, or as a carer: `related_person`)
    with the name the server has for each ("" when unreadable). The tokens serve until the sync."""
    http = sync.SmartHttp()
    try:
        tokens = sync.finish_sign_in(pending, f"{pending.redirect_uri}?{urlencode(answer)}", http)
        choices = [(act, _name(act, tokens, http)) for act in sync.patients_for(tokens, http)]
    except (sync.ConnectorError, requests.RequestException) as exc:
        raise _failure(exc) from None
    if not choices:
        raise SyncFailed("no record", "the sign-in names no record to open")
    return tokens, choices


FAULTS = (  # (exception, the kind of fault in plain words), subclasses before their bases
    (sync.SignInAgain, "sign in again"), (sync.TokenEnded, "sign in again"), (sync.NotConnected, "not connected"), (sync.SmartError, "sign-in failed"), (sync.Unauthorised, "not authorised"), (sync.NotFound, "not found"),
    (sync.RateLimited, "rate limited"), (sync.BadPayload, "bad data"), (sync.ServerError, "server error"),
)


def _failure(exc: Exception) -> SyncFailed:
    """The named failure for a connector or HTTP exception (their messages carry no token)."""
    detail = "" if isinstance(exc, requests.RequestException) else str(exc)[:200]
    if not detail or detail.startswith("could not connect"):  # connectors/http.py: nothing answered
        return SyncFailed("server not found", detail)
    kind = next((kind for cls, kind in FAULTS if isinstance(exc, cls)), "sync failed")
    return SyncFailed(kind, detail, getattr(exc, "error", None), getattr(exc, "description", None))


def _check_server(server: str, token: str | None) -> None:
    """A usable FHIR server address; plain http carries a token only on this computer (loopback)."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncFailed("address not usable")
    if token and not token_may_travel(server):
        raise SyncFailed("plain http")  # it would send the token unprotected


def _watched_session(server: str, progress: Progress | None) -> requests.Session:
    """An HTTP session that tells `progress` which kind each answer in the sync was for."""
    session, base, kinds = requests.Session(), urlsplit(server).path.rstrip("/"), sync.APP_TYPES

    def answered(response: requests.Response, *args, **kwargs) -> None:
        parts = urlsplit(response.url).path[len(base):].strip("/").split("/")
        searched = parts[0] in kinds and parts[1:2] != ["_history"]  # else what entries point at, deletions
        progress(kinds.index(parts[0]) if searched else len(kinds), len(kinds), parts[0] if searched else "")

    if progress:
        session.hooks["response"].append(answered)
    return session


def _name(acting: sync.ActingFor, tokens: sync.Tokens, http: sync.SmartHttp) -> str:
    """The patient's name as the server has it, or "" when it cannot be read."""
    try:
        patient = http.fhir_read(tokens.config.fhir_base, f"Patient/{acting.patient_id}", tokens.access_token)
        return (fhir_read.person_name(patient) if isinstance(patient, dict) else None) or ""
    except (sync.ConnectorError, requests.RequestException, TypeError, AttributeError):
        return ""


def _person(patient: dict) -> Person:
    """A Patient resource's id, name (fhir_read.person_name, the one owner) and birth date, read
    whatever their JSON shapes."""
    text = fhir_read.person_name(patient) or ""
    born = parse_or_none(patient.get("birthDate")) if isinstance(patient.get("birthDate"), str) else None
    return Person(str(patient.get("id")), text.strip()[:200] or "a person the file does not name", born and born.day)


def _subjects(items) -> tuple[dict[str, Person], set[str]]:
    """The Patients a file holds, and every patient its entries are about."""
    people, about = {}, set()
    for item in items:
        if isinstance(item, Rejected):
            continue
        owner = fhir_read.patient_of(item)
        if owner:
            about.add(owner)
        if item.get("resourceType") == "Patient" and isinstance(item.get("id"), str):
            people.setdefault(item["id"], _person(item))
    return people, about


def _in_scope(items, path: str, name: str, store: Store, patient_id: str | None, patients: list[str],
              shown: Callable[[str], bool] = lambda key: True):
    """The file reader's items, rejections named by the upload's name; an entry the upload may not
    write (uploads.scope_problem) refused by its type and id; Patient ids imported noted in order.
    An entry of the person's own record that the gate does not show them (`shown`, by Type/id) is
    refused as one held elsewhere is (uploads.TAKEN, the same words): an upload must neither
    replace a redacted entry's content nor say that it is there."""
    for item in items:
        if isinstance(item, Rejected):
            yield replace(item, source=name) if item.source == path else item
            continue
        rtype, rid = item["resourceType"], item["id"]
        placement, owner = store.placement(rtype, rid), fhir_read.patient_of(item, patient_id)
        digest = copy_digest(item) if placement and placement[1] else None  # only a stored shared copy compares
        # A new shared entry must not be one another record already points at (it would show there).
        elsewhere = placement is None and owner is None and store.named_outside(rid, patient_id)
        problem = uploads.scope_problem(item, patient_id, placement, digest, owner, elsewhere)
        if problem is None and placement is not None and placement[0] == patient_id and not shown(f"{rtype}/{rid}"):
            problem = uploads.TAKEN
        if problem:
            yield Rejected(name, f"{rtype}/{rid}", problem)
            continue
        if rtype == "Patient" and rid not in patients:
            patients.append(rid)
        yield item


NOT_A_PATIENT = "Only the person whose record this is can import into it."
SEVERAL = ("This file holds the records of {n} people. An upload can only add to your own record; whoever runs "
           "this app can import several people's records with `ltc import`.")
NOT_ABOUT_YOU = ("This file is not about you, so nothing was imported. Sign in as the person it is about "
                 "to import it.")
ALREADY_HERE = "This file is about someone whose record is already in this app. It was not imported."


class ConnectMixin:
    """Service methods that write records in: never into the demo store."""

    def import_upload(self, name: str, data: bytes, progress: Callable[[int], None] | None = None,
                      viewer=None, this_is_me: str | None = None) -> ImportOutcome:
        """Import one upload (check_upload first) into one person's record, telling `progress` the
        items read so far. Entries are only added or replaced by newer versions, a newer copy never
        drops a stored label, and what the person wrote is kept.

        Whose record: the signed-in `viewer`'s (a patient; a carer or the clinic screen cannot
        upload). A file with nothing about them but about one other person comes back unimported
        with `ask` set; `this_is_me` (that person's id) is the answer "yes, this file is about me", which
        imports only into a new record: a person whose record is already here is refused (ALREADY_HERE).
        Without either (tests, tools), the one person the file is about. Every entry about anyone
        else, or about who may see the record (uploads.scope_problem), is refused by type and id."""
        check_upload(name, len(data))
        if viewer is not None and viewer.kind != "patient":
            raise UploadRefused(NOT_A_PATIENT)
        patients: list[str] = []
        with tempfile.TemporaryDirectory(prefix="ltc-upload-") as folder:
            path = Path(folder) / (re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".") or "upload.json")
            path.write_bytes(data)
            people, about = _subjects(FileConnector([path]).read())
            if this_is_me is not None:
                if about != {this_is_me} or this_is_me not in people:
                    raise UploadRefused(NOT_ABOUT_YOU)
                if self._store.holds_record(this_is_me):  # "yes" opens only a new record, never someone's
                    raise UploadRefused(ALREADY_HERE)
                target = this_is_me
            elif viewer is not None and (viewer.patient_id in about or not about):
                target = viewer.patient_id
            elif viewer is not None and len(about) == 1 and about <= set(people):
                return ImportOutcome(ImportReport(), tuple(people), False, None, people[next(iter(about))])
            elif len(about) > 1 and (viewer is None or viewer.patient_id not in about):
                raise UploadRefused(SEVERAL.format(n=len(about)))
            elif viewer is not None:
                raise UploadRefused(NOT_ABOUT_YOU)
            else:
                target = next(iter(about), None)

            # What the gate shows this person of their own record (the store written to, unless
            # the demo store is on screen: then the person's own store, new, hides nothing yet).
            shown = (self.open(Viewer(kind="patient", patient_id=target), settings.today()).visible.sees
                     if target and not self.is_demo and self._store.holds_record(target) else (lambda key: True))

            def work(store: Store) -> ImportReport:
                if this_is_me is not None and store.holds_record(this_is_me):  # the store written to
                    raise UploadRefused(ALREADY_HERE)
                items = _in_scope(FileConnector([path]).read(), str(path), name, store, target, patients, shown)
                return import_items(store, items, progress, keep_labels=True, for_patient=target)

            report, switched = self._write(work)
        return ImportOutcome(report, tuple(patients), switched, target)

    def sync(self, server: str, patient_id: str, token: str | None, progress: Progress | None = None,
             keep: Callable[[Store], Any] | None = None, **options) -> SyncOutcome:
        """Fetch one patient's record from a FHIR server and store it, all or nothing (ltc_dashboard/intake/sync.py); else
        SyncFailed, store unchanged. A typed token serves this sync only: never kept, logged or shown;
        `keep(store)` runs after a successful sync in the store written to (a SMART connection)."""
        server, patient_id = server.strip(), patient_id.strip()
        _check_server(server, token)
        if not _FHIR_ID.fullmatch(patient_id):
            raise SyncFailed("patient id not valid")
        session = _watched_session(server, progress)
        try:
            def work(store: Store) -> sync.SyncReport:
                report = sync.sync_patient(store, server, patient_id, token or None, session=session, **options)
                if keep is not None:  # a SMART sign-in's connection, kept where the record went
                    keep(store)
                return report

            report, switched = self._write(work)
        except (sync.ConnectorError, requests.RequestException) as exc:
            raise _failure(exc) from None
        return SyncOutcome(report, self.last_sync(server, patient_id), switched)

    def sync_signed_in(self, tokens: sync.Tokens, patient_id: str, progress: Progress | None = None,
                       related_person: str | None = None, **options) -> SyncOutcome:
        """Sync a record a SMART sign-in may open, with its token (refreshed when about to expire),
        and keep the connection in the store the record goes to, for later syncs (ltc_dashboard/intake/sync.py). Tokens
        renewed here are kept at once, before the sync: a sync that then fails must not lose the
        rotated refresh token (the page still holds the retired one; its retry finds the kept one)."""
        patient_id = patient_id.strip()
        store = self._store if not self.is_demo else stores.write_store()
        try:
            tokens = sync.usable_tokens(store, tokens, patient_id, related_person, sync.SmartHttp())
        except (sync.ConnectorError, requests.RequestException) as exc:
            raise _failure(exc) from None
        finally:
            if store is not self._store:
                store.close()
        return self.sync(tokens.config.fhir_base, patient_id, tokens.access_token, progress,
                         keep=lambda store: sync.keep_connection(store, tokens, patient_id, related_person),
                         holder=sync.holder(sync.proxy_of(related_person)), scope=tokens.scope, **options)

    def sync_connection(self, server: str, patient_id: str, progress: Progress | None = None,
                        now: Callable[[], float] | None = None, proxy_id: str | None = None,
                        **options) -> SyncOutcome:
        """Sync again over the connection this holder kept (the person, or the carer `proxy_id`, with
        the RelatedPerson it was kept with): its token, renewed shortly before it expires (the
        renewed tokens kept at once). A token the server refuses (HTTP 401: one without a stated
        expiry, or ended early) is renewed once and the sync tried once more; SyncFailed "sign in
        again" when it has run out for good. Another holder's connection is never used."""
        when = {"now": now} if now else {}
        if proxy_id and not sync.carer_may_sync(self._store, patient_id.strip(), proxy_id, settings.today()):
            raise SyncFailed("carer no longer admitted")  # before any server contact or token renewal
        options = {**options, "holder": sync.holder(proxy_id)}
        try:
            token = sync.connected_token(self._store, server, patient_id, sync.SmartHttp(), proxy_id=proxy_id, **when)
            kept = sync.kept_tokens(self._store, server, patient_id, proxy_id)
        except (sync.ConnectorError, requests.RequestException) as exc:
            raise _failure(exc) from None
        if kept is not None:
            options["scope"] = kept.scope
        try:
            return self.sync(server, patient_id, token, progress, **options)
        except SyncFailed as failed:
            if failed.kind not in ("not authorised", "sign in again"):
                raise
        try:
            renewed = sync.renew_connection(self._store, server, patient_id, token, sync.SmartHttp(),
                                            proxy_id=proxy_id, **when)
        except (sync.ConnectorError, requests.RequestException) as exc:
            raise _failure(exc) from None
        return self.sync(server, patient_id, renewed, progress, **options)

    def connections(self, patient_id: str, proxy_id: str | None = None) -> list[dict]:
        """The connections this holder (the person, or the carer `proxy_id`) kept for this record
        (no tokens): server, related_person, saved, renewable."""
        return sync.connections(self._store, patient_id, proxy_id)

    def forget_connection(self, server: str, patient_id: str, proxy_id: str | None = None) -> bool:
        """"Forget this connection": this holder's tokens are deleted from the store."""
        return sync.forget_connection(self._store, server, patient_id, proxy_id)

    def last_sync(self, server: str, patient_id: str) -> list[str]:
        """The server's times (FHIR instants) of the last successful sync of this record, if any."""
        return sorted(sync.last_sync(self._store, server, patient_id).values())

    def _write(self, work: Callable[[Store], Any]) -> tuple[Any, bool]:
        """(`work`(store), switched): on the demo store `work` writes to the per-user store
        (stores.write_store), which this service reads from then on once it holds a record."""
        if not self.is_demo:
            return work(self._store), False
        store = stores.write_store()
        try:
            result = work(store)
        except BaseException:
            store.close()
            raise
        if not store.patient_ids():
            store.close()
            return result, False
        self._switch_store(store)
        return result, True

