"""The local store (STYLE.md's `store.py`, split into a package to keep each file to one idea).

The only code that imports `sqlite_utils`. Raw FHIR resources are kept as they came, keyed by type
and id with the newest version winning; beside them sync state, what the person writes, and the
access log. Clinical resources leave only through `record/access.py`.
"""

from store.db import (
    InvalidWrite,
    NotInStore,
    PutResult,
    StoreBase,
    StoreError,
    default_path,
)
from store.versions import is_newer
from store.connections import ConnectionsMixin
from store.derived import DerivedMixin
from store.personal import PersonalMixin
from store.readings import ReadingsMixin
from store.repeat_orders import RepeatOrdersMixin
from store.referrers import ReferrersMixin
from store.requests import RequestsMixin
from store.resources import ResourcesMixin, copy_digest
from store.syncs import SyncStateMixin


class Store(ConnectionsMixin, SyncStateMixin, ResourcesMixin, DerivedMixin, PersonalMixin, ReadingsMixin, ReferrersMixin,
            RequestsMixin, RepeatOrdersMixin, StoreBase):
    """A SQLite file holding one household's records."""


__all__ = [
    "InvalidWrite", "NotInStore", "PutResult", "Store", "StoreError", "copy_digest", "default_path", "is_newer",
]
