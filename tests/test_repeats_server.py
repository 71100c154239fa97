"""Ordering a repeat against a real FHIR server (sekmet-fhir on 127.0.0.1, loaded with the demo
records by tests/servers/sekmet.py): the order arrives as a Task focused on the repeat, an issue
synced later marks it issued, and every refusal is said in plain words and never kept as sent:
the server refuses writes (405, 403 from the fault proxy in tests/servers/loopback.py), does not
list Task create, does not accept the sign-in (401), the kept sign-in has no write scope (the
SMART double, tests/servers/smart_double.py), and the network fails (a port nothing listens on).
`ltc order-repeat` prints what happened and exits non-zero on refusal."""

from __future__ import annotations

import json

import pytest

from ltc_dashboard.cli.main import main
from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from tests.servers import sekmet as sk
from tests.servers.fixtures import proxy, server  # noqa: F401  (fixtures)
from tests.servers.loopback import Reply, status
from test_exports_support import DEMO, today, viewer
from test_repeats import ORDERED, issue

pytestmark = pytest.mark.server
ME = viewer("dm-patient")


@pytest.fixture
def svc(tmp_path):
    """A store holding the diabetes demo record, as sekmet holds it."""
    store = Store(tmp_path / "r.db")
    import_paths(store, [DEMO / "diabetes.json"])
    yield Service(store)
    store.close()


def ours(service) -> list:
    """The orders sent (or tried) to a server: the demo record keeps one prepared as a message."""
    return [o for o in service.repeat_orders(viewer("dm-patient"), today()) if o.how == "server"]


def posts(proxy) -> list:
    return [r for r in proxy.requests if r.method == "POST"]


def test_an_order_arrives_as_a_task_focused_on_the_repeat(server, svc):
    """Sent with the server's token: the server holds a Task (intent order, code fulfill, focus the
    authorisation, for the patient, requester the patient, the order's identifier); the order is
    kept as sent with the server's id and shown "Ordered on 20 November; not yet issued"."""
    outcome = svc.send_order(ME, today(), "dm-med-metformin", server.base, server.token, now=ORDERED)
    assert outcome.sent and outcome.server_id and outcome.refusal is None
    task = server.read("Task", outcome.server_id)
    try:
        assert (task["intent"], task["status"], task["code"]["coding"][0]["code"]) == ("order", "requested", "fulfill")
        assert task["focus"]["reference"] == "MedicationRequest/dm-med-metformin"
        assert task["for"]["reference"] == task["requester"]["reference"] == "Patient/dm-patient"
        [order] = ours(svc)
        row = svc._store.repeat_orders("dm-patient")[0]
        assert task["identifier"][0]["value"] == row["identifier"]
        assert (order.stored_status, order.server_id) == ("sent", outcome.server_id)
        assert order.words(today()) == "Ordered on 20 November; not yet issued"
    finally:
        server.delete("Task", outcome.server_id)


def test_an_issue_synced_later_marks_the_order_issued(server, svc):
    """The practice issues the repeat on the server after the order; the next sync brings the issue
    and the order reads "Issued on 23 November"; the sync did not change the kept order."""
    svc.send_order(ME, today(), "dm-med-metformin", server.base, server.token, now=ORDERED)
    server.put(issue("dm-med-metformin-srv-2026-11-23", "2026-11-23"))
    try:
        kept = svc._store.repeat_orders("dm-patient")
        sync.sync_patient(svc._store, server.base, "dm-patient", server.token)
        [order] = ours(svc)
        assert order.words(today()) == "Issued on 23 November (ordered on 20 November)"
        assert svc._store.repeat_orders("dm-patient") == kept
    finally:
        server.delete("MedicationRequest", "dm-med-metformin-srv-2026-11-23")
        server.delete("Task", kept[0]["server_id"])


@pytest.mark.parametrize("code", [405, 403])
def test_a_server_refusing_writes_is_said_and_kept_as_not_sent(proxy, svc, code):
    """The server answers the POST with 405 or 403: the order is not sent, the words say so and
    offer the message; the kept order says "Not sent", and the summary says "not sent"."""
    proxy.on(lambda r: r.method == "POST", status(code))
    outcome = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN, now=ORDERED)
    assert not outcome.sent and outcome.refusal == "writes refused" and "Nothing was ordered" in outcome.words
    [order] = ours(svc)
    assert order.status == "not sent" and order.words(today()).startswith("Not sent on 20 November")
    assert svc.summary(ME, today()).repeat_orders[0].status == "not sent"


def test_a_server_not_listing_task_create_gets_no_post(proxy, svc):
    """A CapabilityStatement without `create` for Task: refused before anything is sent; nothing kept."""
    def without_create(p, request):
        reply = p.forward(request)
        statement = json.loads(reply.body)
        for rest in statement["rest"]:
            for resource in rest["resource"]:
                if resource["type"] == "Task":
                    resource["interaction"] = [i for i in resource["interaction"] if i["code"] != "create"]
        return Reply.json(statement)

    proxy.on("/metadata", without_create)
    outcome = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN)
    assert not outcome.sent and outcome.refusal == "writes refused"
    assert posts(proxy) == [] and ours(svc) == []


def test_a_token_the_server_refuses_asks_to_sign_in_again(proxy, svc):
    """A 401 to the POST: not sent, "sign in again"."""
    proxy.on(lambda r: r.method == "POST", status(401))
    outcome = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, "stale-token")
    assert not outcome.sent and outcome.refusal == "sign in again"
    assert [o.stored_status for o in ours(svc)] == ["refused"]


