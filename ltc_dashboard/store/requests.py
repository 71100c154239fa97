"""Requests to the practice for more of the record (issue 21): kept with the rest of what the
person writes. No import or sync touches this table; each request is saved in one short
transaction, so an acknowledged one survives a crash (WAL, FULL sync).

The store keeps what it is given: the request is checked before it gets here
(ltc_dashboard/record/record_requests.py), and the store refuses only a row of an unknown kind or one without
the day it was made and who made it.
"""

from __future__ import annotations

from ltc_dashboard.store.db import InvalidWrite, NotInStore, now_iso

REQUEST_KINDS = ("historic", "sar", "proxy")
REQUEST_COLUMNS = ("kind", "made", "due", "carer_name", "relationship", "access", "details", "author")


class RequestsMixin:
    """The record_requests table; rows are always scoped to one patient id."""

    def record_requests(self, patient_id: str) -> list[dict]:
        """The person's requests, newest first."""
        return self._rows(
            "SELECT * FROM record_requests WHERE patient_id = ? ORDER BY made DESC, id DESC", [patient_id]
        )

    def add_record_request(self, patient_id: str, row: dict) -> int:
        """Keep one request; returns its id."""
        if row.get("kind") not in REQUEST_KINDS:
            raise InvalidWrite(f"Unknown kind of request '{str(row.get('kind')):.20}'.")
        if not row.get("made") or not row.get("author"):
            raise InvalidWrite("A request needs the day it was made and who made it.")
        cur = self._write(
            f"INSERT INTO record_requests (patient_id, {', '.join(REQUEST_COLUMNS)}, created)"
            f" VALUES (?, {', '.join('?' * len(REQUEST_COLUMNS))}, ?)",
            [patient_id, *(row.get(name) for name in REQUEST_COLUMNS), now_iso()],
        )
        return cur.lastrowid

    def delete_record_request(self, patient_id: str, request_id: int) -> None:
        """Remove one request from the list."""
        cur = self._write("DELETE FROM record_requests WHERE id = ? AND patient_id = ?", [request_id, patient_id])
        if cur.rowcount == 0:
            raise NotInStore("That request is no longer in the list.")
