"""Who sees which of the person's own content (questions, comments on entries, own goals and
progress notes, home readings): the gate's one rule for it (issue 19; it was written in
ltc_dashboard/exports/own_content.py, ltc_dashboard/exports/feedback.py and ltc_dashboard/service/readings.py). ltc_dashboard/gate/access.py exports it
with the rest of the gate; the summary, the pages' lists and every export ask it.

Own content lives in the store's personal tables, not in the record, so the gate's record rules
do not reach it; this is the rule in their place, fail closed:

* a carer sees only what that carer wrote (how a Consent would let a carer see the person's own
  content is not decided yet, so it is withheld);
* the patient and the shared screen see nothing a carer wrote, except home readings, which the
  patient sees whoever entered them (issue 20);
* the shared screen shows no comments, the person's questions, goals and notes only when they
  chose to show them there (off unless chosen), and home readings unless they chose to hide them
  there (`ScreenChoices`, read from their preferences by `screen_choices`, at the end);
* a comment only while the entry it is about is visible; a progress note only while its goal is;
  a kept suggestion (a question) only while every entry it was built from is visible (one kept
  before its sources were recorded, to the patient alone);
* home readings: nobody whose view of the record the gate refuses, and only the record's own;
* repeat orders (issue 21, attack 21b): nobody whose view the gate refuses, never the shared
  screen, only the record's own; the patient every order whoever made it, a carer her own; and
  only while the medicine it names is visible to this viewer: its repeat (`medication_id`, a
  MedicationRequest) and every entry it was made from (`entry_ids`), as comments are withheld
  with the entry they are about. An order of a medicine the practice later restricts names it
  to nobody, the patient included;
* requests to the practice for more of the record (issue 21): as repeat orders, but with no
  medicine to check: the patient every request, a carer her own, never the shared screen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ltc_dashboard import preference_keys

QUESTIONS, COMMENTS, GOALS, PROGRESS, READINGS = "questions", "comments", "goals", "progress", "readings"
ORDERS, REQUESTS = "orders", "requests"
KINDS = (QUESTIONS, COMMENTS, GOALS, PROGRESS, READINGS, ORDERS, REQUESTS)
# Kinds the patient sees whoever made them, that nobody the gate refuses sees, and that are of
# this record alone (the patient's own store rows for it).
_RECORD_KINDS = (READINGS, ORDERS, REQUESTS)
_MEDICINE_TYPES = ("MedicationRequest", "MedicationStatement")


@dataclass(frozen=True)
class ScreenChoices:
    """What the person chose to show on the shared clinic screen (the defaults hold when unset)."""

    own: bool = False  # their questions, goals and progress notes
    readings: bool = True  # their home readings


def on_shared_screen(kind: str, choices: ScreenChoices | None) -> bool:
    """Whether the shared clinic screen shows this kind of own content, by the person's choice."""
    choices = choices or ScreenChoices()
    if kind in (COMMENTS, ORDERS, REQUESTS):
        return False
    return choices.readings if kind == READINGS else choices.own


def by_author(viewer, kind: str, rows: list[dict]) -> list[dict]:
    """The rows this viewer may see by who wrote them: a carer only her own; the patient and the
    shared screen nothing a carer wrote (home readings, orders and requests: all of them)."""
    if viewer.kind == "proxy":
        return [r for r in rows if r.get("author") == str(viewer)]
    if viewer.kind not in ("patient", "clinic"):
        return []
    if kind in _RECORD_KINDS:
        return list(rows)
    return [r for r in rows if not str(r.get("author") or "").startswith("proxy:")]


def by_viewer(visible, kind: str, rows: list[dict], choices: ScreenChoices | None) -> list[dict]:
    """The rows of one kind this viewer may see by who they are and who wrote them, before the
    checks against the entries they are about (`own_rows`)."""
    viewer = visible.viewer
    if kind in _RECORD_KINDS and visible.denied_reason:
        return []
    if viewer.kind == "clinic" and not on_shared_screen(kind, choices):
        return []
    rows = by_author(viewer, kind, rows)
    if kind in _RECORD_KINDS:
        rows = [r for r in rows if r.get("patient_id") == viewer.patient_id]
    return rows


def own_rows(visible, kind: str, rows: list[dict], choices: ScreenChoices | None,
             goals: list[dict] | None = None) -> list[dict]:
    """The rows of one kind of own content this viewer may see. For progress notes, `goals` are
    the own goal rows this viewer sees (a note on another of them is withheld)."""
    shown = by_viewer(visible, kind, rows, choices)
    if kind == QUESTIONS:
        return [row for row in shown if question_visible(visible, row)]
    if kind == COMMENTS:
        keys = visible.key_set
        return [c for c in shown if f"{c['resource_type']}/{c['resource_id']}" in keys]
    if kind == PROGRESS:
        refs = set(visible.key_set) | {f"own/{g['id']}" for g in goals or ()}
        return [p for p in shown if p.get("goal_ref") in refs]
    if kind == ORDERS:
        return [row for row in shown if order_visible(visible, row)]
    return shown


def order_visible(visible, row: dict) -> bool:
    """Whether the medicine a repeat order names is visible to this viewer: its repeat and every
    entry it was made from (fail closed: a row that does not say which, never)."""
    focus, entries = row.get("medication_id"), row.get("entry_ids")
    if not isinstance(focus, str) or not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return False
    return visible.sees(f"MedicationRequest/{focus}") and all(
        any(visible.sees(f"{rtype}/{entry}") for rtype in _MEDICINE_TYPES) for entry in entries)


def sources_of(row: dict) -> list[str] | None:
    """The entry keys a kept suggestion was built from, or None when they were not recorded (a
    row kept before they were, or a value that is not a JSON list of texts)."""
    text = row.get("sources")
    try:
        keys = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return keys if isinstance(keys, list) and all(isinstance(k, str) for k in keys) else None


def question_visible(visible, row: dict) -> bool:
    """Whether a question row passes the gate for this viewer: the person's own words always do;
    a kept suggestion only while every entry it was built from is visible (fail closed: one with
    no recorded sources only to the patient)."""
    if row.get("source") != "suggested":
        return True
    keys = sources_of(row)
    if keys is None:
        return visible.viewer.kind == "patient"
    return all(visible.sees(key) for key in keys)


# -- what the person chose for the shared screen, read from their preferences ------------------
def screen_choices(preferences: dict | None) -> ScreenChoices:
    """What the person chose to show on the shared screen, read from their preferences."""
    return ScreenChoices(
        own=preference_keys.value(preferences, preference_keys.SHARED_SCREEN_OWN) == "yes",
        readings=preference_keys.value(preferences, preference_keys.SHARED_SCREEN_READINGS) != "hide")


def shows_own_on_shared_screen(preferences: dict | None) -> bool:
    """Whether the person chose to show their own questions, goals and notes on the shared screen."""
    return on_shared_screen(QUESTIONS, screen_choices(preferences))


def questions_for(visible, rows: list[dict], preferences: dict | None) -> tuple[list[dict], int]:
    """The question rows this viewer may see, and how many of the viewer's own kept questions are
    withheld because an entry they came from is not visible to them."""
    choices = screen_choices(preferences)
    theirs = by_viewer(visible, QUESTIONS, rows, choices)
    shown = own_rows(visible, QUESTIONS, rows, choices)
    return shown, len(theirs) - len(shown)
