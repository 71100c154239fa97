"""A person's age on a day, read cautiously when the birth date is partial (clinical-reference §11.3).

A FHIR birthDate may be a year ("2008") or a month ("2008-11"). The age is then a range: the
youngest the person can be (born on the last possible day) and the oldest (born on the first). A
rule reads the cautious side (§11 opening: where it is unclear, the stricter target or the closer
monitoring wins): "under 18" when the person MAY be under 18, a looser target "for 80 and over"
only when they are CERTAINLY 80 or over, a monitoring trigger "65 or over" when they MAY be 65 or
over. The helpers below say which side is which, so no rule picks one by accident.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.record.dates import FhirDate
from ltc_dashboard.record.models import PatientInfo


def age_on(born: dt.date, today: dt.date) -> int:
    """Whole years from a birth day to today (a 29 February birthday falls on 1 March)."""
    years = today.year - born.year
    return years - ((today.month, today.day) < (born.month, born.day))


def age_range(patient: PatientInfo | None, today: dt.date) -> tuple[int, int] | None:
    """(youngest, oldest) in whole years on today, or None without a birth date. The two are equal
    for a full birth date."""
    if patient is None or patient.birth_date is None:
        return None
    precision = patient.birth_date_precision or "day"
    last = FhirDate(patient.birth_date, precision).last_day if precision in ("year", "month") else patient.birth_date
    return age_on(last, today), age_on(patient.birth_date, today)


def may_be_under(ages: tuple[int, int] | None, years: int) -> bool:
    """Whether the person may be under this age (the youngest they can be is below it)."""
    return ages is not None and ages[0] < years


def certainly_at_least(ages: tuple[int, int] | None, years: int) -> bool:
    """Whether the person is this age or over whichever day they were born (youngest reaches it)."""
    return ages is not None and ages[0] >= years


def may_be_at_least(ages: tuple[int, int] | None, years: int) -> bool:
    """Whether the person may be this age or over (the oldest they can be reaches it)."""
    return ages is not None and ages[1] >= years


def in_words(ages: tuple[int, int]) -> str:
    """The age as a person reads it: "67", or "64 or 65" when the birth date gives the year only."""
    youngest, oldest = ages
    return str(oldest) if youngest == oldest else f"{youngest} or {oldest}"
