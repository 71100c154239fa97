"""One verdict per result (issue 18): the result against the target the page shows, or, where no
target with numbers applies, the lab's own flag worded as the lab's.

A result carries the lab's flag (its interpretation or reference range, ltc_dashboard/record/mapping_results.py);
a measure view carries the target that applies to this person and situation (a personal Goal
target first, then targets.csv in the situation's order: conditions/base.measure_view,
conditions/situations.py). The two can disagree: an HbA1c of 50 mmol/mol is above a lab's usual
range of 20 to 41 and within a target of "53 or below". Every place that says how a result
compares (chart markers and legend, chart hover, the table beside it, the chart's sentence, the
overview's "off target" list, the sheet) asks `verdict` here, so the words always agree with the
target shown beside them, and the lab's flag is never shown as if it were a verdict on the target.

Fail closed: a point with no number, or a value given with a comparator that leaves the side
unknown ("<5" against "3 or below"), gets no verdict. Results whose unit or date cannot be
trusted never become points (conditions/base.series_of counts only dated, countable results
with a trusted unit), so they get none either. Pure: no streamlit, no store.
"""

from __future__ import annotations

from typing import Literal

from conditions.personal import reported

Verdict = Literal["within", "above", "below", "lab-high", "lab-low", "none"]

# How each verdict reads beside a result (table cell, hover, sheet). "none" says nothing.
WORDS: dict[str, str] = {
    "within": "within the target",
    "above": "above the target",
    "below": "below the target",
    "lab-high": "above the lab's usual range",
    "lab-low": "below the lab's usual range",
    "none": "",
}
TARGET_VERDICTS = ("within", "above", "below")


def has_target_bounds(measure) -> bool:
    """Whether the measure shows a target with numbers to compare a result with (a band such as
    MMSE stages, or no target at all, has none)."""
    return bool(measure.target) and (measure.target_low is not None or measure.target_high is not None)


def against_target(value: float, comparator: str | None, low: float | None, high: float | None,
                   low_inclusive: bool = True, high_inclusive: bool = True) -> Verdict:
    """A value (with its comparator, if any) against a target's bounds, each inclusive ("53 or
    below" holds 53) or not ("below 140" does not hold 140), as targets.csv or the Goal says.

    A comparator makes the value a limit: "<5" is somewhere below 5, so it is within "10 or
    below" but cannot be placed against "3 or below"; then the verdict is "none"."""
    if comparator in (None, "", "="):
        if high is not None and (value > high or (value == high and not high_inclusive)):
            return "above"
        if low is not None and (value < low or (value == low and not low_inclusive)):
            return "below"
        return "within"
    if comparator in ("<", "<="):  # the true value is below `value` ("<") or at most it ("<=")
        open_end = comparator == "<"
        if low is not None and (value < low or (value == low and (open_end or not low_inclusive))):
            return "below"
        if low is None and high is not None and (value < high or (value == high and (open_end or high_inclusive))):
            return "within"
        return "none"
    if comparator in (">", ">="):  # the true value is above `value` (">") or at least it (">=")
        open_end = comparator == ">"
        if high is not None and (value > high or (value == high and (open_end or not high_inclusive))):
            return "above"
        if high is None and low is not None and (value > low or (value == low and (open_end or low_inclusive))):
            return "within"
        return "none"
    return "none"  # a comparator this rule does not know ("ad", "ap"): no verdict


def verdict(measure, point) -> Verdict:
    """The one verdict for a charted point of a measure view: against the view's target when the
    view shows one with numbers, else the lab's flag as the lab's ("lab-high", "lab-low"), else
    none. A lab "normal" is not a verdict: it says nothing beside the result."""
    if point.value is None:
        return "none"
    if has_target_bounds(measure):
        # An exact value as the lab reports it (whole mmol/mol for HbA1c, conditions/personal.py), the
        # precision the target was set at; a limit ("<47.6") is not rounded, so it is never moved across a bound.
        value = reported(point.value, measure.unit) if point.comparator in (None, "", "=") else point.value
        return against_target(value, point.comparator, measure.target_low, measure.target_high,
                              measure.target_low_inclusive, measure.target_high_inclusive)
    return {"high": "lab-high", "low": "lab-low"}.get(point.flag, "none")


def words(measure, point) -> str:
    """The verdict in words ("within the target", "above the lab's usual range"), or ""."""
    return WORDS[verdict(measure, point)]


def latest_valued(measure):
    """The most recent point that has a number, or None."""
    return next((p for p in reversed(measure.series) if p.value is not None), None)


def latest_side(measure) -> str | None:
    """"above" or "below" when the latest numbered result is outside the target shown, else None
    (within it, no target with numbers, or a value whose side cannot be told)."""
    last = latest_valued(measure)
    if last is None or not has_target_bounds(measure):
        return None
    side = verdict(measure, last)
    return side if side in ("above", "below") else None
