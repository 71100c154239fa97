"""Home blood sugar readings against the usual ranges for the type of diabetes (conditions/
home_glucose.py): counted by when they were taken, each range with its source, unverified ones
marked, bounds as the table says, no range (and why, in words) when the type is unknown, under 18
or in pregnancy; never advice on a medicine. Readings are written here by hand; the ranges are
data/terminology/home_glucose_ranges.csv."""

from __future__ import annotations

import datetime as dt
import re

from conditions.home_glucose import LAST, NO_RANGE, glucose_panel, ranges
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.readings import Reading

ADVICE = re.compile(r"\b(dose|insulin|tablet|medicine|stop|start|increase|reduce)\b", re.I)


def sugar(value: float, context: str, n: int) -> Reading:
    """Hand-written: one reading a day at 08:00 UK time from 1 November 2026."""
    return Reading(id=n, patient_id="p", kind="glucose", value=value, unit="mmol/L", context=context,
                   taken_at=dt.datetime(2026, 11, 1, 8, tzinfo=UK) + dt.timedelta(days=n), author="patient")


def items(panel) -> dict[str, tuple[str, str | None]]:
    return {label: (state, detail) for label, state, detail in panel.items}


def test_type1_before_meals_counts_the_readings_in_4_to_7_with_its_verified_source():
    """Type 1: 4.0 and 7.0 are in 4 to 7 (both bounds inclusive), 3.9 and 7.1 are not: 2 of 4."""
    readings = [sugar(v, "before_meal", i) for i, v in enumerate((4.0, 7.0, 3.9, 7.1))]
    state, detail = items(glucose_panel(readings, "type1", False, False))["Before a meal"]
    assert state == "2 of your last 4 readings before a meal were in the usual range of 4 to 7 mmol/L"
    assert detail == "NICE guideline NG17"  # the range the clinical reference gives: not marked


def test_unverified_ranges_say_so_and_type2_has_no_range_cited_to_a_guideline_without_one():
    """Type 1 after a meal (5 to 9, not in the clinical reference) is marked awaiting clinical
    review. Type 2: NG28's current text gives no home blood sugar numbers (checked against its
    blood glucose chapter, 7 December 2026), so no range is shown and the panel says why."""
    readings = [sugar(v, "after_meal", i) for i, v in enumerate((8.4, 9.0, 12.0))]
    state, detail = items(glucose_panel(readings, "type1", False, False))["After a meal"]
    assert state.startswith("2 of your last 3 readings after a meal were in the usual range of 5 to 9 mmol/L")
    assert detail == "NICE guideline NG17, awaiting clinical review"
    type2 = glucose_panel(readings, "type2", False, False)
    assert type2.items == [] and type2.note == NO_RANGE["type2"] and "NG28" in type2.note
    assert not [key for key in ranges() if key[0] == "type2"]


def test_only_the_last_readings_of_each_time_are_counted():
    """Twelve waking readings: the last 10 are judged, the 2 oldest (out of range) are not."""
    readings = [sugar(20.0 if i < 2 else 6.0, "waking", i) for i in range(12)]
    state, _ = items(glucose_panel(readings, "type1", False, False))["On waking"]
    assert state.startswith(f"{LAST} of your last {LAST} readings on waking")


def test_bedtime_and_other_times_are_counted_but_not_judged():
    """No range is given for bedtime: the panel says so rather than judging."""
    said = items(glucose_panel([sugar(9.0, "bedtime", 1), sugar(5.0, "other", 2)], "type1", False, False))
    assert said["At bedtime"] == ("1 reading at bedtime; no usual range is given for this time of day", None)
    assert said["Other time"][0].startswith("1 reading at other times; no usual range")
    single = items(glucose_panel([sugar(7.5, "before_meal", 1)], "type1", False, False))["Before a meal"][0]
    assert single == "Your last reading before a meal was not in the usual range of 4 to 7 mmol/L"


def test_no_range_when_the_type_is_unknown_under_18_or_pregnant():
    """Each case shows no item and says why in plain words, naming NG18 or NG3 where they apply."""
    readings = [sugar(6.0, "before_meal", 1)]
    assert glucose_panel(readings, None, False, False).note == NO_RANGE["unknown_type"]
    child = glucose_panel(readings, "type1", True, False)
    assert child.items == [] and "NICE guideline NG18" in child.note
    pregnant = glucose_panel(readings, "type2", False, True)
    assert pregnant.items == [] and "NICE guideline NG3" in pregnant.note
    assert glucose_panel([], "type1", False, False) is None


def test_a_carer_reads_the_not_your_and_nothing_advises_on_a_medicine():
    """A carer's panel says "the last"; no panel text names a dose, an insulin or a medicine change."""
    readings = [sugar(v, c, i) for i, (v, c) in enumerate(((6.0, "waking"), (9.0, "after_meal"), (5.0, "before_meal")))]
    panel = glucose_panel(readings, "type1", False, False, whose="the")
    assert all("the last " in state.lower() and "your" not in state.lower() for _, state, _ in panel.items)
    text = " ".join([panel.title, panel.note or ""] + [" ".join(filter(None, i)) for i in panel.items])
    assert not ADVICE.search(text)
