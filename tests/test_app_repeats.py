"""The Repeat prescriptions page (issue 21): repeats with their last issue as checkboxes, "Order"
asks first, and without a connected server the order is prepared as a message to copy or download
and kept with its status; a carer without the right to order gets no checkboxes; the shared screen
is offered no ordering. Inputs: the demo store (tests/test_app_support.py)."""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, texts,
)

METFORMIN = "Metformin 500mg modified-release tablets (last issued on 19 November 2026)"


def page(patient=DIABETES, viewer="patient"):
    at = go(open_app(patient, viewer), "repeats")
    no_errors(at)
    return at


def test_repeats_are_listed_as_checkboxes_with_their_last_issue(demo_db):
    """The diabetes record's three repeats are offered, each labelled with its last issue date."""
    at = page()
    assert [c.label.replace("\\", "") for c in at.checkbox] == [  # Markdown escapes removed
        "Atorvastatin 20mg tablets (last issued on 22 October 2026)",
        "Gliclazide 80mg tablets (last issued on 5 October 2026)",
        METFORMIN,
    ]


def test_order_asks_first_then_prepares_a_message_and_keeps_the_order(demo_db):
    """Order with nothing chosen says what to do; with metformin chosen it asks first, then prepares
    the message (shown and downloadable) and lists the order as not yet issued."""
    at = page()
    at.button(key="rp-order").click().run()
    assert at.error and "Choose at least one medicine" in at.error[0].value
    at.checkbox(key="rp-pick-dm-med-metformin").check().run()
    at.button(key="rp-order").click().run()
    assert "prepared as a message" in at.warning[0].value
    assert not any("Yes" in b.label and "send" in b.label for b in at.button)  # no server: nothing claims to send
    at.button(key="rp-yes").click().run()
    no_errors(at)
    assert "Prepared as a message" in at.success[0].value
    assert "Please issue the following repeat medicines:" in at.code[0].value
    assert any("Prepared as a message on 25 November; not yet issued" in m.value for m in at.markdown)
    assert not at.checkbox(key="rp-pick-dm-med-metformin").value


def test_a_carer_without_the_right_sees_no_checkboxes(demo_db):
    """The daughter's consent allows no action: the repeats are listed, nothing can be ordered."""
    at = page(DEMENTIA, DAUGHTER)
    assert list(at.checkbox) == [] and "rp-order" not in [b.key for b in at.button]
    assert "This view cannot order repeat prescriptions" in at.info[0].value
    assert "Donepezil 10mg tablets" in texts(at)



# The shared screen's and an ended carer's reload of the page's address ("repeat-prescriptions"):
# tests/test_attack_nav_access.py OUTSIDE shows "This page is not part of this view".
