"""Outside attack on what the server keeps in memory, through the app's own sessions (issue 18,
hazard H24): AppTest instances in one process share the one `st.cache_resource` Service, as two
browser tabs on one server do. The promise under attack: nothing kept for one viewer reaches
another, and nothing of a session's views survives its sign-out or quick exit.

Records: the demo store (data/demo/README.md); the second person a carer looks after is made the
way tests/test_app_sign_in.py::test_carer_of_several_people_switches_between_them makes her, from
the demo daughter's own RelatedPerson and Consent re-pointed at the demo's dem2-patient.
"""

from __future__ import annotations

import copy
import re


from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.store import Store
from pages import state
from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, PSY_ENTRY, SDV_LETTER, demo_db, demo_db_template, go, no_errors,
    open_app, open_expanders, texts,
)

PSY_VALUE = "Low risk of harm to self or others at present"  # mh-obs-mh-risk-assessment-2025-06-16
DAUGHTER_ID = "dem-rp-daughter"
REVIEW = "Memory assessment service: review"  # a letter the daughter may read (data/demo/README.md)


def held() -> set[str]:
    return state.service().held_viewers()


def key(kind: str, patient: str, proxy: str | None = None) -> str:
    return Viewer(kind=kind, patient_id=patient, proxy_id=proxy).key


def second_person_for_susan(db) -> None:
    """Susan (the demo daughter) recorded as carer of dem2-patient too (see the module note)."""
    store = Store(db)
    raw = {r["id"]: r for r in store.resources_for(DEMENTIA)}
    person, consent = copy.deepcopy(raw[DAUGHTER_ID]), copy.deepcopy(raw["dem-consent-proxy-daughter"])
    person.update(id="dem2-rp-susan", patient={"reference": "Patient/dem2-patient"})
    consent.update(id="dem2-consent-proxy-susan", patient={"reference": "Patient/dem2-patient"})
    consent["provision"]["actor"][0]["reference"] = {"reference": "RelatedPerson/dem2-rp-susan"}
    store.put([person, consent])
    store.close()


def test_a_carer_who_switched_people_leaves_neither_view_after_sign_out(demo_db):
    """Susan opens Dorothy's record, switches to George's in the sidebar, then signs out: the
    server keeps neither of her carer views."""
    second_person_for_susan(demo_db)
    at = open_app(DEMENTIA, DAUGHTER)
    go(at, "overview")
    dorothy = key("proxy", DEMENTIA, DAUGHTER_ID)
    assert dorothy in held()
    at.sidebar.selectbox[0].select("George Testcase").run()
    no_errors(at)
    george = key("proxy", "dem2-patient", "dem2-rp-susan")
    assert george in held()
    at.sidebar.button(key="sign_out").click().run()
    no_errors(at)
    assert not {dorothy, george} & held()


def test_a_carer_who_switched_people_leaves_neither_view_after_quick_exit(demo_db):
    """As above, leaving by quick exit instead of signing out."""
    second_person_for_susan(demo_db)
    at = open_app(DEMENTIA, DAUGHTER)
    at.sidebar.selectbox[0].select("George Testcase").run()
    no_errors(at)
    at.button(key="quick_exit_button").click().run()
    no_errors(at)
    assert not {key("proxy", DEMENTIA, DAUGHTER_ID), key("proxy", "dem2-patient", "dem2-rp-susan")} & held()


def test_shared_screen_left_then_sign_out_leaves_neither_view(demo_db):
    """The patient turns the shared screen on, leaves it (with the confirmation), then signs
    out: neither her own view nor the clinic view of her record is kept."""
    at = open_app(BIPOLAR, "patient")
    at.sidebar.toggle[0].set_value(True).run()
    no_errors(at)
    clinic = key("clinic", BIPOLAR)
    assert clinic in held()
    at.sidebar.button(key="leave_shared").click().run()
    at.sidebar.button(key="confirm_leave").click().run()
    no_errors(at)
    assert at.session_state["viewer"].kind == "patient"
    at.sidebar.button(key="sign_out").click().run()
    no_errors(at)
    assert not {key("patient", BIPOLAR), clinic} & held()


def test_a_new_sign_in_in_the_same_session_forgets_the_previous_person(demo_db):
    """Rajesh's record is open in a tab; the same tab then opens Dorothy's by the local link.
    Since the navigation attack (tests/test_attack_nav.py) a signed-in view wins over a link: the
    link leaves Rajesh's view as it is and asks to sign out first. Once he signs out and the link is
    opened again (a new page load), Dorothy's record opens and Rajesh's view must not stay kept behind a session that
    is no longer his."""
    at = open_app(DIABETES, "patient")
    go(at, "condition")
    no_errors(at)
    assert key("patient", DIABETES) in held()
    at.query_params["patient"] = DEMENTIA
    at.query_params["viewer"] = "patient"
    at.run()
    no_errors(at)
    assert at.session_state["viewer"].patient_id == DIABETES  # the link did not sign in over him
    at.sidebar.button(key="sign_out").click().run()
    assert key("patient", DIABETES) not in held()
    again = open_app(DEMENTIA, "patient")  # the link opened afresh after signing out (a new page load)
    no_errors(again)
    assert again.session_state["viewer"].patient_id == DEMENTIA
    assert key("patient", DIABETES) not in held()


