"""The Home readings page (issue 20): add with a form that keeps what was typed and says why when a
reading is refused, change, delete only after confirming; a carer without the right to add sees no
form; the shared screen shows readings read-only, and none once the person hid them. Inputs: the
demo store (tests/test_app_support.py) and readings typed here."""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, open_expanders, texts,
)


def page(patient=DIABETES, viewer="patient"):
    at = go(open_app(patient, viewer), "home_readings")
    no_errors(at)
    return at


def lines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Home**")]


def type_bp(at, top: str, bottom: str, pulse: str = ""):
    at.text_input(key="hr-systolic").input(top)
    at.text_input(key="hr-diastolic").input(bottom)
    at.text_input(key="hr-pulse").input(pulse)
    return at


def test_a_reading_is_added_and_listed_marked_home(demo_db):
    """138/86 typed and saved shows in the list as a home reading with its date and who entered it."""
    at = page()
    type_bp(at, "138", "86", "70")
    at.button(key="hr-save").click().run()
    no_errors(at)
    assert lines(at) == ["**Home** blood pressure: 138/86 mmHg, pulse 70. 25 November 2026 at 08:00, entered by you."]
    assert at.text_input(key="hr-systolic").value == ""  # the form is ready for the next one


def test_a_refused_reading_keeps_what_was_typed_and_says_why(demo_db):
    """Upside-down numbers: a plain reason, nothing saved, both numbers still in their fields."""
    at = page()
    type_bp(at, "86", "138")
    at.button(key="hr-save").click().run()
    assert not at.exception
    said = at.error[0].value.replace("\\", "") if at.error else ""  # Markdown escapes removed
    assert "Not saved." in said and "wrong way round" in said
    assert (at.text_input(key="hr-systolic").value, at.text_input(key="hr-diastolic").value) == ("86", "138")
    assert lines(at) == []


def test_a_time_is_typed_and_a_wrong_one_is_kept_and_explained(demo_db):
    """The time is typed (Streamlit's time picker failed axe's target size and wrapped the time in
    bidi isolates): "19.30" is read as 19:30; "7pm" is refused in plain words, kept as typed, and
    nothing is saved."""
    at = page()
    type_bp(at, "138", "86")
    at.text_input(key="hr-time").input("7pm")
    at.button(key="hr-save").click().run()
    said = at.error[0].value.replace("\\", "") if at.error else ""
    assert "24-hour clock" in said and lines(at) == []
    assert at.text_input(key="hr-time").value == "7pm" and at.text_input(key="hr-systolic").value == "138"
    at.text_input(key="hr-time").input("19.30")
    at.button(key="hr-save").click().run()
    no_errors(at)
    assert lines(at) == ["**Home** blood pressure: 138/86 mmHg. 25 November 2026 at 19:30, entered by you."]


def test_weight_in_stones_is_saved_in_kg_then_changed(demo_db):
    """12 st 4 lb is listed as 78 kg; Change fills the form, and saving the new value replaces it."""
    at = page()
    at.radio(key="hr-kind").set_value("Weight").run()
    at.text_input(key="hr-value").input("12 st 4 lb")
    at.button(key="hr-save").click().run()
    assert "78 kg" in lines(at)[0]
    change = next(b for b in at.button if b.key and b.key.startswith("hr-change-"))
    change.click().run()
    assert at.text_input(key="hr-value").value == "78"
    at.text_input(key="hr-value").input("77.5")
    at.button(key="hr-save").click().run()
    no_errors(at)
    assert len(lines(at)) == 1 and "77.5 kg" in lines(at)[0]


def test_delete_asks_first(demo_db):
    """Delete asks to confirm; "No, keep it" keeps the reading; "Yes, delete it" removes it."""
    at = page()
    type_bp(at, "138", "86")
    at.button(key="hr-save").click().run()
    rid = next(b.key for b in at.button if b.key and b.key.startswith("hr-delete-")).rsplit("-", 1)[1]
    at.button(key=f"hr-delete-{rid}").click().run()
    assert at.warning and "cannot be undone" in at.warning[0].value and len(lines(at)) == 1
    at.button(key=f"hr-no-{rid}").click().run()
    assert len(lines(at)) == 1 and not at.warning
    at.button(key=f"hr-delete-{rid}").click().run()
    at.button(key=f"hr-yes-{rid}").click().run()
    no_errors(at)
    assert lines(at) == []


def test_a_carer_without_the_right_to_add_sees_no_form(demo_db):
    """The daughter's consent has no correct/amend action: no form, a plain word on how to arrange it."""
    at = page(DEMENTIA, DAUGHTER)
    assert not [w for w in at.text_input if w.key and w.key.startswith("hr-")]
    assert "consent on their record lets you add" in at.info[0].value


