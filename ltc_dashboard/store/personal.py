"""What the person writes: questions, comments on entries, own goals and progress, preferences,
and the access log. No import or sync touches these tables.

Every write is one short transaction on one row (or one ordered list), so two sessions editing at
the same time both keep their change, and an acknowledged write survives a crash (WAL, FULL sync).
"""

from __future__ import annotations

import json

from ltc_dashboard import preference_keys
from ltc_dashboard.store.db import MAX_TEXT, InvalidWrite, NotInStore, now_iso

QUESTION_STATUSES = ("open", "asked", "dismissed")
COMMENT_KINDS = ("looks_wrong", "comment")
COMMENT_STATUSES = ("draft", "sent", "answered")


def _clean(text: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidWrite(f"The {what} is empty. Write a few words, then save.")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidWrite(
            f"The {what} is {len(text):,} characters long; the limit is {MAX_TEXT:,}. "
            "Shorten it, then save."
        )
    return text


def _check(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidWrite(f"Unknown {what} '{value:.40}'. Use one of: {', '.join(allowed)}.")
    return value


class PersonalMixin:
    """Tables the person writes; rows are always scoped to one patient id."""

    def _rows(self, sql: str, params: list) -> list[dict]:
        cur = self.db.conn.execute(sql, params)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def _write(self, sql: str, params: list) -> int:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(sql, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cur

    # -- questions ----------------------------------------------------------------------------
    def questions(self, patient_id: str) -> list[dict]:
        """The person's question list, most important first; a kept suggestion's `sources` (the
        JSON list of entries it was built from) or None when they were not recorded."""
        return self._rows(
            "SELECT questions.*, question_sources.keys AS sources,"
            " question_appointments.appointment_id AS appointment_id FROM questions LEFT JOIN"
            " question_sources ON question_sources.question_id = questions.id LEFT JOIN"
            " question_appointments ON question_appointments.question_id = questions.id"
            " WHERE patient_id = ? ORDER BY position, id", [patient_id]
        )

    def add_question(
        self, patient_id: str, text: str, author: str, source: str = "own", rule_id: str | None = None,
        sources: list[str] | tuple[str, ...] | None = None,
    ) -> int:
        """Add a question at the end of the list, with the entry keys a kept suggestion was built
        from (`sources`, written in the same transaction); returns its id."""
        text = _clean(text, "question")
        _check(source, ("own", "suggested"), "question source")
        keys = None if sources is None else json.dumps([str(k) for k in sources])
        now = now_iso()
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO questions (patient_id, text, source, rule_id, position, status, author,"
                " created, updated) VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM"
                " questions WHERE patient_id = ?), 'open', ?, ?, ?)",
                [patient_id, text, source, rule_id, patient_id, author, now, now],
            )
            if keys is not None:
                conn.execute("INSERT INTO question_sources (question_id, keys) VALUES (?, ?)",
                             [cur.lastrowid, keys])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cur.lastrowid

    def update_question(
        self, patient_id: str, question_id: int, text: str | None = None, status: str | None = None
    ) -> None:
        """Change a question's words or status (open, asked, dismissed)."""
        sets, params = [], []
        if text is not None:
            sets.append("text = ?")
            params.append(_clean(text, "question"))
        if status is not None:
            sets.append("status = ?")
            params.append(_check(status, QUESTION_STATUSES, "question status"))
        if not sets:
            return
        cur = self._write(
            f"UPDATE questions SET {', '.join(sets)}, updated = ? WHERE id = ? AND patient_id = ?",
            [*params, now_iso(), question_id, patient_id],
        )
        if cur.rowcount == 0:
            raise NotInStore("That question is no longer in the list.")

    def link_question(self, patient_id: str, question_id: int, appointment_id: str | None) -> None:
        """Link a question to one appointment (its `Appointment` id), or unlink it (None), in one
        transaction; NotInStore when the question is not this patient's."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM questions WHERE id = ? AND patient_id = ?",
                            [question_id, patient_id]).fetchone() is None:
                raise NotInStore("That question is no longer in the list.")
            conn.execute("DELETE FROM question_appointments WHERE question_id = ?", [question_id])
            if appointment_id is not None:
                conn.execute("INSERT INTO question_appointments (question_id, appointment_id) VALUES (?, ?)",
                             [question_id, _clean(appointment_id, "appointment")])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete_question(self, patient_id: str, question_id: int) -> None:
        """Remove a question from the list."""
        cur = self._write(
            "DELETE FROM questions WHERE id = ? AND patient_id = ?", [question_id, patient_id]
        )
        if cur.rowcount == 0:
            raise NotInStore("That question is no longer in the list.")
        self._write("DELETE FROM question_sources WHERE question_id = ?", [question_id])

    def move_question(self, patient_id: str, question_id: int, steps: int) -> None:
        """Move a question up (negative steps) or down the list, renumbering in one transaction."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM questions WHERE patient_id = ? ORDER BY position, id", [patient_id]
            )]
            if question_id not in ids:
                raise NotInStore("That question is no longer in the list.")
            old = ids.index(question_id)
            new = max(0, min(len(ids) - 1, old + steps))
            ids.insert(new, ids.pop(old))
            conn.executemany(
                "UPDATE questions SET position = ? WHERE id = ?",
                [(pos + 1, qid) for pos, qid in enumerate(ids)],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- comments on entries ------------------------------------------------------------------
    def comments(self, patient_id: str) -> list[dict]:
        """The person's comments and "this looks wrong" marks, newest first."""
        return self._rows(
            "SELECT * FROM comments WHERE patient_id = ? ORDER BY created DESC, id DESC", [patient_id]
        )

    def add_comment(
        self, patient_id: str, resource_type: str, resource_id: str, resource_version: str | None,
        kind: str, text: str, author: str,
    ) -> int:
        """Keep a comment on one entry (with the entry's version); returns its id."""
        _check(kind, COMMENT_KINDS, "comment kind")
        text = _clean(text, "comment")
        now = now_iso()
        cur = self._write(
            "INSERT INTO comments (patient_id, resource_type, resource_id, resource_version, kind,"
            " text, status, author, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)",
            [patient_id, resource_type, resource_id, resource_version, kind, text, author, now, now],
        )
        return cur.lastrowid

    def set_comment_status(self, patient_id: str, comment_id: int, status: str) -> None:
        """Move a comment to draft, sent or answered."""
        cur = self._write(
            "UPDATE comments SET status = ?, updated = ? WHERE id = ? AND patient_id = ?",
            [_check(status, COMMENT_STATUSES, "comment status"), now_iso(), comment_id, patient_id],
        )
        if cur.rowcount == 0:
            raise NotInStore("That comment is no longer stored.")

    # -- own goals and progress ---------------------------------------------------------------
    def own_goals(self, patient_id: str) -> list[dict]:
        """Goals the person set themselves."""
        return self._rows("SELECT * FROM own_goals WHERE patient_id = ? ORDER BY id", [patient_id])

    def add_own_goal(self, patient_id: str, text: str, author: str) -> int:
        """Add a goal of the person's own; returns its id."""
        cur = self._write(
            "INSERT INTO own_goals (patient_id, text, status, author, created) VALUES"
            " (?, ?, 'active', ?, ?)",
            [patient_id, _clean(text, "goal"), author, now_iso()],
        )
        return cur.lastrowid

    def goal_progress(self, patient_id: str) -> list[dict]:
        """Progress notes on goals (FHIR Goal ids as `Goal/ID`, own goals as `own/ID`)."""
        return self._rows(
            "SELECT * FROM goal_progress WHERE patient_id = ? ORDER BY on_date, id", [patient_id]
        )

    def add_goal_progress(
        self, patient_id: str, goal_ref: str, note: str, on_date: str, author: str
    ) -> int:
        """Add a dated progress note to a goal; returns its id."""
        cur = self._write(
            "INSERT INTO goal_progress (patient_id, goal_ref, note, on_date, author, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [patient_id, goal_ref, _clean(note, "progress note"), on_date, author, now_iso()],
        )
        return cur.lastrowid

    # -- preferences --------------------------------------------------------------------------
    def preference(self, patient_id: str, key: str, default: str | None = None) -> str | None:
        """One saved preference (e.g. planning-ahead prompts opted in), or `default`."""
        row = self.db.conn.execute(
            "SELECT value FROM preferences WHERE patient_id = ? AND key = ?", [patient_id, key]
        ).fetchone()
        return row[0] if row else default

    def set_preference(self, patient_id: str, key: str, value: str) -> None:
        """Save one preference; InvalidWrite for a key or value not in preference_keys.TABLE."""
        try:
            preference_keys.check(key, value)
        except preference_keys.PreferenceInvalid as exc:
            raise InvalidWrite(str(exc)) from None
        self._write(
            "INSERT INTO preferences (patient_id, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (patient_id, key) DO UPDATE SET value = excluded.value",
            [patient_id, key, value],
        )

    # -- access log ---------------------------------------------------------------------------
    def log_access(self, patient_id: str, viewer_kind: str, viewer_id: str | None, what: str) -> None:
        """Record that a viewer looked at something of this patient's."""
        self._write(
            "INSERT INTO access_log (at, patient_id, viewer_kind, viewer_id, what) VALUES"
            " (?, ?, ?, ?, ?)",
            [now_iso(), patient_id, viewer_kind, viewer_id, what],
        )

    def access_log(self, patient_id: str, limit: int = 500) -> list[dict]:
        """Who viewed what of this patient's record, newest first."""
        return self._rows(
            "SELECT at, viewer_kind, viewer_id, what FROM access_log WHERE patient_id = ?"
            " ORDER BY id DESC LIMIT ?",
            [patient_id, limit],
        )
