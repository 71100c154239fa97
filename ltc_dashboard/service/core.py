"""The one door pages and the CLI use: it holds the store, opens records through the access gate,
builds summaries, and saves what the person writes.

STYLE.md has pages draw domain objects and never import the store; something has to hold the
store handle between them. This module is that seam, and nothing more: every clinical read goes
`store -> gate.access.open_record -> record.mapping / summary`, and every result is keyed by the
viewer so one viewer's data is never served to another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from conditions import BY_ID
from ltc_dashboard import exports
from ltc_dashboard import preference_keys
from ltc_dashboard.exports import feedback
from ltc_dashboard.exports.feedback import FlagItem, FlagRefused  # noqa: F401  pages catch FlagRefused and read FlagItem
from ltc_dashboard.exports.own_content import OwnContent, for_viewer as own_for_viewer, views_preference_key
from ltc_dashboard.gate.access import ProxyLink, Viewer, VisibleRecord, open_record, patient_resource, proxy_links
from ltc_dashboard.gate.snapshot import map_visible
from ltc_dashboard.intake import stores
from ltc_dashboard.intake.ingest import ImportReport, import_paths
from ltc_dashboard.record import kept_lookups, terminology
from ltc_dashboard.record.mapping import map_patient
from ltc_dashboard.record.models import Letter, PatientRecord
from ltc_dashboard.service.appointments import AppointmentsServiceMixin
from ltc_dashboard.service.connect import ConnectMixin
from ltc_dashboard.service.flags import FlagsServiceMixin, author_of_viewer as _author, reread_on_change as _reread_on_change
from ltc_dashboard.service.readings import ReadingsServiceMixin, visible_readings
from ltc_dashboard.service.record_requests import RequestsServiceMixin
from ltc_dashboard.service.repeats import RepeatsServiceMixin, visible_orders
from ltc_dashboard.store import Store, StoreError  # noqa: F401  StoreError: pages catch it when a write is refused
from ltc_dashboard.summary.core import Summary, build_summary, with_orders

CACHE_SIZE = 16  # viewer-days kept in memory per store

VIEW_IDS = tuple(BY_ID)  # the condition views a person may choose to show (issue 16)


@dataclass(frozen=True)
class PatientChoice:
    """A patient to pick at sign-in."""

    id: str
    name: str
    birth_date: dt.date | None


@dataclass(frozen=True)
class Opened:
    """One viewer's view of one record on one day, computed once and reused on reruns."""

    visible: VisibleRecord
    record: PatientRecord


