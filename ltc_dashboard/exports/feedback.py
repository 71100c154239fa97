"""Record accuracy feedback: who may flag an entry, what a flag points at, and the two things a
person takes to the practice: a rectification request letter and a FHIR `Communication`.

Pure functions over a `VisibleRecord` and its mapped `PatientRecord`: an entry that the viewer
cannot see cannot be flagged, described or sent.

Who may flag (clinical-reference §8.2, modelled for this project): the patient always; a carer
only on an entry a current Consent surely permits her to `correct` (R4 consent-action, in its own
system) and none might deny, at any depth (ltc_dashboard/gate/acting.py); the clinic shared screen never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conditions.base import number
from ltc_dashboard.exports.own_content import COMMENT_STATUS, TAG, category, extension, sender
from ltc_dashboard.gate.own_content import COMMENTS, own_rows
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.lookup_types import REFERENCED_ONLY
from ltc_dashboard.record.models import LabResult, PatientRecord
from ltc_dashboard.textsafe import markdown_line

_REFERENCE = re.compile(r"[A-Za-z]{1,64}/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?")

KIND_WORDS = {"looks_wrong": "This looks wrong", "comment": "Comment"}
STATUS_WORDS = {"draft": "Not sent yet", "sent": "Sent to the practice", "answered": "Answered by the practice"}
# Shared resources (practice, clinicians, medicine definitions) and raw files are not entries.
NOT_FLAGGABLE = REFERENCED_ONLY


class FlagRefused(ValueError):
    """A flag or comment this viewer may not make, or about an entry they cannot see."""


@dataclass(frozen=True)
class FlagItem:
    """One flag or comment with what the entry it is about says, for the page and the letter."""

    id: int
    reference: str  # Type/id
    version: str | None
    kind: str
    text: str
    status: str
    author: str
    created: str
    updated: str
    entry_date: str
    entry_says: str

    @property
    def about(self) -> str:
        """The entry as a FHIR reference, with its version when known."""
        return f"{self.reference}/_history/{self.version}" if self.version else self.reference


# -- who may flag -----------------------------------------------------------------------------
def may_flag(visible, reference: str | None = None) -> bool:
    """Whether the viewer of this visible record may flag entries (the entry `reference`, `Type/id`,
    when given): the gate's one rule for acting on a record (ltc_dashboard/gate/acting.py), which reads a
    carer's Consents as it reads them for seeing, asking for consent-action `correct`."""
    return visible.may_act(key=reference.split("#", 1)[0].split("/_history/", 1)[0] if reference else None)


# -- what a flag points at --------------------------------------------------------------------
def entry_reference(entry) -> str:
    """`Type/id` of the resource a mapped entry came from (a blood-pressure reading's panel)."""
    rid = getattr(entry, "source_id", None) or entry.id.split("#", 1)[0]
    return f"{entry.resource_type}/{rid}"


def resolve(visible, reference: str) -> tuple[str, str, str | None]:
    """(type, id, meta.versionId) of a visible entry, or FlagRefused."""
    base = reference.split("#", 1)[0].split("/_history/", 1)[0]
    rtype, _, rid = base.partition("/")
    if rtype in NOT_FLAGGABLE:
        raise FlagRefused("That is not an entry of the record that can be flagged.")
    resource = visible.get(f"{rtype}/{rid}")
    if resource is not None:
        version = (resource.get("meta") or {}).get("versionId")
        return rtype, rid, str(version) if version is not None else None
    raise FlagRefused("That entry is not in the record you can see, so it cannot be flagged.")


def _result_words(result: LabResult) -> str:
    name = terminology.measure(result.measure_id).plain_name if result.measure_id else result.name
    if result.value is not None:
        value = f"{result.comparator or ''}{number(result.value)}"
    else:
        value = result.value_text or "no value"
    unit = terminology.measure(result.measure_id).display_unit if result.measure_id else (result.unit or "")
    flag = f" ({result.flag})" if result.flag in ("high", "low") else ""
    return f"{name}: {value} {unit}".strip() + flag


def describe(record: PatientRecord, reference: str) -> tuple[str, str]:
    """(date in words, what the entry says) for a visible entry, from its mapped model."""
    rtype, _, rid = reference.partition("/")
    if rtype == "Patient" and record.patient:
        born = f", born {human(record.patient.birth_date)}" if record.patient.birth_date else ""
        return "", f"Personal details: {record.patient.name or 'no name'}{born}"
    parts = [r for r in record.results if r.id == rid or r.source_id == rid]
    if parts:
        return human(parts[0].date, parts[0].date_precision), "; ".join(_result_words(p) for p in parts)
    entry = record.by_id(rid)
    if entry is None:
        return "", f"{rtype} entry"
    when = human(entry.date, entry.date_precision) if entry.date else "undated"
    if hasattr(entry, "title") and entry.resource_type == "DocumentReference":
        says = entry.title + (f" from {entry.author}" if entry.author else "")
    elif hasattr(entry, "name") and entry.resource_type.startswith("Medication"):
        says = entry.name + (f" ({entry.dosage_text})" if entry.dosage_text else "")
    else:
        says = entry.text or getattr(entry, "description", None) or f"{rtype} entry"
    return when, says


