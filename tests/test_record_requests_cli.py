"""`ltc request` (issue 21): the request written as a PDF that reads back with pdftotext and says
the right things for each kind and viewer, or as text; the answer date of a subject access request
made on a month's last day, with "today" frozen (LTC_TODAY) and the process in a time zone far from
the UK (conftest.py); clear errors and non-zero exits for a proxy request without --carer, an
unknown kind, a path that cannot be written, a viewer who may not ask. The records are data/demo's
(data/demo/README.md); the requests are typed here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ltc_dashboard.cli.main import main
from test_exports_support import DEMO, pdf_text

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="needs poppler-utils (make .venv/.test-tools)")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_path, capsys) -> Path:
    """A store holding the demo records (the bipolar record's online access starts 31 October 2023)."""
    assert run(capsys, "import", *sorted(DEMO.glob("*.json")), "--db", db_path)[0] == 0
    return db_path


def words(path: Path, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it, on one line."""
    return " ".join(pdf_text(path.read_bytes(), tmp_path).split())


def test_a_subject_access_request_pdf_says_the_law_the_month_and_its_answer_date(capsys, db, tmp_path, monkeypatch):
    """Made on 3 December 2026: the PDF names the UK GDPR right of access, the answer date 3 January
    2027, the two-month extension, and the person; the command says it was kept."""
    monkeypatch.setenv("LTC_TODAY", "2026-12-03")
    out = tmp_path / "sar.pdf"
    code, said, _ = run(capsys, "request", "--patient", "mh-patient", "--kind", "sar", "--format", "pdf",
                        "--out", out, "--details", "Hospital letters 2015 to 2020", "--db", db)
    assert code == 0 and said.startswith("Kept subject access request made 2026-12-03; answer due by 2027-01-03")
    text = words(out, tmp_path)
    assert text.startswith("Subject access request To: The Example Surgery (demo) Date: 3 December 2026 "
                           "Patient: Daniel Fictional")
    assert "under the UK GDPR (Article 15, the right of access)" in text
    assert "within one month of receiving this request (by 3 January 2027 if you receive it on 3 December 2026)" in text
    assert "extend it by two further months" in text and "Hospital letters 2015 to 2020" in text
    assert out.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("today, due", [("2027-01-31", "28 February 2027"), ("2028-01-31", "29 February 2028"),
                                        ("2026-12-31", "31 January 2027")])
def test_the_answer_date_across_month_ends_and_a_leap_year(capsys, db, tmp_path, monkeypatch, today, due):
    """A request made on a month's last day is due on the next month's last day, or its same date."""
    monkeypatch.setenv("LTC_TODAY", today)
    out = tmp_path / "sar.txt"
    assert run(capsys, "request", "--patient", "mh-patient", "--kind", "sar", "--format", "text", "--out", out,
               "--db", db)[0] == 0
    assert f"(by {due} if you receive it on" in " ".join(out.read_text().split())


def test_a_proxy_request_names_the_carer_what_they_may_do_and_the_checks(capsys, db, tmp_path):
    """The carer's name (with markup in it, printed as written), relationship and chosen access, the
    patient's consent and the identity checks are in the PDF."""
    out = tmp_path / "proxy.pdf"
    code, _, _ = run(capsys, "request", "--patient", "mh-patient", "--kind", "proxy", "--carer", "Ann <b>Smith</b>",
                     "--relationship", "sister", "--access", "prescriptions,record", "--format", "pdf", "--out", out,
                     "--db", db)
    assert code == 0
    text = words(out, tmp_path)
    assert "I would like Ann <b>Smith</b>, my sister, to have proxy access to my GP online services" in text
    assert "• order repeat prescriptions • see my online GP record" in text and "book and cancel" not in text
    assert "I consent to this access." in text and "photo ID" in text
    assert "Signed by the carer, Ann <b>Smith</b>:" in text


def test_a_proxy_request_without_relationship_or_access_leaves_them_to_fill_in(capsys, db, tmp_path):
    """Only --carer given (the issue's command line): boxes to tick and a line for the relationship."""
    out = tmp_path / "proxy.txt"
    assert run(capsys, "request", "--patient", "mh-patient", "--kind", "proxy", "--carer", "Ann Smith",
               "--format", "text", "--out", out, "--db", db)[0] == 0
    text = out.read_text()
    assert "to be able to (tick what applies):" in text and "- [ ] book and cancel appointments" in text
    assert "Relationship to me: ______" in text


def test_a_historic_request_says_where_the_online_record_starts(capsys, db, tmp_path):
    """The bipolar record starts on 31 October 2023 (its access Consent): the request asks for what came before."""
    out = tmp_path / "historic.pdf"
    assert run(capsys, "request", "--patient", "mh-patient", "--kind", "historic", "--format", "pdf", "--out", out,
               "--db", db)[0] == 0
    text = words(out, tmp_path)
    assert text.startswith("Request for access to the full (historic) record")
    assert "full (historic) GP record, including entries from before 31 October 2023" in text


def test_a_carer_request_is_written_as_the_carers_on_the_persons_behalf(capsys, db, tmp_path):
    """With correct in her consent's actions, the daughter's subject access request is written by her,
    for the person, and offers evidence that she may act for them."""
    from ltc_dashboard.service.core import open_service
    from test_feedback import allow_corrections

    allow_corrections(open_service(str(db)))
    out = tmp_path / "carer.pdf"
    assert run(capsys, "request", "--patient", "dem-patient", "--as", "proxy:RelatedPerson/dem-rp-daughter",
               "--kind", "sar", "--format", "pdf", "--out", out, "--db", db)[0] == 0
    text = words(out, tmp_path)
    assert "I am Susan Specimen, a carer for" in text and "with proxy access to their GP online services" in text
    assert "such as their written authority" in text and "including their full GP record" in text


def test_clear_errors_and_nothing_kept(capsys, db, tmp_path):
    """A proxy request without --carer, an unknown kind, an unwritable path, a carer who may not ask
    and a control character: each a plain error, exit 2, no file and nothing kept."""
    out = tmp_path / "x.pdf"
    base = ("request", "--patient", "mh-patient", "--format", "pdf", "--out", out, "--db", db)
    code, _, err = run(capsys, *base, "--kind", "proxy")
    assert code == 2 and "add --carer 'Full Name'" in err and not out.exists()
    with pytest.raises(SystemExit) as exited:
        run(capsys, *base, "--kind", "letters")
    assert exited.value.code == 2 and "invalid choice: 'letters'" in capsys.readouterr().err
    code, _, err = run(capsys, "request", "--patient", "mh-patient", "--kind", "sar", "--format", "text",
                       "--out", tmp_path / "no-such-folder" / "x.txt", "--db", db)
    assert code == 2 and "cannot write" in err and "No such file or directory" in err
    code, _, err = run(capsys, *base, "--kind", "proxy", "--carer", "Ann\x1b[2JSmith")
    assert code == 2 and "cannot be printed" in err and "\x1b" not in err and not out.exists()
    code, _, err = run(capsys, "request", "--patient", "dem-patient", "--as", "proxy:RelatedPerson/dem-rp-daughter",
                       "--kind", "sar", "--format", "text", "--out", out, "--db", db)
    assert code == 2 and "does not let you make requests" in err and not out.exists()
    code, _, err = run(capsys, *base, "--kind", "sar", "--carer", "Ann")
    assert code == 2 and "belong only to --kind proxy" in err
    from ltc_dashboard.service.core import open_service
    assert open_service(str(db))._store.record_requests("mh-patient") == []
    assert open_service(str(db))._store.record_requests("dem-patient") == []


def test_a_refused_request_leaves_an_existing_file_as_it_was(capsys, db, tmp_path):
    """Writing over an existing file: a refused request leaves its bytes alone."""
    out = tmp_path / "keep.txt"
    out.write_text("my notes")
    code, _, _ = run(capsys, "request", "--patient", "dem-patient", "--as", "proxy:RelatedPerson/dem-rp-daughter",
                     "--kind", "sar", "--format", "text", "--out", out, "--db", db)
    assert code == 2 and out.read_text() == "my notes"
