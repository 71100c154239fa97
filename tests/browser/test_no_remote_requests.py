"""The app never loads anything from elsewhere (issue 13 item 9): on a record whose every text
field holds Markdown images and links to other origins, HTML and a right-to-left override
(tests/hostile_record.py, hand-made), every page each viewer can open is visited in Debian's
chromium while every request the page makes is recorded; any origin but the app's own fails.
The page text must show the hostile words as words, with no bidi control left to reverse them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from hostile_record import CARER_VIEWER, PID, TRAP
from test_browser import nav_links, wait_for_page, wait_until_settled

pytestmark = pytest.mark.browser

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
VIEWERS = ("patient", CARER_VIEWER, "clinic")


def visit_as(browser, url: str, viewer: str) -> tuple[list[str], list[str], list[str]]:
    """Open the hostile record as `viewer` and visit every page in the navigation; returns
    (requests to other origins, page titles, each page's visible text)."""
    own = urlsplit(url)
    elsewhere: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return  # made in the page, not fetched
        if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
            elsewhere.append(request.url)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    context.on("request", record)  # every page of the context, workers and frames included
    try:
        page = context.new_page()
        page.goto(f"{url}/?patient={PID}&viewer={viewer}")
        wait_for_page(page, "Overview")
        titles, texts = [], [page.locator("body").inner_text()]
        for title, href in nav_links(page):
            page.locator(f"a[data-testid='stSidebarNavLink'][href='{href}']").click()
            wait_for_page(page, title)
            for expander in page.locator("[data-testid='stExpander'] summary").all():
                expander.click()  # draw what expanders hold too (tables, own lists)
                wait_until_settled(page)  # some are made only when opened: the page runs again
            titles.append(title)
            texts.append(page.locator("body").inner_text())
    finally:
        context.close()
    return elsewhere, titles, texts


@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_page_requests_another_origin_and_no_text_is_reversed(browser, hostile_app_url, viewer):
    """Every page, for each viewer, of a record full of remote images and links makes requests to the app's own origin only, and shows the hostile words unreversed."""
    elsewhere, titles, texts = visit_as(browser, hostile_app_url, viewer)
    assert {"Medicines", "Letters", "Care plan and goals"} <= set(titles), titles
    assert not elsewhere, f"{viewer}: requests to other origins: {sorted(set(elsewhere))[:10]}"
    text = "\n".join(texts)
    assert not BIDI.findall(text), f"{viewer}: bidi controls in the page text"
    # The hostile words are on the pages as words (so the test is not vacuous).
    assert f"![img]({TRAP}/medicine.png)" in text
    assert "<img src=" in text and "desrever" in text
