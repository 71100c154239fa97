"""The store keeps raw resources with the newest version winning, and never touches what the
person wrote."""

from __future__ import annotations

import os
import stat

import pytest

from ltc_dashboard.fhir_read import patient_of
from ltc_dashboard.store import InvalidWrite, NotInStore, Store, default_path, is_newer


def obs(rid="o1", version=None, updated=None, value=1.0, patient="p1"):
    resource = {"resourceType": "Observation", "id": rid, "status": "final",
                "subject": {"reference": f"Patient/{patient}"},
                "valueQuantity": {"value": value, "unit": "mmol/L"}}
    meta = {}
    if version is not None:
        meta["versionId"] = version
    if updated is not None:
        meta["lastUpdated"] = updated
    if meta:
        resource["meta"] = meta
    return resource


def stored_value(store, rid="o1"):
    return next(r for r in store.resources_for("p1") if r["id"] == rid)["valueQuantity"]["value"]


def test_reimport_changes_nothing(fresh_store):
    """Putting the same resources twice reports them unchanged the second time."""
    first = fresh_store.put([{"resourceType": "Patient", "id": "p1"}, obs()])
    again = fresh_store.put([{"resourceType": "Patient", "id": "p1"}, obs()])
    assert sum(first.added.values()) == 2
    assert sum(again.unchanged.values()) == 2 and not again.added and not again.updated


def test_newer_version_replaces_and_older_never_does(fresh_store):
    """A higher versionId replaces the stored copy; a lower one is counted as older and ignored."""
    fresh_store.put([obs(version="2", value=2.0)])
    older = fresh_store.put([obs(version="1", value=1.0)])
    assert older.older["Observation"] == 1 and stored_value(fresh_store) == 2.0
    newer = fresh_store.put([obs(version="10", value=10.0)])
    assert newer.updated["Observation"] == 1 and stored_value(fresh_store) == 10.0


def test_last_updated_decides_without_version_ids(fresh_store):
    """Without versionIds, meta.lastUpdated decides which copy is newer."""
    fresh_store.put([obs(updated="2024-05-01T10:00:00Z", value=5.0)])
    fresh_store.put([obs(updated="2023-01-01T10:00:00Z", value=3.0)])
    assert stored_value(fresh_store) == 5.0
    fresh_store.put([obs(updated="2025-01-01T10:00:00Z", value=7.0)])
    assert stored_value(fresh_store) == 7.0


def test_unversioned_copy_never_replaces_a_versioned_one(fresh_store):
    """A copy without version information does not overwrite one that has it."""
    fresh_store.put([obs(version="3", value=3.0)])
    result = fresh_store.put([obs(value=9.0)])
    assert result.older["Observation"] == 1 and stored_value(fresh_store) == 3.0


@pytest.mark.parametrize(
    "incoming, existing, expected",
    [(("2", None), ("1", None), True), (("1", None), ("2", None), False), (("2", None), ("2", None), None),
     ((None, "2024"), (None, "2023"), True), ((None, None), (None, None), True),
     (("2", "2024-01-02"), ("2", "2024-01-01"), True)],
)
def test_is_newer_rules(incoming, existing, expected):
    """The version comparison follows versionId, then lastUpdated, then "incoming wins"."""
    assert is_newer(incoming, existing) is expected


def test_import_never_touches_what_the_person_wrote(fresh_store):
    """Questions and comments survive any number of imports of the same or newer data."""
    qid = fresh_store.add_question("p1", "What does my eGFR mean?", author="patient")
    fresh_store.add_comment("p1", "Observation", "o1", "1", "looks_wrong", "Not my result", "patient")
    fresh_store.put([obs(version="1")])
    fresh_store.put([obs(version="2", value=4.0)])
    assert [q["id"] for q in fresh_store.questions("p1")] == [qid]
    assert fresh_store.comments("p1")[0]["text"] == "Not my result"


