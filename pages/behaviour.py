"""What the browser must do that Streamlit does not: keep the sign-in cookie, keep Quick exit on
screen, close the phone menu after a page is chosen, show where keyboard focus is, move focus to
the page's heading, and keep Tab inside an open comment box.

Each is a small style or script drawn with `st.html`; scripts run once each time their element is
added to the page, so each carries what it is about (the token, the page) in its text, and a
script that must act only once per page carries the page's name.
"""

from __future__ import annotations

import json

import streamlit as st

from pages.sessions import COOKIE, EXITED_COOKIE, EXITED_MAX_AGE

# NHS focus colour for text and outlines (#212B32): 13.6:1 against the sidebar's #F0F4F5 and 15.4:1
# against white, well over the 3:1 WCAG 1.4.11 asks of a focus indicator (Streamlit's own is 1.07:1).
_CSS = """
<style>
  /* Quick exit stays on screen, top right, above the header and the phone menu (NHS "Exit this page"). */
  .st-key-quick_exit_button { position: fixed; top: 0.6rem; right: 0.75rem; z-index: 1000100; width: auto; }
  .st-key-quick_exit_button button { box-shadow: 0 0 0 2px #FFFFFF; }
  @media print { .st-key-quick_exit_button { display: none; } }  /* not on every printed page */
  /* On a phone the open menu covers the page up to near the right edge, and Quick exit stays on
     top of it: the menu's close button moves to the menu's left so Quick exit never hides it. */
  @media (max-width: 767.98px) { [data-testid="stSidebarHeader"] { flex-direction: row-reverse; } }
  /* On a phone a wide table reflows (WCAG 1.4.10) instead of scrolling sideways inside a box that a
     keyboard cannot reach (axe-core: scrollable-region-focusable). */
  @media (max-width: 767.98px) {
    .stTable > div { overflow: visible !important; }
    .stTable table { width: 100%; min-width: 0 !important; table-layout: fixed; }
    .stTable th, .stTable td { overflow-wrap: anywhere; white-space: normal !important; padding: 0.25rem 0.3rem !important;
                               hyphens: auto; }
    .stTable th *, .stTable td * { white-space: normal !important; overflow-wrap: anywhere !important; max-width: 100%;
                                   min-width: 0 !important; }
  }
  /* A button's words wrap rather than run past a phone's edge (WCAG 1.4.10): the comment button under
     each chart names its result, "This looks wrong / add a comment about this ... result". */
  [data-testid="stMain"] button { max-width: 100%; height: auto; }
  [data-testid="stMain"] button p { white-space: normal !important; overflow-wrap: anywhere; text-align: left; }
  /* Visible keyboard focus in the menu and on the page. */
  [data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stSidebarNavViewButton"]:focus-visible,
  [data-testid="stSidebar"] button:focus-visible, .stApp a:focus-visible {
    outline: 3px solid #212B32 !important; outline-offset: 0; box-shadow: none;
  }
  [data-testid="stMain"] h1:focus { outline: none; }
  [data-testid="stMain"] h1:focus-visible { outline: 3px solid #212B32; outline-offset: 2px; }
  /* "Link to heading" anchors would be tab stops beside every heading (issue 18); pages draw their
     headings without them (anchor=False), and Markdown headings' ones are hidden here. */
  [data-testid="stHeaderActionElements"] { display: none !important; }
</style>
"""

# Installed once per document. Closing the phone menu: Streamlit keeps its sidebar open over the
# page after a link in it is chosen, so on a narrow screen the collapse button is pressed for the
# person. The comment box (st.popover) gets a focus trap: Tab from its last control goes to its first.
_ONCE = """
<script>
(() => {
  if (window.__ltcBehaviour) return;
  window.__ltcBehaviour = true;
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const narrow = () => (doc.defaultView || window).matchMedia("(max-width: 767.98px)").matches;
  doc.addEventListener("click", (event) => {
    if (!event.target.closest || !event.target.closest("[data-testid='stSidebarNavLink']") || !narrow()) return;
    const close = doc.querySelector("[data-testid='stSidebarCollapseButton'] button");
    if (close) setTimeout(() => close.click(), 0);
  }, true);
  const focusable = "a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), " +
                    "select:not([disabled]), [tabindex]:not([tabindex='-1'])";
  doc.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const box = doc.querySelector("[data-testid='stPopoverBody']");
    if (!box || !box.contains(doc.activeElement)) return;
    const items = [...box.querySelectorAll(focusable)].filter(e => e.offsetParent !== null);
    if (!items.length) return;
    const first = items[0], last = items[items.length - 1];
    if (!event.shiftKey && doc.activeElement === last) { event.preventDefault(); first.focus(); }
    else if (event.shiftKey && doc.activeElement === first) { event.preventDefault(); last.focus(); }
  }, true);
})();
</script>
"""


def _script(body: str) -> None:
    st.html(f"<script>{body}</script>", unsafe_allow_javascript=True)


def style() -> None:
    """The styles and the once-per-document behaviours every page needs (drawn before the page)."""
    st.html(_CSS)
    st.html(_ONCE, unsafe_allow_javascript=True)


def keep_cookie(token: str) -> None:
    """Let the browser hold this sign-in's token for the tab's life (no expiry), sent back only
    to this app (SameSite=Strict), so a reload restores it (pages/sessions.py)."""
    secure = '(location.protocol === "https:" ? "; Secure" : "")'
    _script(f'document.cookie = "{COOKIE}=" + {json.dumps(token)} + "; path=/; SameSite=Strict" + {secure};')


def drop_cookie(name: str = COOKIE) -> None:
    """Make the browser forget any sign-in token (after sign out, quick exit, or an ended sign-in),
    or (EXITED_COOKIE) the quick-exit mark once the person chose to sign in again."""
    _script(f'document.cookie = "{name}=; path=/; Max-Age=0; SameSite=Strict";')


def mark_exited() -> None:
    """After quick exit: the browser forgets the sign-in token and keeps only a mark that it exited
    (no token, nothing about the person) for a while, so a reload shows the neutral page (issue 18)."""
    drop_cookie()
    _script(f'document.cookie = "{EXITED_COOKIE}=" + "1" + "; path=/; Max-Age={EXITED_MAX_AGE}; SameSite=Strict";')


def focus_heading(page_key: str) -> None:
    """Move keyboard focus to the page's h1 once, when a page (or who sees it) changes, so a screen
    reader or keyboard user starts at the top of what was chosen (drawn after the page)."""
    _script(
        f"/* {json.dumps(page_key)} */ (() => {{"
        " const h1 = document.querySelector(\"[data-testid='stMain'] h1\");"
        " if (!h1) return;"
        " h1.setAttribute('tabindex', '-1'); h1.focus({preventScroll: false});"
        "})();"
    )


def close_first_run_not_found() -> None:
    """Close the "Page not found" box Streamlit shows on the first run after the server starts.

    Because a `pages/` folder exists, Streamlit runs a server's very first session in its older
    multipage mode, which looks the address up among the file names in pages/ and, not finding
    /test-results there, says "Page not found" before app.py has routed it (app.py then shows the
    right page). Only that run is affected; app.py calls this only then."""
    _script(
        "(() => { const end = Date.now() + 10000; const tick = () => {"
        " for (const box of document.querySelectorAll(\"[data-testid='stDialog']\")) {"
        "   const close = box.querySelector(\"button[aria-label='Close']\");"
        "   if (close && /Page not found/.test(box.innerText)) { close.click(); return; } }"
        " if (Date.now() < end) setTimeout(tick, 100); }; tick(); })();"
    )
