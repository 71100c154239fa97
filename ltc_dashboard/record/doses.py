"""A medicine's dose, read from one MedicationRequest or MedicationStatement (clinical-reference
§11.9): "a new authorisation or order for the same medicine with a different dose
(`dosageInstruction.doseAndRate`, or the strength in the medicine's name)".

Three places a dose can be read, best first:
- `dosageInstruction.doseAndRate.doseQuantity` (or `doseRange`, its high end) in mg, g or
  micrograms, in tablets or capsules times the strength in the name, or in mL times the strength
  per volume in the name ("520mg/5ml"); times the timing's frequency per day
  (`timing.repeat.frequency` per `period` `periodUnit`);
- the dose text ("400mg at night", "Two tablets twice a day", "15mg once a week", "10ml twice a
  day"), every dose-and-time part added ("400mg at night and 200mg in the morning" is 600mg); a
  mass that is the product's strength ("Lithium carbonate 400mg MR: take two tablets at night",
  "one 400mg tablet") is the strength the count of tablets multiplies, not the dose;
- the strength in the medicine's name alone ("Lithium carbonate 200mg modified-release tablets").

Amounts are in mg a day (a weekly dose, "once a week" or "on Fridays", is a seventh of it a day)
so that doses written in different ways compare. What cannot be read is None: nothing is guessed.
"""

from __future__ import annotations

import re

from ltc_dashboard.record.mapping_common import as_dict, dicts, number, string

# Mass units to mg.
_MG = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0, "gram": 1000.0, "grams": 1000.0,
       "microgram": 0.001, "micrograms": 0.001, "mcg": 0.001, "ug": 0.001, "µg": 0.001}
# Volume units to mL (a liquid's dose, clinical-reference §11.9 by the strength per volume).
_ML = {"ml": 1.0, "mls": 1.0, "millilitre": 1.0, "millilitres": 1.0, "milliliter": 1.0, "milliliters": 1.0}
# Dose forms counted in units of the strength.
_UNITS = ("tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "{tablet}",
          "{tbl}", "{capsule}", "{cap}", "{unit}")
