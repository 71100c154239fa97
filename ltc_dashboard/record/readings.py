"""Home readings: blood pressure, blood sugar (glucose) and weight the person measured themselves
(issue 20). The model, and the one place that checks what was typed or imported.

Every check says what is wrong and why in plain words, and names the field, so a form can keep
what was typed and show the reason beside it. What is "possible for a person" comes from
data/terminology/plausible.csv (the same limits the GP's results are checked against; each row
names its source and whether it is verified). Weight in stones and pounds, or pounds, becomes kg
through units.csv. A reading's time keeps its zone; a time typed without one is UK time; a
reading dated after "today" (the UK day, frozen in tests) is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Literal

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, field_validator

from ltc_dashboard.record import units
from ltc_dashboard.record.dates import UK

KINDS = ("bp", "glucose", "weight")
KIND_WORDS = {"bp": "blood pressure", "glucose": "blood sugar (glucose)", "weight": "weight"}
UNITS = {"bp": "mmHg", "glucose": "mmol/L", "weight": "kg"}
# When a blood sugar reading was taken (issue 20): code -> plain words
GLUCOSE_CONTEXTS = {
    "waking": "on waking", "before_meal": "before a meal", "after_meal": "after a meal",
    "bedtime": "at bedtime", "other": "other time",
}
_CONTEXT_SPELLINGS = {
    "waking": "waking", "on waking": "waking", "fasting": "waking", "morning": "waking",
    "before meal": "before_meal", "before a meal": "before_meal", "before_meal": "before_meal",
    "pre meal": "before_meal", "pre-meal": "before_meal", "before": "before_meal",
    "after meal": "after_meal", "after a meal": "after_meal", "after_meal": "after_meal",
    "post meal": "after_meal", "post-meal": "after_meal", "after": "after_meal",
    "bedtime": "bedtime", "at bedtime": "bedtime", "bed": "bedtime", "before bed": "bedtime", "other": "other", "": "other",
}
# A meal tag naming the meal ("Before breakfast", "After lunch", "Pre-dinner"), as meter apps write
# them: before or after a meal, whichever meal it names.
_MEAL_TAG = re.compile(r"(before|pre|after|post) (breakfast|lunch|dinner|supper|tea|evening meal|meal)")
STONE_LB = 14
EARLIEST = dt.date(1900, 1, 1)
# The stated precision a reading is kept, exported and shown at (rounded at entry, half up):
# blood sugar and weight to one decimal place, blood pressure and pulse whole numbers.
DECIMALS = {"glucose": 1, "weight": 1}


class ReadingInvalid(ValueError):
    """What was typed or imported is not a reading that can be kept; `problems` maps each field
    (value, systolic, diastolic, pulse, taken_at, context, kind) to a plain reason."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