def flag_items(visible, record: PatientRecord, rows: list[dict]) -> list[FlagItem]:
    """The viewer's flags and comments on entries they can still see, newest first."""
    items = []
    for row in own_rows(visible, COMMENTS, rows, None):  # the gate's own-content rule
        reference = f"{row['resource_type']}/{row['resource_id']}"
        when, says = describe(record, reference)
        items.append(FlagItem(
            id=row["id"], reference=reference, version=row.get("resource_version"), kind=row["kind"],
            text=row["text"], status=row["status"], author=row["author"], created=row["created"],
            updated=row["updated"], entry_date=when, entry_says=says,
        ))
    return items


# -- what goes to the practice ----------------------------------------------------------------
def practice(visible) -> tuple[str, list[dict]]:
    """The practice's name and references, from the patient's registered GP practice."""
    refs = [ref for r in visible.resources_of("Patient")
            for ref in r.get("generalPractitioner") or [] if isinstance(ref, dict)]
    orgs = {f"Organization/{r.get('id')}": r for r in visible.resources_of("Organization")}
    for ref in refs:
        org = orgs.get(ref.get("reference"))
        if org and org.get("name"):
            return org["name"], [{"reference": ref["reference"]}]
    return "The GP practice", []


def communication(row: dict, patient_id: str, recipients: list[dict] | None = None, sent: str | None = None) -> dict:
    """One flag or comment as an R4 Communication about the entry (`Type/id/_history/version`).

    `sent` (a date) marks a copy made to send now; otherwise the stored status says whether and
    when it was sent."""
    about = f"{row['resource_type']}/{row['resource_id']}"
    if row.get("resource_version"):
        about += f"/_history/{row['resource_version']}"
    code = "looks-wrong" if row["kind"] == "looks_wrong" else "comment"
    status = "completed" if sent else COMMENT_STATUS.get(row["status"], "unknown")
    resource = {
        "resourceType": "Communication", "id": f"own-comment-{row['id']}", "meta": {"tag": [TAG]},
        "extension": [extension(row, "id", "author", "kind", "status", "created", "updated")],
        "status": status, "category": category(code), "subject": {"reference": f"Patient/{patient_id}"},
        "about": [{"reference": about}],
    }
    when = sent or (row.get("updated") if row.get("status") in ("sent", "answered") else None)
    if when:
        resource["sent"] = when
    if recipients:
        resource["recipient"] = recipients
    who = sender(row.get("author") or "", patient_id)
    if who:
        resource["sender"] = who
    resource["payload"] = [{"contentString": row["text"]}]
    return resource


def rectification_letter(items: list[FlagItem], record: PatientRecord, visible, proxy_name: str | None = None) -> str:
    """A plain-text (Markdown) letter asking the practice to check and correct the flagged entries."""
    info = record.patient
    name = markdown_line((info.name if info and info.name else None) or "the patient")
    practice_name = markdown_line(practice(visible)[0])
    proxy_name = markdown_line(proxy_name) if proxy_name else None
    details = [f"To: {practice_name}", f"Date: {human(visible.today)}", f"Patient: {name}"]
    if info and info.birth_date:
        details.append(f"Date of birth: {human(info.birth_date)}")
    if info and info.nhs_number:
        digits = info.nhs_number.replace(" ", "")
        spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits
        details.append(f"NHS number: {spaced}")
    lines = ["# Request to correct a health record", "", *[f"{d}  " for d in details], ""]
    lines += ["Dear practice team,", ""]
    if visible.viewer.kind == "proxy":
        lines.append(f"I am {proxy_name or 'a carer'}, and I have proxy access to the online GP record of "
                     f"{name}. Reading it, I think some entries may be wrong or incomplete.")
    else:
        lines.append("I have read my GP record online and I think some entries may be wrong or incomplete.")
    lines += [
        "Under the UK GDPR (Article 16, the right to rectification) please check the entries below, "
        "correct them where they are wrong, and where you think they are right please add my comment "
        "to the record. Please reply within one month.", "",
    ]
    if not items:
        lines += ["(No entries are listed.)", ""]
    for n, item in enumerate(items, 1):
        says = markdown_line(item.entry_says)  # record and personal text as text (textsafe)
        lines += [f"## {n}. {KIND_WORDS.get(item.kind, 'Comment')}: {says}", ""]
        lines.append(f"- Date of the entry: {markdown_line(item.entry_date or 'not dated')}")
        lines.append(f"- What the record says: {says}")
        plain_ref = _REFERENCE.fullmatch(item.about or "")  # Type/id/_history/n as written, else as text
        lines.append(f"- Reference: {item.about if plain_ref else markdown_line(item.about)}")
        lines.append(f"- My comment: {markdown_line(item.text)}")
        lines.append("")
    sign = proxy_name if visible.viewer.kind == "proxy" and proxy_name else name
    lines += ["Thank you,", "", sign, ""]
    return "\n".join(lines)