class Service(ConnectMixin, ReadingsServiceMixin, AppointmentsServiceMixin, RequestsServiceMixin,
              RepeatsServiceMixin, FlagsServiceMixin):
    """Reads through the gate and writes the person's own tables, for one store."""

    def __init__(self, store: Store, is_demo: bool = False):
        self._store = store
        self.is_demo = is_demo
        self._cache: OrderedDict[tuple, Opened] = OrderedDict()
        self._summaries: dict[str, tuple[Opened, str, Summary]] = {}  # viewer key -> the latest
        self._mapped: dict[tuple[str, str], dict] = {}  # (patient, data version) -> mapped entries
        self._lock = threading.Lock()
        self._slots_listed: dict[str, str] = {}  # slot id -> the start this service listed (appointments.py)

    @property
    def store_path(self) -> Path:
        return self._store.path

    # -- reading, always through the gate -----------------------------------------------------
    @_reread_on_change  # a sync may write between the gate's read and the mapping's
    def open(self, viewer: Viewer, today: dt.date) -> Opened:
        """The viewer's visible record and its mapped models (cached per viewer, day and data)."""
        reveal = self._store.preference(viewer.patient_id, preference_keys.EOL_SHOW_PROGNOSIS) == "yes"
        key = (viewer.key, today, reveal, self._store.data_version())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with _collector_paused():
            visible = open_record(self._store, viewer, today, reveal_prognosis=reveal)
            memo = self._memo(viewer.patient_id, key[3])
            opened = Opened(visible=visible, record=map_visible(visible, memo))
        with self._lock:
            self._cache[key] = opened
            newest = max(_version_number(k[3]) for k in self._cache)
            for old in [k for k in self._cache if _version_number(k[3]) < newest]:
                del self._cache[old]  # opened before a write: never served again, so not kept (H24)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            self._drop_unheld()
        return opened

    def _switch_store(self, store: Store) -> None:
        """Read `store` from now on, in place of the demo store a first import or sync wrote
        past (connect.py `_write`): nothing opened from the demo store is kept."""
        with self._lock:
            self._store, self.is_demo = store, False
            self._cache.clear()
            self._drop_unheld()  # the demo store's mapped entries and summaries go with its records

    def _remember_slots(self, starts: dict[str, str]) -> None:
        """The start of each free slot listed to the person, so a booking is of the time they saw."""
        with self._lock:
            self._slots_listed.update(starts)

    def _drop_unheld(self) -> None:
        """Drop the mapped entries and summaries no kept opened record uses. Caller holds the lock."""
        held = {(k[0].split("|", 1)[0], k[3]) for k in self._cache}  # patients still open
        for memo_key in [m for m in self._mapped if m not in held]:
            del self._mapped[memo_key]
        kept = {id(opened) for opened in self._cache.values()}
        for viewer_key in [v for v, (opened, _, _) in self._summaries.items() if id(opened) not in kept]:
            del self._summaries[viewer_key]

    def forget(self, viewer: Viewer) -> None:
        """Drop everything kept in memory for this viewer (its opened records on any day, its
        summary) and the patient's shared mapped entries once no viewer kept still uses them:
        the pages call it when the person signs out or leaves by quick exit, so nothing of their
        view outlives their session in the server; the lookup caches keyed by entry words are
        emptied too (ltc_dashboard/record/kept_lookups.py), which costs other sessions only their next open's
        lookups. Another session of the same viewer opens the
        record again on its next run."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == viewer.key]:
                del self._cache[key]
            self._summaries.pop(viewer.key, None)
            self._drop_unheld()
            kept_lookups.forget_all()  # the lookups keyed by entry words (ltc_dashboard/record/kept_lookups.py)

    def held_viewers(self) -> set[str]:
        """The viewer keys whose records or summaries are kept in memory now (for the tests)."""
        with self._lock:
            return {k[0] for k in self._cache} | set(self._summaries)

    def _memo(self, patient_id: str, data_version: str) -> dict:
        """Mapped entries of one patient's stored record, shared by its viewers' opened records
        (record.mapping.map_stored): a carer preview or the clinic screen then costs the entries
        the patient's view has not mapped, not a second copy of the whole record."""
        with self._lock:
            return self._mapped.setdefault((patient_id, data_version), {})

    def summary(self, viewer: Viewer, today: dt.date, views: tuple[str, ...] = ()) -> Summary:
        """The summary the pages render and `ltc summary` prints, from the opened record's models;
        kept until the record, the day or the person's own questions, preferences or home readings change.
        `views` are shown by choice besides those this viewer chose and kept (`ltc summary --view`)."""
        opened, pid = self.open(viewer, today), viewer.patient_id
        own_rows, preferences = self._store.questions(pid), self.preferences(pid)
        chosen = tuple(dict.fromkeys((*self.chosen_views(viewer), *views)))
        reading_rows, order_rows = self._store.readings(pid), self._store.repeat_orders(pid)
        own_key = repr((own_rows, sorted(preferences.items()), chosen, reading_rows, order_rows))
        held = self._summaries.get(viewer.key)  # each Streamlit rerun asks again
        if not held or held[0] is not opened or held[1] != own_key:
            readings = visible_readings(opened.visible, reading_rows, preferences)
            with _collector_paused():
                held = (opened, own_key, build_summary(opened.visible, own_rows, preferences, opened.record, chosen,
                                                       readings))
            orders = visible_orders(opened.visible, opened.record.medications, order_rows)  # issue 21
            held = (*held[:2], with_orders(held[2], orders))
            self._summaries[viewer.key] = held
        return held[2]

    def record(self, viewer: Viewer, today: dt.date) -> PatientRecord:
        """The viewer's mapped record (results, medicines, letters ...)."""
        return self.open(viewer, today).record

    @_reread_on_change
    def search_letters(self, viewer: Viewer, today: dt.date, query: str) -> list[Letter]:
        """Letters the viewer may see whose text matches the query, best first."""
        opened = self.open(viewer, today)
        ids = [doc["id"] for doc in opened.visible.search_letters(query)]
        by_id = {letter.id: letter for letter in opened.record.letters}
        return [by_id[i] for i in ids if i in by_id]

    def patients(self, today: dt.date) -> list[PatientChoice]:
        """Patients in the store, named from their Patient resource (reading only that: opening
        every record in full to name it cost a whole record's memory and time per patient)."""
        choices = []
        for patient_id in self._store.patient_ids():
            try:
                resource = patient_resource(self._store, patient_id)
                info = map_patient(resource) if resource else None
            except Exception:  # noqa: BLE001  a Patient that cannot be read is listed by its id
                info = None
            choices.append(PatientChoice(
                id=patient_id, name=(info.name if info and info.name else patient_id),
                birth_date=info.birth_date if info else None,
            ))
        return choices

    def carers(self, today: dt.date) -> list[ProxyLink]:
        """People recorded as related to a patient, with whether they may see the record today."""
        return proxy_links(self._store, today, lambda patient_id: self._shown_people(patient_id, today))

    def _shown_people(self, patient_id: str, today: dt.date) -> frozenset[str]:
        """The RelatedPersons the gate shows the patient, from the cached open; a record that
        cannot be opened lists no one (fail closed, as gate.access._shown_people)."""
        patient = Viewer(kind="patient", patient_id=patient_id)
        try:
            keys = self._kept_or_opened_unkept(patient, today).keys
        except Exception:  # noqa: BLE001  never stops the other patients' carers being listed
            return frozenset()
        return frozenset(key for key in keys if key.startswith("RelatedPerson/"))

    @_reread_on_change
    def _kept_or_opened_unkept(self, viewer: Viewer, today: dt.date) -> VisibleRecord:
        """The viewer's visible record: the kept one if that viewer's session opened it, else one
        opened through the gate for this question only and not kept. Listing carers (the sign-in
        page, a carer's link, every carer run) asks this for each patient, who may never have
        signed in: keeping the patient's whole view for that would outlive every session (H24)."""
        reveal = self._store.preference(viewer.patient_id, preference_keys.EOL_SHOW_PROGNOSIS) == "yes"
        key = (viewer.key, today, reveal, self._store.data_version())
        with self._lock:
            if key in self._cache:
                return self._cache[key].visible
        with _collector_paused():
            return open_record(self._store, viewer, today, reveal_prognosis=reveal)

    # -- what the person writes ---------------------------------------------------------------
    def questions(self, patient_id: str) -> list[dict]:
        return self._store.questions(patient_id)

    def add_question(self, viewer: Viewer, text: str, source: str = "own", rule_id: str | None = None,
                     sources: tuple[str, ...] | None = None) -> int:
        """Save a question; a kept suggestion (source "suggested") takes the keys of the entries it
        was built from (`Question.sources`), so it shows only to viewers who can see them all
        (without them, to the patient alone)."""
        return self._store.add_question(viewer.patient_id, text, author=_author(viewer), source=source,
                                        rule_id=rule_id, sources=sources)

    def update_question(self, viewer: Viewer, question_id: int, text: str | None = None, status: str | None = None) -> None:
        self._store.update_question(viewer.patient_id, question_id, text=text, status=status)

    def move_question(self, viewer: Viewer, question_id: int, steps: int) -> None:
        self._store.move_question(viewer.patient_id, question_id, steps)

    def delete_question(self, viewer: Viewer, question_id: int) -> None:
        self._store.delete_question(viewer.patient_id, question_id)

    def own_goals(self, patient_id: str) -> list[dict]:
        return self._store.own_goals(patient_id)

    def add_own_goal(self, viewer: Viewer, text: str) -> int:
        return self._store.add_own_goal(viewer.patient_id, text, author=_author(viewer))

    def goal_progress(self, patient_id: str) -> list[dict]:
        return self._store.goal_progress(patient_id)

    def add_goal_progress(self, viewer: Viewer, goal_ref: str, note: str, on_date: dt.date) -> int:
        return self._store.add_goal_progress(viewer.patient_id, goal_ref, note, on_date.isoformat(), author=_author(viewer))

    def comments(self, patient_id: str) -> list[dict]:
        return self._store.comments(patient_id)

    def preferences(self, patient_id: str) -> dict[str, str]:
        return {k: v for k in preference_keys.PREFERENCE_KEYS if (v := self._store.preference(patient_id, k)) is not None}

    def set_preference(self, viewer: Viewer, key: str, value: str) -> None:
        self._store.set_preference(viewer.patient_id, key, value)

    def chosen_views(self, viewer: Viewer) -> tuple[str, ...]:
        """The condition views this viewer chose to show (issue 16; whose choice applies to whom:
        exports.own_content.views_preference_key); ids no longer in the registry are passed over."""
        key = views_preference_key(viewer)
        kept = self._store.preference(viewer.patient_id, key) if key else None
        return tuple(v for v in (kept or "").split(",") if v in VIEW_IDS)

    def choose_view(self, viewer: Viewer, view_id: str, shown: bool) -> None:
        """Show (or hide again) a condition view by this viewer's choice, kept in the personal tables."""
        key = views_preference_key(viewer)
        if key is None or view_id not in VIEW_IDS:
            raise ValueError("Only the person or their carer can choose a view, and only one of the five.")
        kept = [v for v in self.chosen_views(viewer) if v != view_id] + ([view_id] if shown else [])
        self._store.set_preference(viewer.patient_id, key, ",".join(v for v in VIEW_IDS if v in kept))

    def log_access(self, viewer: Viewer, what: str) -> None:
        self._store.log_access(viewer.patient_id, viewer.kind, viewer.proxy_id, what)

    def access_log(self, patient_id: str) -> list[dict]:
        return self._store.access_log(patient_id)

    # -- importing ----------------------------------------------------------------------------
    def import_files(self, paths: list[Path], progress=None) -> ImportReport:
        """Import files into this store (never into the demo store: the caller opens another)."""
        return import_paths(self._store, paths, progress)

    # -- checking the record and taking it away (ltc_dashboard/exports/; issue 8) ---------------------------
    @_reread_on_change
    def own_content(self, viewer: Viewer, today: dt.date) -> OwnContent:
        """The person's own questions, comments, goals, notes and home readings this viewer may see and export."""
        pid = viewer.patient_id
        own = own_for_viewer(
            self.open(viewer, today).visible, self._store.questions(pid), self._store.comments(pid),
            self._store.own_goals(pid), self._store.goal_progress(pid), self.preferences(pid),
        )
        return dataclasses.replace(own, readings=self.readings(viewer, today), orders=self.order_rows(viewer, today))

    @_reread_on_change
    def export(self, viewer: Viewer, today: dt.date, fmt: str) -> exports.Export:
        """The viewer's record as PDF sheet, FHIR Bundle or results CSV (exports.FORMATS)."""
        opened = self.open(viewer, today)
        _, practice = feedback.practice(opened.visible)
        return exports.build(
            fmt, summary=self.summary(viewer, today) if fmt == "pdf" else None, visible=opened.visible,
            record=opened.record,
            own=self.own_content(viewer, today),
            comment_resource=lambda row: feedback.communication(row, viewer.patient_id, practice),
        )


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while a record is opened or summarised: that makes a record's
    worth of objects (a million at 100k) and no cycles, so each full collection walks them all for
    nothing. Measured: cold summary at 100k 16.9 s with it, 12.1 s without.

    Afterwards every object alive is frozen (gc.freeze): the opened record stays in the cache for
    many reruns, and a full collection during a later page run walked it all again (0.3-0.6 s at
    25k, the whole of the pages' growth with the record). Frozen objects are still freed by
    reference counting when the cache drops the record; only cyclic garbage that exists at that
    moment is never reclaimed (about 450 objects after opening the 25k record)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _version_number(data_version: str) -> int:
    """The counter in a store's data version ("v12" -> 12; Store.data_version); -1 if unreadable."""
    try:
        return int(data_version.lstrip("v"))
    except ValueError:
        return -1


def open_service(db: str | None = None) -> Service:
    """The service over the configured store (see stores.open_store), with the terminology
    tables read now rather than during the first page someone opens."""
    store, is_demo = stores.open_store(db)
    terminology.preload()
    return Service(store, is_demo=is_demo)
