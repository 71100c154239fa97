"""The Streamlit app: settings, sign-in, and the navigation built from the condition registry.

    .venv/bin/streamlit run app.py --server.address 127.0.0.1     (make run)

Pages live in pages/ and draw the one `Summary` the CLI prints; every read goes through
`service.Service` for the viewer held in the session (see pages/state.py).
"""

from __future__ import annotations

import pandas  # noqa: F401  before the store: its quick sqlite_utils import hides pandas for a moment,
import streamlit as st  # and a second session starting then must find pandas already loaded
from streamlit.runtime.pages_manager import PagesManager

from conditions import REGISTRY
from ltc_dashboard import settings
from ltc_dashboard.gate.access import Viewer, ViewerError
from ltc_dashboard.service import core as door
from ltc_dashboard.summary.core import Summary
from pages import behaviour, sidebar, state, ui
from pages.carer_choice import switch_options
from pages.sessions import EXITED_COOKIE
from pages.text import page_title

def route_from_url() -> None:
    """Local mode only: `?patient=ID&viewer=patient|proxy:RelatedPerson/ID|clinic` opens that view."""
    params = st.query_params
    if "patient" not in params and "viewer" not in params:
        return
    wanted = (params.get("patient", ""), params.get("viewer", "patient"))
    if st.session_state.get(state.URL_APPLIED) == wanted:
        return
    st.session_state[state.URL_APPLIED] = wanted
    state.remember_applied()  # a reload with the link still in the address bar does not act on it again
    patient_id, viewer_text = wanted
    svc, today = state.service(), state.today()
    if not patient_id:
        st.error("The link does not say whose record to open. Add ?patient= and the record's id, or choose below.")
        return
    if patient_id not in {p.id for p in svc.patients(today)}:
        st.error("The link names a record that is not in this store. Check the link, or choose below.")
        return
    try:
        viewer = Viewer.parse(patient_id, viewer_text)
    except ViewerError as exc:
        st.error(str(exc))
        return
    current = state.viewer()
    if current is not None:  # a signed-in (or restored) view wins: a link never widens or replaces it
        if viewer not in (current, st.session_state.get(state.HOME)):
            st.warning(f"You are signed in as {signed_in_as(current)}. Sign out first to open another view.")
        return
    if viewer.kind == "patient":
        state.sign_in({"kind": "patient"}, viewer)
    elif viewer.kind == "clinic":
        state.sign_in({"kind": "nurse"}, viewer)
    else:
        links = [l for l in svc.carers(today) if l.related_person_id == viewer.proxy_id]
        if not links or links[0].patient_id != patient_id:
            st.error("The link names a carer who is not linked to this record. Check the link, or choose below.")
            return
        name = links[0].proxy_name
        mine = switch_options([(l.related_person_id, l.patient_id) for l in svc.carers(today) if l.proxy_name == name],
                              viewer.proxy_id, patient_id)  # one per person, the sidebar's rule
        state.sign_in({"kind": "carer", "name": name, "links": mine}, viewer)


def signed_in_as(current: Viewer) -> str:
    """Who this session is signed in as, in the sidebar's plain words."""
    if current.kind == "proxy":
        return f"{state.role().get('name') or 'a carer'}, a carer"
    return "the clinic shared screen" if current.kind == "clinic" else "the patient"


# Every page a viewer may have, by url_path: (script, title, icon). Condition views add theirs from
# the registry. No url_path equals a file name in pages/: Streamlit serves those names itself (state.guard).
RECORD = {
    "home": ("pages/overview.py", "Overview", ":material/home:"),
    "conditions": ("pages/condition.py", "Conditions", ":material/favorite:"),
    "test-results": ("pages/results.py", "Results", ":material/monitoring:"),
    "medicines": ("pages/medications.py", "Medicines", ":material/medication:"),
    "my-letters": ("pages/letters.py", "Letters", ":material/mail:"),
    "care-plan": ("pages/care_plan.py", "Care plan and goals", ":material/flag:"),
    "readings-at-home": ("pages/home_readings.py", "Home readings", ":material/ecg_heart:"),
    "my-appointments": ("pages/appointments.py", "Appointments", ":material/event:"),
    "repeat-prescriptions": ("pages/repeats.py", "Repeat prescriptions", ":material/pill:"),  # issue 21
    "my-questions": ("pages/questions.py", "My questions", ":material/help:"),
    "check-my-record": ("pages/feedback.py", "Check my record", ":material/rate_review:"),
    "more-of-my-record": ("pages/record_requests.py", "Ask for more of the record", ":material/post_add:"),
    "my-settings": ("pages/preferences.py", "Settings", ":material/settings:"),
    "carer-view": ("pages/carer_preview.py", "What my carer can see", ":material/visibility:"),
    "access-log": ("pages/access_log.py", "Who has looked", ":material/history:"),
    "import-a-file": ("pages/import_file.py", "Import a file", ":material/upload_file:"),
}
SIGN_IN, CONNECT, NEUTRAL = "sign-in", "connect-record", "recipes"


