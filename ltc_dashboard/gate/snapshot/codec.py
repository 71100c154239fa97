"""How a snapshot is written and read back: the mapped models as plain tuples (`encode_model_list`,
`decode_model_list`), the facts blob tagged with `VERSION`, and `VERSION` itself, a digest of the
code, tables, Python and packages that made the snapshot (ltc_dashboard/gate/snapshot/__init__.py says why).

The blobs are `marshal` data: C-speed, keeps tuples and frozensets, never runs code. One that
cannot be read raises `Unreadable`, and the snapshot is made again from the stored resources.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import marshal
import sys
import types
import typing
from importlib import metadata
from pathlib import Path

from ltc_dashboard.record import fast_make, models

_PACKAGE = Path(__file__).resolve().parents[2]  # ltc_dashboard/
_ROOT = _PACKAGE.parent


# Packages whose behaviour shapes mapped entries: pydantic validates each entry, bleach cleans a
# letter's HTML and pypdf reads a PDF letter's text (a fix to either must reach kept snapshots).
_PACKAGES = ("pydantic", "pydantic-core", "bleach", "pypdf")


def _version() -> str:
    """A digest of everything a derived row depends on: the record and gate packages' code
    (mapping, terminology, dates, units; the gate's policy and this snapshot), the terminology tables, and the Python and packages
    (`_PACKAGES`) that made it."""
    packages = "|".join(f"{name} {_installed(name)}" for name in _PACKAGES)
    digest = hashlib.sha256(f"{sys.version}|marshal {marshal.version}|{packages}".encode())
    sources = version_sources()
    for path in sources:
        digest.update(str(path.relative_to(_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def version_sources() -> list[Path]:
    """The files a snapshot depends on: the record package, the gate package (its policy and
    this snapshot), the terminology tables, and the modules outside them that they import: the
    one reading of raw FHIR (ltc_dashboard/fhir_read.py), the text rules (textsafe.py, which a
    request's check and a name read) and the preference table (preference_keys.py, which the
    gate's own-content rule reads)."""
    return (sorted((_PACKAGE / "record").rglob("*.py")) + sorted((_PACKAGE / "gate").rglob("*.py"))
            + sorted((_ROOT / "data" / "terminology").glob("*.csv"))
            + [_PACKAGE / "fhir_read.py", _PACKAGE / "textsafe.py", _PACKAGE / "preference_keys.py"])


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


VERSION = _version()


class Unreadable(ValueError):
    """A derived blob could not be read back; the resource is derived again."""


# -- mapped entries -----------------------------------------------------------------------------
# Every model an entry can hold, by position: the position is what a blob stores, so the list is
# part of VERSION through this file's text. New models go at the end.
MODELS: tuple[type, ...] = (
    models.LabResult, models.ConditionEntry, models.Medication, models.AllergyEntry,
    models.Immunisation, models.CodedEntry, models.Letter, models.CarePlanActivity,
    models.CarePlan, models.GoalTarget, models.Goal, models.FlagEntry, models.Appointment,
    models.ConsentEntry, models.RelatedPersonInfo, models.OtherEntry, models.PatientInfo,
    models.DoseFact,
)
_INDEX = {cls: i for i, cls in enumerate(MODELS)}

# How each field is written: as it is, or converted (dates to day numbers, times to ISO text,
# lists to shared tuples, nested models to their own tuples).
_PLAIN, _DATE, _DATES, _DATETIME, _MODEL, _MODELS, _LIST, _SET = range(8)


def _kind(hint) -> tuple[int, type | None]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1 else hint
    if base is dt.datetime:
        return _DATETIME, None
    if base is dt.date:
        return _DATE, None
    if base in _INDEX:
        return _MODEL, base
    if typing.get_origin(base) is frozenset:
        return _SET, None  # written sorted: the same bytes for the same set in every process
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        if item is dt.date:
            return _DATES, None
        if item in _INDEX:
            return _MODELS, item
        return _LIST, None
    return _PLAIN, None


def _plan(cls: type) -> tuple[tuple[str, int, type | None], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, *_kind(hints[f.name])) for f in dataclasses.fields(cls))


_PLANS = {cls: _plan(cls) for cls in MODELS}


def _shared(value, seen: dict):
    """One object for each distinct text or list of texts and codes, so that marshal writes it
    once in a snapshot and reading it back makes one object, not one per entry. Texts are shared
    through `seen`, not interned: marshal interns an interned text again when it reads it back,
    hashing it, and most of a record's texts (ids) occur once."""
    if isinstance(value, str):
        return seen.setdefault(value, value)
    if isinstance(value, (list, tuple)):
        value = tuple(_shared(item, seen) for item in value)
        try:
            return seen.setdefault(value, value)
        except TypeError:  # holds something unhashable: not shared
            return value
    return value


# Keys of `seen` for numbers and days: no shared text or list (the other keys) can equal them.
_FLOAT, _DAY = object(), object()


def _encode_model(entry, seen: dict | None = None) -> tuple:
    """One entry as (its model's position in MODELS, *its field values)."""
    cls = type(entry)
    seen = {} if seen is None else seen
    values: list = [_INDEX[cls]]
    for name, kind, _ in _PLANS[cls]:
        value = getattr(entry, name)
        if value is None:
            values.append(value)
        elif kind == _PLAIN:
            if isinstance(value, str):
                value = seen.setdefault(value, value)
            elif isinstance(value, float):  # by its exact bits: -0.0 is not 0.0
                value = seen.setdefault((_FLOAT, value.hex()), value)
            values.append(value)
        elif kind == _LIST:
            values.append(_shared(value, seen))
        elif kind == _SET:
            values.append(_shared(sorted(value), seen))
        elif kind == _DATE:  # one object per day in a blob, not one per entry
            values.append(seen.setdefault((_DAY, value.toordinal()), value.toordinal()))
        elif kind == _DATES:
            values.append([d.toordinal() for d in value])
        elif kind == _DATETIME:
            values.append(value.isoformat())
        elif kind == _MODEL:
            values.append(_encode_model(value, seen))
        else:
            values.append([_encode_model(v, seen) for v in value])
    return tuple(values)


# Entries are made by generated code (ltc_dashboard/record/fast_make.py says why, with the figures):
# one function per model, setting each field from its encoded value by the field's kind.


def _builder(cls: type):
    """A function that makes `cls` from its encoded field values (from position 1 on; 0 is the
    model's position in MODELS) without validating them again: they were validated when the
    entry was first mapped, and the blob is this module's own."""
    helpers = {"day": dt.date.fromordinal, "when": dt.datetime.fromisoformat, "build": _build}
    fields = []
    for i, (name, kind, _) in enumerate(_PLANS[cls], start=1):
        fields.append((name, {
            _PLAIN: f"v[{i}]",
            _DATE: f"None if v[{i}] is None else day(v[{i}])",
            _DATES: f"[day(d) for d in v[{i}]]",
            _DATETIME: f"None if v[{i}] is None else when(v[{i}])",
            _MODEL: f"None if v[{i}] is None else build(v[{i}])",
            _MODELS: f"[build(m) for m in v[{i}]]",
            _LIST: f"list(v[{i}])",
            _SET: f"frozenset(v[{i}])",
        }[kind]))
    return fast_make.maker(cls, fields, helpers)


def _build(encoded: tuple):
    return BUILDERS[encoded[0]](encoded)


BUILDERS = [_builder(cls) for cls in MODELS]


def encode_model_list(entries, seen: dict | None = None) -> tuple | list:
    """Mapped entries as plain values that marshal can keep: one entry as its own tuple (most
    resources map to one: no tuple around it to make again when read), several as a list of
    them, none as (). `seen` shares equal texts, codes, numbers and days between the entries of
    one blob, so marshal writes each once and reads it back as one object."""
    seen = {} if seen is None else seen
    encoded = [_encode_model(e, seen) for e in entries]
    return encoded[0] if len(encoded) == 1 else (encoded or ())


def decode_model_list(encoded: tuple | list) -> tuple:
    """The entries `encode_model_list` wrote, made again."""
    builders = BUILDERS
    try:
        if type(encoded) is tuple:
            return (builders[encoded[0]](encoded),) if encoded else ()
        return tuple([builders[entry[0]](entry) for entry in encoded])
    except (IndexError, TypeError, ValueError, OverflowError) as problem:  # not what this code wrote
        raise Unreadable("snapshot entry") from problem


# -- the snapshot: every row of one record, in one blob -------------------------------------------
# One blob a record, not one a resource: marshal then writes each repeated text (a code system, a
# unit, a test's name) once, and reading 25,000 resources back takes milliseconds, not tens.


def encode_snapshot(facts: tuple) -> bytes:
    """A record's snapshot facts (`Snapshot.facts_blob`), tagged with VERSION."""
    return marshal.dumps((VERSION, facts))


def decode_snapshot(blob: bytes) -> tuple:
    """The facts of a snapshot blob; Unreadable when it is not one this code wrote."""
    try:
        version, facts = marshal.loads(blob)
    except (ValueError, TypeError, EOFError, OverflowError) as problem:
        raise Unreadable("snapshot") from problem
    if version != VERSION or not isinstance(facts, tuple):
        raise Unreadable("snapshot")
    return facts
