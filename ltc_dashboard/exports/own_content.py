"""What the person wrote (own questions, comments on entries, own goals, progress notes and the
preferences that shape their summary) as FHIR R4 resources, and back.

The representation, chosen so a FHIR reader understands it and `ltc import` restores it exactly:

* every such resource carries the tag `OWN_SYSTEM|own-content` in `meta.tag`: that tag is how
  `ltc_dashboard/intake/ingest.py` knows to write it into the personal tables instead of the resources table;
* a question is a `Communication` with category `OWN_SYSTEM|question` and the question as
  `payload.contentString`; a comment or "this looks wrong" mark is a `Communication` with category
  `comment` or `looks-wrong` whose `about` references the entry as `Type/id/_history/version`
  (see `ltc_dashboard/exports/feedback.py`); a progress note is a `Communication` with category
  `goal-progress` about the goal, `sent` the day of the note;
* an own goal is a `Goal` with `description.text`; preferences are one `Basic` with code
  `preferences`;
* a home reading is an `Observation` (ltc_dashboard/exports/reading_fhir.py, issue 20);
* one complex extension (`OWN_EXTENSION`) keeps what FHIR has no element for: the local row id,
  author, status, list position, source, rule id and timestamps.

Which rows a viewer may see and take away is the gate's rule (ltc_dashboard/gate/own_content.py,
issue 19), applied here for the pages, the summary, the sheet and every export alike (issue 13
item 8): a carer only what that carer wrote, the patient and the shared screen nothing a carer
wrote; comments and progress notes only when the entry they are about is visible; on the shared
screen no comments at all, and the person's questions, goals and notes only when they chose to
show them there (`SHARED_SCREEN_PREFERENCE`, off unless set); a kept suggestion only while every
entry it was built from is visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ltc_dashboard import fhir_read
from ltc_dashboard import preference_keys
from ltc_dashboard.gate import own_content as gate
from ltc_dashboard.gate.own_content import sources_of  # noqa: F401  (restore reads it here)

OWN_SYSTEM = "https://ltc-dashboard.example/CodeSystem/own-content"
OWN_EXTENSION = "https://ltc-dashboard.example/StructureDefinition/own-content"
TAG = {"system": OWN_SYSTEM, "code": "own-content", "display": "Written by the person in the dashboard"}

QUESTION_STATUS = {"open": "preparation", "asked": "completed", "dismissed": "not-done"}
COMMENT_STATUS = {"draft": "preparation", "sent": "completed", "answered": "completed"}
CATEGORY_WORDS = {
    "question": "Question for the appointment",
    "looks-wrong": "This looks wrong",
    "comment": "Comment on the record",
    "goal-progress": "Progress on a goal",
}
# The preference keys' one owner is ltc_dashboard/preference_keys.py (issue 19); these names are kept for readers here.
SHARED_SCREEN_PREFERENCE = preference_keys.SHARED_SCREEN_OWN  # "yes": own questions, goals, notes on the shared screen
VIEWS_PREFERENCE = preference_keys.VIEWS_CHOSEN  # the condition views the patient chose to show, "id,id" (issue 16)
READINGS_HIDDEN_PREFERENCE = preference_keys.SHARED_SCREEN_READINGS  # "hide": no home readings on the shared screen (issue 20)
CSV_COLUMNS_PREFERENCE = preference_keys.READING_CSV_COLUMNS  # a readings file's columns as the person chose them, JSON (issue 20)


def views_preference_key(viewer) -> str | None:
    """Where a viewer's chosen condition views are kept (issue 16): the patient's under
    `views_chosen` (exported with their own content), each carer's under its own key, so that
    neither's choice shows a view to the other (a patient's choice could hint at a diagnosis the
    carer may not see); the shared clinic screen has none and shows views by the record only."""
    if viewer.kind == "patient":
        return VIEWS_PREFERENCE
    if viewer.kind == "proxy" and viewer.proxy_id:
        return f"{VIEWS_PREFERENCE}:{viewer.proxy_id}"
    return None

# extension sub-url -> (row column, FHIR value type)
_FIELDS = {
    "id": ("id", "valueInteger"),
    "author": ("author", "valueString"),
    "status": ("status", "valueCode"),
    "position": ("position", "valueInteger"),
    "source": ("source", "valueCode"),
    "rule": ("rule_id", "valueString"),
    "kind": ("kind", "valueCode"),
    "created": ("created", "valueDateTime"),
    "updated": ("updated", "valueDateTime"),
    "on-date": ("on_date", "valueDate"),
    "sources": ("sources", "valueString"),  # a kept suggestion's entry keys, as a JSON list
}


@dataclass(frozen=True)
class OwnContent:
    """The rows of the person's own tables one viewer may see and export."""

    questions: list[dict] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)
    readings: list = field(default_factory=list)  # home readings (record.readings.Reading), issue 20
    orders: list[dict] = field(default_factory=list)  # repeat order rows (ltc_dashboard/service/repeats.py), issue 21


