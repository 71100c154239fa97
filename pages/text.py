"""Words the pages show: dates, statuses, intervals, targets, who looked. Pure functions, no
streamlit, so they are tested directly and every page says things the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from conditions import verdict as verdicts
from conditions.base import CheckView, MeasureView, number
from conditions.target_words import result_words
from ltc_dashboard import textsafe
from ltc_dashboard.record.citations import plain_words, review_words, source_words, unnest  # noqa: F401  (the pages' words for sources)
from ltc_dashboard.record.dates import human

UK = ZoneInfo("Europe/London")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

# Status as an icon and words together: colour (or an icon) is never the only signal.
STATUS = {
    "ok": ("✅", "Up to date"),
    "due-soon": ("⏳", "Due soon"),
    "overdue": ("⚠️", "Overdue"),
    "never": ("❔", "No record found"),
    "not-needed": ("➖", "Not needed now"),
    "undated": ("❔", "Date not recorded"),  # done perhaps, on a date that cannot be read (issue 18)
}
ATTENTION = ("overdue", "due-soon", "never", "undated")


# FHIR status codes a page shows, in plain words (issue 18: never "(in-progress)"). A code not
# listed is shown with its hyphens as spaces ("not-achieved" reads "not achieved").
CODE_WORDS = {
    "in-progress": "in progress", "not-started": "not started", "on-hold": "on hold",
    "entered-in-error": "entered in error", "revoked": "stopped", "unknown": "not known",
    "final": "final", "preliminary": "preliminary (not final)", "registered": "registered, no result yet",
    "amended": "amended", "corrected": "corrected", "cancelled": "cancelled", "no-change": "no change",
    "not-achieved": "not achieved", "no-progress": "no progress", "not-attainable": "not attainable",
}


def code_words(code: str | None, empty: str = "not recorded") -> str:
    """A FHIR status code as plain words: "in-progress" reads "in progress"."""
    if not code:
        return empty
    return CODE_WORDS.get(code, code.replace("-", " "))


def day(value: dt.date | None, empty: str = "no date") -> str:
    """A date as "5 March 2026"."""
    return human(value) if value else empty


def humanise(text: str | None) -> str:
    """Rewrite ISO dates inside a sentence ("declined on 2026-03-03") as "3 March 2026"."""
    if not text:
        return ""

    def _one(match: re.Match) -> str:
        try:
            return human(dt.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    return _ISO_DAY.sub(_one, text)


def escape_markdown(text: str | None) -> str:
    """Record or personal text made safe for st.markdown and every other element that reads
    Markdown: no formatting, links, images or HTML, no bidi or zero-width characters, line
    breaks kept (textsafe.markdown: the one place this is done for the pages)."""
    return textsafe.markdown(text)


def md_line(text: str | None) -> str:
    """Record or personal text for a one-line Markdown place: a heading, list item, label or
    table cell (textsafe.markdown_line)."""
    return textsafe.markdown_line(text)


def plain(text: str | None) -> str:
    """Record or personal text for a place that shows plain text (select box options, st.text,
    download file contents): bidi, zero-width and control characters removed (textsafe.plain)."""
    return textsafe.plain(text)


def code_span(text: str | None) -> str:
    """Record, file or server text as one inline code span (a file name, a server address): made
    plain, on one line, with no backtick left to end the span early. Markdown inside a code span
    is shown as written, so nothing in it formats, links or loads an image."""
    return "`" + " ".join(plain(text).split("\n")).replace("`", "'") + "`"


ONLINE_RECORD = "Not in your online record"


def missing_words(viewer_kind: str, name: str | None = None) -> str:
    """What a check with no visible result under a date boundary is called (issue 16): "Not in
    your online record", for a carer "Not in what you can see of Pat's record"; never "never"."""
    if viewer_kind != "proxy":
        return ONLINE_RECORD
    first = (name or "").split()
    return f"Not in what you can see of {first[0]}'s record" if first else "Not in what you can see of their record"


def status_label(status: str, before_boundary: bool = False, missing: str = ONLINE_RECORD) -> str:
    """A check status as icon and words, e.g. "⚠️ Overdue"; a check whose last result would be
    before the record's date boundary is "❔ Not in your online record" (`missing`)."""
    icon, words = STATUS.get(status, ("", status))
    if before_boundary and status == "never":
        words = missing
    return f"{icon} {words}".strip()


def interval_words(days: int | None) -> str:
    """How often, in plain words: "every year", "every 6 months", "every 2 weeks"."""
    if not days:
        return ""
    if days >= 364 and (days % 365 in (0, 1) or days % 366 == 0):
        years = max(1, round(days / 365.25))
        return "every year" if years == 1 else f"every {years} years"
    if days >= 28:
        months = max(1, round(days / 30.44))
        return "every month" if months == 1 else f"every {months} months"
    if days % 7 == 0:
        return "every week" if days == 7 else f"every {days // 7} weeks"
    return "every day" if days == 1 else f"every {days} days"


