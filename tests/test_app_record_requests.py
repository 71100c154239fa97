"""The "Ask for more of the record" page (issue 21): it says where the online record starts and that
a practice may withhold entries, in words that are the same whatever the record hides; it prepares
and keeps a request, keeps what was typed when one is refused, and lists each with its dates; a
carer without the right to act sees no form; the shared screen has no such page. Inputs: the demo
store (tests/test_app_support.py; data/demo/README.md) and requests typed here."""

from __future__ import annotations

import pytest
from attack_nav_support import stand_in_cookies  # noqa: F401  (fixture)
from test_text_safety import hostile_db  # noqa: F401  (fixture)
from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, open_expanders,
    texts,
)


def page(patient=BIPOLAR, viewer="patient"):
    at = go(open_app(patient, viewer), "record_requests")
    no_errors(at)
    return at


def said(at) -> str:
    """The page's Markdown with its escapes removed, as a reader sees it."""
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def listed(at) -> list[str]:
    return [line for line in said(at).split("\n") if " made " in line and ("due" in line or "answer date" in line)]


def choose(at, words: str):
    at.radio(key="rr-kind").set_value(next(o for o in at.radio(key="rr-kind").options if o.startswith(words))).run()
    return at


def test_the_page_says_where_the_online_record_starts_and_that_entries_may_be_withheld(demo_db):
    """The bipolar demo's access Consent starts the record on 31 October 2023: the page says so, and
    says a practice may keep entries out without saying whether it has."""
    text = said(page())
    assert "Your online record shows entries made from 31 October 2023" in text
    assert "can keep some entries out of the online record" in text
    assert "it does not say whether any entries are kept out of this record" in text


def test_a_subject_access_request_is_kept_and_listed_with_its_due_date(demo_db):
    """Preparing a subject access request on 25 November 2026 lists it as made that day and due a
    calendar month later, with its PDF and its text to copy."""
    at = choose(page(), "A copy of everything")
    at.text_area(key="rr-details").input("Hospital letters from 2015 to 2020")
    at.button(key="rr-prepare").click().run()
    no_errors(at)
    assert listed(at) == ["Subject access request made 25 November 2026; answer due by 25 December 2026."]
    assert at.success and "Prepared and kept" in at.success[0].value
    code = at.get("code")[0].proto.code_text
    assert "This is a subject access request under the UK GDPR" in code and "Hospital letters from 2015 to 2020" in code
    assert at.get("download_button")[0].proto.label == "Download the PDF to print"
    assert at.text_area(key="rr-details").value == ""  # ready for the next one


def test_a_proxy_request_without_a_carer_keeps_what_was_typed_and_says_why(demo_db):
    """No carer's name: a specific reason, nothing kept, the relationship, choices and words still there."""
    at = choose(page(), "Proxy access")
    at.text_input(key="rr-relationship").input("sister")
    at.multiselect(key="rr-access").select("book and cancel appointments")
    at.text_area(key="rr-details").input("She comes to appointments with me")
    at.button(key="rr-prepare").click().run()
    assert not at.exception
    error = at.error[0].value.replace("\\", "")
    assert "Not prepared." in error and "Write the carer's name." in error
    assert at.text_input(key="rr-relationship").value == "sister"
    assert at.multiselect(key="rr-access").value == ["book and cancel appointments"]
    assert at.text_area(key="rr-details").value == "She comes to appointments with me"
    assert listed(at) == []
    at.text_input(key="rr-carer").input("Ann Smith")
    at.button(key="rr-prepare").click().run()
    no_errors(at)
    assert listed(at) == ["Request for proxy access for a carer made 25 November 2026; no answer date is set for "
                          "this kind of request; ask the practice if you have not heard back."]


def test_a_name_with_a_control_character_is_refused_and_kept(demo_db):
    """A carer's name holding an escape character is refused in plain words and left in the field."""
    at = choose(page(), "Proxy access")
    at.text_input(key="rr-carer").input("Ann\x1b[2J Smith")
    at.text_input(key="rr-relationship").input("sister")
    at.multiselect(key="rr-access").select("order repeat prescriptions")
    at.button(key="rr-prepare").click().run()
    assert "cannot be printed" in at.error[0].value and at.text_input(key="rr-carer").value == "Ann\x1b[2J Smith"
    assert listed(at) == []


def test_a_carer_without_the_right_to_act_sees_no_form_and_cannot_ask_for_proxy_access(demo_db):
    """The daughter's consent has no correct/amend action: her page explains the record in carer words,
    offers no form, and says proxy access is the person's own request."""
    at = page(DEMENTIA, DAUGHTER)
    assert not at.radio and not [b for b in at.button if (b.key or "").startswith("rr-")]
    assert "Some sensitive entries may be withheld from a carer's view." in said(at)
    assert "A request for proxy access is the person's own." in at.info[-1].value


def test_a_carer_with_the_right_to_act_asks_in_carer_words_and_never_for_proxy_access(demo_db):
    """With `correct` in her consent's actions the daughter may prepare a historic or subject access
    request, written as from her on the person's behalf; proxy access is not offered."""
    from test_feedback import allow_corrections
    from ltc_dashboard.service.core import open_service

    allow_corrections(open_service(str(demo_db)))
    at = page(DEMENTIA, DAUGHTER)
    assert [o[:20] for o in at.radio(key="rr-kind").options] == ["Online access to the", "A copy of everything"]
    at.button(key="rr-prepare").click().run()
    no_errors(at)
    code = at.get("code")[0].proto.code_text
    assert "I am Susan Specimen, a carer for" in code and "I am writing on their behalf" in code
    assert listed(at)[0].startswith("Request for access to the full (historic) record made 25 November 2026")


