"""What the app accepts as an uploaded record file: its size and kind, checked before any of it is
read, and whose record each entry in it may be written into (`scope_problem`).

The upload page calls `check_upload(name, size)` with what the browser reports and shows the
message of the `UploadRefused` it may raise (`st.error(str(exc))`). Only the size and the kind of
file are judged here; what is inside is the importer's business (`ingest.import_paths`), which
rejects bad items one by one. Messages never repeat the file's name: a name can hold a person's
name, and messages may be logged.
"""

from __future__ import annotations

from ltc_dashboard.record.lookup_types import PERMISSION_TYPES, REFERENCED_ONLY

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # 200 MB: a whole GP record is rarely over 50 MB
SUFFIXES = (".json", ".ndjson", ".xml", ".json.gz", ".ndjson.gz", ".xml.gz")


class UploadRefused(ValueError):
    """An uploaded file is not accepted; the message says why and what to do, in plain words."""


class UploadTooLarge(UploadRefused):
    """The file is bigger than MAX_UPLOAD_BYTES."""


class UploadEmpty(UploadRefused):
    """The file has nothing in it."""


class UploadWrongKind(UploadRefused):
    """The file's name does not end as a FHIR JSON or XML file does."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"


def check_upload(name: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> None:
    """Raise an `UploadRefused` subclass if a file of this name and size cannot be imported."""
    if size <= 0:
        raise UploadEmpty("The file is empty, so there is nothing to import. Choose the file again.")
    if size > limit:
        raise UploadTooLarge(
            f"The file is {_megabytes(size)}; the largest file that can be uploaded is {_megabytes(limit)}. "
            "Export the record in parts (for example one file per year or per kind of entry), or "
            "import it on this computer with `ltc import`, which has no such limit."
        )
    if not (name or "").lower().endswith(SUFFIXES):
        raise UploadWrongKind(
            "Only FHIR R4 files can be imported: .json, .ndjson or .xml, or any of those "
            "compressed as .gz. Check the export settings of the system the record came from."
        )


# -- whose record an upload may write (issue 13, item 10) ----------------------------------------
# An upload in the app writes only into the record of the person it is for. `ltc import` (a tool
# for whoever runs the store) still imports many people's records at once.
# Resources that belong to no patient, which other records may point at: those the record reads
# through references (ltc_dashboard/record/lookup_types.py), and a few more an export may carry.
SHARED_TYPES = REFERENCED_ONLY | {"Substance", "Device", "HealthcareService", "Endpoint"}
ACCESS_TYPES = frozenset(PERMISSION_TYPES)  # who may see a record, and from when

NOT_YOURS = "This entry is about someone else, so it was not imported: only entries about you can be imported here."
NOT_YOUR_DETAILS = "These are someone else's personal details, so they were not imported."
NO_OWNER = "This entry does not say whose record it belongs to, so it was not imported."
ACCESS = ("Carers and sharing permissions cannot be changed by uploading a file, so this entry was not "
          "imported. The practice sets them up; whoever runs this app can import them with `ltc import`.")
TAKEN = "An entry with the same id is already held here, so this one was not imported."
SHARED = ("This entry (a medicine, clinician, practice or place) can be shared by records, and an upload "
          "cannot change one already here, so the copy already here was kept.")
NAMED_ELSEWHERE = ("This entry (a medicine, clinician, practice or place) could be shown in records other than "
                   "yours, so an upload cannot add it. It was not imported; the practice can add it.")


def scope_problem(resource: dict, patient_id: str | None, placement, digest: str | None, owner: str | None,
                  named_elsewhere: bool = True) -> str | None:
    """Why an upload for `patient_id` must not write `resource`, or None when it may.

    placement: where a stored copy of it is filed (`Store.placement`: None, or (patient id, None) or
    (None, digest of a shared copy)); digest: `store.copy_digest(resource)` when a shared copy is
    stored; owner: `fhir_read.patient_of(resource)`; named_elsewhere: whether a stored entry outside
    `patient_id`'s record points at its id (`Store.named_outside`; asked only of a new shared
    resource, and taken as yes when not given: fail closed)."""
    rtype = resource.get("resourceType")
    if rtype in ACCESS_TYPES:
        return ACCESS
    if rtype == "Patient":
        return None if resource.get("id") == patient_id else NOT_YOUR_DETAILS
    if owner is not None and owner != patient_id:
        return NOT_YOURS
    if owner is None and rtype not in SHARED_TYPES:
        return NO_OWNER
    if placement is None:
        return NAMED_ELSEWHERE if owner is None and named_elsewhere else None
    stored_owner, stored_digest = placement
    if rtype == "Binary" and owner is None and stored_owner == patient_id:
        return None  # the contents of one of your own letters (filed under the letter's patient)
    if stored_owner != owner:
        return TAKEN
    if owner is None and stored_digest != digest:
        return SHARED
    return None
