"""Letters (DocumentReference, optionally with a Binary), carers and attorneys (RelatedPerson)
and access decisions (Consent)."""

from __future__ import annotations

import html

from .fhir import (ACT_CODE, CONSENT_SCOPE, PARTICIPATION, at, b64, coding, concept, day, ref,
                   security, sha1_b64, spaced_nhs_number)
from .practice import EXTERNAL, GP_ID, PRACTICE_ID
from .record import Record

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


def long_date(when: str) -> str:
    """A date as NHS content style writes it: "5 March 2026" (no locale involved)."""
    date = day(when)
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def heading(name: str, birth_date: str, nhs_number: str, address: str) -> str:
    """The "Re:" line a UK letter opens with: who the letter is about."""
    return (f"Re: {name}, born {long_date(birth_date)}, "
            f"NHS number {spaced_nhs_number(nhs_number)}, {address}")


def letter_text(rec: Record, when: str, org_id: str, author: str, paragraphs: list[str],
                to: str = "Dr Priya Sample, The Example Surgery") -> str:
    """The plain text of a letter: sender, date, addressee, patient line, body and signature."""
    sender = EXTERNAL[org_id][0] if org_id in EXTERNAL else "The Example Surgery (demo)"
    lines = [sender, long_date(when), "", f"To: {to}", "", rec.re_line, "", *_join(paragraphs),
             "Yours sincerely,", "", author, "",
             "SYNTHETIC DEMONSTRATION RECORD - not a real person."]
    return "\n".join(lines) + "\n"


def _join(paragraphs: list[str]) -> list[str]:
    out = []
    for para in paragraphs:
        out.extend([para, ""])
    return out


def letter_html(title: str, text: str) -> str:
    """The same letter as a small, self-contained HTML page (one <p> per paragraph)."""
    blocks = [block for block in text.strip().split("\n\n") if block.strip()]
    body = "\n".join("<p>" + html.escape(block).replace("\n", "<br>") + "</p>" for block in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en-GB">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
            f"{body}\n</body>\n</html>\n")


def letter(rec: Record, did: str, when: str, *, title: str, doc_type: dict, org_id: str,
           author: str, paragraphs: list[str], kind: str = "text", category: dict | None = None,
           labels: tuple[str, ...] = (), clock: str = "14:00",
           to: str = "Dr Priya Sample, The Example Surgery") -> dict:
    """A letter as a DocumentReference; kind "text" and "html" inline the content (base64),
    kind "binary" stores it in a Binary resource that the attachment points at."""
    text = letter_text(rec, when, org_id, author, paragraphs, to)
    attachment: dict = {"language": "en-GB", "title": title, "creation": at(when, clock)}
    if kind == "html":
        page = letter_html(title, text)
        attachment = {"contentType": "text/html", **attachment, "data": b64(page)}
    elif kind == "binary":
        binary_id = rec.rid("binary", did)
        rec.add({"resourceType": "Binary", "id": binary_id, "contentType": "text/plain",
                 "securityContext": rec.subject(), "data": b64(text)})
        attachment = {"contentType": "text/plain", **attachment, "url": f"Binary/{binary_id}",
                      "size": len(text.encode("utf-8")), "hash": sha1_b64(text)}
    else:
        attachment = {"contentType": "text/plain", **attachment, "data": b64(text)}
    meta: dict = {"versionId": "1"}
    if labels:
        meta["security"] = security(*labels)
    res = {"resourceType": "DocumentReference", "id": rec.rid("doc", did), "meta": meta,
           "status": "current", "docStatus": "final", "type": doc_type}
    if category:
        res["category"] = [category]
    author_ref = (ref("Organization", org_id, author) if org_id in EXTERNAL
                  else ref("Practitioner", GP_ID, author))
    res.update({"subject": rec.subject(), "date": at(when, clock), "author": [author_ref],
                "custodian": ref("Organization", PRACTICE_ID), "description": title,
                "content": [{"attachment": attachment}],
                "context": {"period": {"start": when, "end": when}}})
    return rec.add(res)


def related_person(rec: Record, rp_id: str, given: str, family: str, relationships: list[dict],
                   start: str, mobile: str, end: str | None = None) -> dict:
    """A carer, relative or attorney linked to the patient, with when the role is valid."""
    period = {"start": start}
    if end:
        period["end"] = end
    return rec.add({"resourceType": "RelatedPerson", "id": rec.rid("rp", rp_id),
                    "active": end is None, "patient": rec.subject(),
                    "relationship": relationships,
                    "name": [{"use": "official", "given": [given], "family": family,
                              "text": f"{given} {family}"}],
                    "telecom": [{"system": "phone", "value": mobile, "use": "mobile"}],
                    "period": period})


def _consent_base(rec: Record, cid: str, decided: str, performer: dict, policy: str) -> dict:
    return {"resourceType": "Consent", "id": rec.rid("consent", cid), "status": "active",
            "scope": concept("Privacy Consent", coding(CONSENT_SCOPE, "patient-privacy",
                                                       "Privacy Consent")),
            "category": [concept("information access", coding(ACT_CODE, "INFA",
                                                              "information access"))],
            "patient": rec.subject(), "dateTime": decided, "performer": [performer],
            "organization": [ref("Organization", PRACTICE_ID)],
            "policyRule": {"text": policy}}


def proxy_consent(rec: Record, cid: str, proxy_id: str, *, decided: str, start: str, end: str,
                  data_start: str) -> dict:
    """Proxy access for a RelatedPerson as clinical-reference §8.2 models it: permit for the
    actor over `provision.period`, covering data from `data_start`, denying NOPAT and SDV."""
    res = _consent_base(rec, cid, decided, rec.subject(),
                        "Proxy access authorised by the practice (DAPB3051 proxy use case)")
    res["provision"] = {
        "type": "permit", "period": {"start": start, "end": end},
        "actor": [{"role": concept("information recipient", coding(PARTICIPATION, "IRCP",
                                                                    "information recipient")),
                   "reference": ref("RelatedPerson", rec.rid("rp", proxy_id))}],
        "dataPeriod": {"start": data_start},
        "provision": [{"type": "deny", "securityLabel": security("NOPAT", "SDV")}]}
    return rec.add(res)


def access_start_consent(rec: Record, cid: str, start: str) -> dict:
    """The patient's own online access, prospective from `start` (clinical-reference §8.3)."""
    res = _consent_base(rec, cid, start, rec.subject(),
                        "Prospective online record access (GP contract, from 31 October 2023)")
    res["provision"] = {
        "type": "permit", "period": {"start": start},
        "actor": [{"role": concept("information recipient", coding(PARTICIPATION, "IRCP",
                                                                    "information recipient")),
                   "reference": rec.subject()}],
        "dataPeriod": {"start": start}}
    return rec.add(res)
