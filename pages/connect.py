"""Connect a record: sync a patient's record from a FHIR R4 server, with an access token or by
signing in there (SMART App Launch, standalone patient launch), then show what arrived and when.
When a login is configured this page is the way in; it is also where a SMART sign-in comes back to.

- The token is typed into a password field. Its submit button's callback hands it to this run and
  empties the field, so it is never echoed, logged or stored, and not in the session after the sync.
- A SMART sign-in under way is kept in the session until its answer (`?code=&state=`) comes back.
  The sign-in page opens in a new browser tab and answers there, in a new session, so it is also
  kept by its state in a table shared by this server's sessions: one use, ten minutes.
- A failed sync leaves the store as it was (ltc_dashboard/intake/sync.py: all or nothing); the error names the fault.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import streamlit as st

from ltc_dashboard import settings
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service import connect as door
from pages import state, ui
from pages.text import code_span, day, escape_markdown, md_line

state.guard()

URL_PATH = "connect-record"  # app.py registers this page under it
TOKEN = "connect_token"  # the password field: emptied as soon as its value is taken
HANDED = "connect_token_handed"  # the token, for the one run that syncs with it
PENDING = "connect_smart_pending"  # the SMART sign-in under way (verifier and state not in its repr)
SIGN_IN_URL = "connect_smart_url"  # where to sign in (no secret: the challenge, not the verifier)
SIGNED_IN = "connect_smart_signed_in"  # (tokens, records) until the sync, then dropped whatever happens
RESULT = "connect_result"  # what the last sync did, shown after the rerun (counts and times only)
WAIT_SECONDS = 600.0
UK = ZoneInfo("Europe/London")
FAULT_WORDS = {
    "server not found": "Nothing answered at that address. Check the server address and the internet connection.",
    "not found": "The server, or a record with that patient id, was not found. Check both.",
    "not authorised": "The server refused access: the token or sign-in is wrong, or has expired.",
    "rate limited": "The server asked the app to slow down. Try again in a few minutes.",
    "server error": "The server failed on its side or did not answer in time. Try again later.",
    "bad data": "The server sent something that is not a FHIR record the app can read.",
    "sign-in failed": "The sign-in with the server did not complete. Please start it again.",
    "no record": "The sign-in worked, but it does not let you open any record.",
    "address not usable": "The server address should be a web address such as https://fhir.example.org/r4.",
    "plain http": "That address starts with http, which would send the token unprotected. Use the https address.",
    "patient id not valid": "A patient id is 1 to 64 letters, digits, hyphens or full stops, as the server shows it.",
    "return address not usable": "The return address should be a web address such as https://ltc.example.org/, "
                                 "exactly as registered with the sign-in server.",
    "sign in again": "The connection to this server has ended and could not be renewed. Sign in with SMART again "
                     "to keep syncing.",
    "not connected": "This app keeps no connection to that server for your record. Sign in with SMART first.",
    "carer no longer admitted": "This record no longer lets you see it as a carer, so the app did not contact "
                                "the server. The person, or their practice, can tell you why.",
}
HELP = """**A FHIR server** is a computer system that holds health records and shares them in FHIR, the
standard way health records are exchanged. Your GP record may be on one, or a service your practice
uses may offer one. Its address is a web address, such as `https://fhir.example.org/r4`.

**A SMART sign-in** lets this app read your record there without ever seeing your password: you sign
in on the server's own page and agree, and the server gives this app a key that lets it read your
record. This app keeps that key in your record's file on this computer so later syncs need no new
sign-in, until you choose *Forget this connection*.

