"""Navigation as people use it, in real Chromium at phone size (390 x 844, touch) and desktop size
(issue 18): a reload keeps the page and who is signed in; Quick exit stays on screen and leaves
nothing a reload or Back brings back; the phone menu closes after a page is chosen; keyboard-only
paths for the patient, a carer and the clinic nurse, with focus visible and moved to each page's
heading; no heading anchors as tab stops; no two buttons with one name; axe-core at phone size.

Demo people are from data/demo/README.md. Every wait is for an element or the app's run state.
"""

from __future__ import annotations

import json
import re

import pytest

from test_browser import (CARED_FOR, CARER, DIABETES_PATIENT, WAIT_MS, axe_violations, choose_option, expect, nav_links,
                          wait_for_page, wait_until_settled)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
MAIN_H1 = "[data-testid='stMain'] h1"
QUICK_EXIT = ".st-key-quick_exit_button button"
SIGNED_OUT = "You were signed out for your security"
# Where the menu's first link is: "open" (wholly on screen) or "shut" (wholly off it, to the left).
MENU_AT = """(where) => {
    const link = document.querySelector("a[data-testid='stSidebarNavLink']");
    if (!link) return where === "shut";
    const r = link.getBoundingClientRect();
    return where === "open" ? r.width > 0 && r.left >= 0 && r.right <= innerWidth : r.right <= 0;
}"""

# WCAG relative luminance and contrast of the focused element's outline against what is behind it.
FOCUS_CONTRAST = """() => {
    const e = document.activeElement;
    const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                       .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    let back = e.parentElement, bg = [255, 255, 255];
    while (back) { const c = rgb(getComputedStyle(back).backgroundColor); if (c.length === 3 || c[3] > 0) { bg = c; break; } back = back.parentElement; }
    const s = getComputedStyle(e);
    if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) return 0;
    const [a, b] = [lum(rgb(s.outlineColor)), lum(bg)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(params=list(SIZES))
def sized(request, browser):
    """A fresh browser context (its own cookies and Streamlit sessions) at phone or desktop size."""
    context = browser.new_context(**SIZES[request.param], locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(WAIT_MS)
    yield request.param, context, context.new_page()
    context.close()


def sign_in_patient(page, url: str) -> None:
    page.goto(url)
    wait_for_page(page, "Welcome")
    choose_option(page, "Your name", DIABETES_PATIENT)
    page.get_by_role("button", name="Open my record").click()
    wait_for_page(page, "Overview")


def open_menu(page, size: str) -> None:
    """On a phone the menu is folded away: open it (desktop shows it beside the page)."""
    expand = page.locator("[data-testid='stExpandSidebarButton']")
    if size == "phone" and expand.is_visible():
        page.wait_for_function(MENU_AT, arg="shut")  # a menu still sliding shut ignores the press
        expand.click()
    page.wait_for_function(MENU_AT, arg="open")


def choose_page(page, size: str, title: str) -> None:
    """Open the page `title` from the menu; on a phone the menu then closes (wait until it has)."""
    open_menu(page, size)
    menu_link(page, title).click()
    wait_for_page(page, title)
    if size == "phone":
        expect(page.locator("[data-testid='stExpandSidebarButton']")).to_be_visible()


def menu_link(page, title: str):
    return page.locator(f"a[data-testid='stSidebarNavLink']:has(span[label={json.dumps(title)}])")


def quick_exit_on_top(page) -> bool:
    """Whether Quick exit is in the viewport and nothing covers its middle."""
    return page.evaluate("""(sel) => {
        const b = [...document.querySelectorAll(sel)].find(e => e.getBoundingClientRect().width > 0); if (!b) return false;
        const r = b.getBoundingClientRect();
        if (r.width === 0 || r.bottom > innerHeight || r.top < 0) return false;
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return b.contains(hit);
    }""", QUICK_EXIT)


def tab_to(page, matches: str, limit: int = 80, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element satisfies the JS predicate `matches` (e => bool)."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!e && ({matches})(e); }})()"):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab did not reach an element matching {matches} in {limit} presses")


def focused_heading(page) -> str:
    return page.evaluate("document.activeElement.tagName === 'H1' ? document.activeElement.innerText : ''")


def no_heading_anchor_tab_stops(page) -> list[str]:
    """Links to headings a keyboard can reach (drawn and not hidden)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stHeaderActionElements'] a, h1 a, h2 a, h3 a, h4 a")]
        .filter(a => a.offsetParent !== null).map(a => a.href)""")


def duplicate_button_names(page) -> list[str]:
    names = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMain'] button")]
        .filter(b => b.checkVisibility() && b.tabIndex >= 0).map(b => (b.getAttribute('aria-label') || b.innerText).trim())""")
    return sorted({n for n in names if names.count(n) > 1})


