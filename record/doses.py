"""A medicine's dose, read from one MedicationRequest or MedicationStatement (clinical-reference
§11.9): "a new authorisation or order for the same medicine with a different dose
(`dosageInstruction.doseAndRate`, or the strength in the medicine's name)".

Three places a dose can be read, best first:
- `dosageInstruction.doseAndRate.doseQuantity` (or `doseRange`, its high end) in mg, g or
  micrograms, or in tablets or capsules times the strength in the name; times the timing's
  frequency per day (`timing.repeat.frequency` per `period` `periodUnit`);
- the dose text ("400mg at night", "Two tablets twice a day", "15mg once a week");
- the strength in the medicine's name alone ("Lithium carbonate 200mg modified-release tablets").

Amounts are in mg a day (a weekly dose is a seventh of it a day) so that doses written in
different ways compare. What cannot be read is None: nothing is guessed.
"""

from __future__ import annotations

import re

from record.mapping_common import as_dict, dicts, number, string

# Mass units to mg.
_MG = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0, "gram": 1000.0, "grams": 1000.0,
       "microgram": 0.001, "micrograms": 0.001, "mcg": 0.001, "ug": 0.001, "µg": 0.001}
# Dose forms counted in units of the strength.
_UNITS = ("tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "{tablet}",
          "{tbl}", "{capsule}", "{cap}", "{unit}")
# Period units to days (FHIR Timing periodUnit).
_PERIOD_DAYS = {"h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.44}
_COUNTS = {"half": 0.5, "a half": 0.5, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
           "six": 6, "a": 1, "an": 1}
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|milligrams?|micrograms?|mcg|g|grams?)\b", re.I)
_COUNT = re.compile(r"\b(\d+(?:\.\d+)?|half|a half|one|two|three|four|five|six|an?)\s*(?:x\s*)?"
                    r"(tablets?|tabs?|capsules?|caps?)\b", re.I)
# How many times a day the dose text says, most specific first.
_FREQUENCY = (
    (re.compile(r"\b(once a week|once weekly|weekly|each week|every week|a week)\b", re.I), 1 / 7),
    (re.compile(r"\b(four times|qds|qid)\b", re.I), 4.0),
    (re.compile(r"\b(three times|tds|tid)\b", re.I), 3.0),
    (re.compile(r"\b(twice|two times|bd|bid)\b", re.I), 2.0),
)


def strength_in(name: str | None) -> float | None:
    """The strength in a medicine's name in mg ("Lithium carbonate 400mg tablets": 400), or None
    when the name gives none or two (a combination product)."""
    found = _STRENGTH.findall(name or "")
    if len(found) != 1:
        return None
    value, unit = found[0]
    return float(value) * _MG[unit.casefold()]


def _per_day(dosage: dict) -> float | None:
    """Doses a day from a dosage's timing, or None when it gives none."""
    repeat = as_dict(as_dict(dosage.get("timing")).get("repeat"))
    frequency = number(repeat.get("frequency"))
    period = number(repeat.get("period"))
    unit = string(repeat.get("periodUnit"))
    if frequency is None and period is None:
        return None
    days = _PERIOD_DAYS.get(unit or "d")
    if days is None or not period:
        return None
    return (frequency or 1.0) / (period * days)


def _quantity_mg(quantity: dict, strength: float | None) -> float | None:
    """A dose quantity in mg: a mass as it is, a count of tablets or capsules times the strength."""
    value = number(quantity.get("value"))
    unit = (string(quantity.get("code")) or string(quantity.get("unit")) or "").casefold()
    if value is None:
        return None
    if unit in _MG:
        return value * _MG[unit]
    if unit in _UNITS and strength is not None:
        return value * strength
    return None


def _from_structure(dosage: dict, strength: float | None) -> float | None:
    """mg a day from doseAndRate (doseQuantity, else the high end of doseRange) and the timing."""
    for rate in dicts(dosage.get("doseAndRate")):
        quantity = as_dict(rate.get("doseQuantity")) or as_dict(as_dict(rate.get("doseRange")).get("high"))
        amount = _quantity_mg(quantity, strength) if quantity else None
        if amount is not None:
            per_day = _per_day(dosage)
            if per_day is None:
                per_day = _text_frequency(string(dosage.get("text")) or "")
            return amount * per_day
    return None


def _text_frequency(text: str) -> float:
    """Times a day the text says; once a day when it says nothing ("at night", "each morning")."""
    for pattern, per_day in _FREQUENCY:
        if pattern.search(text):
            return per_day
    return 1.0


def from_text(text: str | None, strength: float | None) -> float | None:
    """mg a day from a dose text: "400mg at night" (400), "Two tablets twice a day" with a 200mg
    strength (800), "15mg once a week" (15/7). None when the text gives no amount."""
    if not text:
        return None
    mass = _STRENGTH.search(text)
    if mass:
        amount = float(mass.group(1)) * _MG[mass.group(2).casefold()]
    else:
        count = _COUNT.search(text)
        if count is None or strength is None:
            return None
        word = count.group(1).casefold()
        amount = (float(word) if word[0].isdigit() else _COUNTS[word]) * strength
    return amount * _text_frequency(text)


def dose_amount(dosages, name: str | None) -> tuple[float | None, float | None]:
    """(mg a day from the dose instruction, strength in mg from the name) for one resource's
    `dosageInstruction` (or a statement's `dosage`); each None when it cannot be read."""
    strength = strength_in(name)
    for dosage in dicts(dosages):
        amount = _from_structure(dosage, strength)
        if amount is None:
            amount = from_text(string(dosage.get("text")) or string(dosage.get("patientInstruction")), strength)
        if amount is not None:
            return round(amount, 4), strength
    return None, strength
