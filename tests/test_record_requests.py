"""Requests for more of the record (issue 21): the answer date of a subject access request across
month ends and leap years, the one check of what was typed, the table kept with the person's own
content (no import touches it, an older store gains it, a kill -9 loses no acknowledged request),
and who may make and see which request. Inputs: the demo records in data/demo (through
test_exports_support's store copy) and requests written here by hand."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3

import pytest

from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.record_requests import RequestInvalid, answer_due, check, one_calendar_month_after
from ltc_dashboard.service.record_requests import RequestRefused
from ltc_dashboard.store import InvalidWrite, NotInStore, Store
from test_durability import DEMO, child, integrity
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

D = dt.date


@pytest.mark.parametrize("made, due", [
    (D(2026, 12, 3), D(2027, 1, 3)),  # the example, across the year's end
    (D(2027, 1, 31), D(2027, 2, 28)),  # no 31 February: the month's last day
    (D(2028, 1, 31), D(2028, 2, 29)),  # a leap year
    (D(2028, 1, 29), D(2028, 2, 29)),
    (D(2027, 1, 29), D(2027, 2, 28)),
    (D(2026, 8, 31), D(2026, 9, 30)),  # the ICO's own example: 31 August -> 30 September
    (D(2027, 3, 31), D(2027, 4, 30)),
    (D(2027, 2, 28), D(2027, 3, 28)),  # from a short month: the same date, not the month's end
    (D(2026, 12, 31), D(2027, 1, 31)),
])
def test_one_calendar_month_is_the_same_date_or_the_next_months_last_day(made, due):
    """One calendar month after a day (ICO, right of access): the same date in the next month, or
    that month's last day when it has none."""
    assert one_calendar_month_after(made) == due
    assert answer_due("sar", made) == due


def test_only_a_subject_access_request_has_an_answer_date():
    """Historic-record and proxy requests have no answer date (no rule this app follows sets one)."""
    assert answer_due("historic", D(2026, 12, 3)) is None and answer_due("proxy", D(2026, 12, 3)) is None


def test_every_problem_is_named_at_once_in_plain_words():
    """A proxy request with no carer, a relationship with a line break and an unknown access code
    names all three; nothing is built."""
    with pytest.raises(RequestInvalid) as caught:
        check("p1", "proxy", D(2026, 12, 3), "patient", carer_name="  ", relationship="sis\nter",
              access=["record", "letters"])
    problems = caught.value.problems
    assert problems["carer_name"] == "Write the carer's name."
    assert "cannot be printed" in problems["relationship"] and "line break" in problems["relationship"]
    assert problems["access"].startswith("Unknown access 'letters'.")


@pytest.mark.parametrize("field, value, words", [
    ("carer_name", "A" * 101, "is 101 characters long; the limit is 100"),
    ("carer_name", "Ann\u202eSmith", "cannot be printed"),  # a right-to-left override
    ("carer_name", "Ann\x00Smith", "cannot be printed"),
    ("details", "x" * 1001, "is 1,001 characters long; the limit is 1,000"),
    ("details", "two\x1b[2Jlines", "cannot be printed"),
])
def test_length_and_unprintable_characters_are_refused(field, value, words):
    """Too long, or holding a control, bidi or escape character: refused with the limit or the reason."""
    fields = {"carer_name": "Ann Smith", field: value}
    with pytest.raises(RequestInvalid) as caught:
        check("p1", "proxy", D(2026, 12, 3), "patient", **fields)
    assert words in caught.value.problems[field]


def test_details_keep_their_line_breaks_and_a_carer_belongs_only_to_proxy():
    """Details may run over lines; a carer's name on a subject access request is refused."""
    request = check("p1", "sar", D(2026, 12, 3), "patient", details="2015 to 2020\r\nhospital letters")
    assert request.details == "2015 to 2020\nhospital letters" and request.due == D(2027, 1, 3)
    with pytest.raises(RequestInvalid) as caught:
        check("p1", "sar", D(2026, 12, 3), "patient", carer_name="Ann")
    assert "belong only to a request for proxy access" in caught.value.problems["carer_name"]
    with pytest.raises(RequestInvalid):
        check("p1", "letter", D(2026, 12, 3), "patient")