def test_the_shared_screen_has_no_request_page_and_shows_no_request(demo_db):
    """A request the patient kept (a carer's unusual name in it) shows on no page the clinic shared
    screen can reach, and none of them is the request page."""
    from ltc_dashboard import settings
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import open_service

    open_service(str(demo_db)).make_request(Viewer(kind="patient", patient_id=DIABETES), settings.today(), "proxy",
                                            carer_name="Zebedee Quartz", relationship="neighbour",
                                            access=["record"])
    at = open_app(DIABETES, "clinic")
    runs = 0
    for page_hash in list(at._registered_pages):
        at._page_hash = page_hash
        at.run()
        open_expanders(at)
        assert "Zebedee" not in texts(at) and "Prepare a request" not in texts(at)
        runs += 1
    assert runs >= 5
    with pytest.raises(ValueError):  # not a page of the shared screen's navigation
        at.switch_page("pages/record_requests.py")
    at = open_app(DIABETES, "patient")
    at.switch_page("pages/record_requests.py").run()
    assert "Zebedee" in texts(at)  # the control: the patient's own page lists it


def test_a_reload_of_the_request_page_on_the_shared_screen_shows_nothing_of_it(demo_db, stand_in_cookies):
    """The shared screen's browser opens the request page's address: a plain "not part of this view"."""
    from attack_nav_support import Browser
    from test_app_support import headings

    browser = Browser()
    browser.open({"patient": DIABETES, "viewer": "clinic"})
    at = browser.open(url_path="more-of-my-record")
    no_errors(at)
    assert headings(at) == ["This page is not part of this view"]


def test_the_page_speaks_plainly_with_every_kind_of_request_listed(demo_db):
    """With all three requests kept and their texts drawn, the page breaks none of the wording rules
    (no internal references, "unverified", brackets in brackets or machine words); nor does a carer's."""
    from test_app_words import wording_problems

    at = page()
    for words in ("Online access", "A copy of everything", "Proxy access"):
        choose(at, words)
        if words == "Proxy access":
            at.text_input(key="rr-carer").input("Ann Smith")
        at.button(key="rr-prepare").click().run()
        no_errors(at)
    assert len(listed(at)) == 3 and wording_problems(at) == []
    assert wording_problems(page(DEMENTIA, DAUGHTER)) == []


def test_hostile_record_and_typed_text_show_as_text_on_the_page_and_in_the_pdf(hostile_db, tmp_path):
    """The hostile record (tests/hostile_record.py: a name with Markdown images, HTML, shortcodes and
    a right-to-left override) and a carer's name typed with markup: on the page every Markdown source
    holds them escaped and no bidi or zero-width character is drawn; the text and the PDF print the
    words as written, without the invisible characters."""
    import subprocess

    from ltc_dashboard import settings
    from hostile_record import PID, TRAP
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import open_service
    from test_text_safety import INVISIBLE, everything, live_markup, markdown_sources, unescaped

    typed = f"Ann **bold** ![img]({TRAP}/carer.png) <img src=\"{TRAP}/tag.png\">"
    svc = open_service(str(hostile_db))
    me = Viewer(kind="patient", patient_id=PID)
    request = svc.make_request(me, settings.today(), "proxy", carer_name=typed, relationship="<b>sister</b>",
                               details=f"![x]({TRAP}/details.png)")
    at = go(open_app(PID), "record_requests")
    no_errors(at)
    sources = markdown_sources(at)
    assert not [(m, s[:80]) for s in sources for m in live_markup(s)]
    assert not INVISIBLE.findall(everything(at))
    assert any(f"For {typed}" in unescaped(s) for s in sources)  # shown, as words
    text = svc.request_document(me, settings.today(), request, "text")
    assert f"I would like {typed}, my <b>sister</b>," in text and not INVISIBLE.search(text)
    assert "name **bold**" in text  # the record's hostile name, as words
    (tmp_path / "r.pdf").write_bytes(svc.request_document(me, settings.today(), request, "pdf"))
    pdf = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True,
                         text=True).stdout
    assert "Ann **bold** ![img](" in " ".join(pdf.split()) and not INVISIBLE.search(pdf)


def test_remove_asks_first(demo_db):
    """Remove asks to confirm; "No, keep it" keeps the request; "Yes, remove it" takes it off the list."""
    at = choose(page(), "A copy of everything")
    at.button(key="rr-prepare").click().run()
    rid = next(b.key for b in at.button if (b.key or "").startswith("rr-remove-")).rsplit("-", 1)[1]
    at.button(key=f"rr-remove-{rid}").click().run()
    assert "cannot be undone" in at.warning[0].value and len(listed(at)) == 1
    at.button(key=f"rr-no-{rid}").click().run()
    assert len(listed(at)) == 1 and not at.warning
    at.button(key=f"rr-remove-{rid}").click().run()
    at.button(key=f"rr-yes-{rid}").click().run()
    no_errors(at)
    assert listed(at) == []
