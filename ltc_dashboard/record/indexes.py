"""Indexes of one patient's record, made once per `PatientRecord` (see `record.models`).

Views ask the same few questions of every result dozens of times a summary: the results of one
measure, oldest first; the entries whose codes or words fall in a value set. A long record holds
tens of thousands of results but only a few dozen distinct concepts, so the record is read once,
here, and value-set tests run once per distinct concept instead of once per entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ltc_dashboard.record.models import LabResult

K = TypeVar("K")
E = TypeVar("E")
# (codes, coded value, text, coded value's text, name) of a result: what rules read to recognise it.
ResultConcept = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], "str | None", "str | None", str]


class Grouped(Generic[K, E]):
    """Entries grouped by what a rule reads of them (their codes and words), so the rule is asked
    once per distinct key."""

    def __init__(self, entries: list[E], keys: Iterable[K]) -> None:
        """`keys` gives each entry's key, in step with `entries`."""
        self.entries = entries
        self.groups: defaultdict[K, list[int]] = defaultdict(list)
        for position, key in enumerate(keys):
            self.groups[key].append(position)

    def where(self, test: Callable[[K], bool]) -> list[E]:
        """The entries whose key passes test, in their original order."""
        positions = sorted(p for key, found in self.groups.items() if test(key) for p in found)
        return [self.entries[p] for p in positions]


@dataclass(frozen=True)
class ResultIndex:
    """What views ask of the results, answered from one pass over them."""

    by_measure: dict[tuple[str | None, bool], list[LabResult]]  # (measure, countable only): oldest first
    by_concept: Grouped[ResultConcept, LabResult]  # countable and dated, in record order
    coded: list[LabResult]  # countable without a number (coded findings), in record order


def _same(a: LabResult, b: LabResult) -> bool:
    """Whether two results of one measure are one test sent twice: the same day and the same or an
    equivalent value (53 mmol/mol and 7.0 % converted differ by a rounding)."""
    if a.date is None or a.date != b.date or a.comparator != b.comparator:
        return False
    if a.value is None or b.value is None:
        return a.value is b.value and a.value_text == b.value_text
    return abs(a.value - b.value) <= 0.005 * max(abs(a.value), abs(b.value)) or round(a.value, 1) == round(b.value, 1)


def _once(group: list[LabResult]) -> list[LabResult]:
    """A measure's results with each test sent twice (two sources, or a blood pressure visit
    recorded twice) kept once, the first in date-and-id order: charts, "previous result", checks
    and questions count it once (issue 14). The results table still lists both."""
    kept: list[LabResult] = []
    day: list[LabResult] = []  # the kept results of the latest day: the only ones _same can match
    for result in group:
        when = result.date
        if when is None or not day or day[0].date != when:  # dated ones come first, by date
            kept.append(result)
            day = [result]
        elif not any(_same(result, earlier) for earlier in reversed(day[-8:])):  # as kept[-8:] of that day
            kept.append(result)
            day.append(result)
    return kept


def index_results(results: list[LabResult], countable: frozenset[str]) -> ResultIndex:
    """Group results by measure (dated ones by date and id, undated ones after them by id; the
    sort is stable, so dropping uncountable ones afterwards keeps the order) and by concept."""
    grouped: defaultdict[str | None, list[LabResult]] = defaultdict(list)
    found: list[LabResult] = []
    keys: list[ResultConcept] = []
    coded: list[LabResult] = []
    for result in results:
        grouped[result.measure_id].append(result)
        if result.status in countable and result.unit_problem is None:  # never an untrusted number
            if result.value is None:
                coded.append(result)
            if result.date is not None:
                found.append(result)
                keys.append((tuple(result.codings), tuple(result.value_codings), result.text,
                             result.value_text, result.name))
    by_measure: dict[tuple[str | None, bool], list[LabResult]] = {}
    for measure_id, group in grouped.items():
        group = (sorted([r for r in group if r.date is not None], key=attrgetter("date", "id"))
                 + sorted([r for r in group if r.date is None], key=attrgetter("id")))
        by_measure[measure_id, False] = group
        by_measure[measure_id, True] = _once([r for r in group if r.status in countable and r.unit_problem is None])
    return ResultIndex(by_measure=by_measure, by_concept=Grouped(found, keys), coded=coded)
