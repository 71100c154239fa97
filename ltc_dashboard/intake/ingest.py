"""Importing: a connector's items go into the store.

Letters' text reaches the search index when the record's snapshot is made, at its first open
after the import (ltc_dashboard/store/db.py, ltc_dashboard/gate/snapshot/build.py): from the versions stored then, so that a letter
or Binary imported later, or a newer version of either, is searched by what it now says.

Used by `ltc import`, the app's upload and the demo store. Each rejected item is kept in the
report with where it was and why; everything valid is still stored.
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import Rejected
from connectors.files import IMPORT_EXPANDED_BYTES, FileConnector
from connectors.validate_subject import subject_problem
from ltc_dashboard import fhir_read
from ltc_dashboard.exports.own_content import is_own_content
from ltc_dashboard.exports.restore import restore
from ltc_dashboard.gate.policy import hidden_labels_for, labels_of
from ltc_dashboard.store import PutResult, Store

# Why a server's resource tagged as the person's own content is refused (docs/rules/home_readings.md):
# a sync keeps the GP record only. Written into the person's tables it would become their own
# question, comment or home reading (entered by "patient"); stored as an ordinary resource a home
# reading would read as a GP result (a check's "last done"). Neither is safe, so it is not kept.
JOINT = ("an appointment naming more than one patient, not for the record it was fetched or imported for: it "
         "cannot be filed safely under any one of them, so it was not imported. Import it into the record of the "
         "patient it is for (sign in as them and upload it)")
OWN_FROM_SERVER = ("marked as written by the person in this app (own content): a sync brings in only the GP "
                   "record and never writes into the person's own questions, comments or home readings, so it "
                   "was not kept (the person's own export brings them back with `ltc import`)")

# Every label that hides an entry from some viewer (a newer copy dropping one is reported).
_HIDING = frozenset().union(*(hidden_labels_for(kind) for kind in ("patient", "proxy", "clinic")))


@dataclass
class ImportReport:
    """What an import did: resources stored per type, and each item rejected with its reason."""

    put: PutResult = field(default_factory=PutResult)
    rejected: list[Rejected] = field(default_factory=list)
    own: Counter = field(default_factory=Counter)  # own-content rows restored, e.g. "own question"
    own_kept: Counter = field(default_factory=Counter)  # of those, already there before this import
    superseded: Counter = field(default_factory=Counter)  # older copies of own rows changed since: not restored

    @property
    def counts(self) -> Counter:
        return self.put.stored + self.own

    @property
    def unhidden(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(type, id, label codes) of each entry a newer copy replaced without a label that hid it
        from some viewer (data/terminology/sensitivity.csv, or a label that could not be read)."""
        found = []
        for (rtype, rid), before, after in self.put.labels_removed:
            gone = (labels_of(before) & _HIDING) - labels_of(after)
            places = {k for k in ("securityLabel", "confidentiality") if before.get(k) not in (None, after.get(k))}
            if gone or places:
                found.append((rtype, rid, tuple(sorted({code for _, code in gone} | places))))
        return found

    @property
    def notices(self) -> list[str]:
        """What the person running the import should know, in plain words (no clinical content)."""
        notes = [f"{rtype}/{rid}: the newer copy no longer has the label that hid it ({', '.join(codes)}), "
                 "so it may now be shown" for rtype, rid, codes in self.unhidden]
        if changed := self.superseded["own reading"]:
            kept = self.own_kept["own reading"]
            notes.append(f"{kept} home reading{'s' if kept != 1 else ''} already kept, {changed} older "
                         f"cop{'ies' if changed != 1 else 'y'} of readings you have since changed not restored "
                         "(the reading as you changed it is kept)")
        unordered = sum(self.put.unordered.values())
        if unordered:
            notes.append(f"{unordered} {'entry' if unordered == 1 else 'entries'} had copies that could not be "
                         "put in order (same or missing version and time): each keeps the labels of every copy")
        return notes

    @property
    def exit_code(self) -> int:
        """0 when all was imported, 1 when some was rejected, 2 when nothing was importable."""
        if not self.rejected:
            return 0 if sum(self.counts.values()) else 2
        return 1 if sum(self.counts.values()) else 2


