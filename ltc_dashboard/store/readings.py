"""Home readings (issue 20): the person's own blood pressure, blood sugar and weight, kept with
the rest of what the person writes. No import or sync touches this table; every write is one short
transaction, so an acknowledged save survives a crash (WAL, FULL sync), and a file of readings is
saved whole or not at all.

The store keeps what it is given: the values are checked before they get here (ltc_dashboard/record/readings.py),
and the store only refuses a row that is not of a known kind or lacks what every reading has.
"""

from __future__ import annotations

import uuid

from ltc_dashboard.store.db import InvalidWrite, NotInStore, now_iso

READING_KINDS = ("bp", "glucose", "weight")
READING_COLUMNS = ("kind", "systolic", "diastolic", "pulse", "value", "unit", "taken_at", "context", "author", "uid")


def _columns(row: dict) -> list:
    if row.get("kind") not in READING_KINDS:
        raise InvalidWrite(f"Unknown reading kind '{str(row.get('kind')):.20}'. Use one of: {', '.join(READING_KINDS)}.")
    if not row.get("taken_at") or not row.get("unit") or not row.get("author"):
        raise InvalidWrite("A reading needs its time, unit and who entered it.")
    row = {**row, "uid": row.get("uid") or str(uuid.uuid4())}  # its lasting identity (ltc_dashboard/exports/reading_fhir.py)
    return [row.get(name) for name in READING_COLUMNS]


class ReadingsMixin:
    """The home_readings table; rows are always scoped to one patient id."""

    def readings(self, patient_id: str) -> list[dict]:
        """The person's home readings, oldest first."""
        return self._rows(
            "SELECT * FROM home_readings WHERE patient_id = ? ORDER BY taken_at, id", [patient_id]
        )

    def add_readings(self, patient_id: str, rows: list[dict]) -> list[int]:
        """Keep readings in one transaction (all or none); returns their ids in order."""
        values = [_columns(row) for row in rows]
        now = now_iso()
        conn = self.db.conn
        ids = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for columns in values:
                cur = conn.execute(
                    f"INSERT INTO home_readings (patient_id, {', '.join(READING_COLUMNS)}, created, updated)"
                    f" VALUES (?, {', '.join('?' * len(READING_COLUMNS))}, ?, ?)",
                    [patient_id, *columns, now, now],
                )
                ids.append(cur.lastrowid)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ids

    def add_reading(self, patient_id: str, row: dict) -> int:
        """Keep one reading; returns its id."""
        return self.add_readings(patient_id, [row])[0]

    def update_reading(self, patient_id: str, reading_id: int, row: dict) -> None:
        """Replace a reading's values, time and context (who first entered it, and its identity, stay)."""
        columns = dict(zip(READING_COLUMNS, _columns(row)))
        columns.pop("author")
        columns.pop("uid")
        cur = self._write(
            f"UPDATE home_readings SET {', '.join(f'{k} = ?' for k in columns)}, updated = ?"
            " WHERE id = ? AND patient_id = ?",
            [*columns.values(), now_iso(), reading_id, patient_id],
        )
        if cur.rowcount == 0:
            raise NotInStore("That reading is no longer stored.")

    def delete_reading(self, patient_id: str, reading_id: int) -> None:
        """Remove one reading."""
        cur = self._write("DELETE FROM home_readings WHERE id = ? AND patient_id = ?", [reading_id, patient_id])
        if cur.rowcount == 0:
            raise NotInStore("That reading is no longer stored.")