def test_reload_keeps_the_page_and_the_person_signed_in(app_url, sized):
    """A reload (or a phone's pull-to-refresh) of a record page shows the same page, still signed in, never "Page not found"."""
    size, _, page = sized
    sign_in_patient(page, app_url)
    choose_page(page, size, "Results")
    page.reload()
    wait_for_page(page, "Results")
    assert page.url.endswith("/test-results")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_text(f"Signed in as {DIABETES_PATIENT}.")).to_be_attached()


def test_carer_and_shared_screen_come_back_as_the_same_viewer(app_url, browser):
    """After a reload a carer is still the carer (not the patient), a patient-only address says it is not part of the carer's view, and the shared screen is still the shared screen."""
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_for_page(page, "Welcome")
        page.get_by_text("A carer", exact=True).click()
        page.get_by_role("heading", name="See the record of someone you care for").wait_for()
        wait_until_settled(page)
        choose_option(page, "Your name", CARER)
        expect(page.get_by_role("combobox", name="Whose record")).to_have_value(re.compile(rf"^{CARED_FOR}"))
        page.get_by_role("button", name="Open their record").click()
        wait_for_page(page, "Overview")
        page.reload()
        wait_for_page(page, "Overview")
        expect(page.get_by_text(f"Signed in as {CARER} (carer).")).to_be_attached()
        expect(page.get_by_text("Shown as a carer's view")).to_be_attached()
        page.goto(f"{app_url}/my-settings")  # a patient-only page's address, in the carer's browser
        wait_for_page(page, "This page is not part of this view")
        expect(page.get_by_text(f"Signed in as {CARER} (carer).")).to_be_attached()
        expect(page.get_by_text("Page not found")).to_have_count(0)

        page.get_by_role("button", name="Sign out").click()
        wait_for_page(page, "Welcome")
        choose_option(page, "Your name", DIABETES_PATIENT)
        page.get_by_role("button", name="Open my record").click()
        wait_for_page(page, "Overview")
        page.get_by_text("Shared screen (clinic) mode").click()
        expect(page.get_by_text("Shared screen: some sensitive entries are hidden")).to_be_visible()
        wait_until_settled(page)
        page.reload()
        wait_for_page(page, "Overview")
        expect(page.get_by_text("Shared screen: some sensitive entries are hidden")).to_be_visible()
        expect(page.get_by_role("button", name="Leave shared screen")).to_be_visible()
    finally:
        context.close()


def test_a_reload_after_sign_out_says_so_and_returns_to_the_page(app_url, sized):
    """A record page's address without a live sign-in shows the plain signed-out notice, and signing in returns to that page."""
    size, context, page = sized
    sign_in_patient(page, app_url)
    choose_page(page, size, "Letters")
    context.clear_cookies()  # what a closed browser or an ended sign-in leaves
    page.reload()
    wait_for_page(page, "Welcome")
    expect(page.get_by_text(f"{SIGNED_OUT}. Sign in again to go back to the page you were on.")).to_be_visible()
    choose_option(page, "Your name", DIABETES_PATIENT)
    page.get_by_role("button", name="Open my record").click()
    wait_for_page(page, "Letters")


