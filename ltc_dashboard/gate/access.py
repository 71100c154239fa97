"""The access gate: the only path from the store to the rest of the program.

`open_record(store, viewer, today)` reads one patient's raw resources and drops, before anything is
mapped, counted, charted, searched or exported, every entry the viewer may not see:

* redacted entries (NOPAT in either ActCode system, Confidentiality R or V), for every viewer;
* entries marked entered-in-error;
* entries dated before the patient's online-access start (a patient-privacy/INFA Consent whose
  actor is the Patient, with `provision.dataPeriod.start`), for every viewer of the patient's app;
* for a proxy, everything no current Consent surely permits that RelatedPerson today, and
  everything any current Consent might deny them: every `Consent.provision` element at any depth,
  read as ltc_dashboard/gate/consent.py says (a criterion the gate cannot evaluate narrows a permit and widens
  a deny); no Consent, no clinical data; a Consent about them that cannot be read, nothing; what
  a Consent denies passes its hiding on, as a label does, and a shared medicine or clinician it
  denies hides what points at it; and other people's access: the
  Consents about access that do not name this proxy, and other proxies' RelatedPersons;
* on the clinic shared screen, also the sensitivity categories PSY, ETH, SDV, SEX, HIV, STD, SOC;
* prognosis codes and resuscitation decisions, unless the person chose to see them
  (`reveal_prognosis`; clinical-reference §3.4, an app policy decision), for every viewer: the
  shared screen is looked at with the patient;
* and any entry that points at one withheld for its content (a label, entered-in-error, a
  sensitive code) through hasMember, derivedFrom, partOf, relatesTo, an encounter, a letter's
  Binary..., in any reference form (record.references.normal_reference), or that names a
  withheld medicine or clinician in its own text, repeated until nothing more is hidden; while anything is so withheld,
  also every entry holding a reference that cannot be resolved. Entries outside a date window or
  a proxy's resource classes do not pass their hiding on: pointing at them reveals nothing.

Undated clinical entries are hidden whenever a data period applies: they cannot be shown to fall
inside it. Rules and sources: clinical-reference §7–8; labels from data/terminology/sensitivity.csv.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from ltc_dashboard.gate import carer_access
from ltc_dashboard.gate.access_snapshot import RecordChanged, read_snapshot as _snapshot, texts as _texts
from ltc_dashboard.gate.acting import Acting, carer_acting, may_act
from ltc_dashboard.gate.carer_access import ProxyLink, still_admitted  # noqa: F401  (the gate's API: carers)
from ltc_dashboard.gate.chains import drop_orphan_binaries as _drop_orphan_binaries
from ltc_dashboard.gate.chains import hide_dependants as _hide_dependants
from ltc_dashboard.gate.consent import Access, read_access
from ltc_dashboard.gate.consent_start import UNREADABLE_START, access_start
from ltc_dashboard.gate.consent_window import CarerWindow, carer_window, related_person_valid
from ltc_dashboard.gate.medicines import MEDICINE_TYPES, withheld_alike
from ltc_dashboard.gate.own_content import own_rows  # noqa: F401  (the gate's API: the person's own content)
from ltc_dashboard.gate.policy import UNREADABLE_LABEL, hidden_labels_for, not_for_proxy
from ltc_dashboard.gate.shared import shared_resources, withhold_denied_shared
from ltc_dashboard.gate.snapshot import NO_DAY, Snapshot
from ltc_dashboard.gate.snapshot.facts import DIGEST_SIZE, ENTERED_IN_ERROR, EOL_SENSITIVE, UNCHECKED, digest
from ltc_dashboard.gate.viewer import Viewer, ViewerError  # noqa: F401  (the gate's API: who is looking)
from ltc_dashboard.record import stored_json
from ltc_dashboard.record.dates import UNDATED_TYPES
from ltc_dashboard.record.references import person_as_shown


@dataclass(frozen=True)
class VisibleRecord:
    """What one viewer may see of one patient's record on one day. Nothing else leaves the store.

    It holds which stored resources passed the gate (with a digest of each one's stored text),
    not the resources themselves: a 100,000-resource record decoded is about a gigabyte. They are
    read again, one at a time, when used, and any that changed since the gate looked stops the
    read with RecordChanged rather than show something the gate did not pass. The passed rows of
    the record's snapshot (what each entry maps to) are held until the mapping takes them."""

    viewer: Viewer
    today: dt.date
    shared: tuple[dict, ...] = ()
    record_starts: dt.date | None = None
    view_starts: dt.date | None = None  # the first day of data this viewer may see (a carer's data period too)
    access_ends: dt.date | None = None  # a carer's permission ends after this day (Consent or RelatedPerson period)
    view_ends: dt.date | None = None  # the last day of data a carer's results are shown (a data period's end)
    sees_results: bool = True  # False: no plain result is shown to this viewer (denied, or a carer's permit without)
    denied_reason: str | None = None
    unchecked: int = 0  # entries withheld because the gate could not classify them (see open_record)
    permitted: bool = True  # False for a proxy with no current permission: nothing to export
    _fingerprints: dict = field(default_factory=dict, repr=False, compare=False)  # key -> position
    _store: object = field(default=None, repr=False, compare=False)
    _rows: list = field(default_factory=list, repr=False, compare=False)
    _data_version: str | None = field(default=None, repr=False, compare=False)
    _digests: bytes = field(default=b"", repr=False, compare=False)  # DIGEST_SIZE bytes a position
    _unnamed: frozenset = field(default=frozenset(), repr=False, compare=False)  # denied undated
    acting: Acting = field(default=Acting(), repr=False, compare=False)  # what a carer may act on

    def withheld_alike(self, keys) -> int:
        """How many medicine entries withheld from this viewer are alike to the visible `keys` (ltc_dashboard/gate/medicines.py)."""
        texts = self._store.resource_texts_for(self.viewer.patient_id, MEDICINE_TYPES) if self._store else ()
        return withheld_alike(texts, self._fingerprints.__contains__, keys)

    def may_act(self, key: str | None = None, rtype: str | None = None) -> bool:
        """Whether this viewer may act on entry `key`, add something of type `rtype` (ltc_dashboard/gate/acting.py)."""
        return may_act(self, key, rtype)

    def check_current(self) -> None:
        """Raise RecordChanged when resources were written since the gate read the record: what
        was mapped from its snapshot may no longer be what the gate would pass."""
        if self._store is not None and self._store.data_version() != self._data_version:
            raise RecordChanged("the record changed while it was opened")

    def take_rows(self) -> tuple[Snapshot, list[int]] | None:
        """The record's snapshot and the positions of the rows the gate passed, in stored order,
        once (ltc_dashboard/gate/snapshot/mapped.py maps them); None after they were taken."""
        return self._rows.pop() if self._rows else None

    def stored_texts(self, types: tuple[str, ...] = ()) -> Iterator[tuple[str, int, str]]:
        """(Type/id, fingerprint, stored JSON) of the record's own visible resources, in stored
        order; the shared ones (medicines, clinicians) are in `shared`."""
        if not self._fingerprints:
            return
        for rtype, rid, text in self._store.resource_texts_for(self.viewer.patient_id, types):
            key = f"{rtype}/{rid}"
            position = self._fingerprints.get(key)
            if position is None:
                continue  # stored after the gate looked (or withheld): never passed
            seen = self._digests[position * DIGEST_SIZE:(position + 1) * DIGEST_SIZE]
            if seen != digest(text):
                raise RecordChanged(f"{key} changed after the record was opened")
            yield key, seen, text

    def iter_resources(self, types: tuple[str, ...] = ()) -> Iterator[dict]:
        """The visible resources (of the given types), the record's own first, in stored order."""
        for key, _, text in self.stored_texts(types):
            if key.startswith("Patient/"):  # never hidden: what it says of others is, instead
                yield person_as_shown(stored_json.loads(text), self._names_visibly)
            else:
                yield stored_json.loads(text)
        yield from (r for r in self.shared if not types or r.get("resourceType") in types)

    @property
    def resources(self) -> tuple[dict, ...]:
        """Every visible resource, decoded (exports, feedback): read again from the store."""
        return tuple(self.iter_resources())

    def resources_of(self, *types: str) -> list[dict]:
        """The visible resources of the given types (only their rows are read and decoded)."""
        return list(self.iter_resources(types))

    @property
    def keys(self) -> tuple[str, ...]:
        """`Type/id` of the record's own visible resources, in stored order."""
        return tuple(self._fingerprints)

    @cached_property
    def key_set(self) -> frozenset[str]:
        """`Type/id` of every visible resource, without reading any of them."""
        return frozenset(self._fingerprints) | self._shared_keys

    def sees(self, key: str) -> bool:
        """Whether `key` (Type/id) is a visible resource: `key in key_set`, without making it."""
        return key in self._fingerprints or key in self._shared_keys

    @cached_property
    def _shared_keys(self) -> frozenset[str]:
        return frozenset(f"{r.get('resourceType')}/{r.get('id')}" for r in self.shared)

    def get(self, key: str) -> dict | None:
        """One visible resource by `Type/id`, or None when the viewer cannot see it."""
        if key not in self.key_set:
            return None
        rtype, _, rid = key.partition("/")
        return next((r for r in self.iter_resources((rtype,)) if r.get("id") == rid), None)

    def search_letters(self, query: str) -> list[dict]:
        """Visible letters whose text matches the query, best match first: an index row counts only
        while the letter, and the Binary whose words it holds, passed the gate with the very texts
        the row was made from (ltc_dashboard/store/db.py)."""
        found: list[str] = []
        for rid, part, letter_digest, part_digest in self._store.search_text_parts(
                self.viewer.patient_id, query) if self._store is not None and self._fingerprints else ():
            if rid not in found and self._passed(f"DocumentReference/{rid}", letter_digest) and (
                    not part or self._passed(part, part_digest)):
                found.append(rid)
        visible = {r["id"]: r for r in self.resources_of("DocumentReference")} if found else {}
        return [visible[rid] for rid in found if rid in visible]

    def _names_visibly(self, key: str) -> bool:
        """Whether the Patient may show a Reference's display naming `key`."""
        return self.sees(key) and key not in self._unnamed

    def _passed(self, key: str, text_digest) -> bool:
        position = self._fingerprints.get(key)  # passed by the gate, with a text of this digest?
        return position is not None and text_digest == self._digests[position * DIGEST_SIZE:(position + 1) * DIGEST_SIZE]


def _in_window(rtype: str, day: int | None, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether an entry of this type, on this day number, falls inside [start, end]."""
    if start is None and end is None:
        return True
    if rtype in UNDATED_TYPES:
        return True
    if day is None:
        return False  # cannot be shown to fall inside the window
    if start is not None and day < start.toordinal():  # a partial date counts from its first day
        return False
    return end is None or day <= end.toordinal()


def open_record(store, viewer: Viewer, today: dt.date, reveal_prognosis: bool = False) -> VisibleRecord:
    """Everything `viewer` may see of their patient's record on `today`, and nothing more."""
    snapshot, data_version = _snapshot(store, viewer.patient_id)
    permissions = list(snapshot.permissions)
    try:
        record_starts = access_start(permissions, viewer.patient_id, today)
    except Exception:  # noqa: BLE001  a permission the gate cannot read: fail closed, said below
        record_starts = UNREADABLE_START
    hidden_labels = hidden_labels_for(viewer.kind)
    access = Access()
    denied_reason = None
    start_unreadable = record_starts == UNREADABLE_START
    if start_unreadable:  # then only undated resources (the person, consents...) are shown
        record_starts = None
        denied_reason = (
            "The settings for what this record shows online could not be read, so its entries are "
            "not shown. The GP practice can check them."
        )
    if viewer.kind == "proxy":
        try:
            if related_person_valid(permissions, viewer.patient_id, viewer.proxy_id, today):
                access = read_access(permissions, viewer.patient_id, f"RelatedPerson/{viewer.proxy_id}", today)
            if access.content_rules:  # a code or data criterion: found in the entries' text
                access.use_content(_texts(store, snapshot, viewer.patient_id), stored_json.loads)
        except Exception:  # noqa: BLE001  a permission the gate cannot read grants nothing
            access = Access()
        if access.unreadable and denied_reason is None:
            denied_reason = ("A permission (consent) about you and this record could not be read, so "
                             "nothing from the record is shown. The GP practice can check it.")
        elif not access.grants_any and denied_reason is None:
            denied_reason = (
                "There is no current permission (consent) for you to see this person's record. "
                "The GP practice can set it up or renew it."
            )

    # The rules applied to each entry's facts (ltc_dashboard/gate/snapshot/facts.py), read from the record's
    # snapshot or derived from its stored resources, never from anything mapped for a viewer.
    proxy = viewer.kind == "proxy"
    not_theirs = not_for_proxy(permissions, viewer.proxy_id) if proxy else ()  # others' access
    kept: dict[str, int] = {}  # key -> position in the snapshot
    withheld: list[int] = []  # hidden for what they say: labels, errors, sensitive codes
    unchecked = 0  # withheld because they could not be classified, and in this viewer's scope
    on_purpose = hidden_labels - {UNREADABLE_LABEL}
    special = snapshot.labels.keys() | snapshot.flags.keys()
    plain = not proxy and not start_unreadable  # the common case, checked first below
    start = record_starts.toordinal() if record_starts else None
    for i, (rtype, key, day) in enumerate(zip(snapshot.types, snapshot.keys, snapshot.days)):
        if plain and i not in special:  # nothing to withhold it for
            if start is None or rtype in UNDATED_TYPES or day >= start:  # NO_DAY is below any day
                kept[key] = i
            continue
        if rtype != "Patient":  # the person themself is never hidden from their own viewers
            if key in not_theirs:
                continue
            labels = frozenset(snapshot.labels.get(i, ())) or _NO_LABELS
            flags, day = snapshot.flags.get(i, 0), (None if day == NO_DAY else day)
            shown, denied = access.verdict(rtype, labels, day, key) if proxy else (True, False)
            if ((labels and labels & on_purpose) or flags & ENTERED_IN_ERROR
                    or (not reveal_prognosis and flags & EOL_SENSITIVE) or denied):
                withheld.append(i)  # hidden on purpose, never counted; a Consent's deny passes on as a label does
                continue
            in_scope = rtype in UNDATED_TYPES if start_unreadable else _in_window(rtype, day, record_starts, None)
            in_scope = in_scope and shown
            if flags & UNCHECKED or UNREADABLE_LABEL in labels:
                withheld.append(i)  # cannot be classified: withheld, and counted where in scope
                unchecked += in_scope
                continue
            if not in_scope:
                continue
        kept[key] = i

    withheld_flags = ENTERED_IN_ERROR | (0 if reveal_prognosis else EOL_SENSITIVE)
    for i in snapshot.naming_withheld_shared(hidden_labels, withheld_flags):
        if snapshot.types[i] != "Patient":  # names a withheld medicine or clinician: hidden with it
            kept.pop(snapshot.keys[i], None)
            withheld.append(i)
    unnamed = frozenset()  # shared resources a Consent denies undated: the Patient does not name them
    if proxy and access.roots:  # a medicine or clinician a Consent denies hides what points at it
        unnamed = withhold_denied_shared(store, snapshot, kept, withheld, access)
    _hide_dependants(snapshot, kept, withheld)
    _drop_orphan_binaries(snapshot, kept)
    shared = shared_resources(store, snapshot, kept, hidden_labels)
    window = carer_window(access, permissions, viewer.patient_id, viewer.proxy_id, today) if proxy else CarerWindow()
    acting = carer_acting(permissions, viewer.patient_id, viewer.proxy_id, today, snapshot, kept,
                          lambda: _texts(store, snapshot, viewer.patient_id), stored_json.loads) if (
        proxy and denied_reason is None and access.grants_any) else Acting()
    view_starts = window.starts
    return VisibleRecord(
        viewer=viewer,
        today=today,
        shared=tuple(shared),
        record_starts=record_starts,
        view_starts=max((d for d in (record_starts, view_starts) if d), default=None),
        access_ends=window.ends,
        view_ends=window.data_ends,
        sees_results=denied_reason is None and (window.sees_results or not proxy),
        denied_reason=denied_reason,
        unchecked=unchecked,
        permitted=not proxy or access.grants_any,
        _fingerprints=kept,
        _store=store,
        _rows=[(snapshot, list(kept.values()))],
        _data_version=data_version,
        _digests=snapshot.digests,
        _unnamed=unnamed,
        acting=acting,
    )


_NO_LABELS: frozenset = frozenset()




def patient_resource(store, patient_id: str) -> dict | None:
    """The Patient resource alone, for naming a record in sign-in lists. It is never hidden from
    the record's own viewers (see open_record), so reading it does not need the whole record."""
    return store.patient_resource(patient_id)


def proxy_links(store, today: dt.date, shown_to=None) -> list[ProxyLink]:
    """Every RelatedPerson in the store that the gate lets their patient see (attack 16: a NOPAT
    safeguarding contact is never listed, on sign-in, the carer switcher or the patient's "What my
    carer can see"), with whether a Consent lets them see their patient today
    (ltc_dashboard/gate/carer_access.py `links`). `shown_to(patient_id)` gives the `RelatedPerson/id` keys the
    gate shows that patient (ltc_dashboard/service/core.py passes its cached open, so a record the pages already
    opened is not opened again); by default `_shown_people` opens it."""
    return carer_access.links(store, today, shown_to or (lambda patient_id: _shown_people(store, patient_id, today)))


def carer_may_sync(store, patient_id: str, proxy_id: str, today: dt.date) -> bool:
    """Whether the carer `proxy_id` may still sync this record over a kept connection, by the rule
    at sign-in (ltc_dashboard/gate/carer_access.py `may_sync`)."""
    return carer_access.may_sync(proxy_links(store, today), patient_id, proxy_id,
                                 lambda: store.ever_stored("RelatedPerson", proxy_id))


def _shown_people(store, patient_id: str, today: dt.date) -> frozenset[str]:
    """`RelatedPerson/id` of the RelatedPersons the gate shows the patient: who may be listed as
    their carers. A record that cannot be opened lists no one (fail closed)."""
    for _ in range(3):  # written to while it was read: opened again
        try:
            visible = open_record(store, Viewer(kind="patient", patient_id=patient_id), today)
        except RecordChanged:
            continue
        except Exception:  # noqa: BLE001  never stops the other patients' carers being listed
            return frozenset()
        return frozenset(key for key in visible.keys if key.startswith("RelatedPerson/"))
    return frozenset()


__all__ = ["ProxyLink", "Viewer", "ViewerError", "VisibleRecord", "carer_may_sync", "open_record", "patient_resource",
           "proxy_links", "still_admitted"]
