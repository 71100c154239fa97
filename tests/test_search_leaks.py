"""Letter search finds a letter only by words its viewer may see on that letter's page now
(issue 13 item 1), and a query of any characters never raises a database error.

Records are hand-made for issue 13 item 1 in FHIR R4 shapes (DocumentReference.content.attachment
with a `url` to a Binary, or inline `data`; Binary with `securityContext`; labels in `meta.security`;
a proxy Consent with a nested deny provision by security label, clinical-reference §8.2). Each
letter or attachment carries one unique marker word, and every viewer searches for every marker.
They go in through `ingest.import_items`, as `ltc import` and a sync write them.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PATIENT = Viewer(kind="patient", patient_id="p1")
CLINIC = Viewer(kind="clinic", patient_id="p1")
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
VIEWERS = {"patient": PATIENT, "clinic": CLINIC, "carer": CARER}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def binary(bid: str, text: str, label: str | None = None, version: str = "1") -> dict:
    resource = {"resourceType": "Binary", "id": bid, "contentType": "text/plain",
                "securityContext": {"reference": "Patient/p1"}, "data": b64(text),
                "meta": {"versionId": version}}
    if label:
        resource["meta"]["security"] = [{"system": ACT, "code": label}]
    return resource


def letter(did: str, description: str | None, *contents: dict, version: str = "1") -> dict:
    resource = {"resourceType": "DocumentReference", "id": did, "status": "current", "date": "2025-05-01",
                "meta": {"versionId": version}, "subject": {"reference": "Patient/p1"},
                "content": [{"attachment": a} for a in contents]}
    if description:
        resource["description"] = description
    return resource


def url(bid: str) -> dict:
    return {"contentType": "text/plain", "url": f"Binary/{bid}"}


def inline(text: str) -> dict:
    return {"contentType": "text/plain", "data": b64(text)}


def people() -> list[dict]:
    """The patient, and a carer whose consent denies SDV-labelled entries (clinical-reference §8.2)."""
    deny = {"type": "deny", "securityLabel": [{"system": ACT, "code": "SDV"}]}
    return [
        {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ann"], "family": "Test"}]},
        {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"}},
        {"resourceType": "Consent", "id": "c1", "status": "active", "dateTime": "2025-01-01",
         "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                               "code": "patient-privacy"}]},
         "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
         "patient": {"reference": "Patient/p1"},
         "provision": {"type": "permit", "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}],
                       "provision": [deny]}},
    ]


def found(service: Service, viewer: Viewer, word: str) -> set[str]:
    return {found.id for found in service.search_letters(viewer, TODAY, word)}


def listed(service: Service, viewer: Viewer) -> set[str]:
    return {entry.id for entry in service.record(viewer, TODAY).letters}


@pytest.fixture
def service(fresh_store):
    return Service(fresh_store)


def test_words_of_a_second_attachment_that_is_redacted_are_found_by_no_one(service, fresh_store):
    """A letter whose second attachment is a NOPAT Binary is found by no viewer through either
    attachment's words and is not listed: a letter with a withheld attachment is withheld with it
    (issue 13 item 1), as any entry pointing at a redacted one is."""
    import_items(fresh_store, [*people(), letter("d1", "Clinic letter", url("b1"), url("b2")),
                               binary("b1", "first page xqalpha"), binary("b2", "redacted page xqbravo", "NOPAT")])
    for name, viewer in VIEWERS.items():
        assert found(service, viewer, "xqbravo") == set(), name
        assert found(service, viewer, "xqalpha") == set(), name
        assert "d1" not in listed(service, viewer), name


def test_words_of_a_visible_second_attachment_do_not_find_the_letter(service, fresh_store):
    """Only the attachment the letter page shows is searched: a second, unlabelled attachment's
    words find nothing, the first one's find the letter for every viewer."""
    import_items(fresh_store, [*people(), letter("d2", "Clinic letter", url("b3"), url("b4")),
                               binary("b3", "shown page xqcharlie"), binary("b4", "never shown xqdelta")])
    for name, viewer in VIEWERS.items():
        assert found(service, viewer, "xqcharlie") == {"d2"}, name
        assert found(service, viewer, "xqdelta") == set(), name


