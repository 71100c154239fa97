"""The server's remembered sign-ins (pages/sessions.py), which let a reload keep a person signed
in: a token restores exactly what was held, and nothing once forgotten or idle too long; plus the
rule that every heading is drawn without a "link to heading" tab stop (issue 18)."""

from __future__ import annotations

import ast
from pathlib import Path

from ltc_dashboard.gate.access import Viewer
from pages.sessions import IDLE_LIMIT, Held, SignIns

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """A hand-moved clock (seconds), so idle limits are tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def carer() -> Held:
    return Held(role={"kind": "carer", "name": "Susan Specimen", "links": [("dem-rp-daughter", "dem-patient")]},
                viewer=Viewer(kind="proxy", patient_id="dem-patient", proxy_id="dem-rp-daughter"), home=None)


def test_a_token_restores_exactly_the_viewer_it_was_given():
    """A carer's token brings back the same RelatedPerson's view, not the patient's."""
    sign_ins = SignIns(clock=Clock())
    token = sign_ins.start(carer())
    held = sign_ins.restore(token)
    assert held == carer()
    assert held.viewer.kind == "proxy" and held.viewer.proxy_id == "dem-rp-daughter"


def test_the_shared_screen_comes_back_as_the_shared_screen():
    """After the patient turns the shared screen on, the token restores the clinic viewer with the patient's own view held behind it."""
    sign_ins = SignIns(clock=Clock())
    own = Viewer(kind="patient", patient_id="dm-patient")
    token = sign_ins.start(Held(role={"kind": "patient"}, viewer=own, home=None))
    shared = Viewer(kind="clinic", patient_id="dm-patient")
    assert sign_ins.update(token, Held(role={"kind": "patient"}, viewer=shared, home=own))
    held = sign_ins.restore(token)
    assert held.viewer == shared and held.home == own


def test_forgotten_unknown_and_empty_tokens_restore_nothing():
    """Sign out or quick exit forgets the token; a made-up or missing token never restores anyone."""
    sign_ins = SignIns(clock=Clock())
    token = sign_ins.start(carer())
    sign_ins.forget(token)
    assert sign_ins.restore(token) is None
    assert sign_ins.restore("not-a-token") is None
    assert sign_ins.restore("") is None and sign_ins.restore(None) is None
    assert not sign_ins.update(token, carer())  # a forgotten token cannot be brought back by an update
    assert sign_ins.restore(token) is None


def test_a_sign_in_left_idle_too_long_is_forgotten_and_use_keeps_it():
    """A token unused for longer than the idle limit restores nothing; each use restarts the limit."""
    clock = Clock()
    sign_ins = SignIns(clock=clock)
    token = sign_ins.start(carer())
    clock.now += IDLE_LIMIT - 1
    assert sign_ins.touch(token)
    clock.now += IDLE_LIMIT - 1
    assert sign_ins.restore(token) == carer()
    clock.now += IDLE_LIMIT + 1
    assert sign_ins.restore(token) is None
    assert not sign_ins.touch(token)
    assert len(sign_ins) == 0


def test_a_sign_in_that_expires_idle_is_handed_over_once_with_every_view_it_opened():
    """A closed tab's sign-in goes idle; the next sign-in on the server notices it expired and hands
    it to `on_expire` exactly once, with every viewer the session opened (the server then forgets
    them, hazard H24). Signing out (forget) is not an expiry: the page forgets the views itself."""
    clock = Clock()
    sign_ins = SignIns(clock=clock)
    ended: list[Held] = []
    sign_ins.on_expire = ended.append
    first = Viewer(kind="proxy", patient_id="dem-patient", proxy_id="dem-rp-daughter")
    second = Viewer(kind="proxy", patient_id="dem2-patient", proxy_id="dem2-rp-susan")
    switched = Held(role=carer().role, viewer=second, home=None, kept=frozenset({first, second}))
    token = sign_ins.start(carer())
    assert sign_ins.update(token, switched)
    left = sign_ins.start(carer())
    sign_ins.forget(left)
    clock.now += IDLE_LIMIT - 1
    sign_ins.start(carer())
    assert ended == []
    clock.now += 2
    sign_ins.start(carer())
    assert ended == [switched] and ended[0].kept == {first, second}
    assert sign_ins.restore(token) is None
    sign_ins.start(carer())
    assert ended == [switched]


def test_tokens_are_long_random_and_distinct():
    """Each sign-in gets its own unguessable token (32 random bytes)."""
    sign_ins = SignIns(clock=Clock())
    tokens = {sign_ins.start(carer()) for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 43 for t in tokens)


def test_every_heading_is_drawn_without_an_anchor_link():
    """Each st.title, st.header and st.subheader call in app.py and pages/ passes anchor=False, so no heading adds a tab stop."""
    missing = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("title", "header", "subheader")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "st"):
                anchor = next((k.value for k in node.keywords if k.arg == "anchor"), None)
                if not (isinstance(anchor, ast.Constant) and anchor.value is False):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, missing
