"""Sessions on one server stay apart: two AppTests in one process share the one cached Service
(`st.cache_resource` is process-wide), as two browser tabs on one server do, and each keeps its
own viewer, its own screen and its own lines in the access log; two sessions editing the same
question list both keep their edits.
"""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.store import Store
from ltc_dashboard.summary.core import Summary
from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, PSY_ENTRY, SDV_LETTER, SHARED_PAGES, demo_db,
    demo_db_template, go, no_errors, open_app, open_expanders, texts,
)

SDV_ID = "dem-doc-safeguarding-2024-02-12"
SDV_TEXT = "Section 42 enquiry"  # words of the SDV letter's body (data/demo/dementia.json)
PSY_VALUE = "Low risk of harm to self or others at present"  # mh-obs-mh-risk-assessment-2025-06-16
DAUGHTER_ID = "dem-rp-daughter"
TODAY = dt.date(2026, 11, 25)


def viewer_keys(value) -> set[str]:
    """Every viewer a session-state value names: Viewer objects, a Summary's viewer, and viewer
    keys (`patient|kind|proxy`) kept as strings, looked for inside tuples, lists, sets and dicts."""
    if isinstance(value, Viewer):
        return {value.key}
    if isinstance(value, Summary):
        return {f"{value.patient.id}|{value.viewer.kind}|{value.viewer.id or ''}"}
    if isinstance(value, str):
        return {value} if value.count("|") == 2 and value.split("|")[1] in ("patient", "proxy", "clinic") else set()
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (tuple, list, set, frozenset)):
        return set().union(*(viewer_keys(v) for v in value)) if value else set()
    return set()


def holds_only(at: AppTest, viewer: Viewer) -> None:
    """This session's state names its own viewer and no other."""
    assert at.session_state["viewer"] == viewer
    assert viewer_keys(dict(at.session_state.items())) == {viewer.key}


def choose_letter(at: AppTest, title: str) -> AppTest:
    """Open one letter in the letters page's reader."""
    box = at.selectbox(key="letters_open")
    return box.select_index([title in option for option in box.options].index(True)).run()


def test_patient_and_carer_on_one_server_never_see_each_others_view(demo_db):
    """Dorothy and her daughter, interleaved on one server: the SDV letter's title and text reach
    only Dorothy's screen, and each session holds only its own viewer."""
    patient = Viewer(kind="patient", patient_id=DEMENTIA)
    carer = Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id=DAUGHTER_ID)
    mine, theirs = open_app(DEMENTIA, "patient"), open_app(DEMENTIA, DAUGHTER)

    for _ in range(2):
        go(mine, "letters")
        no_errors(mine)
        assert SDV_LETTER in texts(mine)
        holds_only(mine, patient)

        go(theirs, "letters")
        no_errors(theirs)
        assert "Memory assessment service: review" in texts(theirs)
        assert SDV_LETTER not in texts(theirs) and SDV_TEXT not in texts(theirs)
        holds_only(theirs, carer)

        choose_letter(mine, SDV_LETTER)
        no_errors(mine)
        assert SDV_TEXT in texts(mine)
        holds_only(mine, patient)

        theirs.run()  # a rerun right after the patient read it
        assert SDV_LETTER not in texts(theirs) and SDV_TEXT not in texts(theirs)
        theirs.text_input(key="letters_search").input("safeguarding").run()
        assert SDV_LETTER not in texts(theirs) and SDV_TEXT not in texts(theirs)
        theirs.text_input(key="letters_search").input("").run()
        holds_only(theirs, carer)

    for page in SHARED_PAGES:  # every page the carer has, each right after the patient's screen
        go(mine, page)
        go(theirs, page)
        no_errors(theirs)
        assert SDV_LETTER not in texts(theirs) and SDV_TEXT not in texts(theirs) and SDV_ID not in texts(theirs)
        holds_only(theirs, carer)
        holds_only(mine, patient)

    from pages import state

    served = state.service()._summaries  # the one cached Service served both sessions
    assert {patient.key, carer.key} <= set(served)


def test_access_log_names_each_viewer_and_the_carer_cannot_open_it(demo_db):
    """Interleaved views are logged under the right viewer (patient; proxy dem-rp-daughter), the
    SDV letter only as the patient's, and the access log page is not offered to the carer."""
    mine, theirs = open_app(DEMENTIA, "patient"), open_app(DEMENTIA, DAUGHTER)
    go(mine, "letters")
    go(theirs, "letters")
    choose_letter(mine, SDV_LETTER)
    go(theirs, "medications")
    go(mine, "results")

    store = Store(demo_db)
    rows = store.access_log(DEMENTIA)
    store.close()
    by = {(row["viewer_kind"], row["viewer_id"]) for row in rows}
    assert by == {("patient", None), ("proxy", DAUGHTER_ID)}, by
    patient_saw = [row["what"] for row in rows if row["viewer_kind"] == "patient"]
    carer_saw = [row["what"] for row in rows if row["viewer_kind"] == "proxy"]
    assert {"Letters", f"Letter: {SDV_LETTER}", "Results"} <= set(patient_saw)
    assert {"Letters", "Medicines"} <= set(carer_saw) and "Results" not in carer_saw
    assert not any(SDV_LETTER in what for what in carer_saw)

    go(mine, "access_log")
    no_errors(mine)
    shown = mine.main.table[0].value
    assert "Susan Specimen (carer with proxy access)" in set(shown["Who"]) and "You" in set(shown["Who"])
    try:
        theirs.switch_page("pages/access_log.py")
    except ValueError:
        pass
    else:
        raise AssertionError("the access log page should not be offered to a carer")
    assert "access_log" not in {info["script_path"].rsplit("/", 1)[-1][:-3]
                                for info in theirs._registered_pages.values()}


