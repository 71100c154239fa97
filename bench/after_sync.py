"""The first open after a small sync, for bench/run.py (issue 19): `summary_after_sync_ms`.

A sync that changes 10 resources of the 25k record is stored as ltc_dashboard/intake/sync.py stores one (one
transaction, `Store.put`), into a copy of the store whose snapshot an earlier open kept; then
`service.summary` is timed in a fresh process (bench/measure.py `summary`), as for
`summary_ms`. The 10: six new results (the record's latest ones, again a week later), two newer
versions of stored results (amended), a new issue of a repeat prescription and a new consultation.
Measured in the same run beside the first open after the full import (`summary_first_ms`, the
snapshot derived whole) and the open with the snapshot kept (`summary_ms`, which
bench/README.md calls the warm open here: `summary_warm_ms` is the in-process rerun).

    .venv/bin/python bench/run.py --only after-sync     # just this figure and its two yardsticks
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import statistics
from pathlib import Path

PATIENT = "scale-patient"
TARGETS = {"after_sync_to_first": 0.1, "after_sync_to_kept": 2.0}


def changes(resources: list[dict]) -> list[dict]:
    """The 10 resources of the sync, made from the record's own latest entries (deterministic)."""
    def latest(rtype: str, count: int) -> list[dict]:
        found = [r for r in resources if r["resourceType"] == rtype]
        return sorted(found, key=lambda r: (str(r.get("effectiveDateTime") or r.get("authoredOn")
                                                  or r.get("period", {}).get("start")), r["id"]))[-count:]

    def later(text: str) -> str:
        day = dt.date.fromisoformat(text[:10]) + dt.timedelta(days=7)
        return day.isoformat() + text[10:]

    made = []
    results = [r for r in latest("Observation", 40) if not r.get("meta", {}).get("security")
               and r.get("status") == "final" and "hasMember" not in r][-8:]
    for n, result in enumerate(results[:6]):
        new = copy.deepcopy(result)
        new["id"], new["effectiveDateTime"] = f"{result['id']}-after-sync-{n}", later(result["effectiveDateTime"])
        made.append(new)
    for result in results[6:8]:
        amended = copy.deepcopy(result)
        amended["status"] = "amended"
        amended.setdefault("meta", {})["versionId"] = str(int(amended["meta"].get("versionId", "1")) + 1)
        made.append(amended)
    issue = copy.deepcopy(latest("MedicationRequest", 1)[0])
    issue["id"], issue["authoredOn"] = f"{issue['id']}-after-sync", later(issue["authoredOn"])
    visit = copy.deepcopy(latest("Encounter", 1)[0])
    visit["id"] = f"{visit['id']}-after-sync"
    visit["period"] = {key: later(value) for key, value in visit["period"].items()}
    return made + [issue, visit]


def write_changes(db: str, bundle: str) -> dict:
    """Store the sync (bench/measure.py `change`), made from the record's Bundle as imported (the
    store is only written, as a sync writes it): one transaction, as ltc_dashboard/intake/sync.py does."""
    import json

    from ltc_dashboard.store import Store

    store = Store(db)
    resources = changes([entry["resource"] for entry in json.loads(Path(bundle).read_text())["entry"]])
    with store.atomic():
        result = store.put(resources)
    return {"written": len(result.written)}


def after_sync(db25: Path, bundle: Path, demo: str, work: Path, runs: int, child, say) -> dict:
    """`summary_after_sync_ms` on copies of the 25k store (its snapshot kept), median of `runs`."""
    opened = []
    for run in range(runs):
        copied = work / f"after-sync-{run}.db"
        shutil.copy(db25, copied)
        written = child("change", str(copied), str(bundle))["written"]
        if written != 10:
            raise RuntimeError(f"the sync wrote {written} resources, not 10")
        opened.append(child("summary", str(copied), demo))
        copied.unlink()
    figure = statistics.median(r["cold_ms"] for r in opened)
    say(f"first open after a 10-resource sync at 25k: {figure:.0f} ms")
    return {"summary_after_sync_ms": round(figure, 1)}
