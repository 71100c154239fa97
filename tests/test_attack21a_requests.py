"""Outside attack on "asking for more of the record" and on who may act for the person (issue 21,
branch atk21a): typed names nobody here wrote, subject access dates at month ends, who sees which
request, the PDF read back, the CLI's file, and a Consent that takes the carer's right to act away
one level deeper than the code looks.

Where the inputs come from: invisible "blank" letters (U+3164 HANGUL FILLER, U+2800 BRAILLE PATTERN
BLANK, U+034F COMBINING GRAPHEME JOINER, U+FE0F VARIATION SELECTOR-16) are the ones used to make
blank-looking user names on social sites (Unicode's own data: none is White_Space, so strip()
keeps them); the dates are the ICO's month rule at its edges (docs/rules/record_requests.md);
the Consent is the R4 shape of tests/test_appointments.py `_consent` with provision.provision
nested twice, as R4 Consent.provision allows (http://hl7.org/fhir/R4/consent.html: "provision.provision:
nested exception rules"). Stores are made here.

Tests marked xfail(strict=True) are breaks found on main: each fails today and passes when fixed.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from ltc_dashboard.cli import main as cli
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.record.record_requests import RequestInvalid, answer_due, check
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.record_requests import RequestRefused
from ltc_dashboard.store import Store

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
ME = Viewer(kind="patient", patient_id="p1")
CAROL = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
DAVE = Viewer(kind="proxy", patient_id="p1", proxy_id="rp2")
CLINIC = Viewer(kind="clinic", patient_id="p1")


def _consent(cid: str, rp: str, nested=None) -> dict:
    """A proxy Consent permitting everything, with the actions `access` (to see: clinical-reference
    §8.2; `correct` alone shows nothing, attack 21b) and `correct` (the right to act)."""
    provision = {"type": "permit", "period": {"start": "2025-01-01"}, "actor": [{"reference": {"reference": f"RelatedPerson/{rp}"}}],
                 "action": [{"coding": [{"system": ACTION, "code": code}]} for code in ("access", "correct")]}
    if nested:
        provision["provision"] = nested
    return {"resourceType": "Consent", "id": cid, "status": "active", "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}], "patient": {"reference": "Patient/p1"},
            "provision": provision}


@pytest.fixture
def service(tmp_path):
    """p1 with two carers, Carol and Dave, each permitted to act for her."""
    store = Store(tmp_path / "r.db")
    store.put([{"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Test"}], "birthDate": "1950-02-03"},
               {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"},
                "name": [{"text": "Carol Carer"}]},
               {"resourceType": "RelatedPerson", "id": "rp2", "active": True, "patient": {"reference": "Patient/p1"},
                "name": [{"text": "Dave Carer"}]},
               _consent("c1", "rp1"), _consent("c2", "rp2")])
    yield Service(store)
    store.close()


# -- breaks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["\u3164", "\u2800\u2800", "\u034f", "\ufe0f", "Jane\u3164Doe"])
def test_a_carer_name_of_invisible_letters_is_refused(name):
    """The rule: no invisible character in a name, and a name is required. U+3164 and friends are
    not White_Space, so strip() keeps them, and _UNPRINTABLE does not list them: the printed
    request names no one (or someone who is not "Jane Doe")."""
    with pytest.raises(RequestInvalid) as refused:
        check("p1", "proxy", TODAY, "patient", carer_name=name)
    assert "carer_name" in refused.value.problems


def test_a_deny_of_correct_nested_deeper_takes_the_right_to_act_away(service):
    """Carol's Consent permits `correct`, with an exception for Appointments that itself denies
    `correct` (provision.provision.provision). The gate reads provisions at any depth; the
    right-to-act check reads one level, so Carol may still book, cancel and make requests."""
    deeper = [{"type": "permit", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Appointment"}],
               "provision": [{"type": "deny", "action": [{"coding": [{"system": ACTION, "code": "correct"}]}]}]}]
    service._store.put([{**_consent("c1", "rp1", deeper), "meta": {"versionId": "2"}}])
    assert not service.may_book(CAROL, TODAY)


# -- what held ------------------------------------------------------------------------------------
@pytest.mark.parametrize("made, due", [
    ("2027-01-29", "2027-02-28"), ("2027-01-30", "2027-02-28"), ("2027-01-31", "2027-02-28"),
    ("2028-01-29", "2028-02-29"), ("2028-01-30", "2028-02-29"), ("2028-01-31", "2028-02-29"),
    ("2027-03-31", "2027-04-30"), ("2028-02-29", "2028-03-29"), ("2026-12-31", "2027-01-31")])
def test_subject_access_answer_dates_at_month_ends(made, due):
    """The ICO's month: the same date next month, or that month's last day."""
    assert answer_due("sar", dt.date.fromisoformat(made)) == dt.date.fromisoformat(due)


@pytest.mark.parametrize("name", ["Ann\u202eeoD", "Ann\u200bDoe", "Ann\x07Doe", "A" * 101, "Ann\nDoe"])
def test_bidi_zero_width_control_long_and_multiline_names_are_refused(name):
    """RTL override, zero-width space, a bell, 101 letters and a line break: each refused by field."""
    with pytest.raises(RequestInvalid) as refused:
        check("p1", "proxy", TODAY, "patient", carer_name=name)
    assert "carer_name" in refused.value.problems


def test_each_viewer_sees_exactly_their_requests(service):
    """The patient sees all; each carer only her own; the shared screen none and cannot make one;
    a carer cannot remove the patient's request or the other carer's."""
    mine = service.make_request(ME, TODAY, "proxy", carer_name="**Eve** [x](https://evil.example)")
    carols = service.make_request(CAROL, TODAY, "sar", details="Carol asks for letters")
    daves = service.make_request(DAVE, TODAY, "historic")
    assert {r.id for r in service.record_requests(ME, TODAY)} == {mine.id, carols.id, daves.id}
    assert [r.id for r in service.record_requests(CAROL, TODAY)] == [carols.id]
    assert [r.id for r in service.record_requests(DAVE, TODAY)] == [daves.id]
    assert service.record_requests(CLINIC, TODAY) == []
    with pytest.raises(RequestRefused):
        service.make_request(CLINIC, TODAY, "sar")
    for other in (mine, daves):
        with pytest.raises(RequestRefused):
            service.delete_request(CAROL, TODAY, other.id)
        with pytest.raises(RequestRefused):
            service.request_document(CAROL, TODAY, other, "text")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_a_carers_sar_pdf_reads_back_with_its_due_date_and_nothing_of_others(service):
    """Carol's subject access request made 31 January 2028: the PDF says 29 February 2028, is
    written as Carol's on Ann's behalf, and holds nothing of Dave's or the patient's requests."""
    from test_leaks import pdf_text

    service.make_request(DAVE, dt.date(2028, 1, 31), "sar", details="DAVE-ONLY words")
    service.make_request(ME, dt.date(2028, 1, 31), "proxy", carer_name="Zed Secretname")
    carols = service.make_request(CAROL, dt.date(2028, 1, 31), "sar")
    words = " ".join(pdf_text(service.request_document(CAROL, dt.date(2028, 1, 31), carols, "pdf")).split())
    assert "by 29 February 2028 if you receive it on 31 January 2028" in words
    assert "I am Carol Carer, a carer for Ann Test" in words
    assert "DAVE-ONLY" not in words and "Secretname" not in words


def test_the_cli_leaves_an_existing_file_when_a_name_is_refused(service, tmp_path, capsys):
    """`ltc request --kind proxy --carer` with an RTL override: exit 2, the file as it was, nothing kept."""
    out = tmp_path / "keep.txt"
    out.write_text("MY OWN NOTES")
    code = cli.main(["request", "--patient", "p1", "--kind", "proxy", "--carer", "Ann\u202eeoD", "--format", "text",
                     "--out", str(out), "--db", str(service._store.path)])
    assert code == 2 and out.read_text() == "MY OWN NOTES"
    assert service.record_requests(ME, TODAY) == []
    assert "\u202e" not in capsys.readouterr().err


def test_the_day_made_is_the_uk_day_near_midnight(service, tmp_path, capsys, monkeypatch):
    """Not frozen: 23:30 on 31 January 2027 in the UK is already 1 February in Kiritimati (the
    process zone, UTC+14). `ltc request --kind sar` is made on 31 January, due 28 February."""
    from ltc_dashboard.record import dates as record_dates

    class _Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            moment = dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.timezone.utc)
            return moment.astimezone(tz) if tz else moment.astimezone().replace(tzinfo=None)

    class _Dt:
        date, timedelta, timezone, datetime = dt.date, dt.timedelta, dt.timezone, _Clock

    monkeypatch.delenv("LTC_TODAY")
    monkeypatch.setattr(record_dates, "dt", _Dt)  # the clock of the one rule for today (record.dates.uk_today)
    out = tmp_path / "sar.txt"
    code = cli.main(["request", "--patient", "p1", "--kind", "sar", "--format", "text", "--out", str(out),
                     "--db", str(service._store.path)])
    said = capsys.readouterr().out
    assert code == 0 and "made 2027-01-31; answer due by 2027-02-28" in said, said
    assert "by 28 February 2027 if you receive it on 31 January 2027" in " ".join(out.read_text().split())