def test_quick_exit_stays_on_screen_and_leaves_nothing_behind(app_url, sized):
    """Quick exit is on screen and on top after scrolling and with the menu open; after it, neither a reload nor Back shows
    the record, and a reload stays on the neutral page until the person chooses its "Sign in"."""
    size, context, page = sized
    sign_in_patient(page, app_url)
    choose_page(page, size, "Diabetes")
    page.locator("[data-testid='stMain'] [data-testid='stElementContainer']").last.scroll_into_view_if_needed()
    expect(page.locator(MAIN_H1).first).not_to_be_in_viewport()  # scrolled well down the long page
    assert quick_exit_on_top(page), "Quick exit is scrolled away or covered"
    open_menu(page, size)
    assert quick_exit_on_top(page), "the open menu covers Quick exit"
    page.get_by_role("button", name="Quick exit").click()
    wait_for_page(page, "Recipes")
    assert "ltc_session" not in {c["name"] for c in context.cookies()}
    assert "?" not in page.url
    page.go_back()  # to the Diabetes page's address: the neutral page shows, at the bare address
    page.wait_for_url(f"{app_url}/")
    wait_for_page(page, "Recipes")
    page.reload()  # issue 18: after Quick exit a reload must not bring back "Health record - Welcome"
    wait_for_page(page, "Recipes")
    assert page.title() == "Recipes"
    assert {c["name"]: c["value"] for c in context.cookies()}.get("ltc_exited") == "1"  # no token, only the mark
    body = page.locator("body").inner_text()
    assert "Welcome" not in body and DIABETES_PATIENT not in body and "Diabetes" not in body
    expect(page.locator("a[data-testid='stSidebarNavLink']")).to_have_count(0)
    page.get_by_role("button", name="Sign in").click()  # the discreet way to start again
    wait_for_page(page, "Welcome")
    body = page.locator("body").inner_text()
    assert SIGNED_OUT not in body and DIABETES_PATIENT not in body.split("Your name")[0]
    page.reload()  # starting again dropped the mark: this browser is an ordinary one again
    wait_for_page(page, "Welcome")
    assert "ltc_exited" not in {c["name"] for c in context.cookies()}


def test_phone_menu_closes_after_a_page_is_chosen(app_url, browser):
    """On a phone, choosing a page in the menu closes the menu and shows the page."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        sign_in_patient(page, app_url)
        choose_page(page, "phone", "Medicines")
        expect(page.locator("[data-testid='stSidebar']")).to_have_attribute("data-collapsed", "true")
        page.wait_for_function(MENU_AT, arg="shut")
        expect(page.locator("[data-testid='stExpandSidebarButton']")).to_be_visible()
    finally:
        context.close()


def keyboard_choose(page, label: str, option: str) -> None:
    """Choose in a select box with the keyboard only: Tab to it, type, Enter."""
    tab_to(page, f"e => e.getAttribute('aria-label') && e.getAttribute('aria-label').startsWith({label!r})")
    page.keyboard.type(option)
    page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}")).first.wait_for()
    page.keyboard.press("Enter")
    wait_until_settled(page)


def keyboard_press_button(page, name: str) -> None:
    tab_to(page, f"e => e.tagName === 'BUTTON' && e.innerText.includes({name!r})", limit=200)
    page.keyboard.press("Enter")


def keyboard_open_page(page, title: str) -> None:
    """Tab back to the menu link `title` (the menu comes before the page), check its focus is visible, open it."""
    tab_to(page, f"e => e.matches(\"a[data-testid='stSidebarNavLink']\") && e.innerText.trim().endsWith({title!r})", back=True)
    contrast = page.evaluate(FOCUS_CONTRAST)
    assert contrast >= 3, f"focus on the {title} menu link is {contrast:.2f}:1 against the menu, below 3:1"
    page.keyboard.press("Enter")
    wait_for_page(page, title)
    expect(page.locator(MAIN_H1).first).to_be_focused()


@pytest.mark.parametrize("who", ["patient", "carer", "nurse"])
def test_keyboard_only_main_tasks(app_url, browser, who):
    """Each user's main task by keyboard alone: sign in, focus lands on each page's heading, visible focus in the menu."""
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_for_page(page, "Welcome")
        if who != "patient":
            tab_to(page, "e => e.type === 'radio'")
            page.keyboard.press("ArrowRight" if who == "carer" else "ArrowLeft")  # the row wraps round
            wait_for_section = "See the record of someone you care for" if who == "carer" else "Review a record with a patient (shared screen)"
            page.get_by_role("heading", name=wait_for_section).wait_for()
            wait_until_settled(page)
        name, person, button = {
            "patient": ("Your name", DIABETES_PATIENT, "Open my record"),
            "carer": ("Your name", CARER, "Open their record"),
            "nurse": ("Patient", DIABETES_PATIENT, "Open shared screen"),
        }[who]
        keyboard_choose(page, name, person)
        if who == "carer":
            expect(page.get_by_role("combobox", name="Whose record")).to_have_value(re.compile(rf"^{CARED_FOR}"))
        keyboard_press_button(page, button)
        wait_for_page(page, "Overview")
        expect(page.locator(MAIN_H1).first).to_be_focused()
        target = {"patient": "Diabetes", "carer": "Dementia", "nurse": "Conditions"}[who]
        keyboard_open_page(page, target)
        assert not no_heading_anchor_tab_stops(page)
        if who == "patient":
            keyboard_press_button(page, "Add to my questions:")
            expect(page.get_by_text("Added to your questions")).to_be_visible()
    finally:
        context.close()


def test_comment_box_keeps_tab_inside_it(app_url, browser):
    """In an open "add a comment" box, Tab and Shift+Tab move round its own controls and never leave it."""
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        sign_in_patient(page, app_url)
        choose_page(page, "desktop", "Medicines")
        page.get_by_role("button", name=re.compile("add a comment")).first.click()
        body = page.locator("[data-testid='stPopoverBody']")
        expect(body).to_be_visible()
        body.get_by_role("radio").first.focus()
        for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
            page.keyboard.press(key)
            assert page.evaluate("document.querySelector(\"[data-testid='stPopoverBody']\").contains(document.activeElement)"), key
    finally:
        context.close()


def test_pages_have_no_heading_anchors_nor_buttons_sharing_a_name(app_url, browser):
    """On every page of the patient's menu: no "link to heading" tab stops and no two buttons with one accessible name."""
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_MS)
    found = []
    try:
        page = context.new_page()
        sign_in_patient(page, app_url)
        titles = [title for title, _ in nav_links(page)]
        for title in titles:
            menu_link(page, title).click()
            wait_for_page(page, title)
            found += [f"{title}: heading link {a}" for a in no_heading_anchor_tab_stops(page)]
            found += [f"{title}: buttons named {n!r}" for n in duplicate_button_names(page)]
    finally:
        context.close()
    assert len(titles) >= 8
    assert not found, "\n".join(found)


