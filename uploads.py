"""What the app accepts as an uploaded record file, checked before any of it is read.

The upload page calls `check_upload(name, size)` with what the browser reports and shows the
message of the `UploadRefused` it may raise (`st.error(str(exc))`). Only the size and the kind of
file are judged here; what is inside is the importer's business (`ingest.import_paths`), which
rejects bad items one by one. Messages never repeat the file's name: a name can hold a person's
name, and messages may be logged.
"""

from __future__ import annotations

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