def test_a_carer_session_leaves_nothing_of_the_patient_after_sign_out(demo_db):
    """Susan signs in from the sign-in page, reads Dorothy's letters and signs out. Nobody else
    used the server: it keeps no view of Dorothy's record at all."""
    at = open_app()
    at.radio(key="sign_in_kind").set_value("A carer").run()
    at.selectbox(key="sign_in_carer").select("Susan Specimen").run()
    at.button(key="open_carer").click().run()
    no_errors(at)
    go(at, "letters")
    no_errors(at)
    at.sidebar.button(key="sign_out").click().run()
    no_errors(at)
    assert not {k for k in held() if k.startswith(f"{DEMENTIA}|")}


def test_quick_exit_as_carer_then_a_new_link_in_the_same_session_shows_no_record(demo_db):
    """Susan leaves by quick exit; the same browser session is then pointed at Rajesh's record by
    the local link: only the neutral page shows (no record of anyone), and the server keeps no
    carer view of Dorothy."""
    at = open_app(DEMENTIA, DAUGHTER)
    go(at, "letters")
    no_errors(at)
    assert "Memory assessment" in texts(at)
    at.button(key="quick_exit_button").click().run()
    no_errors(at)
    assert key("proxy", DEMENTIA, DAUGHTER_ID) not in held()
    at.query_params["patient"] = DIABETES
    at.query_params["viewer"] = "patient"
    at.run()
    no_errors(at)
    seen = texts(at)
    assert "viewer" not in at.session_state
    assert not [name for name in ("Dorothy Specimen", "Rajesh Example", "Memory assessment") if name in seen]
    assert key("proxy", DEMENTIA, DAUGHTER_ID) not in held() and key("patient", DIABETES) not in held()


def test_clinic_screen_after_the_patient_never_shows_the_hidden_entry_in_an_opened_expander(demo_db):
    """The bipolar patient opens results with every table's expander open (the risk assessment
    drawn); a nurse's shared screen of the same record on the same server then opens every
    expander of results and conditions: the hidden entry is nowhere; and the patient's next run
    still shows it (the clinic view did not narrow what is kept for her)."""
    mine = open_app(BIPOLAR, "patient")
    open_expanders(go(mine, "results"))
    no_errors(mine)
    assert PSY_VALUE in texts(mine) or PSY_ENTRY in texts(mine)
    nurse = open_app(BIPOLAR, "clinic")
    for page in ("results", "condition", "overview"):
        open_expanders(go(nurse, page))
        no_errors(nurse)
        assert PSY_VALUE not in texts(nurse) and PSY_ENTRY not in texts(nurse), page
    open_expanders(go(mine, "results"))
    assert PSY_VALUE in texts(mine) or PSY_ENTRY in texts(mine)


def test_carer_opened_lazily_after_the_patient_never_gets_the_sdv_letter(demo_db):
    """Dorothy reads the safeguarding letter; then Susan, on the same server, opens every
    expander on letters, results and the overview: the letter's title is nowhere in her screens."""
    mine = open_app(DEMENTIA, "patient")
    go(mine, "letters")
    assert SDV_LETTER in texts(mine)
    theirs = open_app(DEMENTIA, DAUGHTER)
    for page in ("letters", "results", "overview", "care_plan"):
        open_expanders(go(theirs, page))
        no_errors(theirs)
        assert SDV_LETTER not in texts(theirs), page


def test_the_carer_preview_leaves_no_carer_view_after_sign_out(demo_db):
    """Dorothy previews what Susan sees (pages/carer_preview.py), then signs out: the server
    keeps no view of her record at all, the previewed carer view included."""
    at = open_app(DEMENTIA, "patient")
    go(at, "carer_preview")
    no_errors(at)
    assert key("proxy", DEMENTIA, DAUGHTER_ID) in held()
    at.sidebar.button(key="sign_out").click().run()
    no_errors(at)
    assert not {k for k in held() if k.startswith(f"{DEMENTIA}|")}


def test_a_day_change_between_runs_ends_the_sons_view_in_the_same_session(demo_db, monkeypatch):
    """Peter's consent ended on 30 April 2024. His session is opened with the frozen day 29 April
    2024 (LTC_TODAY), then the day moves to today between two runs of the same session: the next
    run shows him no record, not the view kept from the day before."""
    monkeypatch.setenv("LTC_TODAY", "2024-04-29")
    at = open_app(DEMENTIA, "proxy:RelatedPerson/dem-rp-son")
    go(at, "results")
    no_errors(at)
    assert not at.session_state["summary_for_viewer"][2].denied
    before = texts(at)
    assert "Dorothy Specimen" in before
    monkeypatch.setenv("LTC_TODAY", "2026-11-25")
    go(at, "overview")
    no_errors(at)
    assert at.session_state["summary_for_viewer"][2].denied
    assert str(at.session_state["summary_for_viewer"][1]) == "2026-11-25"


