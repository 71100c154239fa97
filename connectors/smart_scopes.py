"""Which SMART scopes the app asks a server for (issue 17), from what the server says it offers:
read and search only. Split from connectors/smart.py to keep it under 400 lines; smart.py
re-exports `choose_scope`, `DEFAULT_SCOPE` and `READ_TYPES`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.fhir_server import APP_TYPES

if TYPE_CHECKING:
    from connectors.smart import SmartConfig

DEFAULT_SCOPE = "launch/patient openid fhirUser offline_access patient/*.read"
READ_TYPES = (*APP_TYPES, "Medication", "Binary")  # what a sync reads: per-type scopes name these
ORDER_SCOPES = ("patient/Task.c", "patient/Task.write")  # creating a Task (a repeat order, issue 21), v2 then v1


def choose_scope(config: SmartConfig, types: tuple[str, ...] = READ_TYPES) -> str:
    """The scopes to ask this server for, from what it says it offers (issue 17).

    Resource scopes: read and search only, whatever wider permission is listed; and, where the
    server lists it by name, the one scope to create a Task (`ORDER_SCOPES`: a repeat order). A listed wildcard
    is used before per-type scopes; for each, SMART v2 where listed (`.rs`, or the read subset
    `.rs` of a wider v2 scope such as `.cruds`, or `.r` and `.s` where listed apart), else v1
    (`.read`, or `.read` for a listed `.*`). A server listing no resource scopes is asked for the
    wildcard of the version its capabilities name (v1 when none).

    `launch/patient`, `openid`, `fhirUser`, `offline_access`: where `scopes_supported` is given,
    only those it lists. SMART says the list need not be exhaustive, but a server that lists
    scopes may refuse any other with `invalid_scope`, which fails the whole sign-in, whereas a
    missing `offline_access` only costs a later sign-in; so a capability (`permission-offline`,
    `sso-openid-connect`) adds its scope only when the server gives no list. A server that says
    nothing (CapabilityStatement discovery) is asked as before: the v1 default."""
    offered, caps = set(config.scopes_supported), set(config.capabilities)
    if not offered and not caps:
        return DEFAULT_SCOPE
    implied = (("launch/patient", "context-standalone-patient"), ("openid", "sso-openid-connect"),
               ("fhirUser", "sso-openid-connect"), ("offline_access", "permission-offline"))
    asked = [s for s, cap in implied if (s in offered if offered else cap in caps)]
    if not any(s.startswith("patient/") for s in offered):  # no list of resource scopes: the wildcard
        return " ".join([*asked, "patient/*.rs" if "permission-v2" in caps else "patient/*.read"])
    # Sending a repeat prescription order (issue 21) needs the right to create a Task: asked for
    # only where the server lists that very scope, so a strict server is never asked for more.
    asked += [s for s in ORDER_SCOPES if s in offered][:1]
    wildcard = _read_scopes("*", offered)
    if wildcard:
        return " ".join([*asked, *wildcard])
    return " ".join([*asked, *(scope for t in types for scope in _read_scopes(t, offered))])


def _read_scopes(rtype: str, offered: set[str]) -> list[str]:
    """The scopes that let this app read and search `rtype` ("*": every type) among those listed:
    v2 first (`.rs`; the read subset of a wider v2 permission; `.r` with `.s`), then v1 (`.read`;
    the read subset of `.*`). Empty when none listed reads it."""
    prefix = f"patient/{rtype}."
    listed = {s[len(prefix):] for s in offered if s.startswith(prefix)}
    if "rs" in listed or any(_v2_reads(p) for p in listed):
        return [f"{prefix}rs"]
    if {"r", "s"} <= listed:
        return [f"{prefix}r", f"{prefix}s"]
    if "read" in listed or "*" in listed:
        return [f"{prefix}read"]
    return []


def _v2_reads(permissions: str) -> bool:
    """A SMART v2 permission string (letters of "cruds", in that order) that includes read and search."""
    return "r" in permissions and "s" in permissions and permissions == "".join(c for c in "cruds" if c in permissions)
