"""The synthetic record's history for the benchmark (bench/scale.py): its diagnoses, repeat and
anticipatory medicines, and a value that drifts over years as a person's results do. Split from
bench/scale.py to keep it under 400 lines; standard library only and deterministic, as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gen.record import Record

# Diagnoses: (FINDINGS key, onset, recorded).
DIAGNOSES = [
    ("bipolar", "2001", "2001-06"),
    ("hypertension", "2006-03", "2006-03-20"),
    ("diabetes_type2", "2008-02-11", "2008-02-14"),
    ("rheumatoid_arthritis", "2012-04", "2012-05-08"),
    ("alzheimers", "2022-01", "2022-03-07"),
    ("lung_cancer", "2025-08-18", "2025-08-26"),
]

# Repeat medicines: key, name, dose, amount, unit, start, stop, interval at density 1 (days), reason.
REPEATS = [
    ("lithium", "Lithium carbonate 400mg modified-release tablets",
     "Take two tablets (800mg) at night. Keep to the same brand.", 168, "tablet", "2006-12-04", None,
     84, "bipolar"),
    ("ramipril", "Ramipril 5mg capsules", "Take one capsule once a day", 84, "capsule", "2006-12-11",
     "2026-03-10", 84, "hypertension"),
    ("metformin", "Metformin 500mg modified-release tablets",
     "Take two tablets twice a day with meals", 336, "tablet", "2008-02-25", None, 84,
     "diabetes-type2"),
    ("atorvastatin", "Atorvastatin 20mg tablets", "Take one tablet at night", 84, "tablet",
     "2008-03-10", None, 84, None),
    ("methotrexate", "Methotrexate 2.5mg tablets",
     "Take six tablets (15mg) once a week on Mondays", 72, "tablet", "2012-06-04", None, 84,
     "rheumatoid-arthritis"),
    ("folic-acid", "Folic acid 5mg tablets", "Take one tablet once a week, not on methotrexate day",
     12, "tablet", "2012-06-04", None, 84, None),
    ("donepezil", "Donepezil 10mg tablets", "Take one tablet at night", 84, "tablet", "2022-03-21",
     None, 84, "alzheimers"),
    ("oramorph", "Morphine sulfate 10mg/5ml oral solution",
     "2.5ml to 5ml every 4 hours when required for pain or breathlessness", 300, "ml", "2026-04-02",
     None, 28, None),
]
ANTICIPATORY = [
    ("morphine-injection", "Morphine sulfate 10mg/1ml solution for injection ampoules",
     "2.5mg to 5mg by subcutaneous injection every 2 to 4 hours when required for pain"),
    ("midazolam-injection", "Midazolam 10mg/2ml solution for injection ampoules",
     "2.5mg to 5mg by subcutaneous injection every 2 to 4 hours when required for agitation"),
]


class Series:
    """A value that drifts slowly between bounds, as a person's results do over years."""

    def __init__(self, rec: Record, start: float, low: float, high: float, step: float, digits: int):
        self.rec, self.value, self.low, self.high = rec, start, low, high
        self.step, self.digits = step, digits

    def next(self) -> float:
        self.value += (self.rec.rng.random() - 0.5) * 2 * self.step
        self.value = min(self.high, max(self.low, self.value))
        return round(self.value, self.digits) if self.digits else int(round(self.value))
