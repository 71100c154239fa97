"""The person's home blood sugar readings against the usual ranges for their type of diabetes
(issue 20), as a panel on the diabetes view: "3 of your last 5 readings before a meal were in the
usual range of 4 to 7 mmol/L".

A fact about the readings, with the range's source; never advice about a medicine. The ranges are
data/terminology/home_glucose_ranges.csv, by type of diabetes and when the reading was taken
(on waking, before a meal, after a meal). The type 1 waking and before-meal ranges are the NG17
ones the clinical reference gives; the after-meal one is not in it, so it is marked unverified and
shown with the review sentence. No range is shown, and the panel says why in plain words, for
type 2 (NG28's current text gives no home blood sugar numbers, so none is cited to it), when
the type of diabetes is not recorded, for someone who may be under 18 (NG18: their team sets
the ranges) or who is pregnant (NG3: the antenatal team's ranges). Readings at bedtime or at
"other" times have no range (none is given for them) and are counted, not judged.
Pure and deterministic.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from conditions.base import Panel
from ltc_dashboard.record.citations import cite
from ltc_dashboard.record.readings import GLUCOSE_CONTEXTS
from ltc_dashboard.record.tables import number, read_table

PANEL_ID = "home_glucose"
LAST = 10  # the latest readings of each time of day that are judged (design choice)
ORDER = ("waking", "before_meal", "after_meal", "bedtime", "other")
PHRASES = {"waking": "on waking", "before_meal": "before a meal", "after_meal": "after a meal",
           "bedtime": "at bedtime", "other": "at other times"}
NO_RANGE = {
    "unknown_type": "No usual ranges are shown because the record does not say which type of diabetes this is.",
    "type2": ("No usual ranges are shown for type 2 diabetes: NICE guideline NG28 gives no home blood sugar "
              "ranges, so the diabetes team agrees them with each person."),
    "child": ("No usual ranges are shown for under-18s: a child's or young person's diabetes team sets their "
              "blood sugar ranges (NICE guideline NG18)."),
    "pregnant": ("No usual ranges are shown in pregnancy: blood sugar aims in pregnancy are set with the "
                 "antenatal diabetes team (NICE guideline NG3)."),
}


class GlucoseRange(NamedTuple):
    """One usual range: its bounds, how it reads, its plain source and whether it is verified."""

    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    label: str
    source: str
    verified: bool

    def holds(self, value: float) -> bool:
        """Whether a reading is in the range (each bound inclusive or not, as the table says)."""
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)


@cache
def ranges() -> dict[tuple[str, str], GlucoseRange]:
    """(type of diabetes, when taken) -> its usual range."""
    rows = read_table("home_glucose_ranges.csv", ("id", "diabetes_type", "context", "low", "high", "low_inclusive",
                                                  "high_inclusive", "label"))
    found = {}
    for row in rows:
        where = f"home_glucose_ranges.csv {row['id']}"
        citation = cite(row["source"], where)
        found[(row["diabetes_type"], row["context"])] = GlucoseRange(
            number(row["low"], where), number(row["high"], where), row["low_inclusive"] == "yes",
            row["high_inclusive"] == "yes", row["label"], citation.plain,
            row["verified"] == "yes" and not citation.unverified)
    return found


def why_no_ranges(kind: str | None, child: bool, pregnant: bool) -> str | None:
    """The plain sentence why no range is shown, or None when the ranges apply."""
    if pregnant:
        return NO_RANGE["pregnant"]
    if child:
        return NO_RANGE["child"]
    if kind == "type2":
        return NO_RANGE["type2"]
    if kind != "type1":
        return NO_RANGE["unknown_type"]
    return None


def _count_words(context: str, taken: list, found: GlucoseRange | None, whose: str) -> tuple[str, str | None]:
    words = PHRASES[context]
    if found is None:
        return (f"{len(taken)} reading{'s' if len(taken) != 1 else ''} {words}; no usual range is given for "
                "this time of day", None)
    inside = sum(found.holds(r.value) for r in taken)
    if len(taken) == 1:
        state = (f"{whose[:1].upper()}{whose[1:]} last reading {words} was {'' if inside else 'not '}in the usual "
                 f"range of {found.label}")
    else:
        state = f"{inside} of {whose} last {len(taken)} readings {words} were in the usual range of {found.label}"
    detail = found.source + ("" if found.verified else ", awaiting clinical review")
    return state, detail


def glucose_panel(readings, kind: str | None, child: bool, pregnant: bool, whose: str = "your") -> Panel | None:
    """The panel of home blood sugar readings by time of day, or None without any."""
    glucose = sorted((r for r in readings if r.kind == "glucose" and r.value is not None),
                     key=lambda r: (r.taken_at, r.id or 0))
    if not glucose:
        return None
    title = "Home blood sugar readings against the usual ranges"
    why = why_no_ranges(kind, child, pregnant)
    if why:
        return Panel(id=PANEL_ID, title=title, items=[], note=why)
    items = []
    for context in ORDER:
        taken = [r for r in glucose if (r.context or "other") == context][-LAST:]
        if taken:
            state, detail = _count_words(context, taken, ranges().get((kind, context)), whose)
            items.append((GLUCOSE_CONTEXTS[context][:1].upper() + GLUCOSE_CONTEXTS[context][1:], state, detail))
    note = ("A home reading is a fact to talk about at the appointment, not a judgement of treatment. "
            f"Up to the last {LAST} readings of each time of day are counted.")
    return Panel(id=PANEL_ID, title=title, items=items, note=note)