# Period units to days (FHIR Timing periodUnit).
_PERIOD_DAYS = {"h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.44}
_COUNTS = {"half": 0.5, "a half": 0.5, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
           "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a": 1, "an": 1}
_MASS = r"(\d+(?:\.\d+)?)\s*(mg|milligrams?|micrograms?|mcg|µg|ug|g|grams?)\b"
_STRENGTH = re.compile(_MASS, re.I)
# A strength per volume, "520mg/5ml", "200 mg in 5 ml", "100mg/ml".
_PER_VOLUME = re.compile(_MASS + r"\s*(?:/|per|in)\s*(\d+(?:\.\d+)?)?\s*(ml|millilitres?|milliliters?)\b", re.I)
_VOLUME = re.compile(r"(\d+(?:\.\d+)?)\s*(ml|mls|millilitres?|milliliters?)\b", re.I)
_NUMBER = r"(\d+(?:\.\d+)?|a half|half|one|two|three|four|five|six|seven|eight|nine|ten|an?)"
# A count of tablets, with the strength between when written ("one 400mg tablet").
_UNIT_NEXT = r"(?![\d.])(?!\s*(?:mg|g|mcg|µg|ug|micrograms?|milligrams?|grams?|ml|mls)\b)"
_COUNT = re.compile(r"\b" + _NUMBER + _UNIT_NEXT + r"(?:\s*x)?(?:\s*" + _MASS + r")?"
                    r"(?:\s+(?!(?:mg|g|mcg|micrograms?|milligrams?|grams?|ml|mls)\b)[a-z-]+)?"
                    r"\s*(tablets?|tabs?|capsules?|caps?)\b", re.I)
# A count leading a clause after the product: "Lithium 400mg MR tablets: two at night".
_LEAD = re.compile(r"[:;]\s*(?:take\s+)?" + _NUMBER + r"\s+(?=at\b|in\b|each\b|every\b|on\b|daily\b|once\b|twice\b)", re.I)
# A further bare count in the same text: "One tablet in the morning and one at night".
_MORE = re.compile(r"\band\s+" + _NUMBER + r"\s+(?=at\b|in\b|each\b|every\b|on\b|before\b|after\b)", re.I)
# A mass that names the product: the strength followed by a form word.
_FORM_AFTER = re.compile(r"\s*(?:mr|m/r|sr|xl|prolonged|modified|tablets?|capsules?|caps?|tabs?|oral)\b", re.I)
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = re.compile(r"\b(" + "|".join(_DAYS) + r")s?\b", re.I)
# Times of day, each one dose a day when no frequency is given ("in the morning and at night").
_TIMES = re.compile(r"\b(morning|midday|lunchtime|lunch|afternoon|evening|night|bedtime|teatime)\b", re.I)
# How many times a day the dose text says, most specific first.
_FREQUENCY = (
    (re.compile(r"\b(twice|two times) (a|per|each|every) week\b|\btwice weekly\b", re.I), 2 / 7),
    (re.compile(r"\b(three times) (a|per|each|every) week\b", re.I), 3 / 7),
    (re.compile(r"\b(once a week|once weekly|weekly|each week|every week|a week|per week)\b", re.I), 1 / 7),
    (re.compile(r"\b(four times|qds|qid)\b", re.I), 4.0),
    (re.compile(r"\b(three times|tds|tid)\b", re.I), 3.0),
    (re.compile(r"\b(twice|two times|bd|bid)\b", re.I), 2.0),
    (re.compile(r"\b(once a day|once daily|daily|every day|each day|od)\b", re.I), 1.0),
)


def _mg(value: str, unit: str) -> float:
    return float(value) * _MG[unit.casefold()]


def per_ml_in(name: str | None) -> float | None:
    """The strength per volume in a liquid's name in mg per mL ("Lithium citrate 520mg/5ml oral
    solution": 104), or None when the name gives none or two."""
    found = _PER_VOLUME.findall(name or "")
    if len(found) != 1:
        return None
    value, unit, volume, _ = found[0]
    per = float(volume) if volume else 1.0
    return _mg(value, unit) / per if per else None


def strength_in(name: str | None) -> float | None:
    """The strength in a medicine's name in mg ("Lithium carbonate 400mg tablets": 400), or None
    when the name gives none or two (a combination product) or a strength per volume (a liquid,
    see `per_ml_in`)."""
    found = _STRENGTH.findall(name or "")
    if len(found) != 1 or _PER_VOLUME.search(name or ""):
        return None
    value, unit = found[0]
    return _mg(value, unit)


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


def _quantity_mg(quantity: dict, strength: float | None, per_ml: float | None) -> float | None:
    """A dose quantity in mg: a mass as it is, a count of tablets or capsules times the strength,
    a volume times the strength per volume."""
    value = number(quantity.get("value"))
    unit = (string(quantity.get("code")) or string(quantity.get("unit")) or "").casefold()
    if value is None:
        return None
    if unit in _MG:
        return value * _MG[unit]
    if unit in _UNITS and strength is not None:
        return value * strength
    if unit in _ML and per_ml is not None:
        return value * per_ml
    return None


def _from_structure(dosage: dict, strength: float | None, per_ml: float | None) -> float | None:
    """mg a day from doseAndRate (doseQuantity, else the high end of doseRange) and the timing."""
    for rate in dicts(dosage.get("doseAndRate")):
        quantity = as_dict(rate.get("doseQuantity")) or as_dict(as_dict(rate.get("doseRange")).get("high"))
        amount = _quantity_mg(quantity, strength, per_ml) if quantity else None
        if amount is not None:
            per_day = _per_day(dosage)
            if per_day is None:
                per_day = _text_frequency(string(dosage.get("text")) or "")
            return amount * per_day
    return None


def _text_frequency(text: str) -> float:
    """Times a day the text says: its frequency words, named weekdays ("on Fridays": a seventh),
    else one for each time of day it names ("in the morning and at night": 2), else once a day."""
    for pattern, per_day in _FREQUENCY:
        if pattern.search(text):
            return per_day
    days = {m.group(1).casefold() for m in _DAY.finditer(text)}
    if days:
        return len(days) / 7
    return float(len({m.group(1).casefold() for m in _TIMES.finditer(text)}) or 1)


def _count(word: str) -> float:
    word = word.casefold()
    return float(word) if word[0].isdigit() else _COUNTS[word]


def _parts(text: str, spans: list[tuple[int, float]]) -> float:
    """The sum of each amount times the frequency of its part of the text (from its own start to
    the next amount's). After "then" (a changing dose) only the first part is read."""
    spans = sorted(spans)
    if re.search(r"\bthen\b", text, re.I):
        _, amount = spans[0]
        return amount * _text_frequency(text)
    ends = [s for s, _ in spans[1:]] + [len(text)]
    lead = text[:spans[0][0]]
    total = 0.0
    for (start, amount), end in zip(spans, ends):
        part = text[start:end]
        total += amount * _text_frequency(part if len(spans) > 1 else lead + part)
    return total


def _strength_mentions(text: str, name: str | None, strength: float | None) -> list[re.Match]:
    """Masses in the text that name the product's strength rather than a dose: followed by a form
    word ("400mg MR", "400mg tablets"), or after a word of the medicine's name ("carbonate 400mg")."""
    name_words = {w for w in re.findall(r"[a-z]{4,}", (name or "").casefold())}
    found = []
    for mass in _STRENGTH.finditer(text):
        before = re.findall(r"[a-z]+", text[:mass.start()].casefold())[-1:]
        if (_FORM_AFTER.match(text, mass.end()) or (before and before[0] in name_words)
                or _PER_VOLUME.match(text, mass.start())):
            found.append(mass)
    return found


def from_text(text: str | None, strength: float | None, per_ml: float | None = None,
              name: str | None = None) -> float | None:
    """mg a day from a dose text: "400mg at night" (400), "Two tablets twice a day" with a 200mg
    strength (800), "15mg once a week" (15/7), "400mg at night and 200mg in the morning" (600),
    "10ml twice a day" at 520mg/5ml (2080). None when the text gives no amount."""
    if not text:
        return None
    mentions = _strength_mentions(text, name, strength)
    counts = list(_COUNT.finditer(text)) or ([lead] if (lead := _LEAD.search(text)) and mentions else [])
    if counts:
        named = strength if strength is not None else (_mg(*mentions[0].groups()) if len(mentions) == 1 else None)
        spans = []
        for count in counts:
            each = _mg(count.group(2), count.group(3)) if count.re is _COUNT and count.group(2) else named
            if each is None:
                return None
            spans.append((count.start(), _count(count.group(1)) * each))
        if spans and len(counts) == 1:
            spans += [(m.start(), _count(m.group(1)) * spans[0][1] / _count(counts[0].group(1)))
                      for m in _MORE.finditer(text, counts[0].end())]
        return _parts(text, spans)
    skip = {m.start() for m in mentions}
    masses = [m for m in _STRENGTH.finditer(text) if m.start() not in skip] or [
        m for m in _STRENGTH.finditer(text)
        if not _PER_VOLUME.match(text, m.start()) and not _FORM_AFTER.match(text, m.end())][:1]
    if masses:
        return _parts(text, [(m.start(), _mg(m.group(1), m.group(2))) for m in masses])
    volumes = list(_VOLUME.finditer(text))
    if volumes and per_ml is not None:
        return _parts(text, [(m.start(), float(m.group(1)) * per_ml) for m in volumes])
    return None


def dose_amount(dosages, name: str | None) -> tuple[float | None, float | None]:
    """(mg a day from the dose instruction, strength in mg from the name) for one resource's
    `dosageInstruction` (or a statement's `dosage`); each None when it cannot be read."""
    strength = strength_in(name)
    per_ml = per_ml_in(name)
    for dosage in dicts(dosages):
        amount = _from_structure(dosage, strength, per_ml)
        if amount is None:
            text = string(dosage.get("text")) or string(dosage.get("patientInstruction"))
            amount = from_text(text, strength, per_ml, name)
        if amount is not None:
            return round(amount, 4), strength
    return None, strength