@pytest.mark.parametrize("label, sees", [
    ("PSY", {"patient", "carer"}),  # hidden on the shared screen only
    ("SDV", {"patient"}),  # hidden on the shared screen, and denied by the carer's consent
])
def test_a_letter_whose_binary_is_withheld_is_not_found_by_its_words(service, fresh_store, label, sees):
    """A viewer from whom the letter's Binary is withheld never finds the letter, by the Binary's
    words or its title, and it is not listed (issue 13 item 1: a letter whose attachment is
    withheld staying listed was a leak); the others find it by both and read it."""
    import_items(fresh_store, [*people(), letter("d3", "Xqtitle letter", url("b5")),
                               binary("b5", "sensitive words xqecho", label)])
    for name, viewer in VIEWERS.items():
        expected = {"d3"} if name in sees else set()
        assert found(service, viewer, "xqecho") == expected, name
        assert found(service, viewer, "xqtitle") == expected, name
        assert found(service, viewer, "xqtitle xqecho") == expected, name
        pages = [entry for entry in service.record(viewer, TODAY).letters if entry.id == "d3"]
        if name in sees:
            assert "xqecho" in pages[0].text, name
        else:
            assert pages == [], name


def test_an_older_version_of_a_letter_is_not_searched(service, fresh_store):
    """A newer version of a letter without any searchable text leaves none of the old version's
    words behind; its new words are found."""
    import_items(fresh_store, [*people(), letter("d5", None, inline("first version xqfoxtrot"))])
    assert found(service, PATIENT, "xqfoxtrot") == {"d5"}, "the test's first version is searchable"
    import_items(fresh_store, [letter("d5", None, {"contentType": "application/pdf",
                                                   "url": "https://elsewhere.example/letter.pdf"}, version="2")])
    import_items(fresh_store, [letter("d6", None, inline("first version xqgolf")),
                               letter("d6", None, inline("second version xqhotel"), version="2")])
    for name, viewer in VIEWERS.items():
        assert found(service, viewer, "xqfoxtrot") == set(), name
        assert found(service, viewer, "xqgolf") == set(), name
        assert found(service, viewer, "xqhotel") == {"d6"}, name


def test_a_binary_labelled_in_a_later_import_stops_being_found(service, fresh_store):
    """A Binary that a later import labels PSY is no longer found on the shared screen (the letter
    is withheld there), while the patient still finds it."""
    import_items(fresh_store, [*people(), letter("d7", "Clinic letter", url("b7")), binary("b7", "xqindia")])
    assert found(service, CLINIC, "xqindia") == {"d7"}, "found before the label came"
    import_items(fresh_store, [binary("b7", "xqindia", "PSY", version="2")])
    assert found(service, CLINIC, "xqindia") == set()
    assert found(service, PATIENT, "xqindia") == found(service, CARER, "xqindia") == {"d7"}


def test_a_binary_whose_text_changes_is_searched_by_its_new_text(service, fresh_store):
    """A later version of a Binary replaces its words in the search; a Binary imported after its
    letter is searchable too."""
    import_items(fresh_store, [*people(), letter("d8", "Clinic letter", url("b8")), binary("b8", "old xqjuliet"),
                               letter("d9", "Clinic letter", url("b9"))])
    import_items(fresh_store, [binary("b8", "new xqkilo", version="2"), binary("b9", "late xqlima")])
    for name, viewer in VIEWERS.items():
        assert found(service, viewer, "xqjuliet") == set(), name
        assert found(service, viewer, "xqkilo") == {"d8"}, name
        assert found(service, viewer, "xqlima") == {"d9"}, name