def test_a_network_failure_sends_nothing_and_says_so(svc):
    """No server listening: "could not be reached", nothing kept, nothing shown as ordered."""
    outcome = svc.send_order(ME, today(), "dm-med-metformin", f"http://127.0.0.1:{sk.free_port()}/fhir", "t")
    assert not outcome.sent and outcome.refusal == "unreachable" and "could not be reached" in outcome.words
    assert ours(svc) == []


def test_a_kept_sign_in_without_write_scope_sends_nothing(tmp_path):
    """Signed in through the SMART double, which grants the read scopes the app asks for: the kept
    connection cannot create a Task, so the order is refused before the server is asked."""
    from test_smart_connection import connected

    from test_app_connect import DIABETES, RecordDouble, demo_record
    from tests.servers.smart_double import SignedInUser

    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), [f"access-{n}" for n in range(1, 4)]) as double:
        service, tokens = connected(double, tmp_path / "c.db")
        assert "write" not in tokens.scope and ".c" not in tokens.scope
        asked = len(double.requests)
        outcome = service.send_order(viewer(DIABETES), today(), "dm-med-metformin", double.fhir_base)
        assert not outcome.sent and outcome.refusal == "no write scope"
        assert "read the record only" in outcome.words
        assert len(double.requests) == asked and ours(service) == []
        service._store.close()


def test_a_repeat_no_longer_current_is_refused_before_the_server(proxy, svc):
    """A stopped authorisation: refused in plain words before any request to the server."""
    plan = next(r for r in sk.resources_in(DEMO / "diabetes.json") if r["id"] == "dm-med-metformin")
    svc._store.put([{**plan, "meta": {"versionId": "2"}, "status": "stopped"}])
    from ltc_dashboard.service.repeats import OrderRefused

    with pytest.raises(OrderRefused, match="not a current repeat"):
        svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN)
    assert proxy.requests == []


# -- ltc order-repeat ---------------------------------------------------------------------------
def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sends_prepares_and_refuses(server, proxy, tmp_path, capsys):
    """`ltc order-repeat`: sent (exit 0, the Task id), prepared as a message without --server (exit 0,
    the message on stdout), refused by the server (exit 1, plain words), unknown medicine (exit 2)."""
    db = tmp_path / "cli.db"
    assert run(capsys, "import", DEMO / "diabetes.json", "--db", db)[0] == 0
    code, out, _ = run(capsys, "order-repeat", "--patient", "dm-patient", "--medication", "dm-med-gliclazide",
                       "--server", server.base, "--token", server.token, "--db", db)
    assert code == 0 and "Gliclazide 80mg tablets: ordered on" in out and "(Task/" in out
    server.delete("Task", out.rsplit("(Task/", 1)[1].rstrip(")\n"))
    code, out, err = run(capsys, "order-repeat", "--patient", "dm-patient", "--medication", "dm-med-metformin",
                         "--db", db)
    assert code == 0 and out.startswith("Repeat prescription request") and "Prepared as a message" in err
    proxy.on(lambda r: r.method == "POST", status(405), times=-1)
    code, out, err = run(capsys, "order-repeat", "--patient", "dm-patient", "--medication", "dm-med-atorvastatin",
                         "--server", proxy.base, "--token", sk.TOKEN, "--db", db)
    assert code == 1 and out == "" and "ltc: not sent. The server did not accept the order" in err
    code, _, err = run(capsys, "order-repeat", "--patient", "dm-patient", "--medication", "nope", "--db", db)
    assert code == 2 and "not a current repeat" in err
    code, out, _ = run(capsys, "summary", "--patient", "dm-patient", "--format", "json", "--db", db)
    statuses = sorted(o["status"] for o in json.loads(out)["repeat_orders"])
    assert statuses == ["not sent", "ordered", "prepared", "prepared"]  # and the demo record's own


def test_a_server_listing_task_create_is_asked_for_it_and_then_its_capability_decides(tmp_path):
    """A sign-in server that lists `patient/Task.c` is asked for it (and no other write scope); the
    kept connection passes the scope check, and the server's CapabilityStatement, which lists no
    Task create, refuses the order before anything is posted."""
    from connectors import smart
    from test_app_connect import DIABETES, RecordDouble, demo_record
    from test_smart_connection import connected
    from tests.servers.smart_double import SignedInUser

    listed = ["launch/patient", "openid", "fhirUser", "offline_access", "patient/*.rs", "patient/Task.c",
              "patient/*.cruds"]
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), [f"access-{n}" for n in range(1, 4)]) as double:
        double.scopes_supported = listed
        double.capabilities = [*double.capabilities, "permission-v2"]
        service, tokens = connected(double, tmp_path / "w.db")
        assert "patient/Task.c" in tokens.scope.split() and "patient/*.cruds" not in tokens.scope.split()
        outcome = service.send_order(viewer(DIABETES), today(), "dm-med-metformin", double.fhir_base)
        assert not outcome.sent and outcome.refusal == "writes refused"
        assert [r for r in double.requests if r.method == "POST" and "/fhir/" in r.path] == []
        service._store.close()
    config = smart.SmartConfig("https://fhir.example/r4", "https://auth.example/authorize", "https://auth.example/token",
                               "smart-configuration", ("permission-v2",), ("patient/*.rs",))
    assert "Task" not in smart.choose_scope(config)  # not listed: never asked
