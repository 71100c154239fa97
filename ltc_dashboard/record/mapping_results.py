"""Observation to `LabResult`: values, comparators, UK units, high/low flags and panel components.

Blood pressure is the case to get right: a panel (SNOMED 75367002, LOINC 55284-4 / 85354-9) holds
systolic and diastolic as components, in either order. Each component is named by its own code through
`terminology.measure_for`, never by its position, so the two can never be swapped. A component that
is no measure is kept only when its value is a date (an expected delivery date in a booking panel).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import repeat

from ltc_dashboard.record import terminology, units
from ltc_dashboard.record.mapping_common import (
    ConceptKey, as_dict, codes, codings, concept_key, dicts, display, happened, key_codings, key_measure,
    number, string,
)
from ltc_dashboard.record.models import LabResult
from ltc_dashboard.record.terminology import LOINC, SNOMED, Measure

BP_PANELS = frozenset({(SNOMED, "75367002"), (LOINC, "55284-4"), (LOINC, "85354-9"),
                       (SNOMED, "314463006")})  # the last: 24-hour blood pressure (UK Core example)
_INTERPRETATION = {
    "H": "high", "HH": "high", "HU": "high",
    "L": "low", "LL": "low", "LU": "low",
    "N": "normal",
}
_COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "≤": "<=", "≥": ">="}
# "5.4", ">130", "<0.5 mg/L", ">90 mL/min/1.73m2"; not "12/03/2024".
_VALUE_STRING = re.compile(
    r"^\s*(<=|>=|≤|≥|<|>)?\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-zµμ%].*|/[A-Za-z].*)?$"
)


_DATE_VALUES = frozenset({"valueDateTime", "valueDate"})  # valueDate: R5 and some R4 exports


def map_observation(obs: dict) -> list[LabResult]:
    """The results one Observation gives: itself, or one per measured component of a panel."""
    obs_id = string(obs.get("id")) or "unknown"
    when = happened(obs)
    shared = {
        "date": when.day if when else None,
        "date_precision": when.precision if when else None,
        "status": string(obs.get("status")),
        "category": codes(obs.get("category")),
    }
    code = obs.get("code")
    own_key = concept_key(code)
    own_codings = key_codings(own_key)
    is_panel = any(pair in BP_PANELS for pair in own_codings)
    own_measure = _measure(code, own_key)

    parts: list[LabResult] = []
    used_ids = {obs_id}
    for component in dicts(obs.get("component")):
        part_code = component.get("code")
        key = concept_key(part_code)
        measure = _measure(part_code, key)
        if measure is None and _DATE_VALUES.isdisjoint(component):
            continue  # a part that is no measure is kept only when its value is a date (below)
        if measure is not None and own_measure is not None and measure.id == own_measure.id:
            continue
        # A date in a panel (an expected delivery date in an antenatal booking) is read by rules
        # as one in an Observation's own value is (clinical-reference §11.4).
        part_id = f"{obs_id}#{measure.id if measure else 'date'}"
        suffix = 2
        while part_id in used_ids:
            part_id, suffix = f"{obs_id}#{measure.id}-{suffix}", suffix + 1
        used_ids.add(part_id)
        parts.append(_result(component, key, key_codings(key), measure, part_id, source_id=obs_id,
                             **shared))

    has_value = any(map(str.startswith, obs, repeat("value")))  # any value[x] key
    if (is_panel or not has_value) and any(part.measure_id for part in parts):
        return parts  # (a panel that holds only dates stays an entry of its own, as before)
    return [_result(obs, own_key, own_codings, own_measure, obs_id, source_id=None, **shared), *parts]


def _measure(concept, key: ConceptKey) -> Measure | None:
    """The measure of a code (key is concept_key(concept), read once by the caller)."""
    if not isinstance(concept, (dict, list)):
        return None
    return key_measure(key)


def _result(element: dict, key: ConceptKey, own_codings: list, measure: Measure | None, result_id: str,
            source_id: str | None, **shared) -> LabResult:
    """One LabResult from an Observation or one of its components.

    key is concept_key of its code and own_codings key_codings(key), both read once by the caller.
    """
    code = element.get("code")
    # A lone concept's text is the key's text; display() is only needed to look in its codings.
    text = key[0] if key[0] is not None and isinstance(code, dict) else display(code)
    value, comparator, unit, value_text, value_codings = _read_value(element)
    original_value, original_unit = value, unit
    unit_problem = None
    if measure is not None and value is not None:
        candidates = _unit_candidates(element, unit) if unit else [_range_unit(element)]
        converted, range_default, unit_problem = _trusted(measure, value, unit, candidates, own_codings)
        if converted is not None:
            value, unit = converted
    else:
        range_default = original_unit
    low, high = _reference_range(element, measure, range_default, unit_problem is None)
    flag = _interpretation_flag(element)
    if flag is None:
        flag = _range_flag(value, comparator, low, high)
        if low is None and high is None and measure is not None and unit_problem is None:
            flag = _range_flag(value, comparator, *_usual_range(measure.id))
    return LabResult(
        id=result_id, resource_type="Observation", codings=own_codings, text=text,
        measure_id=measure.id if measure else None,
        name=(measure.plain_name if measure else None) or text or "Result",
        value=value, comparator=comparator, unit=unit,
        original_value=original_value, original_unit=original_unit, unit_problem=unit_problem,
        value_text=value_text, value_codings=value_codings, flag=flag,
        reference_low=low, reference_high=high, source_id=source_id, **shared,
    )


def _read_value(element: dict):
    """(value, comparator, unit, value_text, value_codings) from whichever value[x] is present."""
    quantity = element.get("valueQuantity")
    if isinstance(quantity, dict):
        raw_comparator = quantity.get("comparator")
        comparator = _COMPARATORS.get(raw_comparator) if isinstance(raw_comparator, str) else None
        unit = string(quantity.get("unit")) or string(quantity.get("code"))
        value = number(quantity.get("value"))
        if comparator is None and raw_comparator not in (None, "", "="):
            # A comparator this app does not know (R5 "ad", anything else): the number is not the
            # value, so it is kept only as words and nothing judges, charts or counts it (fail closed).
            words = " ".join(str(w) for w in (raw_comparator, quantity.get("value"), unit) if w not in (None, ""))
            return None, None, None, words, []
        return value, comparator, unit, None, []
    if "valueInteger" in element:
        return number(element.get("valueInteger")), None, None, None, []
    if "valueString" in element:
        raw = string(element.get("valueString"))
        match = _VALUE_STRING.match(raw) if raw else None
        if match:
            comparator = _COMPARATORS.get(match.group(1)) if match.group(1) else None
            return number(match.group(2)), comparator, string(match.group(3)), raw, []
        return None, None, None, raw, []
    if "valueCodeableConcept" in element:
        concept = element.get("valueCodeableConcept")
        return None, None, None, display(concept), codings(concept)
    if isinstance(element.get("valueBoolean"), bool):
        return None, None, None, "Yes" if element["valueBoolean"] else "No", []
    for key in ("valueDateTime", "valueDate", "valueTime", "valuePeriod", "valueRange", "valueRatio"):
        if key in element:
            return None, None, None, _describe(element.get(key)), []
    return None, None, None, None, []


def _describe(value) -> str | None:
    """Short words for a value kind that is not a number (a date, a range, a ratio)."""
    if isinstance(value, str):
        return string(value)
    value = as_dict(value)
    if "numerator" in value or "denominator" in value:
        top = number(as_dict(value.get("numerator")).get("value"))
        bottom = number(as_dict(value.get("denominator")).get("value"))
        return f"{top:g}/{bottom:g}" if top is not None and bottom is not None else None
    ends = [as_dict(value.get(key)).get("value") if key in ("low", "high") else value.get(key)
            for key in ("start", "end", "low", "high") if key in value]
    words = [str(end) for end in ends if end is not None]
    return " to ".join(words) or None


def _unit_candidates(element: dict, unit: str | None) -> list[str | None]:
    """The units to try converting from: the shown unit, then the UCUM code, in that order."""
    quantity = as_dict(element.get("valueQuantity"))
    found: list[str | None] = [unit]
    code = string(quantity.get("code"))
    if code and code not in found:
        found.append(code)
    return found


def _range_unit(element: dict) -> str | None:
    """The unit of the reference range, for a value sent without one (e.g. the string ">90")."""
    for ref in dicts(element.get("referenceRange")):
        for key in ("low", "high"):
            quantity = as_dict(ref.get(key))
            unit = string(quantity.get("unit")) or string(quantity.get("code"))
            if unit:
                return unit
    return None


def _trusted(measure: Measure, value: float, unit: str | None, candidates: list[str | None],
             own_codings: list[tuple[str, str]]) -> tuple[tuple[float, str] | None, str | None, str | None]:
    """(value and unit in the measure's UK unit or None, unit read as, why it cannot be trusted).

    A value whose unit is missing, unknown or not the one its code is reported in, or that is
    outside what the measure can possibly be, comes back with its problem in words: it is listed
    as recorded and kept out of every chart, check, count and question (ltc_dashboard/record/indexes.py;
    clinical-reference §11.11). No rule may reason on a number it cannot trust."""
    not_used = "so this value is not used in charts, checks or questions"
    fixed = units.code_unit(own_codings)
    if fixed is not None:
        given = [units.canonical_unit(c) for c in candidates if c]
        if fixed not in given:
            said = f"'{unit}'" if unit else "no unit"
            return None, candidates[0] if candidates else None, (
                f"Unit not recognised: this result is coded as measured in "
                f"{units.canonical_unit(fixed)} but was recorded with {said}, {not_used}.")
        candidates = [c for c in candidates if c and units.canonical_unit(c) == fixed]
    converted, range_default = _normalise(measure, value, candidates)
    if converted is None:
        said = f"the unit '{unit}' could not be converted to {measure.display_unit}" if unit else "no unit was given"
        return None, range_default, f"Unit not recognised: {said}, {not_used}."
    limits = units.plausible_range(measure.id)
    if limits is not None and not limits[0] <= converted[0] <= limits[1]:
        low, high = limits
        return converted, range_default, (
            f"Value outside the possible range for {measure.plain_name} ({low:g} to {high:g} "
            f"{measure.display_unit}), {not_used}.")
    return converted, range_default, None


def _normalise(measure: Measure, value: float, candidates: list[str | None]
               ) -> tuple[tuple[float, str] | None, str | None]:
    """(value and unit in the measure's UK unit, unit read as); (None, first unit) if none fits."""
    for candidate in candidates:
        try:
            return units.normalise(measure.id, value, candidate), candidate
        except units.UnitError:
            continue
    return None, candidates[0] if candidates else None


def _reference_range(element: dict, measure: Measure | None, result_unit: str | None,
                     convertible: bool) -> tuple[float | None, float | None]:
    """Low and high of the first usable reference range, in the same unit as the value.

    A bound without a unit is taken to be in `result_unit`, the unit the value was read in.
    """
    for ref in dicts(element.get("referenceRange")):
        low_q, high_q = as_dict(ref.get("low")), as_dict(ref.get("high"))
        bounds = []
        for quantity in (low_q, high_q):
            bound = number(quantity.get("value"))
            if bound is None:
                bounds.append(None)
                continue
            bound_unit = string(quantity.get("unit")) or string(quantity.get("code")) or result_unit
            if measure is not None and convertible:
                try:
                    bound = units.normalise(measure.id, bound, bound_unit)[0]
                except units.UnitError:
                    return None, None
            elif units.canonical_unit(bound_unit) != units.canonical_unit(result_unit):
                return None, None
            bounds.append(bound)
        if bounds[0] is not None or bounds[1] is not None:
            return bounds[0], bounds[1]
    return None, None


@cache
def _usual_range(measure_id: str) -> tuple[float | None, float | None]:
    """The usual range targets.csv gives a measure (kind `range`: lithium 0.4 to 1.0 mmol/L, BNF),
    to flag a result the lab sent without its own range or interpretation: any lithium level is
    flagged against its range, whether or not the medicine list shows lithium (§11.1, §11.9)."""
    row = next((t for t in terminology.targets(measure_id) if t.kind == "range"), None)
    return (row.low, row.high) if row else (None, None)


def _interpretation_flag(element: dict) -> str | None:
    """high/low/normal from the lab's interpretation codes; None to let the range decide."""
    for concept in dicts(element.get("interpretation")):
        for _, code, _ in concept_key(concept)[1]:
            if code.upper() in _INTERPRETATION:
                return _INTERPRETATION[code.upper()]
    return None


def _range_flag(value: float | None, comparator: str | None, low: float | None,
                high: float | None) -> str:
    """high/low/normal from the range, only when the value (or its bound) makes it certain."""
    if value is None or (low is None and high is None):
        return "unknown"
    least, most = value, value  # the span the true value lies in
    if comparator in ("<", "<="):
        least = 0.0 if value > 0 else float("-inf")  # below a reporting limit, yet not negative
    elif comparator in (">", ">="):
        most = float("inf")
    if high is not None and (least > high or (comparator == ">" and least >= high)):
        return "high"
    if low is not None and (most < low or (comparator == "<" and most <= low)):
        return "low"
    if (low is None or least >= low) and (high is None or most <= high):
        return "normal"
    return "unknown"
