"""Everything one viewer may see, as a FHIR R4 Bundle of type `collection`.

The clinical resources are the `VisibleRecord`'s, exactly as stored; after them come the person's
own questions, comments, goals, progress notes, preferences, home readings and repeat orders that the viewer may
see, in the representation of `ltc_dashboard/exports/own_content.py` and `ltc_dashboard/exports/reading_fhir.py`. `ltc import` of the file into a fresh store gives the
same summary for the same viewer and day.
"""

from __future__ import annotations

import uuid

from ltc_dashboard.exports.own_content import OWN_SYSTEM, OwnContent, to_fhir
from ltc_dashboard.exports.reading_fhir import reading_resource
from ltc_dashboard.exports.repeat_order import own_task
from ltc_dashboard.textsafe import json_text


def full_url(resource: dict) -> str:
    """A stable `urn:uuid:` for an entry, from its `Type/id` (as the demo bundles do)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{resource.get('resourceType')}/{resource.get('id')}"))


def fhir_bundle(visible, own: OwnContent, comment_resource) -> dict:
    """The Bundle for this visible record and own content (comments made by `comment_resource`)."""
    patient_id = visible.viewer.patient_id
    # A proxy with no current permission gets only what they wrote themselves: the Patient
    # resource (address, phone, identifiers) is more than the app shows them, which is the name.
    clinical = visible.resources if visible.permitted else ()
    resources = [*clinical, *to_fhir(own, patient_id, comment_resource),
                 *(reading_resource(r, patient_id) for r in own.readings),
                 *(own_task(patient_id, row, f"own-order-{row['id']}") for row in own.orders)]
    return {
        "resourceType": "Bundle",
        "id": f"ltc-export-{visible.today.isoformat()}",
        "meta": {"tag": [{"system": OWN_SYSTEM, "code": "export",
                          "display": f"Exported for the {visible.viewer.kind} view"}]},
        "type": "collection",
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources],
    }


def bundle_bytes(bundle: dict) -> bytes:
    """The Bundle as UTF-8 JSON, indented for people who open it; bidi and zero-width characters
    are written as \\u escapes (the same data, but an editor showing it cannot be fooled)."""
    return (json_text(bundle, indent=2) + "\n").encode("utf-8")
