"""Reading the pages of a FHIR search or history (connectors/fhir_server.py): which entries are
matches and what makes them distinct, the next link, the server's time, and what one history
entry says changed. Pure functions over parsed JSON; no network."""

from __future__ import annotations

import datetime as dt
import email.utils

import requests


def entry_key(entry: object, where: tuple[int, int]) -> object:
    """What makes a search entry distinct: its resource's type and id, else its fullUrl, else its place."""
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if isinstance(resource, dict) and isinstance(resource.get("id"), str):
        return (resource.get("resourceType"), resource["id"])
    full = entry.get("fullUrl") if isinstance(entry, dict) else None
    return full if isinstance(full, str) else where


def is_match(entry: object) -> bool:
    """An entry `Bundle.total` counts: a search match (mode "match", or no mode given)."""
    search = entry.get("search") if isinstance(entry, dict) else None
    return (search.get("mode") if isinstance(search, dict) else None) in (None, "match")


def next_link(page: dict) -> str | None:
    for link in page.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


def http_date(response: requests.Response) -> str | None:
    """The server's Date header as a FHIR instant (second precision), or None."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when and when.tzinfo else None


def history_change(entry: object, rtype: str, since: str) -> tuple[str | None, str | None]:
    """(method, id) of one history entry of `rtype`, or (None, None). Entries older than `since`
    are ignored: some servers (sekmet) drop `_since` from their history next links."""
    if not isinstance(entry, dict):
        return None, None
    request, response = entry.get("request") or {}, entry.get("response") or {}
    modified = instant(response.get("lastModified") if isinstance(response, dict) else None)
    start = instant(since)
    if modified is not None and start is not None and modified < start:
        return None, None
    url = request.get("url") if isinstance(request, dict) else None
    method = request.get("method") if isinstance(request, dict) else None
    if not isinstance(url, str) or not isinstance(method, str):
        return None, None
    parts = url.split("?")[0].split("/")
    if rtype in parts and parts.index(rtype) + 1 < len(parts):
        return method.upper(), parts[parts.index(rtype) + 1]
    return None, None


def instant(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else None