**Where to find them:** whoever gives you online access to your record (your GP practice, or the
service it uses) can tell you whether there is a FHIR server you may connect to, its address, and
for a SMART sign-in the client id and return address this app is registered with. If you have a
file of your record instead, use *Import a file*."""
OAUTH_WORDS = {  # what the person can do, by the sign-in server's error code (RFC 6749 section 4.1.2.1, 5.2)
    "invalid_scope": "The server would not give this app the access it asked for. Ask whoever runs the server "
                     "(often your GP practice's online services) whether this app may read your record, then "
                     "sign in again.",
    "access_denied": "The sign-in was cancelled, or access was not allowed. If you meant to allow it, sign in "
                     "again and choose to allow access.",
    "invalid_client": "The server does not recognise this app. Check the client id under Sign-in settings: it "
                      "must be the one the server registered for this app.",
    "unauthorized_client": "The server does not let this app sign in this way. Check the client id under "
                           "Sign-in settings, or ask whoever runs the server.",
    "invalid_grant": "The sign-in has run out or was withdrawn. Sign in again.",
    "invalid_request": "The server did not accept the sign-in request. Check that the return address under "
                       "Sign-in settings is the one registered with the server.",
    "server_error": "The sign-in server had a problem. Try again in a few minutes.",
    "temporarily_unavailable": "The sign-in server is busy or down. Try again in a few minutes.",
}


@st.cache_resource
def waiting() -> dict:
    """SMART sign-ins under way, by state, for every session of this server: {state: (until, pending)}."""
    return {}


def remember(pending: door.PendingSignIn) -> None:
    table = waiting()
    for key, (until, _) in list(table.items()):
        if until < time.monotonic():
            table.pop(key, None)
    table[pending.state] = (time.monotonic() + WAIT_SECONDS, pending)


def take_waiting(sign_in_state: str) -> door.PendingSignIn | None:
    until, pending = waiting().pop(sign_in_state, (0.0, None))
    return pending if until >= time.monotonic() else None


def redirect_uri() -> str | None:
    """Where the sign-in server sends the person back: LTC_SMART_REDIRECT_URI as registered with it,
    else the app's own address. The app's first page (app.py) is this page while the answer's
    `?state=` is in the address, and at the app's root no browser asks for a page by name."""
    configured = os.environ.get("LTC_SMART_REDIRECT_URI")
    if configured or not st.context.url:
        return configured
    parts = urlsplit(st.context.url)
    path = parts.path.rstrip("/")
    path = path[: -len(URL_PATH)] if path.endswith(f"/{URL_PATH}") else f"{path}/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def uk_time(stamps: list[str]) -> str | None:
    """The latest of the server's sync times in UK words: "5 March 2026 at 14:05"."""
    times = []
    for stamp in stamps:
        try:
            moment = dt.datetime.fromisoformat(stamp)
        except ValueError:
            continue
        times.append(moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc))
    if not times:
        return None
    local = max(times).astimezone(UK)
    return f"{day(local.date())} at {local:%H:%M}"


def record_label(record: tuple) -> str:
    """A record a sign-in may open, as a radio option (read as Markdown): the name the server gives
    it, else its id, as text."""
    acting, name = record
    label = md_line(name) if name else f"Record {md_line(acting.patient_id)}"
    return label + (" (as their carer)" if acting.related_person else "")


def hand_over() -> None:
    """The token button's callback: move the token out of the field, for this run only."""
    st.session_state[HANDED] = st.session_state.get(TOKEN, "")
    st.session_state[TOKEN] = ""


def forget_token() -> None:
    st.session_state[TOKEN] = ""


def show_failure(failure: door.SyncFailed, what: str = "The sync did not work") -> None:
    words = OAUTH_WORDS.get(failure.oauth_error or "") or FAULT_WORDS.get(failure.kind, "It did not complete.")
    said = f"The server said: “{md_line(failure.server_says)}” " if failure.server_says else ""
    st.error(f"**{what}: {failure.kind}.** {said}{words} Your record in this app is unchanged.")
    if failure.detail:
        st.caption("What the app saw: " + code_span(failure.detail))


def run_sync(call) -> door.SyncOutcome | None:
    """Run a sync with a progress bar; None (after a plain error) when it failed."""
    bar = st.progress(0.0, text="Asking the server…")

    def progress(done: int, total: int | None, what: str) -> None:
        text = f"Fetching {what} ({done + 1} of {total} kinds of entry)…" if what else "Fetching what entries point at…"
        bar.progress(min(0.05 + 0.9 * done / ((total or 1) + 1), 0.95), text=text)

    try:
        outcome = call(progress)
    except door.SyncFailed as failure:
        bar.empty()
        show_failure(failure)
        return None
    except door.StoreError as exc:
        bar.empty()
        st.error(f"The record could not be saved here, so nothing was changed: {exc}")
        return None
    bar.progress(1.0, text=f"Stored {sum(outcome.report.counts.values()):,} items")
    return outcome


