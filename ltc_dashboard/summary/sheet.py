"""The printable pre-consultation sheet: a `Summary` as Markdown.

Used by `ltc summary --format md`, the app's download button and the PDF export, so all three say
the same thing. Pure text formatting; everything in it already passed the access gate. Every
piece of record or personal text is written as text (textsafe: escaped for Markdown, bidi and
zero-width characters removed), so a name or a result holding Markdown or HTML stays words in any
Markdown viewer, and the PDF (ltc_dashboard/exports/pdf_sheet.py) reads the escapes back.
"""

from __future__ import annotations

from conditions import verdict
from conditions.base import ConditionView, MeasureView
from conditions.home import home_average_lines
from conditions.target_words import result_words
from ltc_dashboard.record.appointments import next_appointment, next_sentence
from ltc_dashboard.record.citations import review_words, source_words, unnest
from ltc_dashboard.record.dates import human
from ltc_dashboard.summary.core import Summary
from ltc_dashboard.textsafe import markdown_line as _words

STATUS_WORDS = {"ok": "Up to date", "due-soon": "Due soon", "overdue": "Overdue", "never": "Not recorded",
                "not-needed": "Not needed now", "undated": "Date not recorded"}
# A check with no result after the record's date boundary (issue 16): it may have been done before.
BOUNDARY_WORDS = {"proxy": "Not in what the carer can see"}
ONLINE_RECORD = "Not in the online record"
# The shared screen cannot tell an empty list from one the person keeps off it (Settings), so it
# never says there are none.
NO_QUESTIONS = {"clinic": "None listed here: the person's own questions show on the shared screen only if they choose."}


def _cell(text) -> str:
    """A table cell's text: one line, every Markdown character (the pipe too) escaped."""
    return _words(text)


def _latest(measure: MeasureView) -> tuple[str, str]:
    points = [p for p in measure.series if p.value is not None or p.text]
    if not points:
        return "no results", ""
    last = points[-1]
    value = result_words(last.value, measure.display_unit, last.comparator, last.text)  # words: no unit after
    said = verdict.words(measure, last)  # the one verdict, as the chart and table give it (issue 18)
    flag = f" ({said})" if said else ""
    return f"{value}{flag}".strip(), human(last.date)


def _target(measure: MeasureView) -> str:
    if not measure.target:
        return ""
    review = review_words(measure.target_verified)
    return unnest(f"{measure.target} ({source_words(measure.target_source)})") + (f". {review}" if review else "")


def _view(view: ConditionView, kind: str = "patient") -> list[str]:
    lines = [f"## {_words(view.title)}", ""] + [f"{_words(s.words)}\n" for s in view.situations]
    if view.boundary_note:
        lines += [_words(view.boundary_note), ""]
    missing = BOUNDARY_WORDS.get(kind, ONLINE_RECORD)
    if view.checks:
        lines += ["| Check | Last done | Next due | Status |", "|---|---|---|---|"]
        for check in view.checks:
            words = missing if check.before_boundary else STATUS_WORDS[check.status]
            status = words + (f", {check.addressed_by}" if check.addressed_by else "")
            last = human(check.last_done, check.last_done_precision or "day") if check.last_done else (missing.lower() if check.before_boundary else "never")
            lines.append(
                f"| {_cell(check.name)} | {last} |"
                f" {human(check.due) if check.due else '-'} | {_cell(status)} |"
            )
        lines.append("")
    measures = [m for m in view.measures if m.series]
    if measures:
        lines += ["| Measure | Latest | Date | Target (source) |", "|---|---|---|---|"]
        for measure in measures:
            value, when = _latest(measure)
            name = measure.plain_name[:1].upper() + measure.plain_name[1:]
            lines.append(f"| {_cell(name)} | {_cell(value)} | {_cell(when)} | {_cell(_target(measure))} |")
        lines.append("")
    for panel in view.panels:
        lines += [f"**{_words(panel.title)}**", ""]
        lines += [f"- {_words(label)}: {_words(state)}" + (f" ({_words(detail)})" if detail else "")
                  for label, state, detail in panel.items]
        lines.append("")
    return lines


