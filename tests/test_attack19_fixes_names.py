"""Outside attack on issue 19's fix that names people through fhir_read.person_name (commit
fd3aeb3: service/connect.py's people of an uploaded file and of a server sign-in), split from
tests/test_attack19_fixes.py (helper-66, against commit de17d8f).

Where the inputs come from: hand-made Patient names in R4's HumanName shape and shapes a server
might send instead (a lone object where R4 has a list, text where it has a list). The invisible
names are U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE and U+2066 LEFT-TO-RIGHT
ISOLATE, which textsafe.plain removes.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ltc_dashboard import textsafe
from ltc_dashboard.service import connect


# == 3. people named by fhir_read.person_name ===================================================
ODD_NAMES = [
    None, "", "Ann Test", 7, {}, [], [None, 3, "x"], {"text": "Lone Dict"}, [{"given": "Ann"}],
    [{"given": [None, 5, ["Ann"]], "family": {"x": 1}}], [{"text": ["Ann"]}], [{"use": ["official"], "text": "X"}],
    [{"text": "A" * 1_000_000}], [{"given": ["B"] * 100_000, "family": "C"}],
    [{"text": "Ann\x00\x07\x1b[31mTest\u202e gnp.exe"}],
    [{"text": "\u2066Eve\u2069 [click](https://evil.example) ![x](https://evil.example/p.png)"}],
    [{"use": "old", "text": "Old Name"}, {"use": "official", "given": ["New"], "family": "Name"}],
]


@pytest.mark.parametrize("names", ODD_NAMES, ids=lambda n: repr(n)[:30])
def test_a_files_patient_is_named_without_crash_and_shown_safe(names):
    """Tried: Patient.name as nothing, text, a number, a lone object, lists of odd things, a
    megabyte of text, 100 000 given names, control characters, ANSI escapes, bidi overrides and
    isolates, Markdown links and images. _person never raises, keeps at most 200 characters, and
    a code span (pages/text.py `code_span`) and the import page's Markdown line
    (pages/import_file.py:137) carry no control or bidi character, no link and no image. Held."""
    from pages.text import code_span, md_line

    person = connect._person({"resourceType": "Patient", "id": "p9", "name": names, "birthDate": "1950-02-03"})
    assert isinstance(person.name, str) and 0 < len(person.name) <= 200
    for shown in (code_span(person.name), md_line(person.name)):
        assert shown == textsafe.plain(shown)
        assert "](" not in shown.replace("\\]", "").replace("\\(", "") or shown.startswith("`")


class _Http:
    """A stand-in for the sign-in's HTTP (sync.SmartHttp): fhir_read answers what it is given."""

    def __init__(self, answer):
        self.answer = answer

    def fhir_read(self, base, reference, token):
        return self.answer


@pytest.mark.parametrize("answer", [None, [], "Patient", 3, {"name": "Ann"}, {"name": [{"text": 3}]},
                                    {"resourceType": "Patient"}, {"name": {"text": "Lone"}},
                                    {"name": [{"text": "\u202eAnn"}]}],
                         ids=repr)
def test_a_sign_in_servers_odd_patient_names_no_one_without_crash(answer):
    """Tried: a server answering Patient/{id} with no object, a list, text, a number, a name of
    the wrong type, a lone name object, a bidi override (connectors/smart.py:154 already turns a
    non-object body into {}; this checks _name on its own). _name answers text and never raises.
    Held."""
    tokens = SimpleNamespace(config=SimpleNamespace(fhir_base="http://127.0.0.1:1/fhir"), access_token="t")
    acting = SimpleNamespace(patient_id="p1")
    name = connect._name(acting, tokens, _Http(answer))
    assert isinstance(name, str)


@pytest.mark.parametrize("names", [
    [{"text": "\u202e\u200b"}],
    [{"use": "official", "text": "\u2066\u200b", "given": ["Ann"], "family": "Test"}],
], ids=["only invisible", "official text invisible, given and family real"])
def test_a_name_of_only_invisible_characters_is_not_shown_as_a_blank_name(names):
    """BROKE (fixed: fhir_read.name_line reads a part with nothing visible as absent). Tried:
    a file's Patient whose name text is only bidi and zero-width characters
    (U+202E, U+2066, U+200B: not White_Space, so str.strip() keeps them), once alone and once
    beside the person's real given and family names. The import page asks "This file is about
    NAME, born DATE. Is this you?" (pages/import_file.py:137 `md_line`): textsafe.plain removes
    them, so it asks about an empty name, not "a person the file does not name", and in the
    second case hides the real name "Ann Test" that the code before fd3aeb3 showed (it read given
    and family first). The same text reaches the sign-in's record list (pages/connect.py:142,
    where `md_line(name) if name else ...` tests the raw name, so the radio option is blank).

    Cause: ltc_dashboard/fhir_read.py:222 `name_line` takes a text that is non-empty after strip()
    but empty once made plain, and ltc_dashboard/service/connect.py:172-174 `_person` /
    :164 `_name` test emptiness before textsafe.plain. Fix: in name_line treat a text (and each
    given/family part) as absent when textsafe.plain(text).strip() is empty, and fall through to
    given and family; in _person and _name make the name plain before choosing the fallback."""
    person = connect._person({"resourceType": "Patient", "id": "p9", "name": names})
    shown = textsafe.plain(person.name).strip()
    assert shown, "the file's person is shown with a blank name"
    if any(n.get("given") for n in names):
        assert shown == "Ann Test"