def synced(outcome: door.SyncOutcome, patient_id: str, related_person: str | None = None) -> None:
    """Keep what the sync did for the next run, open the record (as its carer for a proxy), rerun."""
    report = outcome.report
    st.session_state[RESULT] = {
        "server": report.server, "counts": sorted(report.counts.items()), "deleted": sorted(report.deleted.items()),
        "rejected": [(r.source, r.position, r.reason) for r in report.rejected], "notes": [*report.fetched.notes, *report.imported.notices],
        "incomplete": list(report.incomplete),
        "last_sync": uk_time(outcome.last_sync), "switched": outcome.switched,
    }
    if related_person:
        rp_id = door.proxy_of(related_person)
        names = [l.proxy_name for l in state.service().carers(state.today()) if l.related_person_id == rp_id]
        state.sign_in({"kind": "carer", "name": names[0] if names else "a carer", "links": [(rp_id, patient_id)]},
                      Viewer(kind="proxy", patient_id=patient_id, proxy_id=rp_id))
    else:
        state.sign_in({"kind": "patient"}, Viewer(kind="patient", patient_id=patient_id))
    st.rerun()


def show_result(result: dict, whose: str = "your") -> None:
    total = sum(n for _, n in result["counts"])
    st.success(f"Synced {total:,} {'item' if total == 1 else 'items'} from {code_span(result['server'])}.", icon="✅")
    st.markdown(f"**Last successful sync:** {result['last_sync'] or 'the server did not give its time'}.")
    if result["switched"]:
        st.info("The app was showing demo records, so this record went into your own store, and the app "
                "now shows your records instead of the demo.", icon="ℹ️")
    if result.get("incomplete"):
        st.warning(f"**Part of {whose} record did not arrive.** What did arrive was stored, and the next sync "
                   "asks for the rest again:\n\n" + "\n".join(f"- {md_line(line)}" for line in result["incomplete"]),
                   icon="⚠️")
    ui.table([{"Kind of entry": kind, "Received": n} for kind, n in result["counts"]],
             "Nothing new: the record here was already up to date.")
    if result["deleted"]:
        st.write("Removed because the server deleted them: "
                 + ", ".join(f"{n:,} {md_line(kind)}" for kind, n in result["deleted"]) + ".")
    for note in result["notes"]:
        st.caption(escape_markdown(note))
    if result["rejected"]:
        st.subheader(f"{len(result['rejected']):,} items could not be stored", anchor=False)
        st.write("Everything else was stored. Each of these was left out, for the reason given:")
        ui.table([{"From": f, "Where": where, "Why": why} for f, where, why in result["rejected"]], "")


def kept_connections(viewer: Viewer) -> None:
    """The connections this viewer kept for the record shown (a carer's: the one they kept acting
    for it, never the person's own or another carer's), each with "Sync now" and "Forget"."""
    carer = viewer.kind == "proxy"
    kept_list = svc.connections(viewer.patient_id, viewer.proxy_id if carer else None)
    for number, kept in enumerate(kept_list):
        st.subheader("Your connection to their record" if carer else "Your connection", anchor=False)
        st.write(f"Connected to {code_span(kept['server'])}{' as their carer' if carer else ''}. Syncing again "
                 "uses this connection: no new sign-in is needed while the server keeps renewing it.")
        left, right = st.columns(2)
        if left.button("Sync now", key=f"connect_kept_sync_{number}", type="primary"):
            outcome = run_sync(lambda progress: svc.sync_connection(kept["server"], kept["patient_id"], progress,
                                                                    proxy_id=viewer.proxy_id if carer else None))
            if outcome:
                synced(outcome, kept["patient_id"], kept["related_person"])
        if right.button("Forget this connection", key=f"connect_kept_forget_{number}"):
            svc.forget_connection(kept["server"], kept["patient_id"], viewer.proxy_id if carer else None)
            st.session_state[RESULT] = None
            st.toast("Connection forgotten: this app no longer holds a key to that server.")
            st.rerun()
    if kept_list:
        st.divider()
    elif carer:
        st.write("This app keeps no connection to their record for you: to sync it again, sign in with SMART "
                 "as their carer.")


# -- the page -------------------------------------------------------------------------------------
login, viewer, svc = settings.login_configured(), state.viewer(), state.service()
token = st.session_state.pop(HANDED, None)  # only in the run right after the token button

if viewer is None:
    st.title("Welcome" if login else "Connect a record", anchor=False)
    st.write("See your GP record for long-term conditions. Connect it from your GP record's FHIR server: "
             "sign in there, or use an access token it gave you.")
else:
    ui.header("Sync their record" if viewer.kind == "proxy" else "Connect a record", state.summary())
    if viewer.kind not in ("patient", "proxy"):
        st.write("Only the person whose record this is can connect it.")
        st.stop()
    if st.session_state.get(RESULT):
        show_result(st.session_state[RESULT], "their" if viewer.kind == "proxy" else "your")
        st.divider()
    if viewer.kind == "proxy":  # a carer syncs again over the connection they kept; only the person connects
        kept_connections(viewer)
        st.caption("Only the person whose record this is can connect it to another server.")
        st.stop()

