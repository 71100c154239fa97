"""What the gate's rules read of one stored resource (its "facts"): security labels, flags
(entered in error, prognosis or resuscitation, unchecked), clinical day, references and a letter's
attachment URLs. They do not depend on who is looking, so they are derived once per resource
version and kept in the snapshot (ltc_dashboard/gate/snapshot/__init__.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ltc_dashboard.gate.policy import UNREADABLE_LABEL, is_eol_sensitive, labels_of
from ltc_dashboard.record.dates import earliest_clinical_date
from ltc_dashboard.fhir_read import entered_in_error  # the one owner (issue 19)
from ltc_dashboard.record.references import references_in

# -- gate facts ---------------------------------------------------------------------------------
ENTERED_IN_ERROR = 1
EOL_SENSITIVE = 2
# The gate could not classify the entry: its labels could not be read (UNREADABLE_LABEL), or
# deriving its facts or mapping it failed. It is withheld from every viewer and counted apart
# from what is hidden on purpose (ltc_dashboard/gate/access.py).
UNCHECKED = 4


DIGEST_SIZE = 8


def digest(text: str) -> bytes:
    """A fingerprint of a resource's stored text: the visible record refuses a later read of an
    entry whose text no longer has it (ltc_dashboard/gate/access.py, RecordChanged). Stable across processes,
    unlike hash(), so it can be kept in the snapshot."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_SIZE).digest()


def facts_of(resource: dict, text: str) -> tuple:
    """What the gate's rules read of one resource: (security labels, flags, clinical day as a day
    number or None, references, attachment URLs)."""
    flags = (ENTERED_IN_ERROR if entered_in_error(resource) else 0) | (
        EOL_SENSITIVE if is_eol_sensitive(resource, text) else 0)
    when = earliest_clinical_date(resource)
    urls = attachment_urls(resource) if resource.get("resourceType") == "DocumentReference" else ()
    return (tuple(sorted(labels_of(resource))), flags, when.day.toordinal() if when else None,
            tuple(sorted(references_in(text, resource))), tuple(sorted(urls)))


def shared_facts(resources: Iterable[dict]) -> dict[str, tuple]:
    """What the gate reads of the shared resources (medicines, clinicians) a record points at:
    `Type/id` -> (security labels, flags), for those that have any."""
    found = {}
    for resource in resources:
        labels = tuple(sorted(labels_of(resource)))
        flags = (ENTERED_IN_ERROR if entered_in_error(resource) else 0) | (
            EOL_SENSITIVE if is_eol_sensitive(resource) else 0)
        if labels or flags:
            found[f"{resource.get('resourceType')}/{resource.get('id')}"] = (labels, flags)
    return found


def unchecked_facts(resource: dict, text: str) -> tuple:
    """`facts_of` for a resource whose facts could not all be derived: what can still be read of
    it (its labels, so an entry hidden on purpose is not counted as unchecked; its day and
    references), with UNREADABLE_LABEL and the UNCHECKED flag."""
    labels, when, refs = {UNREADABLE_LABEL}, None, set()
    try:
        labels |= labels_of(resource)
    except Exception:  # noqa: BLE001  the stand-in alone is enough to withhold it
        pass
    try:
        when = earliest_clinical_date(resource)
    except Exception:  # noqa: BLE001  undated: outside any date window, so not counted there
        pass
    try:
        refs = references_in(text, resource)
    except Exception:  # noqa: BLE001  (RecursionError: a walk too deep)
        pass
    return (tuple(sorted(labels)), UNCHECKED, when.day.toordinal() if when else None, tuple(sorted(refs)), ())


def attachment_urls(document: dict) -> set[str]:
    """The attachment URLs of a letter (its Binary, or content held elsewhere)."""
    urls = set()
    contents = document.get("content")
    for content in contents if isinstance(contents, list) else []:
        attachment = content.get("attachment") if isinstance(content, dict) else None
        url = attachment.get("url") if isinstance(attachment, dict) else None
        if isinstance(url, str):
            urls.add(url)
    return urls
