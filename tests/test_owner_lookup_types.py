"""Which types are looked up and which need lookups: one owner (ltc_dashboard/record/lookup_types.py, issue 19).
The mapping, uploads and the snapshot (ltc_dashboard/gate/snapshot/) import it; tied here, so no copy comes back."""

from __future__ import annotations

from pathlib import Path

from connectors.files import FileConnector
from ltc_dashboard.gate.snapshot import build, layout
from ltc_dashboard.intake import uploads
from ltc_dashboard.record import lookup_types as owner, mapping
from ltc_dashboard.record.mapping_common import Index

# The Synthea samples as tests/conftest.py names them; not imported from it, because under the
# whole suite the module named `conftest` may be tests/browser's.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "synthea-r4"


def test_the_snapshot_files_agree_with_the_owner():
    """The snapshot's (ltc_dashboard/gate/snapshot/build.py, layout.py) and ltc_dashboard/record/mapping.py's sets are the owner's."""
    assert build.NEEDS_LOOKUPS is owner.NEEDS_LOOKUPS
    assert layout.SHARED_TYPES is owner.SHARED_TYPES and layout.PERMISSION_TYPES is owner.PERMISSION_TYPES
    assert build.LOOKUP_TYPES is owner.LOOKUP_TYPES and mapping.LOOKUP_TYPES is owner.LOOKUP_TYPES
    assert build.REFERENCED_ONLY is owner.REFERENCED_ONLY and mapping.REFERENCED_ONLY is owner.REFERENCED_ONLY


def test_the_owner_s_sets_follow_from_one_another():
    """What is read only through references is the shared types and a Binary; what is looked up is
    those but a place, and the people; uploads' shared and access types include them."""
    assert owner.REFERENCED_ONLY == owner.SHARED_TYPES | {"Binary"}
    assert set(owner.LOOKUP_TYPES) == (owner.REFERENCED_ONLY - {"Location"}) | {"RelatedPerson", "Patient"}
    assert not owner.NEEDS_LOOKUPS & owner.REFERENCED_ONLY
    assert owner.REFERENCED_ONLY <= uploads.SHARED_TYPES and set(owner.PERMISSION_TYPES) == uploads.ACCESS_TYPES


class _Asking(Index):
    """An index that notes that it was asked (which types' mapping reads lookups)."""

    def __init__(self, resources):
        super().__init__(resources)
        self.asked: set[str] = set()

    def lookup(self, key):
        self.asked.add(key)
        return super().lookup(key)


def _types_that_ask(resources: list[dict]) -> tuple[set[str], set[str]]:
    """(the types whose mapping asked the index, the types that were asked for)."""
    asking, asked_for = set(), set()
    rec = mapping.RecordMapping([])
    rec.index = _Asking([r for r in resources if r.get("resourceType") in owner.LOOKUP_TYPES])
    for resource in resources:
        rec.index.asked = set()
        rec.map_one(resource)
        if rec.index.asked:
            asking.add(resource["resourceType"])
            asked_for |= {key.split("/", 1)[0] for key in rec.index.asked}
    return asking, asked_for


# Hand-made for this test from the R4 pages: one of each type the app maps, each pointing at a
# Medication, a clinician, an organisation and a Binary wherever R4 lets it.
_POINTING = {"requester": {"reference": "Practitioner/d"}, "performer": [{"reference": "Practitioner/d"}],
             "recorder": {"reference": "Practitioner/d"}, "author": [{"reference": "Practitioner/d"}],
             "custodian": {"reference": "Organization/o"}, "subject": {"reference": "Patient/p"}}
HAND_MADE = [
    {"resourceType": "MedicationRequest", "id": "mr", "status": "active", "intent": "order",
     "medicationReference": {"reference": "Medication/m"}, **_POINTING},
    {"resourceType": "MedicationStatement", "id": "ms", "status": "active",
     "medicationReference": {"reference": "Medication/m"}, **_POINTING},
    {"resourceType": "DocumentReference", "id": "dr", "status": "current",
     "content": [{"attachment": {"url": "Binary/b", "contentType": "text/plain"}}], **_POINTING},
    {"resourceType": "Observation", "id": "ob", "status": "final", "code": {"text": "x"}, **_POINTING},
    {"resourceType": "Condition", "id": "co", "code": {"text": "x"}, **_POINTING},
    {"resourceType": "Immunization", "id": "im", "status": "completed", "vaccineCode": {"text": "x"}, **_POINTING},
    {"resourceType": "CarePlan", "id": "cp", "status": "active", "intent": "plan", **_POINTING},
    {"resourceType": "Encounter", "id": "en", "status": "finished", **_POINTING},
    {"resourceType": "Medication", "id": "m", "code": {"text": "Metformin 500mg tablets"}},
    {"resourceType": "Practitioner", "id": "d", "name": [{"text": "Dr D"}]},
    {"resourceType": "Organization", "id": "o", "name": "Surgery"},
    {"resourceType": "Binary", "id": "b", "contentType": "text/plain", "data": "aGVsbG8="},
]


def test_only_the_types_that_need_lookups_read_them():
    """Mapping each type with references everywhere: only NEEDS_LOOKUPS types ask the index (else
    the snapshot would map them before their lookups were read), and they ask only LOOKUP_TYPES."""
    asking, asked_for = _types_that_ask(HAND_MADE)
    assert asking == owner.NEEDS_LOOKUPS
    assert asked_for <= set(owner.LOOKUP_TYPES)


def test_real_records_ask_for_lookups_only_from_those_types():
    """The same in the Synthea sample records (tests/conftest.py SAMPLES, third-party, unchanged),
    read by the file connector (which turns their urn:uuid references into `Type/id`)."""
    resources = [item for path in sorted(SAMPLES.glob("*.json")) for item in FileConnector([path]).read()
                 if isinstance(item, dict)]
    assert len({r["resourceType"] for r in resources}) > 10
    asking, asked_for = _types_that_ask(resources)
    # (Synthea names clinicians by conditional references and codes medicines inline, so few ask)
    assert asking <= owner.NEEDS_LOOKUPS
    assert asked_for <= set(owner.LOOKUP_TYPES)
