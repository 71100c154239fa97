"""Typed, read-only views of one patient's record, flattened from FHIR R4 by `record.mapping`.

One model per kind of entry, each keeping the FHIR `id` and `resource_type` it came from, its codes as
`(system, code)` pairs and `text`, the best human display. Dates are UK calendar days with their
precision ("year", "month", "day" or "time"), so "2019" is never shown as "1 January 2019".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import field
from functools import cached_property
from typing import Literal

from pydantic import Field

from ltc_dashboard.record.indexes import Grouped, ResultConcept, ResultIndex, index_results
from ltc_dashboard.record.model_base import Coding, Entry, ResultFlag  # noqa: F401  (the shared pieces, re-exported)
from ltc_dashboard.record.model_base import Model as _Model, entry as _entry
from ltc_dashboard.record.model_plans import CarePlan, CarePlanActivity, Goal, GoalTarget  # noqa: F401  (re-exported)

# Statuses that mean a result can be counted (clinical-reference §1.3).
COUNTABLE_RESULT_STATUSES = frozenset({"final", "amended", "corrected"})
_NOT_DONE_STATUSES = frozenset(
    {"not-done", "entered-in-error", "cancelled", "registered", "preliminary", "preparation", "stopped"}
)
_NOT_TRUE_VERIFICATION = frozenset({"refuted", "entered-in-error"})


@_entry
class PatientInfo:
    """Who the record is about."""

    id: str
    name: str | None = None
    birth_date: dt.date | None = None  # the first day a partial birth date ("2008", "2008-11") can be
    birth_date_precision: str | None = None  # "year", "month" or "day": a partial date leaves the age uncertain
    gender: str | None = None
    nhs_number: str | None = None
    deceased: bool = False  # Patient.deceased[x] true or a date (clinical-reference §11.10)
    deceased_on: dt.date | None = None


@_entry
class LabResult(Entry):
    """One measured or coded result; a blood-pressure panel gives one per component."""

    resource_type: str = "Observation"
    measure_id: str | None = None
    name: str
    value: float | None = None
    comparator: str | None = None
    unit: str | None = None
    original_value: float | None = None
    original_unit: str | None = None
    unit_problem: str | None = None
    value_text: str | None = None
    value_codings: list[Coding] = field(default_factory=list)
    flag: ResultFlag = "unknown"
    reference_low: float | None = None
    reference_high: float | None = None
    status: str | None = None
    category: list[str] = field(default_factory=list)
    source_id: str | None = None


@_entry
class ConditionEntry(Entry):
    """A diagnosis, problem or register entry."""

    resource_type: str = "Condition"
    clinical_status: str | None = None
    verification_status: str | None = None
    onset: dt.date | None = None
    onset_precision: str | None = None
    recorded: dt.date | None = None
    abatement: dt.date | None = None
    category: list[str] = field(default_factory=list)


@_entry
class DoseFact:
    """One request's or statement's dose, as far as it can be read (clinical-reference §11.9):
    `amount` in mg a day from the dose instruction (doseQuantity or doseRange with its timing, or
    the dose text), `strength` in mg from the medicine's name ("Lithium carbonate 400mg tablets").
    Either is None when it cannot be read; `record.doses` reads them. `status` is the entry's own
    (a cancelled one was never in force); `standing` marks an authorisation, a standing order or a
    statement (in force until it ends) rather than one issue; `end` is its end date; `based_on` the
    id of the authorisation an issue was made from (§11.9 reads a restart after a gap from these).
    `intent` is a request's own (plan, order, option...) and `authored_at` its authoredOn when that
    has a time and zone: whether an issue answers a repeat order is read from these (issue 21)."""

    date: dt.date | None = None
    amount: float | None = None
    strength: float | None = None
    entry_id: str = ""
    name: str = ""
    status: str | None = None
    standing: bool = False
    end: dt.date | None = None
    based_on: str = ""
    intent: str | None = None
    authored_at: dt.datetime | None = None


@_entry
class Medication(Entry):
    """A medicine, with every GP issue of it grouped together (requests) or as stated (statements)."""

    resource_type: str = "MedicationRequest"
    name: str
    kind: Literal["request", "statement"]
    status: str | None = None
    intent: str | None = None
    authored_on: dt.date | None = None
    last_issued: dt.date | None = None
    issues: list[dt.date] = field(default_factory=list)
    repeat: bool = False
    dosage_text: str | None = None
    classes: frozenset[str] = frozenset()
    reason_codings: list[Coding] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    # clinical-reference §11.1: the status comes from an authorisation (intent plan, or a continuous
    # order that is not an issue of another request); an order that is not an issue (US style, never
    # re-issued); the authorisation's or statement's end; the route or form it is given by.
    authorised: bool = False
    active_order: bool = False
    end_date: dt.date | None = None
    route: str | None = None
    # The Medication an unnamed request points at when the record does not hold it (its grouping).
    medicine_ref: str | None = None
    # clinical-reference §11.9: each request's or statement's dose and date, oldest first (a new
    # authorisation at another dose is a dose change; `conditions.dose_changes` reads them).
    doses: list[DoseFact] = field(default_factory=list)


@_entry
class AllergyEntry(Entry):
    """An allergy or intolerance."""

    resource_type: str = "AllergyIntolerance"
    clinical_status: str | None = None
    verification_status: str | None = None
    criticality: str | None = None
    category: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)


@_entry
class Immunisation(Entry):
    """A vaccination given (or recorded as not given, see `status`)."""

    resource_type: str = "Immunization"
    status: str | None = None


@_entry
class CodedEntry(Entry):
    """A coded event with no value of its own, such as a procedure."""

    resource_type: str = "Procedure"
    status: str | None = None


@_entry
class Letter(Entry):
    """A letter or document; `text` here is the letter's plain text, not a display label."""

    resource_type: str = "DocumentReference"
    title: str = "Letter"
    type_codings: list[Coding] = field(default_factory=list)
    category_codings: list[Coding] = field(default_factory=list)
    author: str | None = None
    status: str | None = None
    doc_status: str | None = None
    content_type: str | None = None
    html_safe: str | None = None
    pdf_text: str | None = None
    binary_id: str | None = None
    unavailable_reason: str | None = None