def test_phone_pages_pass_axe_with_the_menu_open_and_closed(app_url, browser, axe_source):
    """At phone size the sign-in page, the overview (menu open and closed), Diabetes and Results have no WCAG 2 A/AA violation."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_for_page(page, "Welcome")
        violations = axe_violations(page, axe_source, "phone sign-in")
        choose_option(page, "Your name", DIABETES_PATIENT)
        page.get_by_role("button", name="Open my record").click()
        wait_for_page(page, "Overview")
        violations += axe_violations(page, axe_source, "phone overview")
        open_menu(page, "phone")
        violations += axe_violations(page, axe_source, "phone overview, menu open")
        for title in ("Diabetes", "Results"):
            choose_page(page, "phone", title)
            violations += axe_violations(page, axe_source, f"phone {title}")
            wide = page.evaluate("() => [...document.querySelectorAll(\"[data-testid='stMain'] *\")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && e.checkVisibility()).length")
            assert not wide, f"{title}: {wide} elements stick out past the phone's right edge (WCAG 1.4.10 reflow)"
    finally:
        context.close()
    assert not violations, "axe found WCAG 2 A/AA violations:\n" + "\n".join(violations)


def test_the_first_visit_after_the_app_starts_never_says_page_not_found(browser, tmp_path):
    """On a freshly started app, whose first session Streamlit runs in its older pages/-folder mode, a record page's address shows sign-in with the plain notice and no "Page not found"."""
    from ltc_dashboard.intake import stores
    from tests.browser.conftest import TODAY, served_app  # the same server the session fixture starts, started afresh

    stores.demo_store(tmp_path / "store").close()
    with served_app(tmp_path / "store" / "demo.db", TODAY, tmp_path) as (url, _):
        context = browser.new_context(**DESKTOP)
        context.set_default_timeout(WAIT_MS)
        try:
            page = context.new_page()
            page.goto(f"{url}/test-results")
            wait_for_page(page, "Welcome")
            expect(page.get_by_text(SIGNED_OUT)).to_be_visible()
            expect(page.get_by_text("Page not found")).to_have_count(0)
        finally:
            context.close()