def import_items(
    store: Store, items: Iterable, progress: Callable[[int], None] | None = None, keep_labels: bool = False,
    from_server: bool = False, for_patient: str | None = None,
) -> ImportReport:
    """Store every resource from `items`, keeping each Rejected in the report. keep_labels: a newer
    copy never removes a label the stored copy has (an upload in the app: Store.put). Unless
    `from_server` (ltc_dashboard/intake/sync.py, which notes what each server gave itself), what is stored is noted as
    given by a file (ltc_dashboard/store/syncs.py FILE), so no server's silence ever removes it. What the person
    wrote (the own-content tag) goes to their own tables from a file, and is refused from a server.
    `for_patient`: the record the items were fetched or imported for; an Appointment naming more
    than one Patient is stored under it when it is one of them, else refused (JOINT)."""
    report = ImportReport()
    own: list[dict] = []
    given: list[tuple[str, str]] = []

    def resources():
        seen = 0
        for item in items:
            if isinstance(item, Rejected):
                report.rejected.append(item)
                continue
            seen += 1
            if progress and seen % 500 == 0:
                progress(seen)
            if is_own_content(item):
                if from_server:  # never the person's own tables: see OWN_FROM_SERVER
                    report.rejected.append(Rejected("the server", _where(item), OWN_FROM_SERVER))
                    continue
                own.append(item)  # what the person wrote: their tables, not the resources table
                continue
            unfiled = _appointment_problem(item, for_patient)
            if unfiled:
                report.rejected.append(Rejected("the server" if from_server else "the file", _where(item), unfiled))
                continue
            if not from_server and isinstance(item.get("id"), str):
                given.append((item.get("resourceType"), item["id"]))
            yield item

    with _collector_paused():
        report.put = store.put(resources(), keep_labels=keep_labels, for_patient=for_patient)
    if given:
        store.hold_from_file(sorted(set(given)))
    if own:
        _restore_own_content(store, own, report)
    return report


def _appointment_problem(item: dict, for_patient: str | None) -> str | None:
    """Why an Appointment cannot be filed under one patient, or None: a Patient participant named
    only by identifier (an NHS number) or otherwise unresolved, as connectors/validate.py refuses
    an Observation's subject; or several Patients, none the record it is for (JOINT). Checked here
    too because items may come from anywhere, not only a connector that validated them."""
    if item.get("resourceType") != "Appointment":
        return None
    problem = subject_problem("Appointment", item)
    if problem:
        return problem
    patients = fhir_read.appointment_patients(item)
    return JOINT if len(patients) > 1 and for_patient not in patients else None


def _where(item: dict) -> str:
    """Type and id of a resource, for a rejection (never its content)."""
    return f"{str(item.get('resourceType'))[:40]}/{str(item.get('id'))[:64]}"


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while a file is read and stored. Parsing a large Bundle keeps a
    million objects alive, and every full collection walks them all to find nothing: about a fifth
    of `ltc import` of a 25,000-resource record. The import makes no cycles worth collecting; the
    collector runs again as soon as it is done."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# -- own content (ltc_dashboard/exports/own_content.py) -------------------------------------------------------
def _restore_own_content(store: Store, resources: list[dict], report: ImportReport) -> None:
    """Questions, comments, goals and notes from an `ltc export` go back into the person's own
    tables (never twice: what is already there is skipped)."""
    restored = restore(store, resources)
    report.own.update(restored.counts)
    report.own_kept.update(restored.unchanged)
    report.superseded.update(restored.superseded)
    report.rejected.extend(restored.rejected)


def import_paths(
    store: Store, paths: Iterable[str | Path], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import files and folders of FHIR R4 JSON or XML (Bundles, NDJSON, single resources), as
    `ltc import` does: a .gz may expand to IMPORT_EXPANDED_BYTES (1 GB), not just the upload limit."""
    return import_items(store, FileConnector(paths, IMPORT_EXPANDED_BYTES).read(), progress)
