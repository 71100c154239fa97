"""The person's preferences: every key, its allowed values and its default, in one table (issue 19).

The settings page and the overview save them, the service reads them for the summary and the gate
(`eol_show_prognosis` reveals prognosis words), the condition views read two, the store refuses a
key or value not in this table, and the exports write and restore them; all name a key through the
constants here, and tests/test_owner_preferences.py checks that no other file spells one out.

Top-level and importing nothing of the project (like `fhir_read` and `textsafe`), because the
store, the condition views, the exports, the service and the pages all read it and the import
rules let no one of those packages import another that way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

EOL_PROMPTS = "eol_prompts"
EOL_SHOW_PROGNOSIS = "eol_show_prognosis"
LAST_VISIT = "last_visit"
SHARED_SCREEN_OWN = "shared_screen_own"
VIEWS_CHOSEN = "views_chosen"
SHARED_SCREEN_READINGS = "shared_screen_readings"
READING_CSV_COLUMNS = "reading_csv_columns"

_VIEW_IDS = re.compile(r"(?:[a-z][a-z0-9_]{0,63}(?:,[a-z][a-z0-9_]{0,63})*)?")


class PreferenceInvalid(ValueError):
    """A preference key the app does not have, or a value it cannot take."""


@dataclass(frozen=True)
class Preference:
    """One preference: its key, what it means, the values it takes and what holds when unset."""

    key: str
    meaning: str
    kind: str  # "choice" (one of `values`), "date" (ISO yyyy-mm-dd), "views" (view ids, "id,id") or "columns"
    values: tuple[str, ...] = ()
    default: str | None = None
    per_carer: bool = False  # kept per viewer: the patient's under `key`, each carer's under `key:RelatedPerson/id`


TABLE = {p.key: p for p in (
    Preference(EOL_PROMPTS, "planning-ahead prompts, opt-in only (clinical-reference §3.3)", "choice",
               ("yes", "no"), "no"),
    Preference(EOL_SHOW_PROGNOSIS, "prognosis and resuscitation entries shown (clinical-reference §3.4)", "choice",
               ("yes", "no"), "no"),
    Preference(LAST_VISIT, "the date of the last appointment (letters new since then)", "date"),
    Preference(SHARED_SCREEN_OWN, "own questions, goals and notes on the shared screen", "choice", ("yes", "no"), "no"),
    Preference(VIEWS_CHOSEN, "the condition views chosen to show (issue 16)", "views", per_carer=True),
    Preference(SHARED_SCREEN_READINGS, "home readings on the shared screen (issue 20)", "choice",
               ("show", "hide"), "show"),
    Preference(READING_CSV_COLUMNS, "a readings file's columns as the person chose them (issue 20): JSON, role to header",
               "columns"),
)}
# The keys saved for the patient and carried in an export of their own content.
PREFERENCE_KEYS = tuple(TABLE)


def entry(key: str) -> Preference:
    """The table's entry for a stored key (`views_chosen:RelatedPerson/x` is `views_chosen`'s)."""
    base, _, holder = key.partition(":")
    found = TABLE.get(base)
    if found is None or (holder and not found.per_carer):
        raise PreferenceInvalid(f"There is no setting called {key!r}.")
    return found


def check(key: str, value: str) -> None:
    """Raise PreferenceInvalid, in plain words, unless `value` is one `key` can take."""
    found = entry(key)
    if not isinstance(value, str):
        raise PreferenceInvalid(f"The setting {found.key} must be text.")
    if found.kind == "choice" and value not in found.values:
        raise PreferenceInvalid(f"The setting {found.key} can be {' or '.join(found.values)}, not {value!r}.")
    if found.kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise PreferenceInvalid(f"The setting {found.key} must be a date like 2026-03-05, not {value!r}.") from None
    if found.kind == "columns" and not _columns(value):
        raise PreferenceInvalid(f"The setting {found.key} must name, for each reading, the column of the file it is in.")
    if found.kind == "views" and not _VIEW_IDS.fullmatch(value):
        raise PreferenceInvalid(f"The setting {found.key} must list view names separated by commas.")


def _columns(value: str) -> bool:
    """A kept column choice: a JSON object of short role names to column headers, nothing else."""
    try:
        found = json.loads(value)
    except ValueError:
        return False
    return (isinstance(found, dict) and len(value) <= 4000 and all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 40 and len(v) <= 200 for k, v in found.items()))


def value(preferences: dict | None, key: str) -> str | None:
    """A preference's saved value, else its default."""
    saved = (preferences or {}).get(key)
    return saved if saved is not None else entry(key).default
