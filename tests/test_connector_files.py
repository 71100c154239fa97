"""Tests for connectors/files.py: what FileConnector yields, and what it rejects and why."""

from __future__ import annotations

import collections
import gzip
import json
from pathlib import Path

import pytest

from connectors.base import Connector, NotFound, Rejected
from connectors.files import FileConnector

FIXTURES = Path(__file__).parent / "fixtures" / "files"
SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "synthea-r4"
SYNTHEA_FILES = sorted(SYNTHEA.glob("*.json"))


def read(*paths: str | Path) -> tuple[list[dict], list[Rejected]]:
    """All resources and all rejections from the given paths, in the order yielded."""
    resources, rejected = [], []
    for item in FileConnector(paths).read():
        (rejected if isinstance(item, Rejected) else resources).append(item)
    return resources, rejected


def by_id(resources: list[dict]) -> dict[str, dict]:
    return {resource["id"]: resource for resource in resources}


def references(node: object) -> list[str]:
    """Every string under a `reference` key anywhere in `node`."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(references(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(references(item))
    return found


def test_file_connector_meets_the_protocol() -> None:
    """FileConnector satisfies the Connector protocol the rest of the program relies on."""
    assert isinstance(FileConnector([]), Connector)


@pytest.mark.skipif(not SYNTHEA_FILES, reason="shared Synthea samples not present")
@pytest.mark.parametrize("path", SYNTHEA_FILES, ids=lambda path: path.name.split("_")[0])
def test_synthea_bundle_reads_whole_with_references_rewritten(path: Path) -> None:
    """A Synthea transaction bundle reads with nothing rejected, counts per type kept and links resolved."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    expected = collections.Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])

    resources, rejected = read(path)

    assert rejected == []
    assert collections.Counter(resource["resourceType"] for resource in resources) == expected
    leftover = [ref for resource in resources for ref in references(resource) if ref.startswith("urn:uuid:")]
    assert leftover == []
    (patient,) = [resource for resource in resources if resource["resourceType"] == "Patient"]
    observations = [resource for resource in resources if resource["resourceType"] == "Observation"]
    assert observations
    assert {obs["subject"]["reference"] for obs in observations} == {f"Patient/{patient['id']}"}


def test_single_resource_file() -> None:
    """A file holding one resource yields that resource unchanged."""
    resources, rejected = read(FIXTURES / "single_observation.json")
    assert rejected == []
    assert resources == [json.loads((FIXTURES / "single_observation.json").read_text())]


def test_transaction_entry_without_id_takes_its_urn_uuid() -> None:
    """An entry with no id takes its urn:uuid fullUrl's UUID, and references to it become Type/id."""
    resources, _ = read(FIXTURES / "bundle_transaction.json")
    patient_id = "0d5a3f1e-1111-4c3b-9a5e-000000000001"
    found = by_id(resources)
    assert found[patient_id]["resourceType"] == "Patient"
    assert found["obs-weight"]["subject"] == {"reference": f"Patient/{patient_id}"}


def test_unresolvable_urn_uuid_reference_is_left_alone() -> None:
    """A urn:uuid reference to nothing in the bundle stays as it was."""
    resources, _ = read(FIXTURES / "bundle_transaction.json")
    performer = by_id(resources)["obs-weight"]["performer"]
    assert performer == [{"reference": "urn:uuid:0d5a3f1e-9999-4c3b-9a5e-00000000dead"}]


def test_transaction_delete_is_reported_and_read_requests_skipped() -> None:
    """A transaction DELETE is rejected with its entry number; a GET entry is skipped silently."""
    path = FIXTURES / "bundle_transaction.json"
    resources, rejected = read(path)
    assert len(resources) == 2
    assert rejected == [Rejected(str(path), "entry 3", "entry 3: DELETE requests are not applied from files")]


def test_collection_rewrites_absolute_urls_contained_and_extensions() -> None:
    """References equal to an absolute fullUrl, and those inside contained and extensions, are rewritten."""
    path = FIXTURES / "bundle_collection.json"
    resources, rejected = read(path)
    request = by_id(resources)["med-1"]
    assert request["subject"] == {"reference": "Patient/pat-2"}
    assert request["requester"] == {"reference": "Practitioner/gp-1"}
    assert request["extension"][0]["valueReference"] == {"reference": "Practitioner/gp-1"}
    assert request["contained"][0]["extension"][0]["valueReference"] == {"reference": "Practitioner/gp-1"}
    assert request["medicationReference"] == {"reference": "#metformin"}
    assert rejected == [Rejected(str(path), "entry 4", "entry 4: no id and no urn:uuid fullUrl")]