def test_the_shared_screen_shows_readings_read_only_unless_hidden(demo_db):
    """Readings the patient added show on the shared screen with no buttons; hidden, they do not."""
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard import settings

    svc = open_service(str(demo_db))
    svc.add_reading(Viewer(kind="patient", patient_id=DIABETES), settings.today(), "bp", "138/86", "2026-11-20 07:00")
    at = page(DIABETES, "clinic")
    assert len(lines(at)) == 1 and not [b for b in at.button if b.key and b.key.startswith("hr-")]
    svc.set_preference(Viewer(kind="patient", patient_id=DIABETES), "shared_screen_readings", "hide")
    at = page(DIABETES, "clinic")
    assert lines(at) == [] and "138/86" not in texts(at)


def test_the_person_hides_readings_from_the_shared_screen_in_settings(demo_db):
    """Turning off "Show my home readings on the shared screen" in Settings hides them there."""
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard import settings

    svc = open_service(str(demo_db))
    svc.add_reading(Viewer(kind="patient", patient_id=DIABETES), settings.today(), "weight", "80", "2026-11-20 07:00")
    at = go(open_app(DIABETES), "preferences")
    assert at.toggle(key="pref_shared_readings").value is True
    at.toggle(key="pref_shared_readings").set_value(False).run()
    no_errors(at)
    assert open_service(str(demo_db)).preferences(DIABETES)["shared_screen_readings"] == "hide"
    assert lines(page(DIABETES, "clinic")) == []


def test_the_condition_page_charts_and_tables_show_home_readings_apart(demo_db):
    """A home blood pressure shows on the diabetes view's chart under its own legend entry, in its
    sentence, and in the table marked "home" and "not compared with the target"."""
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard import settings

    from pages.charts import HOME_LEGEND, HOME_WORDS

    open_service(str(demo_db)).add_reading(Viewer(kind="patient", patient_id=DIABETES), settings.today(), "bp",
                                           "163/97", "2026-11-20 07:00")
    at = open_expanders(go(open_app(DIABETES), "condition"))
    no_errors(at)
    shown = texts(at)
    assert HOME_LEGEND in shown and "Also 1 home reading on 20 November 2026" in shown
    rows = [row for t in at.table for row in t.value.to_dict("records") if "How it compares" in row]
    assert {"Date": "20 November 2026", "Result": "163 mmHg (home)", "How it compares": HOME_WORDS} in rows


def test_the_results_page_charts_a_measure_that_has_only_home_readings(demo_db):
    """Blood sugar, which no view of the diabetes record tracks and the GP has not recorded, is
    offered on the Results page once there is a home reading, and its table marks it "home"."""
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard import settings

    from pages.charts import HOME_LEGEND

    open_service(str(demo_db)).add_reading(Viewer(kind="patient", patient_id=DIABETES), settings.today(),
                                           "glucose", "6.2", "2026-11-20 07:00", context="waking")
    at = go(open_app(DIABETES), "results")
    box = at.selectbox(key="results_measure")
    glucose = next(n for n, option in enumerate(box.options) if option.startswith("Blood sugar level"))
    box.select_index(glucose).run()
    open_expanders(at)
    no_errors(at)
    rows = [row for t in at.table for row in t.value.to_dict("records") if "How it compares" in row]
    assert rows == [{"Date": "20 November 2026", "Result": "6.2 mmol/L (home, on waking)",
                     "How it compares": "Home reading: not compared with the target"}]
    assert HOME_LEGEND in texts(at)


BP_FILE = (b"Date,Time,SYS (mmHg),DIA (mmHg),Pulse (bpm)\n12/11/2026,07:30,138,86,70\n"
           b"12/11/2026,07:31,400,86,70\n13/11/2026,21:00,136,84,\n")


def upload(at, data: bytes, name: str = "readings.csv"):
    """Give the page's uploader a file, as choosing it would, and run."""
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def test_a_file_is_previewed_and_counted_and_saved_only_when_accepted(demo_db):
    """A device file: the count, the rejected line with its reason and a preview show first, nothing
    is saved until "Save the 2 readings that can be kept", then both are listed."""
    at = page()
    at = upload(at, BP_FILE)
    no_errors(at)
    shown = texts(at)
    assert "**2** blood pressure readings can be kept, **1** cannot" in shown
    assert at.warning and "Line 3 cannot be kept: 400 mmHg is not a possible top number" in \
        at.warning[0].value.replace("\\", "")
    assert lines(at) == []
    at.button(key="hr-file-save").click().run()
    no_errors(at)
    assert [line.split(":")[1].split(".")[0].strip() for line in lines(at)] == ["136/84 mmHg", "138/86 mmHg, pulse 70"]
    assert "Saved 2 readings." in [s.value for s in at.success]


def test_a_file_that_is_not_readings_saves_nothing_and_its_text_is_not_markup(demo_db):
    """A file whose header is not readings is refused in words; a header written as Markdown or HTML
    is shown as text, and no save button is offered."""
    at = upload(page(), b"**bold** <img src=x>,[link](http://example.org)\n1,2\n")
    assert not at.exception
    said = at.error[0].value
    assert "This file cannot be imported" in said.replace("\\", "") and "No date column" in said
    assert "**bold**" not in said and "<img" not in said.replace("\\<", "") and "](http" not in said
    assert not [b for b in at.button if b.key == "hr-file-save"] and lines(at) == []