# -- the table ----------------------------------------------------------------------------------
def row(kind="sar", made=D(2026, 12, 3), **fields) -> dict:
    return check("dm-patient", kind, made, "patient", **fields).row()


def test_import_never_touches_requests(fresh_store):
    """Importing a record (twice) leaves the kept requests exactly as they were."""
    fresh_store.add_record_request("dm-patient", row())
    fresh_store.add_record_request("dm-patient", row("proxy", carer_name="Ann Smith", access=["record"]))
    before = fresh_store.record_requests("dm-patient")
    assert not import_paths(fresh_store, [DEMO]).rejected
    assert not import_paths(fresh_store, [DEMO]).rejected
    assert fresh_store.record_requests("dm-patient") == before and len(before) == 2


def test_rows_are_scoped_to_the_patient_and_checked(fresh_store):
    """Another patient's id cannot remove a request; an unknown kind is refused by the store itself."""
    rid = fresh_store.add_record_request("dm-patient", row())
    with pytest.raises(NotInStore):
        fresh_store.delete_record_request("other", rid)
    assert fresh_store.record_requests("other") == []
    with pytest.raises(InvalidWrite):
        fresh_store.add_record_request("dm-patient", {**row(), "kind": "letters"})
    fresh_store.delete_record_request("dm-patient", rid)
    assert fresh_store.record_requests("dm-patient") == []


def test_a_store_made_before_requests_gains_the_table_and_keeps_its_content(db_path):
    """Opening a store with no record_requests table (made before issue 21) adds it, and what the
    person wrote before (a question) is still there."""
    store = Store(db_path)
    store.add_question("dm-patient", "What is my HbA1c?", "patient")
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE record_requests")
    conn.commit()
    conn.close()
    store = Store(db_path)
    assert store.add_record_request("dm-patient", row()) == 1
    assert [q["text"] for q in store.questions("dm-patient")] == ["What is my HbA1c?"]
    store.close()


SAVER = """
import sys
from ltc_dashboard.store import Store
store = Store(sys.argv[1])
for n in range(1_000_000):
    row = {"kind": "sar", "made": "2026-12-03", "due": "2027-01-03", "details": f"request {n}", "author": "patient"}
    print(store.add_record_request("dm-patient", row), n, flush=True)
"""


def test_kill_while_saving_requests_keeps_every_acknowledged_one(tmp_path):
    """kill -9 while a loop keeps requests: every one acknowledged (printed after it returned) is
    stored with its words, and the store passes integrity_check."""
    db = tmp_path / "ltc.db"
    Store(db).close()
    proc = child(SAVER, str(db))
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(line.decode().split())
        if len(acknowledged) == 200:
            proc.send_signal(signal.SIGKILL)
            break
    acknowledged += [line.split() for line in proc.stdout.read().decode().splitlines()]
    assert proc.wait() == -signal.SIGKILL and len(acknowledged) >= 200
    assert integrity(db) == "ok"
    store = Store(db)
    saved = {r["id"]: r["details"] for r in store.record_requests("dm-patient")}
    store.close()
    for rid, n in acknowledged:
        assert saved.get(int(rid)) == f"request {n}", f"acknowledged request {rid} was lost"


# -- who may make, who sees ---------------------------------------------------------------------
def test_patient_makes_every_kind_and_sees_them_newest_first(service):
    """The patient may make all three kinds; the list is newest first, with the SAR's answer date."""
    me = viewer("dm-patient")
    assert service.request_kinds(me, today()) == ("historic", "sar", "proxy")
    service.make_request(me, D(2026, 11, 1), "historic")
    service.make_request(me, today(), "sar")
    listed = service.record_requests(me, today())
    assert [(r.kind, r.made, r.due) for r in listed] == [("sar", today(), D(2026, 12, 25)),
                                                         ("historic", D(2026, 11, 1), None)]


