"""Asking the practice for more of the record (issue 21): the three requests a person can prepare,
the one check of what was typed for them, and when an answer is due.

* `historic`: online access to the full (historic) record. Online access shows entries from the
  day it was switched on; older ones need a request (clinical-reference §8.3, [R13]; RCGP GP
  online services toolkit). No answer date: the rules this app follows set none.
* `sar`: a subject access request under the UK GDPR right of access. The practice must answer
  without undue delay and at the latest within one month of receiving it; the month runs from the
  day of receipt to the same date in the next month, or that month's last day when it has no such
  date (31 January -> 28 or 29 February). It may extend by two further months for a complex
  request or several from one person, telling the person within the first month (ICO, "Right of
  access: what should we consider when responding to a request?"; docs/rules/record_requests.md).
* `proxy`: proxy access for a named carer: their name (required), how they are related and what
  they should be able to do (a line to fill in and boxes to tick on the printed request when not
  typed), the patient's consent and identity checks for both (NHS website "How to get proxy
  access"; NHS England proxy application service; RCGP toolkit). The patient's own request only.

Every check names the field and says what is wrong in plain words, so a form keeps what was typed
and shows the reason beside it (as ltc_dashboard/record/readings.py does for home readings).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from pydantic import BaseModel

from ltc_dashboard import textsafe

KINDS = ("historic", "sar", "proxy")
KIND_WORDS = {
    "historic": "Request for access to the full (historic) record",
    "sar": "Subject access request",
    "proxy": "Request for proxy access for a carer",
}
# What a proxy may be given, as the NHS website and the proxy application service list GP
# online services: code -> words after "to be able to".
PROXY_ACCESS = {
    "appointments": "book and cancel appointments",
    "prescriptions": "order repeat prescriptions",
    "record": "see my online GP record",
}
MAX_NAME = 100  # a carer's name
MAX_RELATIONSHIP = 60  # "daughter", "husband", "friend and neighbour"
MAX_DETAILS = 1000  # what the person adds in their own words
# Removed by textsafe.plain from shown text; refused here so what is kept is what was meant. Line
# breaks are allowed only in the details.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                          "\u2028\u2029\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")


class RequestInvalid(ValueError):
    """What was typed is not a request that can be kept; `problems` maps each field (kind,
    carer_name, relationship, access, details) to a plain reason."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


class RecordRequest(BaseModel, frozen=True):
    """One request the person prepared, with the day it was made and when an answer is due."""

    id: int | None = None
    patient_id: str
    kind: str
    made: dt.date  # the UK day it was prepared
    due: dt.date | None = None  # a subject access request's answer date; None where no rule sets one
    carer_name: str | None = None  # proxy: who should have access
    relationship: str | None = None  # proxy: how they are related to the patient
    access: tuple[str, ...] = ()  # proxy: PROXY_ACCESS codes
    details: str | None = None  # the person's own words, optional
    author: str  # who prepared it: "patient" or "proxy:RelatedPerson/ID"

    @property
    def title(self) -> str:
        return KIND_WORDS[self.kind]

    def row(self) -> dict:
        """The store's columns (dates as ISO, access as a comma list)."""
        data = self.model_dump(exclude={"id"})
        data.update(made=self.made.isoformat(), due=self.due.isoformat() if self.due else None,
                    access=",".join(self.access))
        return data

    @classmethod
    def from_row(cls, row: dict) -> "RecordRequest":
        """A stored row read back."""
        fields = {k: row.get(k) for k in cls.model_fields if k in row}
        fields["made"] = dt.date.fromisoformat(row["made"])
        fields["due"] = dt.date.fromisoformat(row["due"]) if row.get("due") else None
        fields["access"] = tuple(a for a in (row.get("access") or "").split(",") if a)
        return cls(**fields)


def one_calendar_month_after(day: dt.date) -> dt.date:
    """The same date in the next month, or that month's last day when it has none (the ICO's
    reading of "one month": 3 December -> 3 January, 31 January -> 28 February, or 29 in a leap
    year, 31 August -> 30 September)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def answer_due(kind: str, made: dt.date) -> dt.date | None:
    """When the practice's answer is due for a request made (and received) on `made`: one
    calendar month for a subject access request; None for the others, where no rule this app
    knows sets a time."""
    return one_calendar_month_after(made) if kind == "sar" else None


def _text(value, field: str, words: str, limit: int, problems: dict, required: bool = False,
          lines: bool = False) -> str | None:
    """One typed field, trimmed, or None when empty; a problem noted when it is required and
    empty, too long, or holds a character that cannot be printed."""
    text = value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""
    if not text:
        if required:
            problems[field] = f"Write {words}."
        return None
    bad = _UNPRINTABLE.search(text) or (None if lines else re.search("[\n\t\r]", text))
    if bad:
        problems[field] = (f"{words[:1].upper()}{words[1:]} has a character that cannot be printed "
                           f"(a control or invisible character{'' if lines else ', a tab or a line break'}). "
                           "Remove it and type the words again.")
    elif len(text) > limit:
        problems[field] = (f"{words[:1].upper()}{words[1:]} is {len(text):,} characters long; the limit is "
                           f"{limit:,}. Shorten it.")
    return text


def _quoted(text: str) -> str:
    """Typed words quoted in a reason: short, with nothing unprintable."""
    return _UNPRINTABLE.sub("", text)[:30]


def check(patient_id: str, kind: str, made: dt.date, author: str, carer_name=None, relationship=None,
          access=(), details=None) -> RecordRequest:
    """A request as typed, checked: RequestInvalid names every problem at once."""
    problems: dict[str, str] = {}
    if kind not in KINDS:
        raise RequestInvalid({"kind": f"Unknown kind of request '{str(kind):.20}'. Choose one of: "
                                      + ", ".join(KINDS) + "."})
    fields = {}
    if kind == "proxy":
        fields["carer_name"] = _text(carer_name, "carer_name", "the carer's name", MAX_NAME, problems, True)
        problem = textsafe.name_problem(fields["carer_name"]) if fields["carer_name"] else None
        if problem and "carer_name" not in problems:
            problems["carer_name"] = f"The carer's name {problem}"
        fields["relationship"] = _text(relationship, "relationship", "how the carer is related to you",
                                       MAX_RELATIONSHIP, problems)
        unknown = [str(code) for code in access or () if code not in PROXY_ACCESS]
        if unknown:
            problems["access"] = (f"Unknown access '{_quoted(unknown[0])}'. Choose from: "
                                  + ", ".join(f"{code} ({words})" for code, words in PROXY_ACCESS.items()) + ".")
        fields["access"] = tuple(code for code in PROXY_ACCESS if code in set(access or ()))
    elif carer_name or relationship or access:
        problems["carer_name"] = "A carer's name, relationship and access belong only to a request for proxy access."
    fields["details"] = _text(details, "details", "what you add in your own words", MAX_DETAILS, problems,
                              lines=True)
    if problems:
        raise RequestInvalid(problems)
    return RecordRequest(patient_id=patient_id, kind=kind, made=made, due=answer_due(kind, made),
                         author=author, **fields)
