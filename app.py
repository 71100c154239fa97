"""The Streamlit app: settings, sign-in, and the navigation built from the condition registry.

    .venv/bin/streamlit run app.py --server.address 127.0.0.1     (make run)

Pages live in pages/ and draw the one `Summary` the CLI prints; every read goes through
`service.Service` for the viewer held in the session (see pages/state.py).
"""

from __future__ import annotations

import pandas  # noqa: F401  before the store: its quick sqlite_utils import hides pandas for a moment,
import streamlit as st  # and a second session starting then must find pandas already loaded

import service as door
import settings
from conditions import REGISTRY
from pages import sidebar, state, ui
from pages.carer_choice import switch_options
from pages.text import page_title
from record.access import Viewer, ViewerError
from summary import Summary

def route_from_url() -> None:
    """Local mode only: `?patient=ID&viewer=patient|proxy:RelatedPerson/ID|clinic` opens that view."""
    params = st.query_params
    if "patient" not in params and "viewer" not in params:
        return
    wanted = (params.get("patient", ""), params.get("viewer", "patient"))
    if st.session_state.get(state.URL_APPLIED) == wanted:
        return
    st.session_state[state.URL_APPLIED] = wanted
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


def build_pages(summary: Summary) -> tuple[dict, dict[str, str]]:
    """The navigation for this viewer, and which condition view each condition page shows.

    No url_path equals a file name in pages/: Streamlit serves those names itself (state.guard)."""
    kind = summary.viewer.kind
    shown = {view.id: view for view in summary.conditions}
    overview = st.Page("pages/overview.py", title="Overview", icon=":material/home:", url_path="home", default=True)
    record = [
        st.Page("pages/results.py", title="Results", icon=":material/monitoring:", url_path="test-results"),
        st.Page("pages/medications.py", title="Medicines", icon=":material/medication:", url_path="medicines"),
        st.Page("pages/letters.py", title="Letters", icon=":material/mail:", url_path="my-letters"),
        st.Page("pages/care_plan.py", title="Care plan and goals", icon=":material/flag:", url_path="care-plan"),
        st.Page("pages/home_readings.py", title="Home readings", icon=":material/ecg_heart:", url_path="readings-at-home"),
    ]
    questions = st.Page("pages/questions.py", title=page_title("questions", kind), icon=":material/help:", url_path="my-questions")
    view_pages: dict[str, str] = {}
    if kind == "clinic":
        conditions = [st.Page("pages/condition.py", title="Conditions", icon=":material/favorite:", url_path="conditions")] if shown else []
        return {"Shared screen": [overview, *conditions, *record, questions]}, view_pages
    if kind == "proxy" and summary.denied:
        return {"": [overview]}, view_pages
    conditions = []
    for spec in REGISTRY:  # registry order, only the views this summary holds
        if spec.id in shown:
            url = spec.id.replace("_", "-")
            view_pages[url] = spec.id
            conditions.append(st.Page("pages/condition.py", title=shown[spec.id].title, icon=":material/favorite:", url_path=url))
    check = st.Page("pages/feedback.py", title=page_title("feedback", kind), icon=":material/rate_review:", url_path="check-my-record")
    pages = {"": [overview], "Conditions": conditions, "Record": [*record, check], "Appointment": [questions]}
    if kind == "patient":
        pages["Settings and privacy"] = [
            st.Page("pages/preferences.py", title="Settings", icon=":material/settings:", url_path="my-settings"),
            st.Page("pages/carer_preview.py", title="What my carer can see", icon=":material/visibility:", url_path="carer-view"),
            st.Page("pages/access_log.py", title="Who has looked", icon=":material/history:", url_path="access-log"),
        ]
        pages["Add to my record"] = [
            connect_page(),
            st.Page("pages/import_file.py", title="Import a file", icon=":material/upload_file:", url_path="import-a-file"),
        ]
    elif kind == "proxy":  # a carer syncs their record again over the connection they kept (pages/connect.py)
        pages["Keep it up to date"] = [connect_page(title="Sync their record")]
    return {section: items for section, items in pages.items() if items}, view_pages


def connect_page(default: bool = False, title: str = "Connect a record"):
    """Connect a record: a patient's page (for a carer, "Sync their record" over the connection they
    kept), the way in when a login is configured, and where a SMART sign-in's answer
    (`?code=&state=`, often in a new browser tab and session) is finished."""
    return st.Page("pages/connect.py", title=title, icon=":material/sync:", url_path="connect-record",
                   default=default)


def entry_pages() -> list:
    """Before anyone is signed in: Connect a record first when a login is configured (the way in) or
    a SMART sign-in's answer (?state=) came back, whatever page the browser lands on; else the chooser."""
    login = settings.login_configured()
    connect_first = login or "state" in st.query_params
    chooser = [] if login else [st.Page("pages/sign_in.py", title="Sign in", icon="🔑", url_path="sign-in",
                                        default=not connect_first)]
    return [connect_page(default=connect_first), *chooser]


def main() -> None:
    if st.session_state.get(state.EXITED):
        st.set_page_config(page_title="Recipes", page_icon="🍲", layout="centered")
        st.query_params.clear()
        neutral = st.Page("pages/neutral.py", title="Recipes", icon="🍲", url_path="recipes", default=True)
        st.navigation([neutral], position="hidden").run()
        return
    st.set_page_config(page_title="Health record", page_icon="📋", layout="centered")
    ui.base_style()
    state.new_run()
    try:
        state.service()
        state.today()
        if not settings.login_configured():
            route_from_url()
    except (settings.SettingsError, door.StoreError) as exc:
        st.error(f"The app cannot start: {exc}")
        return
    if state.viewer() is None:
        page = st.navigation(entry_pages(), position="hidden")
        ui.quick_exit_button()
        run(page)
        return
    summary = state.summary(progress=True)
    pages, view_pages = build_pages(summary)
    page = st.navigation(pages)
    st.session_state[state.VIEW_ID] = view_pages.get(page.url_path)
    sidebar.controls(summary)
    ui.quick_exit_button()
    state.log_view(page.title)
    run(page)


def run(page) -> None:
    """Run the chosen page, marked as reached through the app (see state.guard)."""
    st.session_state[state.ROUTED] = True
    try:
        page.run()
    finally:
        st.session_state.pop(state.ROUTED, None)


main()