def test_the_shared_screen_never_makes_or_sees_a_request(service):
    """The clinic view may make none and sees none of the patient's."""
    service.make_request(viewer("dm-patient"), today(), "sar")
    clinic = viewer("dm-patient", "clinic")
    assert service.request_kinds(clinic, today()) == () and service.record_requests(clinic, today()) == []
    with pytest.raises(RequestRefused):
        service.make_request(clinic, today(), "sar")


@pytest.mark.parametrize("action, kinds", [(None, ()), ("access", ()), ("correct", ("historic", "sar")),
                                           ("amend", ())])
def test_a_carer_makes_requests_only_as_the_consent_allows_and_never_proxy(service, action, kinds):
    """The daughter may make historic and SAR requests only with correct in her consent's (`amend`
    is no R4 consent-action code: it grants nothing)
    actions, and a proxy-access request never (it is the patient's own)."""
    if action:
        allow_corrections(service, action)
    daughter = viewer("dem-patient", DAUGHTER)
    assert service.request_kinds(daughter, today()) == kinds
    with pytest.raises(RequestRefused, match="the person's own"):
        service.make_request(daughter, today(), "proxy", carer_name="Susan Specimen")
    if not kinds:
        with pytest.raises(RequestRefused, match="does not let you"):
            service.make_request(daughter, today(), "sar")


def test_a_carer_sees_only_her_own_requests_and_the_patient_sees_hers(service):
    """The daughter sees the request she made, not the patient's; the patient sees both, hers
    marked as made by a carer; the son, whose consent ended, sees none."""
    allow_corrections(service)
    daughter, patient = viewer("dem-patient", DAUGHTER), viewer("dem-patient")
    hers = service.make_request(daughter, today(), "sar")
    theirs = service.make_request(patient, today(), "proxy", carer_name="Susan Specimen", relationship="daughter")
    assert [r.id for r in service.record_requests(daughter, today())] == [hers.id]
    assert {r.author for r in service.record_requests(patient, today())} == {"patient", DAUGHTER}
    assert service.record_requests(viewer("dem-patient", "proxy:RelatedPerson/dem-rp-son"), today()) == []
    with pytest.raises(RequestRefused):
        service.delete_request(daughter, today(), theirs.id)
    with pytest.raises(RequestRefused):
        service.request_document(daughter, today(), theirs, "text")
    service.delete_request(daughter, today(), hers.id)
    assert [r.id for r in service.record_requests(patient, today())] == [theirs.id]


def test_a_row_changed_outside_the_app_is_left_out_not_a_crash(service):
    """A stored row with a date that cannot be read is left out of the list."""
    me = viewer("dm-patient")
    service.make_request(me, today(), "sar")
    service._store.add_record_request("dm-patient", {"kind": "sar", "made": "3 Dec", "author": "patient"})
    assert [r.kind for r in service.record_requests(me, today())] == ["sar"]


@pytest.mark.parametrize("name", ["Jane Doe", "O'Brien-Smith", "José Álvarez", "李小龍", "Zoë\u0308 Ng", "Ann-Marie"])
def test_real_names_in_any_script_are_accepted(name):
    """The invisible-letter rule (textsafe.name_problem) refuses blank-drawing fillers, not real
    names: accented, hyphenated, apostrophes, Chinese, a combining diaeresis (names typed here)."""
    made = check("p1", "proxy", dt.date(2026, 11, 25), "patient", carer_name=name)
    assert made.carer_name == name


@pytest.mark.parametrize("name", ["12 34", "---", "\u115f\u1160", "Ann\ufe00"])
def test_a_name_without_letters_or_with_a_filler_is_refused_in_plain_words(name):
    """Digits or punctuation alone (no letter), and the Hangul choseong/jungseong fillers and a
    variation selector (blank-drawing characters, Unicode's data) are refused, the reason plain."""
    with pytest.raises(RequestInvalid) as refused:
        check("p1", "proxy", dt.date(2026, 11, 25), "patient", carer_name=name)
    assert "letters" in refused.value.problems["carer_name"] or "invisible" in refused.value.problems["carer_name"]
