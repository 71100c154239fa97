"""Outside attack on issue 18 in real Chromium (branch attack-nav): what a signed-out browser tab
says about the record address it was given. Demo people from data/demo/README.md; every wait is
for an element or the app's run state (tests/browser/test_browser.py)."""

from __future__ import annotations

import pytest

from test_browser import WAIT_MS, wait_for_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("url_path", "word"), [("diabetes", "Diabetes"), ("access-log", "Who has looked"),
                                                ("dementia", "Dementia")])
def test_a_bookmark_of_a_record_page_names_nothing_when_signed_out(app_url, browser, url_path, word):
    """On a shared device nobody is signed in and someone opens a bookmark (or reloads after the
    sign-in ended) of /diabetes, /access-log or /dementia. The sign-in page leaves the page
    unnamed on purpose (pages/sign_in.py); the browser tab's title must not name it either."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{app_url}/{url_path}")
        wait_for_page(page, "Welcome")
        assert word not in page.locator("[data-testid='stMain']").inner_text()
        assert word not in page.title(), page.title()
    finally:
        context.close()
