"""Repeat prescription orders (issue 21): what the person ordered, when, how and what came of it,
kept with the rest of what the person writes. No import or sync touches this table, so a record
synced again never loses an order; whether an order has been issued is derived when reading
(conditions/repeats.py), never written here.

Sending an order is two short transactions around the request to the server: the row is kept as
`sending` before anything is sent, then settled as `sent` (with the server's id) or `refused`. A
process killed between the two leaves `sending`, which is shown as "could not confirm it was
sent", never as sent. Each write is one transaction (WAL, FULL sync): an acknowledged order
survives a crash.
"""

from __future__ import annotations

import json

from ltc_dashboard.store.db import InvalidWrite, NotInStore, now_iso

ORDER_HOWS = ("server", "message")
ORDER_STATUSES = ("sending", "sent", "refused", "prepared")
ORDER_COLUMNS = ("medication_id", "medication", "entry_ids", "last_issued", "ordered_at", "how", "server",
                 "identifier", "status", "author")
# The only changes a kept order may go through: a send settles once.
_SETTLES = {"sending": ("sent", "refused")}


class RepeatOrdersMixin:
    """The repeat_orders table; rows are always scoped to one patient id."""

    def repeat_orders(self, patient_id: str) -> list[dict]:
        """The person's repeat orders, newest first; `entry_ids` as a list."""
        rows = self._rows("SELECT * FROM repeat_orders WHERE patient_id = ? ORDER BY ordered_at DESC, id DESC",
                          [patient_id])
        for row in rows:
            try:
                ids = json.loads(row["entry_ids"])
            except (TypeError, ValueError):
                ids = []
            row["entry_ids"] = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
        return rows

    def add_repeat_order(self, patient_id: str, row: dict) -> int:
        """Keep one order in one transaction; returns its id."""
        if row.get("how") not in ORDER_HOWS or row.get("status") not in ORDER_STATUSES:
            raise InvalidWrite("An order is sent to a server or prepared as a message.")
        if not row.get("medication_id") or not row.get("medication") or not row.get("ordered_at") \
                or not row.get("author") or not row.get("identifier"):
            raise InvalidWrite("An order needs its medicine, time, identifier and who made it.")
        values = [json.dumps(list(v)) if k == "entry_ids" else v for k, v in
                  ((k, row.get(k)) for k in ORDER_COLUMNS)]
        cur = self._write(
            f"INSERT INTO repeat_orders (patient_id, {', '.join(ORDER_COLUMNS)}, updated)"
            f" VALUES (?, {', '.join('?' * len(ORDER_COLUMNS))}, ?)",
            [patient_id, *values, now_iso()],
        )
        return cur.lastrowid

    def settle_repeat_order(self, patient_id: str, order_id: int, status: str, server_id: str | None = None,
                            note: str | None = None) -> None:
        """Record what came of sending an order: `sent` (with the server's id) or `refused` (with
        why, in plain words). Only an order still `sending` is settled."""
        allowed = [old for old, new in _SETTLES.items() if status in new]
        if not allowed:
            raise InvalidWrite(f"An order cannot become '{status:.20}'.")
        cur = self._write(
            "UPDATE repeat_orders SET status = ?, server_id = ?, note = ?, updated = ?"
            f" WHERE id = ? AND patient_id = ? AND status IN ({', '.join('?' * len(allowed))})",
            [status, server_id, (note or None) and str(note)[:500], now_iso(), order_id, patient_id, *allowed],
        )
        if cur.rowcount == 0:
            raise NotInStore("That order is not waiting to be settled.")