class Reading(BaseModel, frozen=True):
    """One home reading, in the UK unit of its kind (mmHg, mmol/L, kg)."""

    id: int | None = None
    patient_id: str
    kind: Literal["bp", "glucose", "weight"]
    systolic: int | None = None  # blood pressure: the top number
    diastolic: int | None = None  # the bottom number
    pulse: int | None = None  # beats per minute, optional
    value: float | None = None  # glucose in mmol/L, weight in kg
    unit: str
    taken_at: dt.datetime  # always with its time zone
    context: str | None = None  # glucose only: GLUCOSE_CONTEXTS
    author: str  # who entered it: "patient" or "proxy:RelatedPerson/ID"
    uid: str | None = None  # the reading's lasting identity (a UUID), kept in the export's identifier

    @field_validator("taken_at")
    @classmethod
    def _zoned(cls, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("a reading's time needs its time zone")
        return when

    @property
    def day(self) -> dt.date:
        """The UK day the reading was taken."""
        return self.taken_at.astimezone(UK).date()

    @property
    def measurement(self) -> tuple:
        """What makes two readings the same measurement, whoever entered it: kind, moment (an aware
        time, so equal instants are equal and hash alike) and values. A key, for sets."""
        return (self.taken_at, self.kind, self.systolic, self.diastolic, self.pulse, self.value, self.context)

    @property
    def value_text(self) -> str:
        """The reading as a person writes it: 138/86 mmHg, 6.2 mmol/L, 82.5 kg."""
        if self.kind == "bp":
            pulse = f", pulse {self.pulse}" if self.pulse is not None else ""
            return f"{self.systolic}/{self.diastolic} mmHg{pulse}"
        return f"{self.value:g} {self.unit}"

    def row(self) -> dict:
        """The store's columns for this reading (time as ISO 8601 with its offset)."""
        data = self.model_dump(exclude={"id"})
        data["taken_at"] = self.taken_at.isoformat(timespec="minutes")
        return data

    @classmethod
    def from_row(cls, row: dict) -> "Reading":
        """A stored row read back."""
        fields = {k: row.get(k) for k in cls.model_fields if k in row}
        fields["taken_at"] = dt.datetime.fromisoformat(row["taken_at"])
        return cls(**fields)


# -- reading what was typed -------------------------------------------------------------------
_NUMBER = r"\s*(\d+(?:[.,]\d+)?)\s*"


def kept_value(kind: str, value: float) -> float:
    """`value` at the precision a reading of this kind is kept (DECIMALS), half up."""
    places = DECIMALS.get(kind, 0)
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def new_uid() -> str:
    """A new reading's lasting identity."""
    return str(uuid.uuid4())


def uid_of(text) -> str | None:
    """The canonical form of a reading's identity (`urn:uuid:` or a bare UUID), or None."""
    raw = str(text or "").strip()
    raw = raw[len("urn:uuid:"):] if raw.lower().startswith("urn:uuid:") else raw
    try:
        return str(uuid.UUID(raw)) if len(raw) == 36 else None
    except ValueError:
        return None


def _number(text: str) -> float | None:
    match = re.fullmatch(_NUMBER, text or "")
    return float(match.group(1).replace(",", ".")) if match else None


def _in_range(measure: str, value: float, what: str, unit: str) -> str | None:
    low, high = units.plausible_range(measure)
    if not low <= value <= high:
        return (f"{value:g} {unit} is not a possible {what} for a person: it should be between "
                f"{low:g} and {high:g} {unit}. Check the number and type it again.")
    return None


def _whole(text: str, field: str, problems: dict) -> int | None:
    value = _number(text)
    if value is None or value != int(value):
        problems[field] = f"The {field.replace('_', ' ')} should be a whole number, like 86; '{text:.20}' is not."
        return None
    return int(value)


def blood_pressure(text: str | None, systolic: str | None = None, diastolic: str | None = None,
                   pulse: str | None = None) -> tuple[dict, dict[str, str]]:
    """(systolic, diastolic, pulse) from `138/86` or from the two numbers apart; and the problems."""
    problems: dict[str, str] = {}
    if text is not None and str(text).strip():
        parts = re.sub(r"\s*mm\s*hg\s*$", "", str(text), flags=re.I).split("/")  # "138/86 mmHg", as shown
        if len(parts) != 2:
            return {}, {"value": f"Write blood pressure as the top number, a slash, then the bottom "
                                 f"number, like 138/86; '{str(text):.20}' is not."}
        systolic, diastolic = parts
    if not str(systolic or "").strip() or not str(diastolic or "").strip():
        return {}, {"value": "Both blood pressure numbers are needed: the top number and the bottom number."}
    values = {"systolic": _whole(str(systolic), "systolic", problems),
              "diastolic": _whole(str(diastolic), "diastolic", problems), "pulse": None}
    if pulse is not None and str(pulse).strip():
        values["pulse"] = _whole(str(pulse), "pulse", problems)
    checks = (("systolic", "bp_home_systolic", "top number (systolic)", "mmHg"),
              ("diastolic", "bp_home_diastolic", "bottom number (diastolic)", "mmHg"),
              ("pulse", "pulse", "pulse", "beats per minute"))
    for field, measure, what, unit in checks:
        if values[field] is not None and field not in problems:
            reason = _in_range(measure, values[field], what, unit)
            if reason:
                problems[field] = reason
    if not problems and values["systolic"] <= values["diastolic"]:
        problems["value"] = (f"The top number ({values['systolic']}) should be higher than the bottom number "
                             f"({values['diastolic']}). Check they are not the wrong way round.")
    return values, problems


_STONES = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:st|stone|stones)\s*(?:(\d+(?:\.\d+)?)\s*(?:lb|lbs|pounds?)?)?\s*", re.I)
_POUNDS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:lb|lbs|pounds?)\s*", re.I)
_KILOS = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(?:kg|kgs|kilos?|kilograms?)?\s*", re.I)


def weight_kg(text: str) -> tuple[float | None, str | None]:
    """Weight in kg from `82.5`, `82.5 kg`, `12 st 4 lb`, `12st 4` or `180 lb`; or the reason."""
    text = str(text or "")
    if match := _STONES.fullmatch(text):
        stones, pounds = float(match.group(1)), float(match.group(2) or 0)
        if pounds >= STONE_LB:
            return None, f"Pounds after stones should be under 14; '{text:.20}' has {pounds:g}."
        kg = units.normalise("weight", stones * STONE_LB + pounds, "lb")[0]
    elif match := _POUNDS.fullmatch(text):
        kg = units.normalise("weight", float(match.group(1)), "lb")[0]
    elif match := _KILOS.fullmatch(text):
        kg = float(match.group(1).replace(",", "."))
    else:
        return None, (f"Write weight in kilograms (like 82.5), in stones and pounds (like 12 st 4 lb) "
                      f"or in pounds (like 180 lb); '{text:.20}' is none of these.")
    kg = kept_value("weight", kg)
    return (None, reason) if (reason := _in_range("weight", kg, "weight", "kg")) else (kg, None)