def test_shared_screen_and_patient_on_one_server_keep_the_psy_entry_apart(demo_db):
    """The clinic screen and the patient's own view of the bipolar record, interleaved on one
    server: the PSY risk assessment is on the patient's results, never on the clinic screen."""
    patient = Viewer(kind="patient", patient_id=BIPOLAR)
    clinic = Viewer(kind="clinic", patient_id=BIPOLAR)
    mine, nurse = open_app(BIPOLAR, "patient"), open_app(BIPOLAR, "clinic")
    for page in ["results", *SHARED_PAGES, "results"]:
        open_expanders(go(mine, page))
        no_errors(mine)
        open_expanders(go(nurse, page))
        no_errors(nurse)
        seen = texts(nurse)
        assert PSY_ENTRY not in seen and PSY_VALUE not in seen, page
        holds_only(nurse, clinic)
        holds_only(mine, patient)
        if page == "results":
            assert PSY_ENTRY in texts(mine)

    store = Store(demo_db)
    kinds = {row["viewer_kind"] for row in store.access_log(BIPOLAR)}
    store.close()
    assert kinds == {"patient", "clinic"}


def own_questions(at: AppTest) -> list[str]:
    """The own questions the last run of the questions page listed, in order."""
    return [m.value for m in at.main.markdown if m.value.split(" ", 1)[0].strip("*").rstrip(".").isdigit()]


def click(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    no_errors(at)


def add(at: AppTest, text: str) -> None:
    at.text_area(key="new-question").input(text)
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    no_errors(at)


def test_two_sessions_editing_the_question_list_keep_both_edits(demo_db):
    """Two sessions of one patient each add a question, then one reorders while the other ticks
    one as asked, each from a screen the other has changed since: all four edits survive."""
    one = go(open_app(DIABETES, "patient"), "questions")
    add(one, "Question one")
    add(one, "Question two")
    other = go(open_app(DIABETES, "patient"), "questions")

    add(one, "Added in the first tab")
    add(other, "Added in the second tab")  # its screen had not seen the first tab's question

    store = Store(demo_db)
    ids = {row["text"]: row["id"] for row in store.questions(DIABETES)}
    click(one, f"down-{ids['Question one']}")  # the first tab's screen lacks the second tab's question
    other.checkbox(key=f"asked-{ids['Added in the first tab']}-False").check().run()
    no_errors(other)

    wanted = ["Question two", "Question one", "Added in the first tab", "Added in the second tab"]
    rows = store.questions(DIABETES)
    store.close()
    assert [row["text"] for row in rows] == wanted
    assert {row["text"]: row["status"] for row in rows}["Added in the first tab"] == "asked"
    assert [row["status"] for row in rows].count("asked") == 1
    for at in (one.run(), other.run()):
        listed = own_questions(at)
        assert [next(w for w in wanted if w in line) for line in listed] == wanted, listed
        assert "Asked" in listed[2] and not any("Asked" in line for i, line in enumerate(listed) if i != 2)


# -- one record's viewers share mapped entries, never what one of them may not see -------------
def every_viewer(store: Store) -> list[Viewer]:
    """Every viewer of every record in a store: patient, clinic screen, each carer with a link."""
    from ltc_dashboard.gate.access import proxy_links

    viewers = []
    for pid in store.patient_ids():
        viewers += [Viewer(kind="patient", patient_id=pid), Viewer(kind="clinic", patient_id=pid)]
    viewers += [Viewer(kind="proxy", patient_id=link.patient_id, proxy_id=link.related_person_id)
                for link in proxy_links(store, TODAY)]
    return viewers


def test_viewers_opened_one_after_another_see_what_each_sees_alone(demo_db):
    """service.Service maps a patient's stored entries once and shares them between that record's
    viewers (record.mapping.map_stored). Every demo viewer, opened after all the others in one
    Service, must get exactly the record a Service of its own maps with map_record from the gate's
    resources; the clinic screen after the patient must still not hold the PSY entry."""
    from ltc_dashboard.gate.access import open_record
    from ltc_dashboard.record.mapping import map_record
    from ltc_dashboard.service.core import Service

    store = Store(demo_db)
    shared = Service(store)
    viewers = every_viewer(store)
    assert any(v.kind == "proxy" for v in viewers)
    for viewer in viewers:
        shared.record(viewer, TODAY)
    for viewer in reversed(viewers):
        alone = map_record(list(open_record(store, viewer, TODAY).resources))
        assert shared.record(viewer, TODAY).model_dump() == alone.model_dump(), viewer.key
    psy_id = "mh-obs-mh-risk-assessment-2025-06-16"
    clinic = shared.record(Viewer(kind="clinic", patient_id=BIPOLAR), TODAY)
    assert psy_id not in {r.source_id or r.id for r in clinic.results}
    patient = shared.record(Viewer(kind="patient", patient_id=BIPOLAR), TODAY)
    assert psy_id in {r.source_id or r.id for r in patient.results}