@_entry
class FlagEntry(Entry):
    """An alert on the record (register, DNACPR, lasting power of attorney ...)."""

    resource_type: str = "Flag"
    code: str | None = None
    status: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


@_entry
class Appointment(Entry):
    """A booked appointment; `start_at` keeps the UK clock time when one was given."""

    resource_type: str = "Appointment"
    start: dt.date | None = None
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    status: str | None = None
    description: str | None = None
    service_type: str | None = None


@_entry
class ConsentEntry(Entry):
    """A consent, such as the one behind a proxy's access (clinical-reference §8.2)."""

    resource_type: str = "Consent"
    status: str | None = None
    scope: str | None = None
    category: list[str] = field(default_factory=list)
    provision_type: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    data_period_start: dt.date | None = None
    data_period_end: dt.date | None = None
    actor_references: list[str] = field(default_factory=list)
    patient_reference: str | None = None


@_entry
class RelatedPersonInfo:
    """Someone related to the patient, such as a carer with proxy access."""

    id: str
    resource_type: str = "RelatedPerson"
    name: str | None = None
    relationship_codings: list[Coding] = field(default_factory=list)
    relationship: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    active: bool | None = None
    patient_reference: str | None = None


@_entry
class OtherEntry(Entry):
    """Any resource this module has no model for; kept so nothing silently disappears."""

    problem: str | None = None

    @property
    def type(self) -> str:
        """The FHIR resource type (the name the brief uses)."""
        return self.resource_type


@_entry
class CodedEvidence:
    """A dated coded thing that can show a check was done (for the due/overdue engine).

    For an observation, `codings` holds both its code and a coded value ("Never smoker"),
    because UK systems code the finding itself while others put it in the value.
    """

    id: str
    resource_type: str
    codings: list[Coding] = field(default_factory=list)
    date: dt.date | None = None
    date_precision: str | None = None
    text: str | None = None


