"""The local store (STYLE.md's `store.py`, split into a package to keep each file to one idea).

The only code that imports `sqlite_utils`. Raw FHIR resources are kept as they came, keyed by type
and id with the newest version winning; beside them sync state, what the person writes, and the
access log. Clinical resources leave only through `ltc_dashboard/gate/access.py`.
"""

from ltc_dashboard.store.connections import ConnectionsMixin
from ltc_dashboard.store.db import (
    InvalidWrite,
    NotInStore,
    PutResult,
    StoreBase,
    StoreError,
    default_path,
)
from ltc_dashboard.store.snapshots import SnapshotsMixin
from ltc_dashboard.store.personal import PersonalMixin
from ltc_dashboard.store.readings import ReadingsMixin
from ltc_dashboard.store.referrers import ReferrersMixin
from ltc_dashboard.store.repeat_orders import RepeatOrdersMixin
from ltc_dashboard.store.requests import RequestsMixin
from ltc_dashboard.store.resources import ResourcesMixin, copy_digest
from ltc_dashboard.store.syncs import SyncStateMixin
from ltc_dashboard.store.versions import is_newer


class Store(ConnectionsMixin, SyncStateMixin, ResourcesMixin, SnapshotsMixin, PersonalMixin, ReadingsMixin, ReferrersMixin,
            RequestsMixin, RepeatOrdersMixin, StoreBase):
    """A SQLite file holding one household's records."""


__all__ = [
    "InvalidWrite", "NotInStore", "PutResult", "Store", "StoreError", "copy_digest", "default_path", "is_newer",
]
