"""The Connect page's settings and kept connection (issue 17): plain help on what a FHIR server and
a SMART sign-in are, client id and return address fields (environment variables as defaults), a
kept connection to sync again or forget, and a way to Connect or Import from an empty overview."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from ltc_dashboard.store import Store
from test_app_connect import (  # noqa: F401  (fixtures)
    APP, CLIENT, DIABETES, REDIRECT, TIMEOUT, RecordDouble, answer_in_a_new_tab, begin_smart_sign_in, connect_form,
    demo_record, empty_db, smart_env,
)
from test_app_support import demo_db, demo_db_template, no_errors, open_app, texts  # noqa: F401  (fixtures)
from tests.servers.smart_double import SignedInUser


def connect_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page("pages/connect.py").run()


def test_the_page_explains_a_fhir_server_and_a_smart_sign_in(empty_db, smart_env):
    """The help says in plain words what a FHIR server and a SMART sign-in are and where to find them."""
    at = connect_page()
    shown = texts(at)
    assert "A FHIR server" in shown and "A SMART sign-in" in shown
    assert "without ever seeing your password" in shown and "Where to find them" in shown


def test_the_settings_default_to_the_environment(empty_db, smart_env):
    """The client id and return address fields start from LTC_SMART_CLIENT_ID and LTC_SMART_REDIRECT_URI."""
    at = connect_page()
    assert at.text_input(key="connect_client_id").value == CLIENT
    assert at.text_input(key="connect_redirect").value == REDIRECT


def test_typed_settings_are_used_for_the_sign_in(empty_db, monkeypatch):
    """With no environment variables, the client id and return address typed on the page are sent to
    the sign-in server, which accepts them and answers at that address."""
    monkeypatch.delenv("LTC_SMART_CLIENT_ID", raising=False)
    monkeypatch.delenv("LTC_SMART_REDIRECT_URI", raising=False)
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["typed-access-1"]) as double:
        at = connect_page()
        at.text_input(key="connect_client_id").input(CLIENT)
        at.text_input(key="connect_redirect").input(REDIRECT)
        answer = begin_smart_sign_in(at, double)
        url = at.link_button(key="connect_smart_open").proto.url

    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert (query["client_id"], query["redirect_uri"]) == (CLIENT, REDIRECT)
    assert "code" in answer and "error" not in answer


def test_a_return_address_that_is_not_a_web_address_is_refused_in_plain_words(empty_db, smart_env):
    """A return address that is not http(s) stops the sign-in before it starts, and says why."""
    at = connect_page()
    connect_form(at, "https://fhir.example.org/r4")
    at.text_input(key="connect_redirect").input("javascript:alert(1)")
    at.button(key="connect_smart").click().run()
    assert "return address not usable" in at.error[0].value


def test_a_kept_connection_syncs_again_and_can_be_forgotten(empty_db, smart_env):
    """After a SMART sign-in the page shows the kept connection; Sync now syncs with no new sign-in,
    and Forget this connection removes its tokens from the store."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["kept-access-1", "kept-access-2"]) as double:
        first = connect_page()
        at = answer_in_a_new_tab(begin_smart_sign_in(first, double))
        no_errors(at)
        assert Store(empty_db).connection(double.fhir_base, DIABETES) is not None
        assert "Your connection" in [h.value for h in at.subheader]
        searches = len(double.requests)
        at.button(key="connect_kept_sync_0").click().run()
        no_errors(at)

        assert len(double.requests) > searches
        assert [f["grant_type"] for f in double.token_requests] == ["authorization_code"]
        at.button(key="connect_kept_forget_0").click().run()

    no_errors(at)
    assert Store(empty_db).connection(double.fhir_base, DIABETES) is None
    assert "Your connection" not in [h.value for h in at.subheader]
    assert "kept-access-1" not in texts(at)


def test_an_empty_record_offers_connect_and_import_from_the_overview(empty_db, smart_env):
    """A person whose record holds nothing but their details finds Connect and Import on the overview."""
    store = Store(empty_db)
    store.put([{"resourceType": "Patient", "id": "only-me", "name": [{"given": ["Sam"], "family": "Example"}]}])
    store.close()
    at = open_app("only-me")
    at.switch_page("pages/overview.py").run()
    no_errors(at)
    links = {link.proto.page: link.proto.label for link in at.get("page_link")}
    assert links["connect-record"] == "Connect your GP record"
    assert links["import-a-file"] == "Import a file of your record"


def test_a_record_with_entries_does_not_offer_them_on_the_overview(demo_db):
    """The links are for an empty record only: the demo diabetes record's overview does not show them."""
    at = open_app(DIABETES)
    at.switch_page("pages/overview.py").run()
    assert "connect-record" not in [link.proto.page for link in at.get("page_link")]


def test_a_store_with_no_record_leads_to_connect_from_the_sign_in_page(empty_db):
    """A first run on a store that holds no record yet (the empty store of test_app_connect.py): the
    sign-in page says so and links to Connect a record, instead of only naming a command."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    no_errors(at)
    assert any("no records in this store yet" in w.value for w in at.warning)
    links = {link.proto.page: link.proto.label for link in at.get("page_link")}
    assert links.get("connect-record") == "Connect your GP record"
