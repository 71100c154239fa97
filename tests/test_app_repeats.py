"""The Repeat prescriptions page (issue 21): repeats with their last issue as checkboxes, "Order"
asks first, and without a connected server the order is prepared as a message to copy or download
and kept with its status; a carer without the right to order gets no checkboxes; the shared screen
is offered no ordering; over a kept connection an order reads as sent only when the server took it.
Inputs: the demo store (tests/test_app_support.py) and a loopback FHIR server written here."""

from __future__ import annotations

import pytest

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, texts,
)
from tests.servers.loopback import Loopback, Reply, outcome

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


# -- sending over the record's kept connection (a loopback FHIR server) -------------------------
TAKES_TASKS = {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [
    {"type": "Task", "interaction": [{"code": "read"}, {"code": "create"}]}]}]}


def practice_server(post_status: int):
    """A FHIR server on 127.0.0.1 whose CapabilityStatement lists Task create and which answers
    every POST with `post_status` (201 with the new Task, or a refusal as an OperationOutcome)."""
    def answer(request):
        if request.method == "GET" and request.path.startswith("/fhir/metadata"):
            return Reply.json(TAKES_TASKS)
        if request.method == "POST" and request.path.startswith("/fhir/Task"):
            return Reply.json({"resourceType": "Task", "id": "task-1"}, 201) if post_status == 201 \
                else outcome(post_status, "refused")
        return outcome(404, "not here")
    return Loopback(answer)


def keep_connection(db, base: str) -> None:
    """The person's kept SMART connection to `base`, granted Task create (as a sign-in would keep it)."""
    from ltc_dashboard.intake import sync
    from connectors import smart
    from ltc_dashboard.store import Store

    store = Store(db)
    config = smart.SmartConfig(base, f"{base}/authorize", f"{base}/token", "kept")
    sync.keep_connection(store, smart.Tokens(config, "ltc-dashboard", "token-1", refresh_token="refresh-1",
                                             scope="launch/patient patient/*.rs patient/Task.c", patient=DIABETES),
                         DIABETES)
    store.close()


@pytest.mark.parametrize("post_status", [201, 405])
def test_an_order_over_the_kept_connection_shows_sent_only_when_the_server_took_it(demo_db, post_status):
    """With a kept connection the confirmation names the server; a 201 reads "ordered … sent" and
    "Ordered on 25 November; not yet issued"; a 405 reads as an error that nothing was ordered,
    and the order is listed "Not sent on 25 November", never as ordered."""
    with practice_server(post_status) as server:
        base = f"{server.root}/fhir"
        keep_connection(demo_db, base)
        at = page()
        at.checkbox(key="rp-pick-dm-med-gliclazide").check().run()
        at.button(key="rp-order").click().run()
        assert base in at.warning[0].value.replace("\\", "")
        at.button(key="rp-yes").click().run()
        assert not at.exception
        orders = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**Gliclazide")]
        if post_status == 201:
            assert "sent to the practice's server" in at.success[0].value and not at.error
            assert orders == ["**Gliclazide 80mg tablets**: Ordered on 25 November; not yet issued."]
        else:
            assert "Nothing was ordered" in at.error[0].value and not at.success
            assert orders == ["**Gliclazide 80mg tablets**: Not sent on 25 November: the server refused to take it."]
            assert "Ordered on" not in " ".join(orders)