def glucose_mmol(text: str) -> tuple[float | None, str | None]:
    """Blood sugar in mmol/L from `6.2` or `6.2 mmol/L`; or the reason."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(?:mmol/l)?\s*", str(text or ""), re.I)
    if not match:
        return None, f"Write blood sugar in mmol/L, like 6.2; '{str(text):.20}' is not a number."
    value = kept_value("glucose", float(match.group(1).replace(",", ".")))
    return (None, reason) if (reason := _in_range("glucose", value, "blood sugar level", "mmol/L")) else (value, None)


def context_code(text: str | None) -> tuple[str | None, str | None]:
    """The GLUCOSE_CONTEXTS code for what was typed (`before a meal`, `fasting`...), or the reason."""
    key = " ".join(str(text or "").replace("-", " ").replace("_", " ").split()).casefold()
    code = _CONTEXT_SPELLINGS.get(key) or _CONTEXT_SPELLINGS.get(key.replace(" ", "_"))
    if code is None and (meal := _MEAL_TAG.fullmatch(key)):
        code = "before_meal" if meal.group(1) in ("before", "pre") else "after_meal"
    if code is None:
        return None, ("When the blood sugar was taken should be one of: "
                      + ", ".join(GLUCOSE_CONTEXTS.values()) + f"; '{str(text):.20}' is not.")
    return code, None


_UK_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*")


def taken_at(text: str | dt.datetime | None, today: dt.date, now: dt.datetime | None = None,
             born: dt.date | None = None) -> tuple[dt.datetime | None, str | None]:
    """When a reading was taken, with its zone (UK time when none is given), from ISO 8601
    (`2026-11-12 07:30`, `2026-11-12T07:30+00:00`) or a UK date (`12/11/2026 07:30`); blank means
    `now`. Refused: a day after `today`, before 1900 or before the person was born (`born`, the
    earliest day the record's birth date allows), and a UK time the clocks skipped (01:30 on the
    last Sunday of March would be kept as 01:30 GMT and shown as 02:30, a time never typed)."""
    if isinstance(text, dt.datetime):
        when = text
    elif text is None or not str(text).strip():
        if now is None:
            return None, "Say when the reading was taken."
        when = now
    else:
        raw = str(text).strip()
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            match = _UK_DATE.fullmatch(raw)
            try:
                if not match:
                    raise ValueError
                day, month, year, hour, minute, second = match.groups()
                when = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            except ValueError:
                return None, (f"'{raw:.30}' is not a date and time this app can read. Write it like "
                              "2026-11-12 07:30 or 12/11/2026 07:30 (day first).")
    if when.tzinfo is None:
        typed, when = when, when.replace(tzinfo=UK)
        if when.astimezone(dt.timezone.utc).astimezone(UK).replace(tzinfo=None) != typed:
            return None, (f"{typed:%H:%M} on {typed:%-d %B %Y} did not happen in the UK: the clocks went forward "
                          "an hour that night. Check the time, or give it with its offset.")
    day = when.astimezone(UK).date()
    if day > today:
        return None, f"The date {day:%-d %B %Y} is in the future (today is {today:%-d %B %Y}). Check the date."
    if day < EARLIEST:
        return None, f"The date {day.isoformat()} is too long ago to be a reading. Check the year."
    if born is not None and day < born:
        return None, f"The date {day:%-d %B %Y} is before the person was born. Check the year."
    return when, None


def check(patient_id: str, kind: str, value: str | None, when, today: dt.date, author: str, *,
          context: str | None = None, systolic: str | None = None, diastolic: str | None = None,
          pulse: str | None = None, now: dt.datetime | None = None, reading_id: int | None = None,
          born: dt.date | None = None, uid: str | None = None) -> Reading:
    """The one check of a reading, typed or imported: a `Reading`, or `ReadingInvalid` naming every
    field that is wrong and why (all problems at once, so the person fixes them in one go).
    `born`: the earliest day the person can have been born (`earliest_birth`); `uid` the reading's
    identity when it has one (a change, an import), else a new one."""
    if kind not in KINDS:
        raise ReadingInvalid({"kind": f"Choose blood pressure (bp), blood sugar (glucose) or weight; "
                                      f"'{str(kind):.20}' is none of these."})
    problems: dict[str, str] = {}
    fields: dict = {"context": None}
    if kind == "bp":
        values, found = blood_pressure(value, systolic, diastolic, pulse)
        problems.update(found)
        fields.update(values)
    else:
        number, reason = (glucose_mmol if kind == "glucose" else weight_kg)(value)
        if reason:
            problems["value"] = reason
        fields["value"] = number
    if kind == "glucose":
        fields["context"], reason = context_code(context)
        if reason:
            problems["context"] = reason
    elif context not in (None, ""):
        problems["context"] = "Only a blood sugar reading has a time of day such as before a meal."
    when, reason = taken_at(when, today, now, born)
    if reason:
        problems["taken_at"] = reason
    if problems:
        raise ReadingInvalid(problems)
    return Reading(id=reading_id, patient_id=patient_id, kind=kind, unit=UNITS[kind], taken_at=when,
                   author=author, uid=uid or new_uid(), **fields)


def earliest_birth(birth_date) -> dt.date | None:
    """The earliest day a FHIR `birthDate` (`1960`, `1960-03`, `1960-03-01`) allows, or None."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", str(birth_date or "").strip())
    try:
        return dt.date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)) if match else None
    except ValueError:
        return None