class PatientRecord(_Model):
    """Everything one viewer may see of one patient, as typed models."""

    patient: PatientInfo | None = None
    results: list[LabResult] = Field(default_factory=list)
    conditions: list[ConditionEntry] = Field(default_factory=list)
    medications: list[Medication] = Field(default_factory=list)
    allergies: list[AllergyEntry] = Field(default_factory=list)
    immunisations: list[Immunisation] = Field(default_factory=list)
    letters: list[Letter] = Field(default_factory=list)
    care_plans: list[CarePlan] = Field(default_factory=list)
    goals: list[Goal] = Field(default_factory=list)
    flags: list[FlagEntry] = Field(default_factory=list)
    appointments: list[Appointment] = Field(default_factory=list)
    consents: list[ConsentEntry] = Field(default_factory=list)
    related_people: list[RelatedPersonInfo] = Field(default_factory=list)
    procedures: list[CodedEntry] = Field(default_factory=list)
    other: list[OtherEntry] = Field(default_factory=list)

    def results_for(self, measure_id: str, countable_only: bool = False) -> list[LabResult]:
        """Results of one measure, oldest first (undated last); optionally only countable ones."""
        return list(self._results.by_measure.get((measure_id, countable_only), ()))

    @cached_property
    def _results(self) -> ResultIndex:
        """The results indexed by measure and by concept in one pass: views ask for one measure at
        a time 165 times a summary, and a long record holds tens of thousands of results."""
        return index_results(self.results, COUNTABLE_RESULT_STATUSES)

    def coded_entries(self) -> Iterator[CodedEvidence]:
        """Every dated coded entry that can evidence a check, skipping what did not happen.

        Covers conditions (not refuted), procedures (not "not-done"), flags and observations without
        a numeric value (only final, amended or corrected ones). Undated entries are left out.
        """
        return iter(self._coded_evidence)

    @cached_property
    def _coded_evidence(self) -> list[CodedEvidence]:
        """coded_entries(), made once: every check of every view walks them."""
        return [_evidence(entry, extra) for entry, extra in self._coded_candidates if entry.date is not None]

    @cached_property
    def undated_by_concept(self) -> Grouped[tuple[tuple[Coding, ...], str], CodedEvidence]:
        """Coded entries left out of coded_entries() for want of a readable date (issue 18)."""
        found = [_evidence(entry, extra) for entry, extra in self._coded_candidates if entry.date is None]
        return Grouped(found, [(tuple(e.codings), e.text or "") for e in found])

    @cached_property
    def _coded_candidates(self) -> list[tuple[Entry, list[Coding]]]:
        candidates: list[tuple[Entry, list[Coding]]] = []
        for condition in self.conditions:
            if condition.verification_status not in _NOT_TRUE_VERIFICATION:
                candidates.append((condition, []))
        for procedure in self.procedures:
            if procedure.status not in _NOT_DONE_STATUSES:
                candidates.append((procedure, []))
        candidates.extend((flag, []) for flag in self.flags)
        candidates.extend((result, result.value_codings) for result in self._results.coded)
        return candidates

    @cached_property
    def coded_by_concept(self) -> Grouped[tuple[tuple[Coding, ...], str], CodedEvidence]:
        """coded_entries() grouped by (codes, display text): views look for a dozen value sets in
        them, dozens of times a summary."""
        found = self._coded_evidence
        return Grouped(found, [(tuple(e.codings), e.text or "") for e in found])

    @cached_property
    def untracked_values(self) -> Grouped[tuple[tuple[Coding, ...], str], LabResult]:
        """Countable, dated results with a number but no tracked measure (alcohol units, waist),
        oldest first, grouped by (codes, text or name): checks count them as evidence, and
        finding these few once saves a scan of every result per check."""
        found = [r for r in self._results.by_measure.get((None, True), ()) if r.value is not None and r.date]
        return Grouped(found, [(tuple(r.codings), r.text or r.name or "") for r in found])

    @property
    def results_by_concept(self) -> Grouped[ResultConcept, LabResult]:
        """Countable, dated results grouped by everything a rule reads of their concept (codes,
        coded value, text, coded value's text, name): rules that look for a finding among tens of
        thousands of results (foot risk, preferred place) then test a few dozen concepts."""
        return self._results.by_concept

    @cached_property
    def letters_by_kind(self) -> Grouped[tuple[tuple[Coding, ...], str, tuple[Coding, ...]], Letter]:
        """Letters grouped by (type codes, title, category codes), their kind: hundreds share a handful."""
        return Grouped(self.letters, [(tuple(l.type_codings), l.title, tuple(l.category_codings))
                                      for l in self.letters])

    def by_id(self, resource_id: str) -> Entry | None:
        """The mapped entry with this FHIR id (or component id), if any."""
        for group in (self.results, self.conditions, self.medications, self.allergies, self.immunisations, self.letters,
                      self.care_plans, self.goals, self.flags, self.appointments, self.consents, self.procedures, self.other):
            for entry in group:
                if entry.id == resource_id or resource_id in getattr(entry, "ids", ()):
                    return entry
        return None


def _evidence(entry: Entry, extra: list[Coding] | None = None) -> CodedEvidence:
    codings = list(entry.codings) + [c for c in (extra or []) if c not in entry.codings]
    return CodedEvidence(
        id=entry.id, resource_type=entry.resource_type, codings=codings,
        date=entry.date, date_precision=entry.date_precision, text=entry.text,
    )