def test_a_consent_change_is_applied_to_the_next_search(service, fresh_store):
    """When the carer's consent ends, the carer's next search finds nothing."""
    import_items(fresh_store, [*people(), letter("d10", "Clinic letter", inline("xqmike"))])
    assert found(service, CARER, "xqmike") == {"d10"}
    ended = people()[2]
    ended["status"] = "inactive"
    import_items(fresh_store, [ended])
    assert found(service, CARER, "xqmike") == set()
    assert found(service, PATIENT, "xqmike") == {"d10"}


# (query, whether it finds the letter): every word of a query must be in the letter, as typed.
QUERIES = [
    ("\x00", False), ("xqnovember\x00", True), ("\x00xqnovember", True), ("xqnovember\x00letter", True),
    ("\x01\x02\x1b[31m", False), ('"', False), ('""', False), ("'", False), ('"xqnovember', True),
    ("NEAR(xqnovember letter)", False), ("xqnovember*", True), ("*", False), ("-xqnovember", True),
    ("xqnovember OR", False), ("AND", False), ("NOT xqnovember", False), ("(", False), (")", False),
    ("^xqnovember", True), ("{xqnovember}", True), ("body:xqnovember", False), ("\u202e", False),
    ("\ufffd", False), ("xqnovember " * 200, True), ("\ud800", False), ("xqnovember\ud800", True),
]


@pytest.mark.parametrize("query, finds", QUERIES)
def test_any_query_is_answered_without_a_database_error(service, fresh_store, query, finds):
    """Control characters, a NUL, quotes and FTS5 syntax in the search box give a plain answer
    (a list of letters), never a database error: punctuation separates words, and the marker
    word still finds its letter."""
    import_items(fresh_store, [*people(), letter("d11", "Clinic letter", inline("xqnovember letter"))])
    for name, viewer in VIEWERS.items():
        assert found(service, viewer, query) == ({"d11"} if finds else set()), (name, query)


def test_a_new_version_removes_the_old_rows_in_the_write_that_stores_it(service, fresh_store):
    """The search rows made from a letter's or a Binary's old text are gone as soon as the newer
    version is stored, before any record is opened again."""
    import_items(fresh_store, [*people(), letter("d12", None, inline("xqoscar")),
                               letter("d13", "Clinic letter", url("b13")), binary("b13", "xqpapa")])
    assert found(service, PATIENT, "xqoscar") == {"d12"} and found(service, PATIENT, "xqpapa") == {"d13"}
    import_items(fresh_store, [letter("d12", None, inline("xqquebec"), version="2"),
                               binary("b13", "xqromeo", version="2")])
    assert fresh_store.search_text("p1", "xqoscar") == fresh_store.search_text("p1", "xqpapa") == []


def test_a_search_index_of_the_earlier_layout_is_made_again(db_path):
    """A store whose letter index has the earlier layout (one row per letter, no digests) gets the
    new one, and its kept snapshots are dropped so that the next open fills it."""
    import sqlite3

    from ltc_dashboard.store import Store

    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE letter_text (type TEXT NOT NULL, id TEXT NOT NULL, patient_id TEXT, body TEXT,"
                     " PRIMARY KEY (type, id))")
        conn.execute("INSERT INTO letter_text VALUES ('DocumentReference', 'd14', 'p1', 'xqsierra')")
        conn.execute("CREATE TABLE derived (patient_id TEXT PRIMARY KEY, version TEXT NOT NULL,"
                     " data_version TEXT NOT NULL, blob BLOB NOT NULL, entries BLOB NOT NULL)")
        conn.execute("INSERT INTO derived VALUES ('p1', 'old', 'v0', x'00', x'00')")
    store = Store(db_path)
    columns = [row[1] for row in store.db.conn.execute("PRAGMA table_info(letter_text)")]
    assert columns == list(Store.LETTER_TEXT_COLUMNS)
    assert store.db.conn.execute("SELECT count(*) FROM derived").fetchone()[0] == 0
    assert store.search_text("p1", "xqsierra") == []
    import_items(store, [*people(), letter("d14", None, inline("xqsierra"))])
    assert found(Service(store), PATIENT, "xqsierra") == {"d14"}
    store.close()
