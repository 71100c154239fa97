"""Which Conditions are clinical problems, for lists of a person's conditions (`ltc patients`).

A FHIR Condition can hold more than diagnoses: US Core files social determinants as Conditions
(category `health-concern` or `sdoh`), and Synthea records findings such as "Full-time employment
(finding)" or "Refugee (person)" as problem-list entries. A person's list of conditions shows
clinical problems only. The rule, in order:

1. not ended: clinical status absent, active, recurrence or relapse; not refuted or entered in error;
2. not filed only under a non-clinical category (US Core `health-concern` or `sdoh`);
3. not a code of value set `social_finding` (data/terminology/valuesets.csv: employment,
   education, housing, transport, social contact, criminal record; source and verified=no there);
4. not named with a SNOMED CT semantic tag from outside the clinical hierarchies: "(person)",
   "(social concept)", "(occupation)", "(environment)", "(ethnic group)", "(religion/philosophy)",
   "(life style)", "(record artifact)" (SNOMED CT Editorial Guide, semantic tags; not in
   clinical-reference). A "(finding)" or "(disorder)" tag is clinical unless rule 3 says otherwise:
   obesity and prediabetes are findings too.
"""

from __future__ import annotations

import re

from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import ConditionEntry, PatientRecord

_OPEN = frozenset({None, "active", "recurrence", "relapse"})
_NOT_TRUE = frozenset({"refuted", "entered-in-error"})
_NOT_CLINICAL_CATEGORIES = frozenset({"health-concern", "sdoh"})
_NOT_CLINICAL_TAGS = frozenset({"person", "social concept", "occupation", "environment", "ethnic group",
                                "religion/philosophy", "life style", "record artifact"})
_TAG = re.compile(r"\(([a-z /]+)\)\s*$")


def is_clinical_problem(condition: ConditionEntry) -> bool:
    """Whether a Condition is an open clinical problem (rules 1 to 4 of the module docstring)."""
    if condition.clinical_status not in _OPEN or condition.verification_status in _NOT_TRUE:
        return False
    if condition.category and set(condition.category) <= _NOT_CLINICAL_CATEGORIES:
        return False
    concept = {"coding": [{"system": s, "code": c} for s, c in condition.codings]}
    if terminology.in_valueset("social_finding", concept):
        return False
    tag = _TAG.search((condition.text or "").casefold())
    return not (tag and tag.group(1) in _NOT_CLINICAL_TAGS)


def clinical_problems(record: PatientRecord) -> list[str]:
    """The names of a record's open clinical problems, sorted, each once."""
    return sorted({c.text for c in record.conditions if c.text and is_clinical_problem(c)})
