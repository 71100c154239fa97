"""Durability: a `kill -9` during an import or while the person's words are being saved loses
nothing already stored or acknowledged, and two sessions editing the question list at once both
keep their edits.

Nothing waits for time: the parent waits for the child's own signs of progress (rows in the
store, lines it printed after each acknowledged save) and then kills it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "diabetes.json"
BIG = 60_000  # Observations in the big import: long enough to be caught half way
POLL = 0.05  # seconds a poll waits on the child, which returns at once if the child ends


def child(code: str, *args: str, **options) -> subprocess.Popen:
    """A Python child in the repository, with the test's environment (LTC_TODAY, TZ)."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)


def rows(db: Path, sql: str) -> list[tuple]:
    """Read the store from outside, as another process would (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    return rows(db, "PRAGMA integrity_check")[0][0]


def earlier_data(db: Path) -> tuple[dict, list[int], list[int]]:
    """Import the demo diabetes record, then write two questions and a comment, as a person would."""
    store = Store(db)
    assert not import_paths(store, [DEMO]).rejected
    questions = [store.add_question("dm-patient", f"Earlier question {n}", author="patient") for n in range(2)]
    comments = [store.add_comment("dm-patient", "Observation", "x", None, "comment", "Earlier comment", "patient")]
    store.close()
    return snapshot(db), questions, comments


def snapshot(db: Path) -> dict:
    return {table: sorted(rows(db, f"SELECT * FROM {table} WHERE patient_id = 'dm-patient'"))
            for table in ("resources", "questions", "comments")}


def big_file(folder: Path) -> Path:
    """One patient with BIG small Observations, as NDJSON."""
    path = folder / "big.ndjson"
    lines = [json.dumps({"resourceType": "Patient", "id": "big"})]
    lines += [json.dumps({"resourceType": "Observation", "id": f"big-{n}", "status": "final",
                          "subject": {"reference": "Patient/big"}, "code": {"text": f"Reading {n}"},
                          "effectiveDateTime": "2025-01-01", "valueQuantity": {"value": n, "unit": "kg"}})
              for n in range(BIG)]
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_until(proc: subprocess.Popen, ready) -> None:
    """Poll `ready()` until true; fail if the child ends first (then there was nothing to interrupt)."""
    while not ready():
        try:
            proc.wait(timeout=POLL)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"the child ended before it could be interrupted: {proc.stderr.read().decode()[-500:]}")


def test_kill_during_import_keeps_the_store_whole(tmp_path):
    """kill -9 during `ltc import` of a big file: the store opens, passes integrity_check, keeps the
    earlier record and writes, holds only whole batches, and a second import completes it."""
    db = tmp_path / "ltc.db"
    before, _, _ = earlier_data(db)
    source = big_file(tmp_path)
    run = "import sys; from ltc_dashboard.cli.main import main; sys.exit(main())"
    proc = child(run, "import", str(source), "--db", str(db))
    wait_until(proc, lambda: rows(db, "SELECT count(*) FROM resources WHERE patient_id = 'big'")[0][0] > 0)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    assert integrity(db) == "ok"
    assert snapshot(db) == before
    stored = rows(db, "SELECT id, json FROM resources WHERE patient_id = 'big'")
    assert 0 < len(stored) < BIG + 1, "the import was not interrupted half way"
    for rid, text in stored:
        if rid != "big":
            assert json.loads(text)["valueQuantity"]["value"] == int(rid.split("-")[1])
    store = Store(db)  # opens after the crash, and an import then completes the record
    assert not import_paths(store, [source]).rejected
    store.close()
    assert rows(db, "SELECT count(*) FROM resources WHERE patient_id = 'big'")[0][0] == BIG + 1
    assert snapshot(db) == before and integrity(db) == "ok"


SAVER = """
import sys
from ltc_dashboard.store import Store
store = Store(sys.argv[1])
for n in range(1_000_000):
    if n % 3 == 2:
        print("comment", store.add_comment("dm-patient", "Observation", "x", None, "comment", f"Comment {n}", "patient"), n, flush=True)
    else:
        print("question", store.add_question("dm-patient", f"Question {n}", author="patient"), n, flush=True)