def mine(viewer, rows: list[dict]) -> list[dict]:
    """Rows this viewer may see by who wrote them (the gate's rule, ltc_dashboard/gate/own_content.py)."""
    return gate.by_author(viewer, gate.COMMENTS, rows)


def for_viewer(visible, questions, comments, goals, progress, preferences) -> OwnContent:
    """The own content a viewer may see, given the store's rows for their patient (every kind
    by the gate's rule, ltc_dashboard/gate/own_content.py)."""
    choices = gate.screen_choices(preferences)
    own_goals = gate.own_rows(visible, gate.GOALS, goals, choices)
    return OwnContent(
        questions=gate.own_rows(visible, gate.QUESTIONS, questions, choices),
        comments=gate.own_rows(visible, gate.COMMENTS, comments, choices),
        goals=own_goals,
        progress=gate.own_rows(visible, gate.PROGRESS, progress, choices, goals=own_goals),
        preferences=dict(preferences) if visible.viewer.kind == "patient" else {},
    )


# -- to FHIR ----------------------------------------------------------------------------------
def extension(row: dict, *names: str) -> dict:
    """The own-content extension holding the named row fields that are set."""
    parts = []
    for name in names:
        column, value_type = _FIELDS[name]
        value = row.get(column)
        if value is not None and value != "":
            parts.append({"url": name, value_type: value})
    return {"url": OWN_EXTENSION, "extension": parts}


def category(code: str) -> list[dict]:
    return [{"coding": [{"system": OWN_SYSTEM, "code": code, "display": CATEGORY_WORDS[code]}],
             "text": CATEGORY_WORDS[code]}]


def sender(author: str, patient_id: str) -> dict | None:
    """Who wrote it, as a reference: the patient, or the carer's RelatedPerson."""
    if author.startswith("proxy:RelatedPerson/"):
        return {"reference": author.split(":", 1)[1]}
    if author == "patient":
        return {"reference": f"Patient/{patient_id}"}
    return None


def _communication(rid: str, code: str, status: str, patient_id: str, text: str, author: str) -> dict:
    resource = {"resourceType": "Communication", "id": rid, "meta": {"tag": [TAG]}, "status": status,
                "category": category(code), "subject": {"reference": f"Patient/{patient_id}"}}
    who = sender(author, patient_id)
    if who:
        resource["sender"] = who
    resource["payload"] = [{"contentString": text}]
    return resource


def question_resource(row: dict, patient_id: str) -> dict:
    """A question on the person's list as a Communication."""
    resource = _communication(f"own-question-{row['id']}", "question", QUESTION_STATUS.get(row["status"], "unknown"),
                              patient_id, row["text"], row["author"])
    resource["extension"] = [
        extension(row, "id", "author", "status", "position", "source", "rule", "sources", "created", "updated")
    ]
    return resource


def goal_resource(row: dict, patient_id: str) -> dict:
    """A goal of the person's own as a Goal."""
    return {
        "resourceType": "Goal", "id": f"own-goal-{row['id']}", "meta": {"tag": [TAG]},
        "extension": [extension(row, "id", "author", "status", "created")],
        "lifecycleStatus": "active" if row.get("status") == "active" else "cancelled",
        "description": {"text": row["text"]}, "subject": {"reference": f"Patient/{patient_id}"},
    }


def progress_resource(row: dict, patient_id: str) -> dict:
    """A dated progress note as a Communication about its goal."""
    ref = row["goal_ref"]
    about = f"Goal/own-goal-{ref.split('/', 1)[1]}" if ref.startswith("own/") else ref
    resource = _communication(f"own-progress-{row['id']}", "goal-progress", "completed", patient_id,
                              row["note"], row["author"])
    resource["about"] = [{"reference": about}]
    resource["sent"] = row["on_date"]
    resource["extension"] = [extension(row, "id", "author", "on-date", "created")]
    return resource


