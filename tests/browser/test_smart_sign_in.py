"""A SMART sign-in in Debian's chromium, end to end against real servers: the app (over an empty
store) asks for a FHIR server on its Connect page, sends the person to the OpenID Connect server
(oidc-provider, tests/servers/oidc.py) where they sign in and allow access, comes back with the
code, exchanges it, syncs the record from sekmet through the server's token gate, and shows it.
"""

from __future__ import annotations

import re

import pytest

from ltc_dashboard.store import Store
from test_app_support import DIABETES
from test_browser import VIEWPORT, WAIT_MS, wait_for_page
from tests.browser.conftest import served_app
from tests.servers import oidc
from tests.servers import sekmet as sk

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under CI, saying what is missing
    expect = None

pytestmark = pytest.mark.browser

TODAY = "2026-11-25"
RAJESH = oidc.User("rajesh", "correct horse battery", DIABETES, f"Patient/{DIABETES}")  # data/demo/diabetes.json


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory):
    """(app address, OIDC server, store path): the app over an empty store, and the OIDC server in
    front of the session's sekmet with the app's own address registered as its return address."""
    oidc.oidc_or_skip()
    fhir = sk.sekmet_or_skip(tmp_path_factory)
    home = tmp_path_factory.mktemp("smart-app")
    db = home / "ltc.db"
    with served_app(db, TODAY, home) as (url, _):
        clients = {"ltc-dashboard": [f"{url}/"]}  # the return address the page works out for itself
        with oidc.over_sekmet(fhir, home, clients, [RAJESH]) as provider:
            yield url, provider, db


def close_page_not_found(page) -> None:
    """Close Streamlit's "Page not found" notice, if shown: a first visit straight to a page of
    `st.navigation` (not a file name in pages/) shows it over the page that did open."""
    notice = page.get_by_role("dialog").filter(has_text="Page not found")
    if notice.count():
        page.keyboard.press("Escape")
        expect(notice).to_have_count(0, timeout=WAIT_MS)


def test_a_patient_signs_in_with_smart_and_their_record_arrives(browser, signed_in_app):
    """Connect page, the server's login and consent pages, back to the app: the record is synced and shown."""
    url, provider, db = signed_in_app
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        page.goto(f"{url}/connect-record")
        wait_for_page(page, "Connect a record")
        close_page_not_found(page)
        page.get_by_role("textbox", name="FHIR server address").fill(provider.fhir_base)
        page.get_by_role("button", name="Sign in with SMART").click()

        with context.expect_page() as opened:  # the sign-in page opens in a new tab
            page.get_by_role("link", name="Open the sign-in page").click()
        sign_in = opened.value
        expect(sign_in.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT_MS)
        assert sign_in.url.startswith(provider.issuer)
        sign_in.get_by_label("Username").fill(RAJESH.username)
        sign_in.get_by_label("Password").fill(RAJESH.password)
        sign_in.get_by_role("button", name="Sign in").click()
        expect(sign_in.get_by_role("heading", name="Allow access?")).to_be_visible(timeout=WAIT_MS)
        sign_in.get_by_role("button", name="Allow").click()

        # Back in the app, in that tab: the answer is finished, the record synced and opened.
        expect(sign_in.get_by_text(re.compile(r"Synced [\d,]+ items from"))).to_be_visible(timeout=WAIT_MS)
        assert sign_in.url.startswith(url) and "code=" not in sign_in.url  # the answer is not left in the address
        synced = Store(db)
        try:
            assert synced.patient_ids() == [DIABETES]
            kinds = {r["resourceType"] for r in synced.resources_for(DIABETES)}
            assert {"Patient", "Condition", "Observation", "MedicationRequest"} <= kinds
            assert [c["server"] for c in synced.connections(DIABETES)] == [provider.fhir_base]
        finally:
            synced.close()

        sign_in.locator("a[data-testid='stSidebarNavLink']", has_text="Overview").click()
        wait_for_page(sign_in, "Overview")
        expect(sign_in.get_by_text("Rajesh", exact=False).first).to_be_visible(timeout=WAIT_MS)
    finally:
        context.close()
