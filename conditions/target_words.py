"""Targets and bands in a person's words: a value as people read it, a target range, and a
measure's bands with their sources. Split from conditions/base.py (which re-exports them); no
streamlit, no store."""

from __future__ import annotations

from record import citations, terminology


def number(value: float | None) -> str:
    """A value as a person reads it: 53, 6.5, 0.82 (no trailing zeros, no float noise)."""
    if value is None:
        return "no value"
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def target_text(low: float | None, high: float | None, unit: str) -> str:
    """Plain words for a target range."""
    if low is not None and high is not None:
        return f"{number(low)} to {number(high)} {unit}"
    if high is not None:
        return f"{number(high)} {unit} or below"
    if low is not None:
        return f"{number(low)} {unit} or above"
    return ""


def bands_note(measure_id: str, condition: str | None = None) -> str | None:
    """The measure's bands from targets.csv in words, each group with its source."""
    groups: dict[str, list] = {}
    for row in terminology.targets(measure_id, condition):
        if row.kind == "band":
            groups.setdefault(row.applies_when, []).append(row)
    return " ".join(
        "; ".join(r.text for r in rows) + " (" + "; ".join(dict.fromkeys(citations.plain(r.source) for r in rows)) + ")."
        for rows in groups.values()) or None