def test_store_file_is_private(db_path):
    """A new store file is readable and writable by its owner only."""
    Store(db_path).close()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_default_path_honours_ltc_db(monkeypatch, tmp_path):
    """LTC_DB picks the store; without it the store lives in the per-user data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "ltc" / "ltc.db"
    monkeypatch.setenv("LTC_DB", str(tmp_path / "mine.db"))
    assert default_path() == tmp_path / "mine.db"


def test_patient_of_reads_subject_patient_and_binary_context():
    """Each resource is filed under the patient it names, however the type names them."""
    assert patient_of({"resourceType": "Patient", "id": "x"}) == "x"
    assert patient_of(obs(patient="a")) == "a"
    assert patient_of({"resourceType": "Immunization", "patient": {"reference": "Patient/b"}}) == "b"
    assert patient_of({"resourceType": "Binary", "securityContext": {"reference": "Patient/c"}}) == "c"
    assert patient_of({"resourceType": "Organization", "id": "o"}) is None


def test_binary_follows_its_letter(fresh_store):
    """A Binary without securityContext is filed under the patient of the letter pointing at it."""
    fresh_store.put([
        {"resourceType": "Binary", "id": "b1", "contentType": "text/plain", "data": "aGk="},
        {"resourceType": "DocumentReference", "id": "d1", "status": "current",
         "subject": {"reference": "Patient/p1"},
         "content": [{"attachment": {"url": "Binary/b1", "contentType": "text/plain"}}]},
    ])
    assert {r["id"] for r in fresh_store.resources_for("p1")} == {"b1", "d1"}


def test_deleted_resources_are_not_returned(fresh_store):
    """A resource the server reported deleted leaves the patient's resources."""
    fresh_store.put([obs()])
    assert fresh_store.delete("Observation", "o1")
    assert fresh_store.resources_for("p1") == []


def test_search_text_is_scoped_to_one_patient(fresh_store):
    """Letter search finds only the named patient's letters, by word prefix."""
    fresh_store.index_text([("DocumentReference", "d1", "p1", "Seen in the diabetes clinic"),
                            ("DocumentReference", "d2", "p2", "Seen in the diabetes clinic")])
    assert fresh_store.search_text("p1", "diab") == [("DocumentReference", "d1")]
    assert fresh_store.search_text("p1", '"unbalanced AND (') == []


def test_question_list_edits(fresh_store):
    """Questions can be added, reordered, edited, ticked off and removed; bad input is refused."""
    a = fresh_store.add_question("p1", "First", "patient")
    b = fresh_store.add_question("p1", "Second", "patient")
    fresh_store.move_question("p1", b, -1)
    assert [q["text"] for q in fresh_store.questions("p1")] == ["Second", "First"]
    fresh_store.update_question("p1", a, text="First, reworded", status="asked")
    assert fresh_store.questions("p1")[1]["status"] == "asked"
    with pytest.raises(InvalidWrite, match="empty"):
        fresh_store.add_question("p1", "   ", "patient")
    with pytest.raises(InvalidWrite, match="limit"):
        fresh_store.add_question("p1", "x" * 5000, "patient")
    with pytest.raises(NotInStore):
        fresh_store.update_question("p2", a, text="another patient's question")
    fresh_store.delete_question("p1", a)
    assert [q["id"] for q in fresh_store.questions("p1")] == [b]


def test_access_log_is_per_patient(fresh_store):
    """The access log lists who viewed what, newest first, for one patient only."""
    fresh_store.log_access("p1", "patient", None, "Overview")
    fresh_store.log_access("p1", "proxy", "rp1", "Results")
    fresh_store.log_access("p2", "patient", None, "Overview")
    log = fresh_store.access_log("p1")
    assert [(e["viewer_kind"], e["what"]) for e in log] == [("proxy", "Results"), ("patient", "Overview")]


def test_search_text_matches_what_people_type(fresh_store):
    """Letter search matches word beginnings and forgives endings: "retinal" finds "retinopathy",
    "diabetes" finds "diabetic", "diab" finds both."""
    fresh_store.index_text([("DocumentReference", "d1", "p1", "Diabetic retinopathy screening: no change")])
    for query in ("retinal", "retinopathy", "diab screen", "diabetes", "screened"):
        assert fresh_store.search_text("p1", query) == [("DocumentReference", "d1")], query
    assert fresh_store.search_text("p1", "glaucoma") == []


def test_resources_for_can_read_only_some_types(fresh_store):
    """Asking for given types returns only those of the patient's resources."""
    fresh_store.put([{"resourceType": "Patient", "id": "p1"}, obs(),
                     {"resourceType": "Consent", "id": "c1", "status": "active", "patient": {"reference": "Patient/p1"}}])
    assert [r["id"] for r in fresh_store.resources_for("p1", ("Consent",))] == ["c1"]
    assert len(fresh_store.resources_for("p1")) == 3
