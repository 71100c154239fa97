"""Whose records already point at a shared resource, and whether a person's record is here: what an
upload in the app checks before it adds a medicine, clinician or place another record would show,
or opens a record for a file's person (ltc_dashboard/service/connect.py). Reads no clinical content out: each
answer is a yes or a no.
"""

from __future__ import annotations

import json

from ltc_dashboard import fhir_read

# Keys whose text names another resource: a Reference's `reference`, and an attachment's `url`
# (a letter's `Binary/id`, ltc_dashboard/store/resources.py `_link_binaries`).
_POINTING_KEYS = ("reference", "url")


def _named_id(text: str) -> str | None:
    """The id a reference names, read as the mapping reads it (fhir_read.reference_id: the type it
    states is not checked there either)."""
    return fhir_read.reference_id(text)


def _points_at(node, rid: str) -> bool:
    """Whether any reference (or attachment url) in a decoded resource names the id `rid`."""
    stack = [node]
    while stack:  # without recursion: a deeply nested resource cannot overflow it
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _POINTING_KEYS and isinstance(value, str) and _named_id(value) == rid:
                    return True
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
    return False


class ReferrersMixin:
    """Yes-or-no questions an upload asks before it writes (no clinical data leaves)."""

    def named_outside(self, rid: str, patient_id: str | None) -> bool:
        """Whether any stored entry outside `patient_id`'s record (another patient's, or a shared
        one) points at the id `rid`, in any reference form, whatever type it names (fail closed)."""
        rows = self.db.conn.execute(
            "SELECT json FROM resources WHERE deleted = 0 AND (patient_id IS NULL OR patient_id IS NOT ?)"
            " AND instr(json, ?) > 0", [patient_id, rid]
        )
        return any(_points_at(json.loads(row[0]), rid) for row in rows)

    def holds_record(self, patient_id: str) -> bool:
        """Whether anything is filed under this patient (their details or any entry, deleted ones too)."""
        return self.db.conn.execute(
            "SELECT 1 FROM resources WHERE patient_id = ? OR (type = 'Patient' AND id = ?) LIMIT 1",
            [patient_id, patient_id],
        ).fetchone() is not None