def condition_paths() -> dict[str, str]:
    """Each condition view's url_path (its id with hyphens) and title, in registry order."""
    return {spec.id.replace("_", "-"): spec.title for spec in REGISTRY}


def known_paths() -> dict[str, str]:
    """Every url_path the app has for anyone, with its title: a reload or bookmark of any of them is
    routed (to sign-in, or to a plain "not in this view") and never meets "Page not found"."""
    return {**{url: title for url, (_, title, _) in RECORD.items()}, **condition_paths(),
            SIGN_IN: "Sign in", CONNECT: "Connect a record", NEUTRAL: "Recipes"}


def record_page(url: str, title: str | None = None, **options):
    """The page at `url`, with its RECORD title unless the viewer's words differ (a carer's)."""
    script, default_title, icon = RECORD[url]
    return st.Page(script, title=title or default_title, icon=icon, url_path=url, **options)


def build_pages(summary: Summary) -> tuple[dict, dict[str, str]]:
    """The navigation for this viewer, and which condition view each condition page shows."""
    kind = summary.viewer.kind
    shown = {view.id: view for view in summary.conditions}
    overview = record_page("home", default=True)
    record = [record_page(url) for url in ("test-results", "medicines", "my-letters", "care-plan", "readings-at-home")]
    questions = record_page("my-questions", title=page_title("questions", kind))
    appointments = record_page("my-appointments")
    view_pages: dict[str, str] = {}
    if kind == "clinic":
        conditions = [record_page("conditions")] if shown else []
        return {"Shared screen": [overview, *conditions, *record, appointments, questions]}, view_pages
    if kind == "proxy" and summary.denied:
        return {"": [overview]}, view_pages
    conditions = []
    for spec in REGISTRY:  # registry order, only the views this summary holds
        if spec.id in shown:
            url = spec.id.replace("_", "-")
            view_pages[url] = spec.id
            conditions.append(st.Page("pages/condition.py", title=shown[spec.id].title, icon=":material/favorite:", url_path=url))
    pages = {"": [overview], "Conditions": conditions,
             "Record": [*record, record_page("repeat-prescriptions"),  # never on the shared screen (issue 21)
                        record_page("check-my-record", title=page_title("feedback", kind)),
                        record_page("more-of-my-record")],
             "Appointment": [appointments, questions]}
    if kind == "patient":
        pages["Settings and privacy"] = [record_page(url) for url in ("my-settings", "carer-view", "access-log")]
        pages["Add to my record"] = [connect_page(), record_page("import-a-file")]
    elif kind == "proxy":  # a carer syncs their record again over the connection they kept (pages/connect.py)
        pages["Keep it up to date"] = [connect_page(title="Sync their record")]
    return {section: items for section, items in pages.items() if items}, view_pages


def with_hidden(pages: dict, home) -> dict:
    """The viewer's navigation plus, hidden from the menu, every other known url_path. Sign-in (a
    reload just after signing in) and Connect a record (where a SMART sign-in's answer lands, for a
    carer too) go on to the overview; any other says plainly that the page is not part of this
    view (a carer's reload of a patient-only bookmark)."""
    taken = {page.url_path for items in pages.values() for page in items} | {"home"}  # the default's is ""

    def to_home() -> None:
        st.switch_page(home)

    def not_here() -> None:
        st.title("This page is not part of this view", anchor=False)
        st.write("It shows only for some people who use the app, or for another record.")
        st.page_link(home, label="Go to the overview", icon=":material/home:")

    hidden = [st.Page(to_home if url in (SIGN_IN, CONNECT) else not_here, title=title, url_path=url, visibility="hidden")
              for url, title in known_paths().items() if url not in taken]
    return {**pages, "": [*pages.get("", []), *hidden]}


def connect_page(default: bool = False, title: str = "Connect a record"):
    """Connect a record: a patient's page (for a carer, "Sync their record" over the connection they
    kept), the way in when a login is configured, and where a SMART sign-in's answer
    (`?code=&state=`, often in a new browser tab and session) is finished."""
    return st.Page("pages/connect.py", title=title, icon=":material/sync:", url_path=CONNECT,
                   default=default)