def preferences_resource(preferences: dict[str, str], patient_id: str) -> dict:
    """The person's saved preferences as one Basic resource."""
    return {
        "resourceType": "Basic", "id": "own-preferences", "meta": {"tag": [TAG]},
        "extension": [{"url": OWN_EXTENSION, "extension": [{"url": "key", "valueString": k},
                                                            {"url": "value", "valueString": v}]}
                      for k, v in sorted(preferences.items())],
        "code": {"coding": [{"system": OWN_SYSTEM, "code": "preferences", "display": "Dashboard preferences"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def to_fhir(content: OwnContent, patient_id: str, comment_resource) -> list[dict]:
    """Every row of `content` as FHIR resources (comments through `comment_resource(row)`)."""
    resources = [goal_resource(g, patient_id) for g in content.goals]
    resources += [question_resource(q, patient_id) for q in content.questions]
    resources += [comment_resource(c) for c in content.comments]
    resources += [progress_resource(p, patient_id) for p in content.progress]
    if content.preferences:
        resources.append(preferences_resource(content.preferences, patient_id))
    return resources


# -- from FHIR --------------------------------------------------------------------------------
@dataclass(frozen=True)
class OwnItem:
    """One own-content resource read back: its kind, patient, resource id and row fields."""

    kind: str  # question, comment, goal, progress, preferences
    patient_id: str
    resource_id: str
    fields: dict


def is_own_content(resource: dict) -> bool:
    """Whether a resource carries the own-content tag (it belongs in the personal tables)."""
    meta = resource.get("meta")
    tags = meta.get("tag") if isinstance(meta, dict) else None
    return isinstance(tags, list) and any(
        isinstance(t, dict) and t.get("system") == OWN_SYSTEM and t.get("code") == "own-content" for t in tags
    )


def _ext_fields(resource: dict) -> dict:
    found = {}
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == OWN_EXTENSION:
            for part in ext.get("extension") or []:
                if isinstance(part, dict) and part.get("url") in _FIELDS:
                    column, vtype = _FIELDS[part["url"]]
                    found[column] = part.get(vtype)
    return found


def _codes(resource: dict) -> set[str]:
    concepts = list(resource.get("category") or []) + [resource.get("code") or {}]
    return {c.get("code") for concept in concepts if isinstance(concept, dict)
            for c in concept.get("coding") or [] if isinstance(c, dict) and c.get("system") == OWN_SYSTEM}


def _text(resource: dict) -> str | None:
    for payload in resource.get("payload") or []:
        if isinstance(payload, dict) and isinstance(payload.get("contentString"), str):
            return payload["contentString"]
    return None


def _about(resource: dict) -> str | None:
    for ref in resource.get("about") or []:
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return ref["reference"]
    return None


def from_fhir(resource: dict) -> OwnItem | None:
    """Read one own-content resource back into row fields, or None when it is not one we wrote."""
    patient_id = fhir_read.patient_id_in(fhir_read.reference(resource.get("subject")))
    if patient_id is None:
        return None
    rid, rtype = str(resource.get("id") or ""), resource.get("resourceType")
    fields, codes = _ext_fields(resource), _codes(resource)
    if rtype == "Goal":
        fields["text"] = (resource.get("description") or {}).get("text")
        return OwnItem("goal", patient_id, rid, fields)
    if rtype == "Basic" and "preferences" in codes:
        prefs = {}
        for ext in resource.get("extension") or []:
            parts = {p.get("url"): p.get("valueString")
                     for p in (ext or {}).get("extension") or [] if isinstance(p, dict)}
            if parts.get("key") in preference_keys.PREFERENCE_KEYS and isinstance(parts.get("value"), str):
                prefs[parts["key"]] = parts["value"]
        return OwnItem("preferences", patient_id, rid, prefs)
    if rtype != "Communication":
        return None
    fields["text"] = _text(resource)
    if "question" in codes:
        return OwnItem("question", patient_id, rid, fields)
    about = _about(resource)
    if "goal-progress" in codes and about:
        fields.update(note=fields.pop("text"), about=about, on_date=fields.get("on_date") or resource.get("sent"))
        return OwnItem("progress", patient_id, rid, fields)
    kind = "looks_wrong" if "looks-wrong" in codes else "comment" if "comment" in codes else None
    if kind and about:
        parts = about.split("/")
        fields.update(kind=kind, resource_type=parts[0], resource_id=parts[1] if len(parts) > 1 else "",
                      resource_version=parts[3] if len(parts) > 3 and parts[2] == "_history" else None)
        return OwnItem("comment", patient_id, rid, fields)
    return None