"""


def test_kill_while_saving_keeps_every_acknowledged_question_and_comment(tmp_path):
    """kill -9 while a loop saves questions and comments: every save acknowledged (printed after
    it returned) is in the store with its words, and so is everything written before."""
    db = tmp_path / "ltc.db"
    before, questions, comments = earlier_data(db)
    proc = child(SAVER, str(db))
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(line.decode().split())
        if len(acknowledged) == 300:
            proc.send_signal(signal.SIGKILL)
            break
    acknowledged += [line.split() for line in proc.stdout.read().decode().splitlines()]  # said before it died
    assert proc.wait() == -signal.SIGKILL and len(acknowledged) >= 300

    assert integrity(db) == "ok"
    store = Store(db)
    saved = {("question", q["id"]): q["text"] for q in store.questions("dm-patient")}
    saved |= {("comment", c["id"]): c["text"] for c in store.comments("dm-patient")}
    store.close()
    for kind, row_id, n in acknowledged:
        assert saved.get((kind, int(row_id))) == f"{kind.title()} {n}", f"acknowledged {kind} {n} was lost"
    assert all(("question", q) in saved for q in questions) and ("comment", comments[0]) in saved
    assert snapshot(db)["resources"] == before["resources"]


def test_two_sessions_editing_the_question_list_at_once_lose_neither_edit(db_path):
    """Two Store objects on one file, in two threads, add, reword, re-rank and mark the same
    list at once: every question and every last edit is kept, and the ranks stay a sequence."""
    first, second = Store(db_path), Store(db_path)
    shared = first.add_question("p1", "Shared question", author="patient")
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def session(store: Store, name: str, edit) -> None:
        try:
            start.wait()
            for n in range(60):
                store.add_question("p1", f"{name} question {n}", author="patient")
                edit(store, n)
                store.move_question("p1", shared, 1 if n % 2 else -1)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)
        finally:
            store.close()

    threads = [
        threading.Thread(target=session, args=(first, "First", lambda s, n: s.update_question("p1", shared, text=f"Reworded {n}"))),
        threading.Thread(target=session, args=(second, "Second", lambda s, n: s.update_question("p1", shared, status="asked" if n % 2 else "open"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    store = Store(db_path)
    listed = store.questions("p1")
    store.close()
    texts = {q["text"] for q in listed}
    assert {f"{who} question {n}" for who in ("First", "Second") for n in range(60)} <= texts
    assert len(listed) == 121
    assert next(q for q in listed if q["id"] == shared)["text"] == "Reworded 59"
    assert next(q for q in listed if q["id"] == shared)["status"] == "asked"
    assert len({q["position"] for q in listed}) == 121, "two questions share a rank"


OPENER = """
import sys
from ltc_dashboard.store import Store
sys.stdin.readline()  # all children start at the same moment, then stay roughly in step
for k in range(40):
    store = Store(f"{sys.argv[1]}/new-{k}.db")
    store.add_question("p1", f"{sys.argv[2]} {k}", author="patient")
    store.close()
print("done", flush=True)
"""


def test_processes_creating_and_editing_new_stores_at_once_all_succeed(tmp_path):
    """Three processes open the same 40 store files, none existing yet, at the same moments and
    each adds a question to each: every open succeeds and every store keeps all three questions."""
    procs = [child(OPENER, str(tmp_path), name, stdin=subprocess.PIPE) for name in "ABC"]
    for proc in procs:
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.stdin.close()
    for proc in procs:
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait() == 0 and out.strip() == b"done", err.decode()[-800:]
    for k in range(40):
        kept = rows(tmp_path / f"new-{k}.db", "SELECT text, position FROM questions WHERE patient_id = 'p1'")
        assert sorted(text for text, _ in kept) == [f"{name} {k}" for name in "ABC"]
        assert sorted(position for _, position in kept) == [1, 2, 3]
