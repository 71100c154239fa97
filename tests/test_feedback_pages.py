"""The "Check my record" page and the flag control other pages put under an entry (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages import state

from test_exports_support import export_store_template, service, today, viewer  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
HBA1C = "Observation/dm-obs-hba1c-2026-10-12"


@pytest.fixture
def app_db(service, monkeypatch):
    """The test's store, chosen for the app through LTC_DB."""
    monkeypatch.setenv("LTC_DB", str(service.store_path))
    return service


def page(who) -> AppTest:
    """pages/feedback.py run on its own for one viewer."""
    at = AppTest.from_file(str(ROOT / "pages" / "feedback.py"), default_timeout=TIMEOUT)
    at.session_state["viewer"] = who
    at.session_state[state.ROUTED] = True  # as app.py sets it: the page is reached through the app
    return at.run()


def widget_script():
    """A page that shows the flag control under the diabetes patient's latest HbA1c."""
    from pages import state
    from pages.feedback_widget import flag_control

    svc = state.service()
    record = svc.record(state.viewer(), state.today())
    flag_control(svc, state.viewer(), next(r for r in record.results if r.id == "dm-obs-hba1c-2026-10-12"))


def widget(who) -> AppTest:
    at = AppTest.from_function(widget_script, default_timeout=TIMEOUT)
    at.session_state["viewer"] = who
    at.session_state[state.ROUTED] = True  # as app.py sets it: the page is reached through the app
    return at.run()


def test_page_lists_flags_and_changes_their_status(app_db):
    """The patient sees each flag with what the entry says and its status, and can mark it sent."""
    who = viewer("dm-patient")
    flag = app_db.flag_entry(who, today(), HBA1C, "looks_wrong", "I was ill that week")
    at = page(who)
    assert not at.exception and not at.error
    shown = " ".join(m.value for m in at.markdown)
    assert "blood sugar \\(HbA1c\\): 61 mmol/mol \\(high\\)" in shown and "I was ill that week" in shown
    at.selectbox(key=f"flag-status-{flag}-draft").set_value("sent").run()
    assert not at.exception
    assert app_db.flags(who, today())[0].status == "sent"
    assert "I was ill that week" in at.text[0].value  # the request letter, shown in full


def test_page_explains_instead_for_shared_screen_and_carer_without_rights(app_db):
    """The shared screen and a carer whose consent lacks corrections see an explanation and no comments."""
    app_db.flag_entry(viewer("dm-patient"), today(), HBA1C, "comment", "Private words")
    clinic = page(viewer("dm-patient", "clinic"))
    assert "not shown on the shared screen" in clinic.info[0].value
    carer = page(viewer("dem-patient", "proxy:RelatedPerson/dem-rp-daughter"))
    assert "does not include asking the practice to correct it" in carer.info[0].value
    for at in (clinic, carer):
        assert not at.exception and "Private words" not in str([m.value for m in at.markdown])


def test_flag_control_saves_a_flag_on_the_entry(app_db):
    """Filling in the control under an entry keeps a flag on that entry, shown under it afterwards."""
    at = widget(viewer("dm-patient"))
    key = "flag-Observation-dm-obs-hba1c-2026-10-12"
    at.radio(key=f"{key}-kind").set_value("looks_wrong")
    at.text_area(key=f"{key}-text").input("This was on a bad day")
    at.button[0].click().run()
    assert not at.exception and not at.error
    [row] = app_db.comments("dm-patient")
    assert (row["resource_id"], row["kind"], row["resource_version"]) == ("dm-obs-hba1c-2026-10-12", "looks_wrong", "1")
    assert "This was on a bad day" in " ".join(c.value for c in at.caption)


def test_flag_control_draws_nothing_on_the_shared_screen(app_db):
    """The shared screen gets no flag control."""
    at = widget(viewer("dm-patient", "clinic"))
    assert not at.exception and not at.button and not at.text_area
