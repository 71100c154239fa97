"""References in every form FHIR R4 allows, read from a stored resource: what the gate follows to
hide an entry that points at a hidden one (ltc_dashboard/gate/snapshot/facts.py `facts_of`, ltc_dashboard/gate/snapshot/build.py).
Split from the snapshot's facts (then record/projection.py, now gate/snapshot/facts.py), which had grown past the house's file size."""

from __future__ import annotations

import json
import re

# What `references` gives for a logical Reference (`identifier`, and no `reference`): the gate
# cannot tell what it names, so it stands for a reference that cannot be resolved
# (`normal_reference` reads it as None: the entry is withheld while anything is withheld).
LOGICAL = "?identifier"


def references(node, found: set[str]) -> None:
    """Collect every `reference` string anywhere in a resource, and LOGICAL for each Reference
    that names its target only by `identifier` (walked without recursion: FHIR bounds no depth)."""
    stack = [(node, True)]
    while stack:
        node, root = stack.pop()
        if isinstance(node, dict):
            reference = node.get("reference")
            if isinstance(reference, str):
                found.add(reference)
            elif (not root and "resourceType" not in node and isinstance(node.get("identifier"), dict)
                  and reference is None):
                found.add(LOGICAL)  # a resource's own identifiers are a list; a Reference's, one
            stack.extend((v, False) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, False) for v in node if isinstance(v, (dict, list)))


# A "reference" key and its string value, found in the stored JSON text without walking the
# decoded resource (six times faster). A quote inside a JSON string is always escaped, so a
# `"reference"` that follows `{` or `,` is a key; one that follows anything else is the end of a
# longer key or value (`"say \"reference":`), and sends the resource to the walk. A `"reference"`
# the pattern does not match (a value, a key whose value is not a string) is no reference to the
# walk either. The two are compared in tests/test_access_properties.py.
_REFERENCE_IN_TEXT = re.compile(r'"reference"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
# An object as an `identifier`'s value: perhaps a logical Reference, which sends the text to the walk.
_IDENTIFIER_OBJECT = re.compile(r'"identifier"\s*:\s*\{')


def references_in(text: str, resource: dict) -> set[str]:
    """The references a resource holds, read from its stored text (the walk when in doubt)."""
    found: set[str] = set()
    if _IDENTIFIER_OBJECT.search(text):
        references(resource, found)
        return found
    for match in _REFERENCE_IN_TEXT.finditer(text):
        before = match.start() - 1
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        if before < 0 or text[before] not in "{,":
            found = set()
            references(resource, found)
            return found
        value = match.group(1)
        found.add(json.loads(f'"{value}"') if "\\" in value else value)
    return found


# What `normal_reference` makes of a reference that names no other resource (`#id`, a contained
# resource, whose labels and codes are the container's own; `#`, the container itself), and the
# prefix of one that names an id of any type (`urn:uuid:`, `urn:oid:`).
LOCAL = "#"
ANY_TYPE = "*/"
_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_RELATIVE = re.compile(r"[A-Z][A-Za-z]{0,63}/[A-Za-z0-9\-.]{1,64}")  # the common form, as it is


def normal_reference(reference: str) -> str | None:
    """The stored `Type/id` a Reference.reference names, in every form R4 allows: relative
    (`Observation/1`), versioned (`Observation/1/_history/2`), absolute on any server
    (`https://host/fhir/Observation/1`, versioned too); `*/id` for `urn:uuid:id` and
    `urn:oid:id` (a Bundle's fullUrl: connectors/files.py rewrites those it can to `Type/id`, and
    gives an entry that had no id the uuid as its id); LOCAL for a contained `#id`. None when it
    cannot be read as any of them (a search URL, free text): the gate cannot tell what it names."""
    if _RELATIVE.fullmatch(reference):
        return reference
    reference = reference.strip()
    if reference.startswith("#"):
        return LOCAL
    lowered = reference.lower()
    if lowered.startswith(("urn:uuid:", "urn:oid:")):
        rid = reference.split(":", 2)[2]
        return ANY_TYPE + rid if _ID.fullmatch(rid) else None
    if "?" in reference or any(c.isspace() for c in reference):
        return None
    parts = [part for part in reference.split("/") if part]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and _TYPE.fullmatch(parts[-2]) and _ID.fullmatch(parts[-1]):
        return f"{parts[-2]}/{parts[-1]}"
    return None


def displayed_references(resource: dict) -> set[str]:
    """The targets (`normal_reference`) of the References in a resource that carry their own
    display text (`"display": "Dr A Jones"`): text of the target, written into the entry."""
    found: set[str] = set()
    stack: list = [resource]
    while stack:  # without recursion: a deeply nested resource cannot overflow it
        node = stack.pop()
        if isinstance(node, dict):
            reference, shown = node.get("reference"), node.get("display")
            if isinstance(reference, str) and isinstance(shown, str) and shown.strip():
                target = normal_reference(reference)
                if target:
                    found.add(target)
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return found


_CODING_KEYS = frozenset({"system", "code", "version", "userSelected"})


def person_as_shown(patient: dict, visible) -> dict:
    """The Patient resource as a viewer may see it: the person is never hidden (ltc_dashboard/gate/access.py),
    so what it holds of other entries is taken out instead. Its contained resources go (the gate
    does not judge them one by one), and so does the `display` of every Reference whose target
    `visible(Type/id)` does not pass (one that cannot be resolved, a logical one, a withheld
    clinician or organisation); with anything taken out, the narrative goes too, as it may repeat
    it. `patient` is changed in place and returned."""
    changed = patient.pop("contained", None) is not None
    stack: list = [patient]
    while stack:  # without recursion: a deeply nested resource cannot overflow it
        node = stack.pop()
        if isinstance(node, dict):
            if ("display" in node and not _CODING_KEYS & node.keys()
                    and ("reference" in node or "identifier" in node or "type" in node)):
                reference = node.get("reference")
                target = normal_reference(reference) if isinstance(reference, str) else None
                if target is None or target == LOCAL or target.startswith(ANY_TYPE) or not visible(target):
                    del node["display"]
                    changed = True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    if changed:
        patient.pop("text", None)
    return patient