def entry_pages() -> list:
    """Before anyone is signed in: Connect a record first when a login is configured (the way in) or
    a SMART sign-in's answer (?state=) came back, whatever page the browser lands on; else the chooser.
    Every other known url_path (a reload, a bookmark, the page left by quick exit) is the same
    way in, hidden from any menu, so the app never says "Page not found"."""
    login = settings.login_configured()
    connect_first = login or "state" in st.query_params
    way_in = "pages/connect.py" if login else "pages/sign_in.py"
    chooser = [] if login else [st.Page("pages/sign_in.py", title="Sign in", icon="🔑", url_path=SIGN_IN,
                                        default=not connect_first)]
    hidden = [st.Page(way_in, title=title, url_path=url, visibility="hidden")
              for url, title in known_paths().items() if url not in (SIGN_IN, CONNECT)]
    return [connect_page(default=connect_first), *chooser, *hidden]


def signed_out(page) -> None:
    """Before the way in runs: after the person signed out, the next one starts at the app's bare
    address (not at the page the last person was on); at a record page's address otherwise (a
    reload after the sign-in ended, a bookmark), the sign-in page says why and leads back there."""
    if page.url_path in (SIGN_IN, CONNECT, NEUTRAL, ""):
        st.session_state.pop(state.LEFT, None)
        return
    if st.session_state.pop(state.LEFT, None):
        st.switch_page(next(p for p in entry_pages() if p.url_path == ""))
    st.session_state[state.SIGNED_OUT] = "page"


def exited() -> None:
    """After quick exit: the neutral page only, at the app's bare address, with the URL's parameters
    and the browser's sign-in cookie gone. Every other url_path (Back to a record page) moves
    there too, so neither Back nor a reload shows or names a page of the record."""
    st.set_page_config(page_title="Recipes", page_icon="🍲", layout="centered")
    st.query_params.clear()
    behaviour.mark_exited()  # the token goes; a reload in this browser shows this page again
    neutral = st.Page("pages/neutral.py", title="Recipes", icon="🍲", url_path=NEUTRAL, default=True)
    hidden = [st.Page("pages/neutral.py", title="Recipes", url_path=url, visibility="hidden")
              for url in known_paths() if url != NEUTRAL]
    page = st.navigation([neutral, *hidden], position="hidden")
    if page is not neutral:
        st.switch_page(neutral)
    page.run()


def main() -> None:
    first_run_as_v1 = bool(PagesManager.uses_pages_directory)  # see behaviour.close_first_run_not_found
    if st.session_state.get(state.EXITED) or state.exit_marked():
        st.session_state[state.EXITED] = True
        exited()
        return
    st.set_page_config(page_title="Health record", page_icon="📋", layout="centered")
    ui.base_style()
    behaviour.style()
    if first_run_as_v1:
        behaviour.close_first_run_not_found()
    state.new_run()
    try:
        state.service()
        state.today()
        if state.viewer() is not None and not state.sign_in_still_live():
            state.end_stale_sign_in()  # signed out or quick exit in another tab, or idle too long
        state.restore_sign_in()
        if not settings.login_configured():
            route_from_url()
    except (settings.SettingsError, door.StoreError) as exc:
        st.error(f"The app cannot start: {exc}")
        return
    if state.viewer() is None:
        behaviour.drop_cookie()
        if st.session_state.get(state.NEUTRAL_LEFT):
            behaviour.drop_cookie(EXITED_COOKIE)  # they chose "Sign in" on the neutral page
        page = st.navigation(entry_pages(), position="hidden")
        signed_out(page)
        ui.quick_exit_button()
        run(page, "signed-out")
        return
    behaviour.keep_cookie(st.session_state[state.TOKEN])
    summary = state.summary(progress=True)
    pages, view_pages = build_pages(summary)
    page = st.navigation(with_hidden(pages, pages[next(iter(pages))][0]))
    st.session_state[state.VIEW_ID] = view_pages.get(page.url_path)
    sidebar.controls(summary)
    ui.quick_exit_button()
    state.log_view(page.title)
    run(page, state.viewer().key)


def run(page, who: str) -> None:
    """Run the chosen page, marked as reached through the app (see state.guard), then move keyboard
    focus to its heading when the page or the viewer changed."""
    st.session_state[state.ROUTED] = True
    try:
        page.run()
    finally:
        st.session_state.pop(state.ROUTED, None)
        behaviour.focus_heading(f"{who}:{page.url_path}")


main()
