"""A request to the practice for more of the record (issue 21), as text to copy and as a
printable PDF: one list of blocks (heading, paragraph, list item, blank line to fill in), so the
two forms always say the same words.

The words come from ltc_dashboard/record/record_requests.py's rules and their sources (docs/rules/
record_requests.md). A carer's request says who is writing and on whose behalf; the practice may
ask them for evidence that they may act for the person (ICO, "Right of access": a third party
"is responsible for providing evidence such as written authority"). Everything typed and every
name from the record is plain text here (textsafe.plain), and reaches reportlab's markup only
XML-escaped (textsafe.xml), so it is printed as written and never read as markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from ltc_dashboard.exports.pdf_sheet import FAMILY, font_text, register_fonts
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.record_requests import PROXY_ACCESS, RecordRequest
from ltc_dashboard.textsafe import plain, xml

ICO_EXTENSION = ("If you need more time because the request is complex, you may extend it by two further "
                 "months, but please tell me within the first month and explain why.")


@dataclass(frozen=True)
class Sender:
    """Who the request is about and who is writing: the record's own words, passed in by the service."""

    practice: str
    patient_name: str | None
    birth_date: object = None  # dt.date
    nhs_number: str | None = None
    record_starts: object = None  # dt.date: where the online record starts now, if set
    carer: str | None = None  # a carer writing on the patient's behalf (their RelatedPerson's name)


def _nhs(number: str | None) -> str | None:
    digits = (number or "").replace(" ", "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 and digits.isdigit() else number or None


def blocks(request: RecordRequest, who: Sender) -> list[tuple[str, str]]:
    """The request as (style, words) pairs: h1, line (one of a group of short lines), p (a
    paragraph; an empty one is a gap), item, blank (a line to fill in by hand)."""
    name = plain(who.patient_name) or "the patient"
    carer = plain(who.carer) if who.carer else None
    out = [("h1", request.title), ("line", f"To: {plain(who.practice)}"), ("line", f"Date: {human(request.made)}"),
           ("line", f"Patient: {name}")]
    if who.birth_date:
        out.append(("line", f"Date of birth: {human(who.birth_date)}"))
    if _nhs(who.nhs_number):
        out.append(("line", f"NHS number: {plain(_nhs(who.nhs_number))}"))
    out += [("p", ""), ("p", "Dear practice team,")]
    if carer:
        out.append(("p", f"I am {carer}, a carer for {name} with proxy access to their GP online services. "
                         "I am writing on their behalf. If you need evidence that I may act for them, such as "
                         "their written authority, please tell me what you need."))
    out += _body(request, name, carer, who)
    if request.details:
        out += [("line", "In my own words:" if not carer else "In my words:"),
                *[("line", line) for line in plain(request.details).split("\n") if line.strip()], ("p", "")]
    out += [("p", "Thank you."), ("line", carer or name), ("p", "")]
    out += [("blank", "Address"), ("blank", "Phone or email"), ("blank", "Signed")]
    if request.kind == "proxy":
        out.append(("blank", f"Signed by the carer, {plain(request.carer_name)}"))
    return out


def _body(request: RecordRequest, name: str, carer: str | None, who: Sender) -> list[tuple[str, str]]:
    me, my = (name, "their") if carer else ("me", "my")
    if request.kind == "historic":
        since = (f", including entries from before {human(who.record_starts)}, the day online access started"
                 if who.record_starts else "")
        then = ("Please tell us when it is switched on, or what you need first." if carer else
                "Please tell me when it is switched on, or what you need from me first.")
        return [("p", f"Please give {me} online access to {my} full (historic) GP record{since}. {then}")]
    if request.kind == "sar":
        return [
            ("p", f"This is a subject access request under the UK GDPR (Article 15, the right of access). "
                  f"Please send a copy of all the personal information you hold about {me}, including "
                  f"{my} full GP record with its letters and results."),
            ("p", "Please answer without undue delay and at the latest within one month of receiving this "
                  f"request (by {human(request.due)} if you receive it on {human(request.made)}). "
                  + ICO_EXTENSION),
            ("p", "If you need to check who I am, please tell me what you need."),
        ]
    relationship = plain(request.relationship)
    chosen = [("item", PROXY_ACCESS[code]) for code in request.access]
    return [
        ("p", f"I would like {plain(request.carer_name)}{f', my {relationship},' if relationship else ''} to have "
              "proxy access to my GP online services, so that they can help me. I would like them to be able to"
              + (":" if chosen else " (tick what applies):")),
        *(chosen or [("item", f"[ ] {words}") for words in PROXY_ACCESS.values()]),
        ("p", "I consent to this access. I understand that you decide what access, if any, to give, and "
              "that I can ask you to end it at any time."),
        ("p", "We can both prove who we are, for example with photo ID, in the way you ask."),
        ("line", f"Carer's name: {plain(request.carer_name)}"),
        ("line", f"Relationship to me: {relationship}") if relationship else ("blank", "Relationship to me"),
        ("p", ""),
    ]


def request_text(request: RecordRequest, who: Sender) -> str:
    """The request as plain text to copy into a message or email."""
    lines: list[str] = []
    previous = None
    for style, words in blocks(request, who):
        if lines and lines[-1] and (previous == "p" or (previous == "item" and style != "item")):
            lines.append("")  # a gap after a paragraph and after a list
        if style == "h1":
            lines += [words, "=" * len(words), ""]
        elif style == "item":
            lines.append(f"- {words}")
        elif style == "blank":
            lines.append(f"{words}: ______________________________")
        else:
            lines.append(words)
        previous = style
    return "\n".join(lines) + "\n"


def request_pdf(request: RecordRequest, who: Sender) -> bytes:
    """The request as a printable A4 PDF (the same bytes each time for the same request)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FAMILY, fontSize=11, leading=15, spaceAfter=5)
    styles = {"p": body, "h1": ParagraphStyle("h1", body, fontName=FAMILY + "-Bold", fontSize=16, leading=20,
                                              spaceAfter=10),
              "item": ParagraphStyle("item", body, leftIndent=14, bulletIndent=2, spaceAfter=2),
              "line": ParagraphStyle("line", body, spaceAfter=1), "blank": ParagraphStyle("blank", body, spaceBefore=10)}
    flow = []
    for style, words in blocks(request, who):
        if not words:
            flow.append(Spacer(1, 3 * mm))
            continue
        text = xml(font_text(plain(words)))
        if style == "blank":
            text += ": " + "_" * 40
        flow.append(Paragraph(text, styles[style], bulletText="•" if style == "item" else None))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=request.title, author="Long-term condition dashboard",
                            lang="en-GB", invariant=True)
    doc.build(flow)
    return out.getvalue()