def medicine_name(line) -> str:
    """A medicine as listed: its name, with the route or form when the record gives one
    ("Paracetamol (intravenous)"), so two routes of one medicine read as two entries."""
    route = (line.route or "").strip()
    return f"{line.name} ({route[:1].lower()}{route[1:]})" if route else line.name


def carer_scope_lines(summary: Summary, whose: str = "Your") -> list[str]:
    """What a carer's permission leaves out, in plain words (issue 16): when their view starts,
    when the permission ends, and that some sensitive entries may be withheld, never which. Said
    to every carer alike, so it tells nothing about what their record holds."""
    lines = []
    if summary.view_starts:
        lines.append(f"{whose} view starts on {human(summary.view_starts)}: entries from before then are not shown.")
    if summary.view_ends:
        lines.append(f"{whose} view ends on {human(summary.view_ends)}: entries from after then are not shown.")
    if summary.access_ends:
        lines.append(f"{whose} permission ends on {human(summary.access_ends)}.")
    lines.append("Some sensitive entries may be withheld from a carer's view.")
    return lines


def kept_questions(summary: Summary) -> list:
    """The questions the sheet lists: the ones the person wrote or kept (own_id set) and has not
    ticked off as asked, in their order. A suggestion they did not keep is not theirs to ask, so it
    stays on the page that suggests it (issue 18)."""
    return [q for q in summary.questions if q.own_id is not None and q.status != "asked"]


def appointment_lines(summary: Summary) -> list[str]:
    """"Your next appointment: ..." ("Their" for a carer) with the kept questions linked to it."""
    said = None if summary.death_notice else next_sentence(summary.appointments, summary.today, summary.viewer.kind)
    if said is None:
        return []
    soon = next_appointment(summary.appointments, summary.today)
    linked = [q for q in kept_questions(summary) if soon and q.appointment_id == soon.id]
    return [_words(said)] + [f"- For this appointment: {_words(q.text)}" for q in linked]


def summary_markdown(summary: Summary) -> str:
    """The pre-consultation sheet for one viewer and day."""
    who = _words(summary.patient.name or summary.patient.id)
    born = f" (born {human(summary.patient.birth_date)})" if summary.patient.birth_date else ""
    title = "Record summary" if summary.death_notice else "Appointment preparation"
    lines = [f"# {title}: {who}{born}", "", f"Prepared on {human(summary.today)}."]
    lines += appointment_lines(summary)  # issue 21: the next appointment and the questions for it
    if summary.viewer.kind == "proxy":
        lines.append("Prepared by a carer with proxy access: it shows only what the consent allows.")
        lines += carer_scope_lines(summary, "The carer's")
    if summary.viewer.kind == "clinic":
        lines.append("Shared-screen version: some sensitive entries are left out.")
    if summary.record_starts:
        lines.append(
            f"The online record starts on {human(summary.record_starts)}. Older results are not "
            "shown; that does not mean they were normal."
        )
    lines += [f"> {_words(notice)}" for notice in summary.notices]
    if summary.death_notice:  # clinical-reference §11.10: no appointment questions
        lines += ["", f"> {_words(summary.death_notice)}", ""]
    else:
        lines += ["", "## Questions to ask", ""]
        lines += [f"{n}. {_words(q.text)}" for n, q in enumerate(kept_questions(summary), 1)] or [NO_QUESTIONS.get(
            summary.viewer.kind, "No questions yet.")]
        lines.append("")
    if home := home_average_lines(summary):  # issue 20: the NICE home week
        lines += ["## Home readings", "", *(_words(line) for line in home), ""]
    for view in summary.conditions:
        lines += _view(view, summary.viewer.kind)
    current = [m for m in summary.medications if m.current]
    died = summary.died_on
    lines += [f"## Medicines listed as current on {human(died)}" if died else "## Current medicines", ""]
    lines += [f"- {_words(medicine_name(m))}" + (f" (last issued {human(m.last_issued)})" if m.last_issued else "")
              for m in current] or ["None recorded."]
    lines += ["", "## Recent letters", ""]
    lines += [f"- {human(l.date) if l.date else 'undated'}: {_words(l.title)}" for l in summary.letters[:5]] or ["None."]
    lines += ["", "---", "Made from the GP record by the long-term condition dashboard. It is not medical "
              "advice; every target names its source. Ask your practice if anything looks wrong.", ""]
    return "\n".join(lines)
