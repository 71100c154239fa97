"""Clinical resources in the store: written by imports and syncs, read only by the access gate."""

from __future__ import annotations

import contextlib
import hashlib
import json

from ltc_dashboard.fhir_read import patient_of
from ltc_dashboard.store.db import PutResult, now_iso
from ltc_dashboard.store.snapshots import note_changes as _note_changes
from ltc_dashboard.store.search_words import search_match
from ltc_dashboard.store.versions import canonical, label_items, order, resolve, stamp, with_labels

# Stored JSON is compact and keeps non-ASCII text as it is; one encoder for every row.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


REPORTED, ABSENT = 1, 2  # resources.deleted: a server reported the DELETE; a certain full read lacked it


class ResourcesMixin:
    """Raw FHIR resources keyed by (type, id), newest version winning, and their letter text."""

    # -- clinical resources (written by imports and syncs) ------------------------------------
    def put(self, resources, batch_size: int = 2000, keep_labels: bool = False,
            for_patient: str | None = None) -> PutResult:
        """Store resources; the newest version of each (type, id) wins (ltc_dashboard/store/versions.py: copies
        that cannot be ordered keep every label of both). One transaction a batch.

        keep_labels: a copy that lacks labels the stored copy has is given them before it is
        compared (an upload in the app never removes a label: `PutResult.labels_kept`); without
        it, a newer copy with fewer labels replaces the stored one and is listed in
        `PutResult.labels_removed` for the importer to report. for_patient: the record these were
        fetched or imported for, which a joint Appointment naming it is filed under (patient_of)."""
        result = PutResult()
        batch: list[dict] = []
        for resource in resources:
            batch.append(resource)
            if len(batch) >= batch_size:
                self._put_batch(batch, result, keep_labels, for_patient)
                batch = []
        if batch:
            self._put_batch(batch, result, keep_labels, for_patient)
        return result

    def _put_batch(self, batch: list[dict], result: PutResult, keep_labels: bool = False,
                   for_patient: str | None = None) -> None:
        conn = self.db.conn
        ids_by_type: dict[str, set[str]] = {}
        for r in batch:
            ids_by_type.setdefault(r["resourceType"], set()).add(r["id"])
        existing: dict[tuple[str, str], tuple] = {}
        for rtype, ids in ids_by_type.items():  # one indexed IN lookup per type, not an OR chain
            id_list = sorted(ids)
            for start in range(0, len(id_list), 500):
                chunk = id_list[start : start + 500]
                for row in conn.execute(
                    "SELECT type, id, json, deleted, patient_id FROM resources"
                    f" WHERE type = ? AND id IN ({', '.join('?' * len(chunk))})",
                    [rtype, *chunk],
                ):
                    existing[(row[0], row[1])] = row[2:]
        rows, copies_rows, documents, changed = [], [], [], []
        copies: dict[tuple[str, str], dict[str, str]] = {}  # (type, id) -> digest -> text, this batch
        stored_at = now_iso()
        for resource in batch:
            key = (resource["resourceType"], resource["id"])
            text = _ENCODER.encode(resource)
            old = existing.get(key)
            if old is None:
                result.added[key[0]] += 1
                stored = resource
            elif old[0] == text and not old[1]:
                result.unchanged[key[0]] += 1
                continue
            else:
                before = json.loads(old[0])
                relabelled = keep_labels and bool(label_items(before) - label_items(resource))
                if relabelled:
                    resource = with_labels(resource, label_items(before))
                    text = _ENCODER.encode(resource)
                known = copies.get(key)
                if known is None:
                    known = copies[key] = self._copies(conn, key) or {copy_digest(before): old[0]}
                digest = copy_digest(resource)
                if digest not in known:
                    if len(known) == 1:  # the first time this resource has two copies
                        copies_rows += [(*key, d, t) for d, t in known.items()]
                    known[digest] = text
                    copies_rows.append((*key, digest, text))
                if old[1] == REPORTED and order(stamp(resource), stamp(before)) == -1:
                    result.older[key[0]] += 1  # older than the copy the server reported deleted
                    continue
                if old[1] == ABSENT:  # removed only because a read lacked it: listed again, it is back as
                    stored, text = resource, _ENCODER.encode(resource)  # listed (a restored backup may be older)
                    result.updated[key[0]] += 1
                else:
                    resolved = resolve([json.loads(t) for t in known.values()], latest=resource)
                    stored = resolved.resource
                    if _ENCODER.encode(stored) == old[0] and not old[1]:
                        # kept what was stored (a new copy is kept beside it)
                        (result.unchanged if digest == copy_digest(before) else result.older)[key[0]] += 1
                        continue
                    if not resolved.certain:
                        result.unordered[key[0]] += 1
                    result.updated[key[0]] += 1
                    text = _ENCODER.encode(stored)
                if label_items(before) - label_items(stored):
                    result.labels_removed.append((key, before, stored))
                if relabelled:
                    result.labels_kept.append(key)
            owner = patient_of(stored, for_patient)  # read once: the row, the batch's lookups and the log agree
            existing[key] = (text, 0, owner)
            result.written.add(key)
            version, updated = _meta_text(stored)
            rows.append((key[0], key[1], owner, version, updated, text, stored_at))
            changed += {(owner, *key), (old[2] if old else owner, *key)}  # and where it was
            if key[0] == "DocumentReference":
                documents.append(stored)
        if not rows and not copies_rows:
            return
        with self._transaction():
            conn.executemany(
                "INSERT OR IGNORE INTO resource_copies (type, id, digest, json) VALUES (?, ?, ?, ?)",
                copies_rows,
            )
            if not rows:
                return
            conn.executemany(
                "INSERT INTO resources (type, id, patient_id, version, last_updated, json, deleted,"
                " stored_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (type, id) DO UPDATE SET"
                " patient_id = excluded.patient_id, version = excluded.version,"
                " last_updated = excluded.last_updated, json = excluded.json, deleted = 0,"
                " stored_at = excluded.stored_at",
                rows,
            )
            changed += self._link_binaries(conn, documents)
            _count_change(conn)
            _note_changes(conn, changed)

    @staticmethod
    def _copies(conn, key: tuple[str, str]) -> dict[str, str]:
        """Every distinct copy kept of one resource (digest -> text); empty when it has had one."""
        rows = conn.execute("SELECT digest, json FROM resource_copies WHERE type = ? AND id = ?", list(key))
        return dict(rows.fetchall())

    @staticmethod
    def _link_binaries(conn, documents: list[dict]) -> list[tuple[str, str, str]]:
        """A Binary with no securityContext belongs to the patient of the letter that points at it:
        (patient, "Binary", id) of each so filed."""
        linked = []
        for doc in documents:
            patient = patient_of(doc)
            contents = doc.get("content")  # checked shape by shape: the validator passes odd ones
            for content in contents if isinstance(contents, list) else []:
                attachment = content.get("attachment") if isinstance(content, dict) else None
                url = attachment.get("url") if isinstance(attachment, dict) else None
                if patient and isinstance(url, str) and url.startswith("Binary/"):
                    cursor = conn.execute(
                        "UPDATE resources SET patient_id = ? WHERE type = 'Binary' AND id = ? AND patient_id IS NULL",
                        [patient, url.split("/", 1)[1]])
                    linked += [(patient, "Binary", url.split("/", 1)[1])] * (cursor.rowcount > 0)
        return linked

    def delete(self, rtype: str, rid: str, reported: bool = True) -> bool:
        """Mark a resource deleted: a server reported its deletion (`reported`), or a certain full read
        no longer lists it (removed by absence: an older copy listed again brings it back). True
        when it was stored."""
        with self._transaction() as conn:
            owners = conn.execute("SELECT patient_id FROM resources WHERE type = ? AND id = ?", [rtype, rid]).fetchall()
            cur = conn.execute(
                "UPDATE resources SET deleted = ?, stored_at = ? WHERE type = ? AND id = ?",
                [REPORTED if reported else ABSENT, now_iso(), rtype, rid],
            )
            conn.execute("DELETE FROM letter_text WHERE type = ? AND id = ?", [rtype, rid])
            if cur.rowcount:
                _count_change(conn)
                _note_changes(conn, [(owner, rtype, rid) for (owner,) in owners])
        return cur.rowcount > 0

    def resources_for(self, patient_id: str, types: tuple[str, ...] = ()) -> list[dict]:
        """Every stored resource of one patient (raw, newest version, deleted ones left out),
        or only those of the given types."""
        sql, params = "SELECT json FROM resources WHERE patient_id = ? AND deleted = 0", [patient_id]
        if types:
            sql += f" AND type IN ({', '.join('?' * len(types))})"
            params += list(types)
        return [json.loads(row[0]) for row in self.db.conn.execute(sql, params)]

    def resource_texts_for(self, patient_id: str, types: tuple[str, ...] = ()):
        """One patient's stored resources as (type, id, JSON text) rows, read lazily in a stable
        order (newest versions, deleted ones left out): the gate decodes them one at a time
        rather than holding every decoded resource of a large record at once."""
        sql = "SELECT type, id, json FROM resources WHERE patient_id = ? AND deleted = 0"
        params = [patient_id]
        if types:
            sql += f" AND type IN ({', '.join('?' * len(types))})"
            params += list(types)
        yield from self.db.conn.execute(sql + " ORDER BY rowid", params)

    def shared(self, references: set[str]) -> list[dict]:
        """Resources that belong to no patient (Medication, Practitioner...), by `Type/id`."""
        found = []
        for ref in sorted(references):
            rtype, _, rid = ref.partition("/")
            row = self.db.conn.execute(
                "SELECT json FROM resources WHERE type = ? AND id = ? AND patient_id IS NULL"
                " AND deleted = 0",
                [rtype, rid],
            ).fetchone()
            if row:
                found.append(json.loads(row[0]))
        return found

    def patient_resource(self, patient_id: str) -> dict | None:
        """One Patient resource (who a record is about), or None."""
        row = self.db.conn.execute(
            "SELECT json FROM resources WHERE type = 'Patient' AND id = ? AND deleted = 0", [patient_id]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def patient_ids(self) -> list[str]:
        """Ids of the patients held, in id order."""
        rows = self.db.conn.execute(
            "SELECT id FROM resources WHERE type = 'Patient' AND deleted = 0 ORDER BY id"
        )
        return [row[0] for row in rows]

    def counts(self) -> dict[str, int]:
        """Resources held per type (all patients; for the import report, not for any viewer)."""
        rows = self.db.conn.execute(
            "SELECT type, count(*) FROM resources WHERE deleted = 0 GROUP BY type ORDER BY type"
        )
        return dict(rows.fetchall())

    # -- letter text (full-text search; the rows and their digests: ltc_dashboard/store/db.py) ---------------
    def index_text(self, rows: list[tuple[str, str, str | None, str]]) -> None:
        """Keep searchable text: (type, id, patient_id, text) rows, with no digests. The gate finds
        no letter through such a row (it cannot tell what it was made from); the record's own rows
        are made with its snapshot (`keep_snapshot`)."""
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO letter_text (type, id, part, patient_id, body) VALUES (?, ?, '', ?, ?)",
                rows,
            )

    @staticmethod
    def _replace_letter_text(conn, patient_id: str, rows: list[tuple[str, str, bytes, bytes | None, str]]) -> None:
        """Make one patient's letter rows those given, (letter id, part, letter digest, part
        digest, text): rows made from other texts go, missing ones are written, the rest stay."""
        wanted = {(rid, part): (ld, pd) for rid, part, ld, pd, _ in rows}
        held = {(rid, part): (ld, pd) for rid, part, ld, pd in conn.execute(
            "SELECT id, part, letter_digest, part_digest FROM letter_text"
            " WHERE type = 'DocumentReference' AND patient_id = ?", [patient_id])}
        gone = [key for key, digests in held.items() if wanted.get(key) != digests]
        conn.executemany("DELETE FROM letter_text WHERE type = 'DocumentReference' AND id = ? AND part = ?", gone)
        conn.executemany(
            "INSERT OR REPLACE INTO letter_text (type, id, part, patient_id, letter_digest, part_digest, body)"
            " VALUES ('DocumentReference', ?, ?, ?, ?, ?, ?)",
            [(rid, part, patient_id, ld, pd, body) for rid, part, ld, pd, body in rows
             if held.get((rid, part)) != (ld, pd)],
        )

    def search_text(self, patient_id: str, query: str, limit: int = 200) -> list[tuple[str, str]]:
        """(type, id) of one patient's letters with a row that matches every word of `query`,
        whoever may see it (the gate's search is `search_text_parts`)."""
        found = []
        for rid, *_ in self.search_text_parts(patient_id, query, limit):
            if ("DocumentReference", rid) not in found:
                found.append(("DocumentReference", rid))
        return found

    def search_text_parts(self, patient_id: str, query: str, limit: int = 200) -> list[tuple]:
        """(letter id, part, letter digest, part digest) of one patient's letter rows that match
        every word of `query`, best first. The query is read as words (letters and digits):
        anything else in it, a NUL, quotes, FTS syntax, separates words and is never passed on."""
        match = search_match(query)
        if match is None:
            return []
        rows = self.db.conn.execute(
            "SELECT t.id, t.part, t.letter_digest, t.part_digest FROM letter_text t"
            " JOIN letter_text_fts f ON f.rowid = t.rowid WHERE letter_text_fts MATCH ?"
            " AND t.patient_id = ? AND t.type = 'DocumentReference' ORDER BY rank LIMIT ?",
            [match, patient_id, limit],
        )
        return rows.fetchall()

    def of_type(self, rtype: str) -> list[dict]:
        """Every stored resource of one type across patients (for the access gate's sign-in list)."""
        rows = self.db.conn.execute(
            "SELECT json FROM resources WHERE type = ? AND deleted = 0 ORDER BY id", [rtype]
        )
        return [json.loads(row[0]) for row in rows]

    def data_version(self) -> str:
        """Changes whenever clinical resources change (for cache keys): a counter every write
        transaction of resources bumps, read with one lookup. (It was a scan of the whole table,
        count, newest stored_at and deletions, on every page rerun: 30 ms at 100k resources.)"""
        row = self.db.conn.execute("SELECT value FROM meta WHERE key = 'resources_version'").fetchone()
        return f"v{row[0] if row else 0}"

    # -- transactions (a whole sync is one: ltc_dashboard/intake/sync.py); sync marks live in ltc_dashboard/store/syncs.py ----------
    @contextlib.contextmanager
    def _transaction(self):
        """The connection inside a transaction: its own, or part of an enclosing `atomic()`.

        The connection is in autocommit mode (isolation_level=None), where `with conn:` opens no
        transaction: each row of an executemany was then committed, and synced, on its own."""
        with self.atomic():
            yield self.db.conn

    @contextlib.contextmanager
    def atomic(self):
        """Everything written inside (put, delete, index_text, sync marks) is one transaction:
        all of it is stored, or none of it, and readers never see a half-written sync."""
        if getattr(self._local, "atomic", False):
            yield self
            return
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        self._local.atomic = True
        try:
            yield self
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._local.atomic = False

    def placement(self, rtype: str, rid: str) -> tuple[str | None, str | None] | None:
        """Where a stored (not deleted) resource is filed, without its content: None when it is not
        stored, else (its patient's id, None; or, for a shared resource, None and a digest of its
        copy). An upload checks it writes only into the record it is for (ltc_dashboard/intake/uploads.py)."""
        row = self.db.conn.execute(
            "SELECT patient_id, CASE WHEN patient_id IS NULL THEN json END FROM resources"
            " WHERE type = ? AND id = ? AND deleted = 0", [rtype, rid]
        ).fetchone()
        return None if row is None else (row[0], copy_digest(json.loads(row[1])) if row[1] is not None else None)

    def ever_stored(self, rtype: str, rid: str) -> bool:
        """Whether this resource is or was stored (deleted ones too); no clinical data."""
        return self.db.conn.execute("SELECT 1 FROM resources WHERE type = ? AND id = ?", [rtype, rid]).fetchone() \
            is not None

    def owner(self, rtype: str, rid: str) -> str | None:
        """The patient a stored (not deleted) resource belongs to, or None (no clinical data)."""
        row = self.db.conn.execute(
            "SELECT patient_id FROM resources WHERE type = ? AND id = ? AND deleted = 0", [rtype, rid]
        ).fetchone()
        return row[0] if row else None


def copy_digest(resource: dict) -> str:
    """A copy's identity, whatever order its keys came in."""
    return hashlib.sha256(canonical(resource).encode("utf-8", "surrogatepass")).hexdigest()


def _meta_text(resource: dict) -> tuple[str | None, str | None]:
    """meta.versionId and meta.lastUpdated as text, for the row's columns (not for ordering)."""
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    version, updated = meta.get("versionId"), meta.get("lastUpdated")
    return (None if version is None else str(version), updated if isinstance(updated, str) else None)


def _count_change(conn) -> None:
    """Bump the resources' write counter, inside the transaction that wrote them."""
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'resources_version'")

