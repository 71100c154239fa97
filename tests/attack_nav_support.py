"""Support for the issue 18 attack tests (tests/test_attack_nav*.py); no tests of its own.

A reload is a new Streamlit session whose only link to the old one is the browser's cookies: the
`ltc_session` token and, after Quick exit, the `ltc_exited` mark. AppTest has no cookies, so
`Browser` stands in for one browser: it keeps a cookie jar (every `ltc_` cookie), sends it as
`st.context.cookies` on every run (ContextProxy.cookies is patched by the `stand_in_cookies`
fixture) and applies what each run's own scripts do to the cookies (pages/behaviour.keep_cookie /
drop_cookie / mark_exited), read from the st.html elements the run drew, in drawing order. A reload is a fresh AppTest (empty
session state) with the same jar, the same query string and the same page address (url_path).
"""

from __future__ import annotations

import re

import pytest
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import pages.state as state
from test_app_support import APP, TIMEOUT

SIGNED_OUT = "You were signed out for your security."
KEEP = re.compile(r'document\.cookie = "(ltc_\w+)=" \+ "([^"]*)"')  # every `ltc_` cookie the app sets or drops
DROP = re.compile(r'document\.cookie = "(ltc_\w+)=; path=/; Max-Age=0')


class Browser:
    """One browser: a cookie jar shared by its tabs, each tab an AppTest."""

    def __init__(self) -> None:
        self.jar: dict[str, str] = {}

    def open(self, params: dict | None = None, url_path: str | None = None) -> AppTest:
        """A new tab (or a reload): a fresh session at that address with this browser's cookies."""
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        if url_path is not None:
            at._page_hash = calc_hash(url_path)  # st.Page's hash is its url_path's (streamlit/navigation/page.py)
        return self.run(at)

    def run(self, at: AppTest) -> AppTest:
        _Jar.current = self.jar
        at.run()
        for node in at._tree:
            body = str(getattr(node, "proto", ""))
            if "document.cookie" not in body:
                continue
            for match in KEEP.finditer(body.replace('\\"', '"')):
                self.jar[match.group(1)] = match.group(2)
            for match in DROP.finditer(body.replace('\\"', '"')):
                self.jar.pop(match.group(1), None)
        return at

    def reload(self, at: AppTest) -> AppTest:
        """The browser reloads the tab: same query string and page, new session."""
        path = at._finished_page_script_hash
        fresh = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in at.query_params.items():
            fresh.query_params[key] = value[0] if isinstance(value, list) else value
        fresh._page_hash = path
        return self.run(fresh)


class _Jar:
    current: dict[str, str] = {}


@pytest.fixture
def stand_in_cookies(monkeypatch):
    """st.context.cookies answers with the running Browser's jar."""
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: dict(_Jar.current)))
    yield
    _Jar.current = {}




def viewer_of(at: AppTest):
    return at.session_state[state.VIEWER] if state.VIEWER in at.session_state else None
