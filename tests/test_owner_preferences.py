"""Preference keys have one owner (ltc_dashboard/preference_keys.py, issue 19): every key used anywhere is in its
table, no other file of the app spells a key out, and the store refuses what the table does not
allow, in plain words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ltc_dashboard import preference_keys as prefs
from ltc_dashboard.store import InvalidWrite
from test_architecture import ROOT, project_files, python_files

_CALLS = {"preference": 1, "set_preference": 1}  # method -> the position of the key argument


def _keys_used(path: Path) -> set[str]:
    """String keys passed to preference()/set_preference(), read with .get()/[...] from a mapping
    named like preferences, or written as such a mapping's literal keys, in one file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in _CALLS and len(node.args) > _CALLS[name] and isinstance(node.args[_CALLS[name]], ast.Constant):
                found.add(node.args[_CALLS[name]].value)
            if name == "get" and _named_like_preferences(node.func.value) and node.args \
                    and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and _named_like_preferences(node.value) \
                and isinstance(node.slice, ast.Constant):
            found.add(node.slice.value)
        elif isinstance(node, ast.keyword) and node.arg == "preferences" and isinstance(node.value, ast.Dict):
            found |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return {k for k in found if isinstance(k, str)}


def _named_like_preferences(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return "pref" in text.lower()


def test_the_key_finder_finds_keys():
    """The scan is not vacuous: the tests use several keys literally, and it finds them."""
    used = set().union(*(_keys_used(p) for p in python_files("tests")))
    assert {"eol_show_prognosis", "shared_screen_readings", "last_visit"} <= used


def test_every_key_used_anywhere_is_in_the_table():
    """No file of the app or its tests reads or saves a preference the table does not have."""
    used = {}
    for path in project_files() + python_files("tests"):
        for key in _keys_used(path):
            used.setdefault(key, str(path.relative_to(ROOT)))
    unknown = {key: where for key, where in used.items() if key.partition(":")[0] not in prefs.TABLE}
    assert not unknown


def test_no_other_app_file_spells_a_key_out():
    """Each key is written once, in ltc_dashboard/preference_keys.py; the app names it through its constant."""
    spelled = {}
    for path in project_files():
        if path.name == "preference_keys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and node.value in prefs.TABLE:
                spelled.setdefault(str(path.relative_to(ROOT)), set()).add(node.value)
    assert not spelled


@pytest.mark.parametrize("key", prefs.PREFERENCE_KEYS)
def test_every_key_has_a_kind_a_meaning_and_a_lawful_default(key):
    """A choice has values and its default is one of them; the others have no default."""
    entry = prefs.TABLE[key]
    assert entry.meaning and entry.kind in ("choice", "date", "views", "columns")
    if entry.kind == "choice":
        assert entry.values and entry.default in entry.values
        prefs.check(key, entry.default)
    else:
        assert entry.default is None
    assert prefs.value({}, key) == entry.default


@pytest.mark.parametrize("key, value, words", [
    ("eol_prompt", "yes", "There is no setting called 'eol_prompt'."),
    ("eol_prompts", "true", "The setting eol_prompts can be yes or no, not 'true'."),
    ("shared_screen_readings", "yes", "The setting shared_screen_readings can be show or hide, not 'yes'."),
    ("last_visit", "12/10/2026", "The setting last_visit must be a date like 2026-03-05, not '12/10/2026'."),
    ("views_chosen", "diabetes;dementia", "The setting views_chosen must list view names separated by commas."),
    ("reading_csv_columns", "[\"Date\"]", "The setting reading_csv_columns must name, for each reading, the column of the file it is in."),
    ("last_visit:RelatedPerson/rp1", "2026-10-12", "There is no setting called 'last_visit:RelatedPerson/rp1'."),
])
def test_the_store_refuses_what_the_table_does_not_allow_in_plain_words(fresh_store, key, value, words):
    """A key not in the table, or a value its key cannot take, is refused with a specific error and
    nothing is saved."""
    with pytest.raises(InvalidWrite) as refused:
        fresh_store.set_preference("p1", key, value)
    assert str(refused.value) == words
    assert fresh_store.preference("p1", key) is None


def test_the_store_keeps_what_the_table_allows(fresh_store):
    """Lawful values, a carer's own views key among them, are saved and read back."""
    for key, value in [("eol_prompts", "yes"), ("last_visit", "2026-10-12"), ("views_chosen", "diabetes,dementia"),
                       ("views_chosen:RelatedPerson/rp1", "dementia"), ("views_chosen", ""),
                       ("shared_screen_readings", "hide")]:
        fresh_store.set_preference("p1", key, value)
        assert fresh_store.preference("p1", key) == value


def test_a_restored_export_keeps_lawful_preferences_and_says_which_it_refused(fresh_store):
    """Restoring exported own content writes what the table allows and lists, in plain words, a
    value it does not (an export edited by hand), without losing the others."""
    from ltc_dashboard.exports.own_content import preferences_resource
    from ltc_dashboard.exports.restore import restore

    # Built by the app's own exporter (ltc_dashboard/exports/own_content.py), then edited: one value no longer lawful.
    exported = preferences_resource({"eol_prompts": "yes", "shared_screen_readings": "maybe"}, "p1")
    result = restore(fresh_store, [exported])
    assert fresh_store.preference("p1", "eol_prompts") == "yes"
    assert fresh_store.preference("p1", "shared_screen_readings") is None
    assert [r.reason for r in result.rejected] == [
        "The setting shared_screen_readings can be show or hide, not 'maybe'."]
