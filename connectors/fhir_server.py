"""Read one patient's record from a FHIR R4 server: every type the app uses, by patient, page by page.

`FhirServerConnector(base_url, patient_id, token).fetch()` returns everything in memory (`Fetched`),
so the caller can store it in one write or not at all. `read()` is the `Connector` protocol over it.

- Search: `[type]?patient=Patient/ID&_count=N` (the Patient itself by `_id`), with
  `Prefer: handling=strict` so a server that cannot apply the filter says so instead of returning
  everyone's resources; next links are followed on the server's own origin only (`connectors/http.py`).
- Incremental: given `since` (type -> server time of the last sync) each search adds
  `_lastUpdated=gt<time>`, and `[type]/_history?_since=<time>` reports deletions. The new mark of a
  type is the server's time on its first search page (Bundle.meta.lastUpdated, else the Date header).
- Full reads: a search without `_lastUpdated` that came back whole (its `total` given and met) lists
  every id the server holds of that type (`Fetched.listed`), so ltc_dashboard/intake/sync.py removes what that server gave
  before and no longer lists; a paged read that may have moved is checked first (connectors/absence.py).
  A failing `_history` falls back to one; a missing `_history` to a `_summary=count` first, and a
  full read only when the count differs from what the store holds from this server (`held`).
- Referenced: Medications that requests and statements point to, and the Binary of each letter
  (DocumentReference attachment) on the same origin.
- Every page goes through the file connector's Bundle reader (`connectors/files.py`: urn:uuid ids,
  reference rewrite, `validate.check`), so a resource is accepted or rejected exactly as in a file.
  Then each resource must name the requested patient; one that does not is reported and dropped.

fhirclient provides the HTTP session and signs requests with the bearer token; it is the only place
the token lives. fhirclient 4.4 follows next links to any host and sets no timeout, hence `Transport`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator

import requests
from fhirclient.auth import FHIROAuth2Auth
from fhirclient.server import FHIRServer

from connectors import absence, files, notices
from connectors import search_pages as pages
from connectors.base import BadPayload, NotFound, Rejected, ServerError, Unauthorised
from connectors.fetched import Fetched
from connectors.http import OffOrigin, RequestRefused, Transport
from connectors.server_ownership import ownership_problem

# Searched by patient, in this order (CarePlan before Goal: see _goals_from_care_plans).
APP_TYPES = (
    "Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
    "AllergyIntolerance", "Immunization", "DocumentReference", "CarePlan", "Goal", "Flag",
    "Appointment", "Consent", "RelatedPerson", "Procedure", "Encounter", "DiagnosticReport",
)
_ID_CHUNK = 50
_MAX_PAGES = 10_000
_STRICT = {"Prefer": "handling=strict"}


class TokenEnded(Unauthorised):
    """The server stopped accepting the token part-way through a sync (401 to the last kind)."""

    status = 401


class FhirServerConnector:
    """Fetches one patient's record; never touches the database."""

    def __init__(
        self,
        base_url: str,
        patient_id: str,
        token: str | None = None,
        *,
        since: dict[str, str] | None = None,
        held: dict[str, set[str]] | None = None,
        page_size: int = 200,
        timeout: float = 30.0,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        server = FHIRServer(None, base_uri=base_url)
        if session is not None:
            server.session = session
        sign = None
        if token:
            server.auth = FHIROAuth2Auth(state={"access_token": token})
            sign = server.auth.signed_headers
        self.patient_id = patient_id
        self._since = dict(since or {})
        self._held = held  # type -> ids the store holds from this server for the patient (None: unknown)
        self._page_size = page_size
        self._http = Transport(server.base_uri, server.session, sign, timeout=timeout, retries=retries, sleep=sleep)
        self.base_url = self._http.base_url
        self._token_refused: Unauthorised | None = None  # a 401 during the kind being read

    def __repr__(self) -> str:
        return f"FhirServerConnector({self.base_url!r})"

    def read(self) -> Iterator[dict | Rejected]:
        """The `Connector` protocol: fetch everything, then yield it."""
        yield from self.fetch().items()

    def fetch(self) -> Fetched:
        """Everything for the patient (or what changed since the marks), or a `ConnectorError`.

        A 403 on one kind (the Patient included) skips that kind: "not this kind" (RFC 6750
        insufficient_scope). A 401 is "not this token": it skips one kind only when a later kind
        is then read with the same token; 401s that run to the last kind mean the sign-in ran out
        during the sync, which fails it (`TokenEnded`) with nothing stored."""
        out = Fetched()
        ended: Unauthorised | None = None
        for rtype in APP_TYPES:
            self._token_refused = None
            try:
                self._search_type(rtype, out)
            except Unauthorised as exc:
                status = getattr(exc, "status", None)
                if rtype == "Patient" and status != 403:  # refused at the first read: the token is not accepted
                    raise
                out.not_whole(rtype, notices.refused(rtype, status))
                if status != 403:
                    self._token_refused = exc
            ended = self._token_refused
            if rtype == "Patient" and "Patient" not in self._since and not out.resources \
                    and "Patient" not in out.unfinished:
                raise NotFound("the server has no patient with that id")
        if ended is not None:  # refused to the end: the sign-in ran out, not one kind's scope
            raise TokenEnded("the server stopped accepting this app's sign-in part-way through the sync "
                             "(HTTP 401); nothing was stored: sign in again")
        try:
            self._fetch_medications(out)
        except Unauthorised as exc:
            out.not_whole("Medication", notices.refused("Medication", getattr(exc, "status", None)))
        self._fetch_binaries(out)
        if self._since:
            for rtype in APP_TYPES:
                self._deletions(rtype, out)
        absence.settle(out, self._held, lambda path: self._http.get_json(path, None, None),
                       lambda resource: ownership_problem(resource, self.base_url, self.patient_id) is None)
        for rtype in out.unfinished:  # a kind not read whole is asked for again from its old mark
            out.marks.pop(rtype, None)
        _relative_references(out.resources, self.base_url, self.patient_id)
        out.requests, out.retries = self._http.stats.requests, self._http.stats.retries
        return out

    # -- searching ------------------------------------------------------------------------------
    def _search_type(self, rtype: str, out: Fetched) -> None:
        params = {"_count": str(self._page_size)}
        if rtype == "Patient":
            params["_id"] = self.patient_id
        else:
            params["patient"] = f"Patient/{self.patient_id}"
        since = self._since.get(rtype)
        if since:
            params["_lastUpdated"] = f"gt{since}"
        try:
            listed = self._collect(rtype, rtype, params, out, mark=True)
            if not since and listed is not None:  # a complete full read: what it lacks, the server lacks
                out.listed[rtype] = listed
        except RequestRefused:
            if rtype == "Goal":
                self._goals_from_care_plans(out)
            else:
                out.notes.append(notices.not_searchable(rtype))

    def _collect(self, rtype: str, path: str, params: dict, out: Fetched, mark: bool = False) -> set[str] | None:
        """Search `path`, keep the entries of type `rtype` that belong to the patient. Distinct
        matches are counted against the first page's `total` (an entry repeated on a later page, as
        offset paging does when the record shifts, counts once): fewer, once the next links end,
        is a short read. A later page refused (an expired cursor, a 401/403) keeps what arrived,
        says how many of how many, and leaves the kind's mark where it was. Returns the ids of
        every match (kept, rejected or another patient's) when the search came back whole and each
        match named its id; None otherwise (then nothing may be taken as gone from the server)."""
        total, matched, kept, read, paging = None, set(), set(), 0, absence.Paging()
        try:
            for number, page, response in self._pages(path, params):
                read = number
                when = (page.get("meta") or {}).get("lastUpdated") or pages.http_date(response)
                paging.page(number, page, when)
                if number == 1:
                    total = page.get("total") if type(page.get("total")) is int else None
                    if mark and isinstance(when, str) and when:
                        out.marks[rtype] = when
                for index, entry in enumerate(page.get("entry") or []):
                    if pages.is_match(entry):
                        key = pages.entry_key(entry, (number, index))
                        paging.entry(entry.get("resource") if isinstance(entry, dict) else None, key in matched)
                        matched.add(key)
                        if isinstance(key, tuple) and key[0] == rtype:
                            out.matched.add(key)  # only a match is held: an include may come and go
                source = f"{rtype} search, page {number}"
                for item in files._bundle_items(page, source, "file"):
                    if isinstance(item, Rejected):
                        out.rejected.append(item)
                        continue
                    out.downloaded[item["resourceType"]] += 1
                    if item["resourceType"] != rtype:
                        continue  # included or unrelated: not asked for, not kept
                    if item.get("id") in kept:
                        continue  # the same entry again on a later page: kept once
                    problem = ownership_problem(item, self.base_url, self.patient_id)
                    if problem:
                        out.foreign += 1
                        out.rejected.append(Rejected(source, f"{rtype} entry", problem))
                        continue
                    kept.add(item["id"])
                    out.resources.append(item)
        except (RequestRefused, Unauthorised) as exc:
            if read == 0:
                raise  # refused at the first page: the caller decides (not searchable, a refused kind)
            status = getattr(exc, "status", None)
            if isinstance(exc, Unauthorised) and status != 403:
                self._token_refused = exc
            out.not_whole(rtype, notices.cut_short(rtype, len(kept), total, status))
            return None
        if total is not None and len(matched) < total:
            out.not_whole(rtype, notices.short_read(rtype, len(matched), total))
            return None
        if not all(isinstance(key, tuple) and key[0] == rtype for key in matched):
            return None  # a match without an id, or of another type: its list cannot be trusted
        if total is None:  # nothing says the list is whole: what it lacks is not taken as deleted
            if mark:
                out.notes.append(notices.no_total(rtype))
            return None
        if not paging.certain:
            out.uncertain.add(rtype)
        return {key[1] for key in matched}

    def _pages(self, path: str, params: dict) -> Iterator[tuple[int, dict, requests.Response]]:
        """Each page of a search or history, following next links on this origin only."""
        seen: set[str] = set()
        url, query = path, params
        for number in range(1, _MAX_PAGES + 1):
            page, response = self._http.get_json(url, query, _STRICT)
            if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
                kind = page.get("resourceType") if isinstance(page, dict) else None
                raise BadPayload(f"page {number} of a {path.split('/')[0]} search is not a Bundle"
                                 f" ({kind or 'no resourceType'})")
            if page.get("entry") is not None and not isinstance(page.get("entry"), list):
                raise BadPayload(f"page {number} of a {path.split('/')[0]} search has a malformed entry list")
            yield number, page, response
            next_url = pages.next_link(page)
            if next_url is None:
                return
            if next_url in seen:
                raise BadPayload(f"the server's next links for {path.split('/')[0]} go round in a loop")
            seen.add(next_url)
            url, query = next_url, None
        raise BadPayload(f"more than {_MAX_PAGES} pages for {path.split('/')[0]}")

    def _by_ids(self, rtype: str, ids: Iterable[str], out: Fetched) -> None:
        ids = sorted(set(ids))
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            self._collect(rtype, rtype, {"_id": ",".join(chunk), "_count": str(len(chunk))}, out)

    # -- what the record points at ---------------------------------------------------------------
    def _goals_from_care_plans(self, out: Fetched) -> None:
        """A server that cannot search Goal by patient (sekmet): read the Goals the care plans name."""
        ids = {self._local_id(ref, "Goal") for plan in out.resources if plan["resourceType"] == "CarePlan"
               for ref in _references(plan.get("goal"))}
        ids.discard(None)
        before = len(out.resources)
        self._by_ids("Goal", ids, out)
        out.notes.append(notices.goals_from_care_plans(len(out.resources) - before))

    def _fetch_medications(self, out: Fetched) -> None:
        ids = set()
        for entry in out.resources:
            if entry["resourceType"] in ("MedicationRequest", "MedicationStatement"):
                for ref in _references(entry.get("medicationReference")):
                    local = self._local_id(ref, "Medication", out, entry)
                    if local:
                        ids.add(local)
        self._by_ids("Medication", ids, out)

    def _fetch_binaries(self, out: Fetched) -> None:
        for entry in [r for r in out.resources if r["resourceType"] == "DocumentReference"]:
            for content in entry.get("content") or []:
                url = ((content or {}).get("attachment") or {}).get("url") if isinstance(content, dict) else None
                local = self._local_id(url, "Binary", out, entry) if isinstance(url, str) else None
                if local:
                    self._read_binary(local, out)

    def _read_binary(self, binary_id: str, out: Fetched) -> None:
        source = f"Binary/{binary_id}"
        try:
            response = self._http.get(source)
        except NotFound:
            out.rejected.append(Rejected(source, "file", "a letter points at it but the server does not have it"))
            return
        if "json" in response.headers.get("Content-Type", ""):
            try:
                resource = response.json()
            except ValueError:
                out.rejected.append(Rejected(source, "file", "invalid JSON"))
                return
            items = list(files._items(resource, source, "file"))
        else:  # the raw document: keep it as the Binary resource a FHIR JSON answer would have been
            items = [{"resourceType": "Binary", "id": binary_id,
                      "contentType": response.headers.get("Content-Type", "application/octet-stream"),
                      "data": base64.b64encode(response.content).decode("ascii")}]
        for item in items:
            if not isinstance(item, Rejected):
                out.downloaded["Binary"] += 1
                if item.get("resourceType") != "Binary":
                    continue
            (out.rejected if isinstance(item, Rejected) else out.resources).append(item)

    def _local_id(self, reference: object, rtype: str, out: Fetched | None = None, entry: dict | None = None):
        """The id in `reference` when it is `rtype/id` on this server; None otherwise (and a
        report when it points at another server, which is never asked)."""
        if not isinstance(reference, str) or reference.startswith(("#", "urn:", "data:")):
            return None
        if "://" in reference:
            if not reference.startswith(self.base_url):
                if out is not None and entry is not None:
                    out.rejected.append(Rejected(f"{entry['resourceType']}/{entry['id']}", rtype,
                                                 f"the {rtype} is on another server and was not fetched"))
                return None
            reference = reference[len(self.base_url):]
        kind, _, rest = reference.partition("/")
        rid = rest.split("/")[0]
        return rid if kind == rtype and rid else None

    # -- deletions ------------------------------------------------------------------------------
    def _deletions(self, rtype: str, out: Fetched) -> None:
        since = self._since.get(rtype)
        if not since:
            return
        newest: dict[str, str] = {}
        params = {"_since": since, "_count": str(self._page_size)}
        try:
            for _, page, _ in self._pages(f"{rtype}/_history", params):
                for entry in page.get("entry") or []:
                    method, rid = pages.history_change(entry, rtype, since)
                    if rid and rid not in newest:
                        newest[rid] = method
        except (RequestRefused, NotFound, Unauthorised):
            self._without_history(rtype, out)
            return
        except (ServerError, BadPayload):  # a failing history (a 5xx, an OperationOutcome or other non-Bundle
            # answered 200, a next link that loops or leaves the server) must not fail every later sync
            self._read_again(rtype, out, notices.history_failed)
            return
        fetched = {r["id"] for r in out.resources if r["resourceType"] == rtype}
        out.deleted += [(rtype, rid) for rid, method in sorted(newest.items())
                        if method == "DELETE" and rid not in fetched]

    def _read_again(self, rtype: str, out: Fetched, notice: Callable[[str, bool], str]) -> None:
        """Read every entry of `rtype` again, replacing what the incremental search brought. When
        that read is complete, what it no longer lists is removed (ltc_dashboard/intake/sync.py); otherwise nothing is."""
        out.resources = [r for r in out.resources if r["resourceType"] != rtype]
        since = self._since.pop(rtype)
        try:
            self._search_type(rtype, out)
        finally:
            self._since[rtype] = since
        out.notes.append(notice(rtype, rtype in out.listed))

    def _without_history(self, rtype: str, out: Fetched) -> None:
        """A server that does not say what was deleted: ask how many it holds (one small request).
        As many as the store holds from it, with what just arrived: nothing was deleted. Otherwise
        read the kind in full, to find what was. When it cannot even count, say deletions are missed."""
        if self._held is None or rtype == "Patient":
            out.notes.append(notices.no_history(rtype))
            return
        known = self._held.get(rtype, set()) | {r["id"] for r in out.resources if r["resourceType"] == rtype}
        try:
            page, _ = self._http.get_json(rtype, {"patient": f"Patient/{self.patient_id}", "_summary": "count"},
                                          _STRICT)
        except (RequestRefused, NotFound, Unauthorised, ServerError, BadPayload):
            page = None
        total = page.get("total") if isinstance(page, dict) and page.get("resourceType") == "Bundle" else None
        if type(total) is not int:
            out.notes.append(notices.no_history(rtype))
        elif total != len(known):
            self._read_again(rtype, out, notices.deletions_looked_for)


def _references(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i["reference"] for i in items if isinstance(i, dict) and isinstance(i.get("reference"), str)]


def _relative_references(resources: list[dict], base_url: str, patient_id: str) -> None:
    """Rewrite absolute references to this server's resources as `Type/id`, as a file import does
    for references to entries of the same Bundle, so what is stored links up the same way."""
    if not resources:
        return
    targets = {f"{base_url}{r['resourceType']}/{r['id']}": f"{r['resourceType']}/{r['id']}" for r in resources}
    targets[f"{base_url}Patient/{patient_id}"] = f"Patient/{patient_id}"
    for resource in resources:
        files._rewrite_references(resource, targets)


__all__ = ["APP_TYPES", "Fetched", "FhirServerConnector", "OffOrigin", "TokenEnded"]