def target_line(measure: MeasureView) -> str:
    """The target and where it comes from, e.g. "Target: 53 mmol/mol or below (source: NICE NG28)"."""
    if not measure.target:
        return "No target is set for this measure."
    label = "Target" if has_bounds(measure) else "For reference"
    review = review_words(measure.target_verified)
    return unnest(f"{label}: {measure.target} (source: {source_words(measure.target_source)})") + (f". {review}" if review else "")


def has_bounds(measure: MeasureView) -> bool:
    """Whether the target has numbers to compare with (a band like MMSE stages has none)."""
    return measure.target_low is not None or measure.target_high is not None


def check_row(check: CheckView, missing: str = ONLINE_RECORD) -> dict[str, str]:
    """One check as a table row, its status in words with an icon (`missing`: the words for a
    check not in the online record, `missing_words`)."""
    status = status_label(check.status, check.before_boundary, missing)
    if check.addressed_by:
        status += f" ({humanise(check.addressed_by)})"
    return {
        "Check": check.name,
        "Status": status,
        "Last done": human(check.last_done, check.last_done_precision or "day") if check.last_done else (
            missing[:1].lower() + missing[1:] if check.before_boundary else "not recorded"),
        "Next due": day(check.due, "now") if check.status != "ok" or check.due else "",
        "How often": interval_words(check.interval_days),
        "Source": " ".join(filter(None, (source_words(check.source) + ".", review_words(check.verified, "interval")))),
    }


def latest_point(measure: MeasureView):
    """The most recent point that has a number, or None."""
    return verdicts.latest_valued(measure)


def off_target(measure: MeasureView) -> str | None:
    """"above" or "below" when the latest value is outside the target shown, else None: the one
    verdict rule (conditions/verdict.py), so a comparator that leaves the side unknown says nothing."""
    return verdicts.latest_side(measure)


def outside_words(measure: MeasureView, side: str, owner: str = "your") -> str:
    """How the latest result sits outside the target, in words that hold for the bound the verdict
    used (issue 18): "above your target of 53 mmol/mol" when the target holds 53; for one that
    excludes its bound ("below 48") never "48, above your target of 48" but "at or above 48
    mmol/mol, outside your target, which is below 48 mmol/mol". `owner` is the viewer's word for
    whose target it is ("your" only to the patient; "the" to a carer or the shared screen)."""
    above = side == "above"
    bound = measure.target_high if above else measure.target_low
    inclusive = measure.target_high_inclusive if above else measure.target_low_inclusive
    if inclusive:
        return f"{side} {owner} target of {value_words(bound, measure.display_unit)}"
    at = "at or above" if above else "at or below"
    return f"{at} {value_words(bound, measure.display_unit)}, outside {owner} target, which is {measure.target}"


def value_words(value: float | None, unit: str, comparator: str | None = None, text: str | None = None) -> str:
    """A value with its unit: "58 mmol/mol", "<5 mg/L", or the result's own words (conditions/target_words)."""
    return result_words(value, unit, comparator, text)


def when(stamp: str | None) -> str:
    """An ISO timestamp as UK local time: "25 November 2026, 14:05"."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(UK)
    return f"{human(local.date())}, {local:%H:%M}"


def viewer_words(kind: str, proxy_name: str | None = None) -> str:
    """Who looked, in the patient's words."""
    if kind == "patient":
        return "You"
    if kind == "clinic":
        return "Shared screen (with your clinic)"
    return f"{proxy_name or 'A carer'} (carer with proxy access)"


def _question_key(text: str | None) -> str:
    """A question's words compared without case, spacing or the closing punctuation."""
    return " ".join((text or "").casefold().split()).rstrip(" ?.!")


def kept_as(questions, text: str | None, rule_id: str | None = None) -> int | None:
    """The number of the question in this viewer's own list (issue 18: "already in your
    questions") that says the same words, or keeps the same suggestion, else None. Only the list
    this viewer is shown counts, so a carer learns nothing about questions hidden from them."""
    own = [q for q in questions if q.own_id is not None]
    wanted = _question_key(text)
    for n, question in enumerate(own, start=1):
        if (rule_id and question.rule_id == rule_id) or (wanted and _question_key(question.text) == wanted):
            return n
    return None


# The two page titles that speak as the person (issue 18): a carer sees them about the person they
# care for. The shared screen keeps the person's own words; the person is in the room.
TITLES = {
    "questions": {"proxy": "Questions for their appointment"},
    "feedback": {"proxy": "Check their record"},
}
OWN_TITLES = {"questions": "My questions", "feedback": "Check my record"}


def page_title(page: str, viewer_kind: str) -> str:
    """A page's title for this viewer: "My questions", for a carer "Questions for their appointment"."""
    return TITLES[page].get(viewer_kind, OWN_TITLES[page])
