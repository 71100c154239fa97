"""Targets and bands in a person's words: a value as people read it, a target range, and a
measure's bands with their sources. Split from conditions/base.py (which re-exports them); no
streamlit, no store."""

from __future__ import annotations

from conditions.personal import reported
from ltc_dashboard.record import citations, terminology


def number(value: float | None) -> str:
    """A value as a person reads it: 53, 6.5, 0.82 (no trailing zeros, no float noise)."""
    if value is None:
        return "no value"
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def result_words(value: float | None, unit: str, comparator: str | None = None, text: str | None = None) -> str:
    """A result with its unit as the lab reports it ("58 mmol/mol": whole mmol/mol for HbA1c, the
    precision its target is judged at, conditions/personal.reported; "<5 mg/L"), or, for a result
    given in words, the words alone: never a unit after words ("sample haemolysed")."""
    if value is None:
        return text or "no value"
    shown = reported(value, unit) if comparator in (None, "", "=") else value  # a limit is shown as given
    return f"{comparator or ''}{number(shown)} {unit}".strip()


def target_text(low: float | None, high: float | None, unit: str,
                low_inclusive: bool = True, high_inclusive: bool = True) -> str:
    """Plain words for a target range, saying whether each bound is on target as the verdict
    judges it (conditions/verdict.py): "53 mmol/mol or below" holds 53, "below 53 mmol/mol" does not."""
    if low is not None and high is not None and low_inclusive and high_inclusive:
        return f"{number(low)} to {number(high)} {unit}"
    low_words = None if low is None else (
        f"{number(low)} {unit} or above" if low_inclusive else f"above {number(low)} {unit}")
    high_words = None if high is None else (
        f"{number(high)} {unit} or below" if high_inclusive else f"below {number(high)} {unit}")
    return " and ".join(w for w in (low_words, high_words) if w)


def bands_note(measure_id: str, condition: str | None = None) -> str | None:
    """The measure's bands from targets.csv in words, each group with its source."""
    groups: dict[str, list] = {}
    for row in terminology.targets(measure_id, condition):
        if row.kind == "band":
            groups.setdefault(row.applies_when, []).append(row)
    return " ".join(
        "; ".join(r.text for r in rows) + " (" + "; ".join(dict.fromkeys(citations.plain(r.source) for r in rows)) + ")."
        for rows in groups.values()) or None