@pytest.mark.parametrize(
    ("entry", "position", "reason"),
    [
        (2, "entry 2", "not a FHIR resource (no resourceType)"),
        (3, "entry 3", "invalid value 'high' at valueQuantity.value"),
        (4, "entry 4", "impossible date '2023-02-30' at effectiveDateTime"),
        (5, "entry 5", "missing subject"),
        (6, "entry 6", "invalid id 'bad id!'"),
    ],
)
def test_bad_entry_is_reported_with_file_position_and_reason(entry: int, position: str, reason: str) -> None:
    """Each kind of bad entry is rejected with the file, its entry number and a specific reason."""
    path = FIXTURES / "bundle_bad_entries.json"
    _, rejected = read(path)
    assert Rejected(str(path), position, reason) in rejected


def test_valid_siblings_of_bad_entries_are_still_yielded() -> None:
    """Bad entries do not stop the good ones in the same bundle from being yielded."""
    resources, rejected = read(FIXTURES / "bundle_bad_entries.json")
    assert sorted(by_id(resources)) == ["obs-good", "pat-3"]
    assert len(rejected) == 5


def test_invalid_json_file() -> None:
    """A file that is not JSON is rejected with the line, column and json's own message."""
    path = FIXTURES / "invalid.json"
    assert read(path) == ([], [Rejected(str(path), "line 4", "invalid JSON at line 4 column 3: Expecting ',' delimiter")])


def test_invalid_utf8_file_names_the_byte(tmp_path: Path) -> None:
    """A file with bytes that are not UTF-8 is rejected with the offset of the first bad byte."""
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"resourceType": "Patient", "id": "p", "name": [{"text": "Ren\xe9e"}]}')
    offset = path.read_bytes().index(b"\xe9")
    assert read(path) == ([], [Rejected(str(path), f"byte {offset}", f"invalid UTF-8 at byte {offset}")])


def test_file_without_resource_type() -> None:
    """JSON that is neither a resource nor a bundle is rejected as not FHIR."""
    path = FIXTURES / "not_fhir.json"
    assert read(path) == ([], [Rejected(str(path), "file", "not a FHIR resource (no resourceType)")])


def test_operation_outcome_is_not_imported() -> None:
    """An OperationOutcome file is reported with its issue text rather than imported."""
    path = FIXTURES / "operation_outcome.json"
    resources, rejected = read(path)
    assert resources == []
    assert [item.position for item in rejected] == ["file"]
    assert "Resource Patient/does-not-exist is not known" in rejected[0].reason


def test_searchset_keeps_matches_and_reports_its_outcome() -> None:
    """A searchset yields its matches and includes, and its outcome entry becomes a Rejected."""
    path = FIXTURES / "bundle_searchset.json"
    resources, rejected = read(path)
    assert by_id(resources)["cond-1"]["subject"] == {"reference": "Patient/pat-5"}
    assert [(item.position, "Some results were left out" in item.reason) for item in rejected] == [("entry 3", True)]


def test_ndjson_with_bad_lines() -> None:
    """In NDJSON each bad line is its own Rejected, numbered by line, and good lines still come through."""
    path = FIXTURES / "observations.ndjson"
    resources, rejected = read(path)
    assert [resource["id"] for resource in resources] == ["bp-1", "bp-4"]
    assert [item.position for item in rejected] == ["line 3", "line 4"]
    assert rejected[0].reason.startswith("invalid JSON at line 3 column ")
    assert rejected[1].reason == "missing subject"


def test_ndjson_invalid_utf8_line(tmp_path: Path) -> None:
    """A line of NDJSON with a bad byte is rejected with that byte's offset in the file."""
    good = b'{"resourceType": "Patient", "id": "p1"}\n'
    bad = b'{"resourceType": "Patient", "id": "p2", "name": [{"text": "\xff"}]}\n'
    path = tmp_path / "patients.ndjson"
    path.write_bytes(good + bad + good.replace(b"p1", b"p3"))
    offset = len(good) + bad.index(b"\xff")
    resources, rejected = read(path)
    assert [resource["id"] for resource in resources] == ["p1", "p3"]
    assert rejected == [Rejected(str(path), "line 2", f"invalid UTF-8 at byte {offset}")]


def test_ndjson_content_in_a_json_file_is_read_by_line(tmp_path: Path) -> None:
    """A .json file holding several JSON lines is read as NDJSON."""
    path = tmp_path / "export.json"
    lines = [{"resourceType": "Patient", "id": f"p{number}"} for number in range(3)]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert read(path) == (lines, [])


def test_gzipped_files(tmp_path: Path) -> None:
    """.json.gz and .ndjson.gz files are read as their uncompressed selves."""
    single = tmp_path / "observation.json.gz"
    single.write_bytes(gzip.compress((FIXTURES / "single_observation.json").read_bytes()))
    lines = tmp_path / "observations.ndjson.gz"
    lines.write_bytes(gzip.compress((FIXTURES / "observations.ndjson").read_bytes()))
    resources, rejected = read(single, lines)
    assert [resource["id"] for resource in resources] == ["hba1c-1", "bp-1", "bp-4"]
    assert [item.position for item in rejected] == ["line 3", "line 4"]


