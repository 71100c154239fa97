"""The viewer's results as CSV: one row per measured value, oldest first.

Built from the mapped results of a `VisibleRecord`, so nothing the viewer cannot see is in it.
Dates are ISO (YYYY-MM-DD) so spreadsheets sort them; units are the UK units the pages show.
A cell that a spreadsheet would run as a formula is prefixed with an apostrophe, and bidi and
zero-width characters are removed (textsafe.csv_cell).
"""

from __future__ import annotations

import csv
import io

from conditions.base import number
from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import LabResult, PatientRecord
from ltc_dashboard.textsafe import csv_cell as _safe

COLUMNS = ("date", "measure_id", "measure", "value", "unit", "flag")


def _row(result: LabResult) -> dict[str, str]:
    measure = terminology.measure(result.measure_id) if result.measure_id else None
    if result.value is not None:
        value = f"{result.comparator or ''}{number(result.value)}"
        safe_value = value if result.comparator is None else _safe(value)
    else:
        safe_value = _safe(result.value_text or "")
    return {
        "date": result.date.isoformat() if result.date else "",
        "measure_id": result.measure_id or "",
        "measure": _safe(measure.plain_name if measure else result.name),
        "value": safe_value,
        "unit": _safe(measure.display_unit if measure else (result.unit or "")),
        "flag": result.flag,
    }


def results_csv(record: PatientRecord) -> str:
    """Every result with a value (a number or words), as CSV text with a header row."""
    results = [r for r in record.results if r.value is not None or r.value_text]
    results.sort(key=lambda r: (r.date is None, r.date or "", r.measure_id or "~", r.name, r.id))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_row(r) for r in results)
    return out.getvalue()