# The SMART sign-in's answer: finish it once, then forget the query.
answer = {k: st.query_params[k] for k in ("code", "state", "error", "error_description") if k in st.query_params}
if "state" in answer:
    st.query_params.clear()
    kept = st.session_state.pop(PENDING, None)
    st.session_state.pop(SIGN_IN_URL, None)
    pending = kept or take_waiting(answer["state"])
    if kept:
        take_waiting(kept.state)
    try:
        if pending is None:
            raise door.SyncFailed("sign-in failed", "this sign-in answer is not one the app is waiting for: "
                                  "it may have expired or been used already")
        st.session_state[SIGNED_IN] = door.smart_finish(pending, answer)
    except door.SyncFailed as failure:
        show_failure(failure, "The sign-in did not work")

if st.session_state.get(SIGNED_IN):
    tokens, records = st.session_state[SIGNED_IN]
    chosen = records[0]
    if len(records) > 1:
        st.subheader("Which record?", anchor=False)
        st.write("Your sign-in lets you open more than one record. Choose one to sync now.")
        chosen = st.radio("Which record", records, format_func=record_label, key="connect_choice")
        if st.button("Cancel the sign-in", key="connect_choice_cancel"):
            st.session_state.pop(SIGNED_IN, None)
            st.rerun()
    if len(records) == 1 or st.button("Sync this record", type="primary", key="connect_choice_go"):
        st.session_state.pop(SIGNED_IN, None)  # the tokens leave the session now, whatever happens
        acting = chosen[0]
        outcome = run_sync(lambda progress: svc.sync_signed_in(tokens, acting.patient_id, progress,
                                                                       acting.related_person))
        if outcome:
            synced(outcome, acting.patient_id, acting.related_person)

if viewer is not None:
    kept_connections(viewer)

with st.expander("What is a FHIR server, and a SMART sign-in?", expanded=viewer is None):
    st.markdown(HELP)

with st.form("connect_form"):
    server = st.text_input("FHIR server address", key="connect_server", placeholder="https://fhir.example.org/r4",
                           help="The web address of the FHIR server that holds your GP record.")
    patient_id = st.text_input("Patient id on that server", key="connect_patient",
                               help="Not needed when you sign in with SMART: the sign-in says whose record it is.")
    st.text_input("Access token", type="password", key=TOKEN, autocomplete="off",
                  help="Used for this sync only: never shown, logged or kept. Leave it empty to sign in with SMART.")
    with st.expander("Sign-in settings (for a SMART sign-in)"):
        client_id = st.text_input("Client id", key="connect_client_id", value=door.client_id_default(),
                                  help="The name this app is registered under at the sign-in server. Whoever runs "
                                       "the server gives it to you.")
        back_typed = st.text_input("Return address", key="connect_redirect", value=redirect_uri() or "",
                                   placeholder="https://ltc.example.org/",
                                   help="The address of this app that the sign-in page sends you back to. It must "
                                        "be exactly the one registered with the sign-in server.")
    with_token = st.form_submit_button("Connect and sync", type="primary", on_click=hand_over, key="connect_go")
    with_smart = st.form_submit_button("Sign in with SMART", on_click=forget_token, key="connect_smart")

if with_token:
    if login and not token:
        st.error("Type the access token the server gave you, or sign in with SMART.")
    else:
        outcome = run_sync(lambda progress: svc.sync(server, patient_id, token, progress))
        if outcome:
            synced(outcome, patient_id.strip())
elif with_smart:
    back = back_typed.strip() or redirect_uri()
    if not back:
        st.error("The app does not know its own address for the sign-in to come back to. Type it under "
                 "Sign-in settings, or whoever runs the app can set LTC_SMART_REDIRECT_URI.")
    else:
        try:
            url, pending = door.smart_start(server, back, client_id)
        except door.SyncFailed as failure:
            show_failure(failure, "The sign-in could not start")
        else:
            remember(pending)
            st.session_state[PENDING], st.session_state[SIGN_IN_URL] = pending, url

if st.session_state.get(PENDING):
    if st.session_state[PENDING].state not in waiting():  # used in another tab, or expired
        st.session_state.pop(PENDING, None)
        st.session_state.pop(SIGN_IN_URL, None)
    else:
        st.link_button("Open the sign-in page", st.session_state[SIGN_IN_URL], type="primary", key="connect_smart_open")
        st.caption("It opens in a new tab. Sign in there, and you come back to this app to sync your record.")