def test_folder_reads_fhir_files_recursively_in_path_order() -> None:
    """A folder is read recursively in path order, each file's source kept, and every file it does
    not import (hidden, or neither JSON nor XML) is named with why: none is skipped silently."""
    folder = FIXTURES / "folder"
    resources, rejected = read(folder)
    assert [resource["id"] for resource in resources] == ["pat-7", "cond-7", "goal-7"]
    assert rejected == [
        Rejected(str(folder / ".hidden"), "file", "hidden folder, not read"),
        Rejected(str(folder / ".hidden_patient.json"), "file", "hidden file, not read"),
        Rejected(str(folder / "notes.txt"), "file", "neither FHIR JSON nor FHIR XML"),
        Rejected(str(folder / "sub" / "b_entries.ndjson"), "line 2", "impossible date '2011-13-04' at effectiveDateTime"),
    ]


def test_missing_path_raises_not_found() -> None:
    """A path that does not exist raises NotFound before anything is yielded."""
    connector = FileConnector([FIXTURES / "single_observation.json", FIXTURES / "no_such_file.json"])
    with pytest.raises(NotFound):
        next(iter(connector.read()))


def test_nested_bundle_is_expanded_in_its_own_scope() -> None:
    """A Bundle inside a Bundle entry is expanded, with its own urn:uuid references resolved."""
    path = FIXTURES / "bundle_nested.json"
    resources, rejected = read(path)
    assert [resource["resourceType"] for resource in resources] == ["Patient", "Composition", "Patient"]
    composition = resources[1]
    assert composition["id"] == "3e9d2c1b-3333-4a5b-8c6d-000000000003"
    assert composition["subject"] == {"reference": "Patient/pat-4"}
    assert rejected == [Rejected(str(path), "entry 2 > entry 3", "entry 3: no id and no urn:uuid fullUrl")]


BUNDLE_TYPES = [
    "collection", "transaction", "batch", "searchset", "document",
    "transaction-response", "batch-response", "history",
]


@pytest.mark.parametrize("bundle_type", BUNDLE_TYPES)
def test_each_bundle_type_is_read(tmp_path: Path, bundle_type: str) -> None:
    """Every Bundle type yields its entries' resources with urn:uuid links resolved."""
    patient_url = "urn:uuid:5b1d2e3f-4444-4a4a-9b9b-000000000001"
    bundle = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {
                "fullUrl": patient_url,
                "resource": {"resourceType": "Patient"},
                "request": {"method": "PUT", "url": "Patient/5b1d2e3f-4444-4a4a-9b9b-000000000001"},
                "response": {"status": "201 Created"},
            },
            {
                "resource": {"resourceType": "Flag", "id": "flag-1", "status": "active", "code": {"text": "Carer"}, "subject": {"reference": patient_url}},
                "request": {"method": "POST", "url": "Flag"},
                "response": {"status": "201 Created"},
            },
            {"response": {"status": "204 No Content"}},
        ],
    }
    path = tmp_path / f"{bundle_type}.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    resources, rejected = read(path)
    assert rejected == []
    assert [resource["resourceType"] for resource in resources] == ["Patient", "Flag"]
    assert resources[1]["subject"] == {"reference": "Patient/5b1d2e3f-4444-4a4a-9b9b-000000000001"}


def test_history_delete_is_skipped_but_batch_patch_is_reported(tmp_path: Path) -> None:
    """A DELETE recorded in a history is skipped silently; a PATCH request in a batch is reported."""
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"resourceType": "Bundle", "type": "history", "entry": [
        {"request": {"method": "DELETE", "url": "Observation/x"}, "response": {"status": "204"}}]}))
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Binary", "id": "patch-1"}, "request": {"method": "PATCH", "url": "Patient/1"}}]}))
    assert read(history) == ([], [])
    assert read(batch) == ([], [Rejected(str(batch), "entry 1", "entry 1: PATCH requests are not applied from files")])


def test_single_resource_without_id_is_rejected(tmp_path: Path) -> None:
    """A lone resource with no id cannot be stored by type and id, so it is rejected."""
    path = tmp_path / "patient.json"
    path.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    assert read(path) == ([], [Rejected(str(path), "file", "no id")])


def test_nan_is_not_json(tmp_path: Path) -> None:
    """NaN, which Python's json would accept, is rejected as invalid JSON."""
    path = tmp_path / "nan.json"
    path.write_text('{"resourceType": "Observation", "id": "o", "valueQuantity": {"value": NaN}}')
    assert read(path) == ([], [Rejected(str(path), "file", "invalid JSON: NaN is not a JSON number")])