def table_texts(at) -> str:
    """The text of every table the last run drew (the lazily made ones included once opened)."""
    return "\n".join(node.value.to_string() for node in at._tree
                     if getattr(node, "type", None) in ("table", "arrow_data_frame"))


def test_lazy_tables_of_a_narrowed_carer_after_the_patient_hold_no_older_rows(demo_db):
    """The daughter's Consent is narrowed (new version) to entries from 1 June 2026. Dorothy opens
    results with every table's expander open (rows from 2019 on); then Susan, on the same server,
    opens every expander on results and her condition page: no table row before June 2026."""
    store = Store(demo_db)
    consent = copy.deepcopy({r["id"]: r for r in store.resources_for(DEMENTIA)}["dem-consent-proxy-daughter"])
    consent["meta"] = {"versionId": "2"}
    consent["provision"]["dataPeriod"] = {"start": "2026-06-01"}
    store.put([consent])
    store.close()
    months = "January|February|March|April|May|June|July|August|September|October|November|December"
    # an entry's date before June 2026 ("since 6 April 2021" is when the carer link began, not an entry)
    older = re.compile(rf"(?<!since )\b\d{{1,2}} ({months}) 20(19|20|21|22|23|24|25)\b")
    mine = open_app(DEMENTIA, "patient")
    open_expanders(go(mine, "results"))
    no_errors(mine)
    assert older.search(table_texts(mine))
    theirs = open_app(DEMENTIA, DAUGHTER)
    for page in ("results", "condition"):
        open_expanders(go(theirs, page))
        no_errors(theirs)
        assert not older.search(table_texts(theirs)), page


def test_a_nurse_signing_out_of_the_shared_screen_leaves_nothing(demo_db):
    """A nurse opens the shared screen for the bipolar record (no patient session behind it),
    opens results with its tables, and signs out of the shared screen with the confirmation: the
    server keeps no view of that record."""
    at = open_app(BIPOLAR, "clinic")
    open_expanders(go(at, "results"))
    no_errors(at)
    assert key("clinic", BIPOLAR) in held()
    at.sidebar.button(key="leave_shared").click().run()
    at.sidebar.button(key="confirm_leave").click().run()
    no_errors(at)
    assert "viewer" not in at.session_state
    assert not {k for k in held() if k.startswith(f"{BIPOLAR}|")}


def test_a_letter_open_in_the_carers_reader_goes_when_her_consent_is_withdrawn(demo_db):
    """Susan has the memory-service letter open in the letters page's reader (its widget state
    names it); the practice withdraws her Consent (a new version, status "inactive", written by
    another connection). Her next rerun of the same page, without any click, shows neither the
    letter's title nor its words."""
    theirs = open_app(DEMENTIA, DAUGHTER)
    go(theirs, "letters")
    box = theirs.selectbox(key="letters_open")
    box.select_index([REVIEW in option for option in box.options].index(True)).run()
    no_errors(theirs)
    before = texts(theirs)
    assert REVIEW in before
    store = Store(demo_db)
    consent = copy.deepcopy({r["id"]: r for r in store.resources_for(DEMENTIA)}["dem-consent-proxy-daughter"])
    consent.update(meta={"versionId": "2"}, status="inactive")
    store.put([consent])
    store.close()
    theirs.run()
    no_errors(theirs)
    assert REVIEW not in texts(theirs)


def test_the_patients_letter_search_and_reader_do_not_follow_into_the_shared_screen(demo_db):
    """Dorothy searches her letters for "safeguarding" and opens the safeguarding letter, then
    turns the shared screen on in the same session and opens letters there: neither the letter,
    its words, nor what she typed shows on the screen the nurse sees."""
    at = open_app(DEMENTIA, "patient")
    go(at, "letters")
    at.text_input(key="letters_search").input("safeguarding").run()
    box = at.selectbox(key="letters_open")
    box.select_index([SDV_LETTER in option for option in box.options].index(True)).run()
    no_errors(at)
    assert SDV_LETTER in texts(at) and "Section 42 enquiry" in texts(at)
    at.sidebar.toggle[0].set_value(True).run()
    no_errors(at)
    assert at.session_state["viewer"].kind == "clinic"
    for page in ("letters", "overview", "letters"):
        go(at, page)
        no_errors(at)
        seen = texts(at)
        assert SDV_LETTER not in seen and "Section 42 enquiry" not in seen, page
        assert "safeguarding" not in seen.lower(), page
