"""The Connect page tells the person, in plain words, what a sync could not bring (issue 17): a
short read, a server's own explanation of a refused sign-in, and what they can do about it."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from test_app_connect import (  # noqa: F401  (fixtures)
    APP, DIABETES, TIMEOUT, RecordDouble, answer_in_a_new_tab, begin_smart_sign_in, demo_record, empty_db,
    smart_env,
)
from tests.servers.loopback import Reply, Request
from tests.servers.smart_double import SignedInUser
from test_app_support import no_errors


class ShortDouble(RecordDouble):
    """The record double whose Observation searches claim five more results than they hold."""

    def _read(self, request: Request, reference: str) -> Reply:
        reply = super()._read(request, reference)
        if reference == "Observation":
            page = json.loads(reply.body)
            page["total"] = len(page["entry"]) + 5
            return Reply.json(page)
        return reply


def test_a_short_read_is_shown_as_part_of_the_record_not_arriving(empty_db, smart_env):
    """A server that sends fewer results than its total: the page warns that part of the record did
    not arrive, in plain words naming the kind and the counts, and what arrived is shown."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with ShortDouble(user, demo_record("diabetes"), ["short-access-1"]) as double:
        first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        first.switch_page("pages/connect.py").run()
        at = answer_in_a_new_tab(begin_smart_sign_in(first, double))

    no_errors(at)
    warning = at.warning[0].value
    assert "Part of your record did not arrive" in warning
    assert "- Results and measurements (Observation): the server said there are 170, but sent 164 and no way to get the rest." in warning


def test_a_refused_sign_in_shows_the_servers_words_and_what_to_do(empty_db, smart_env):
    """invalid_scope with an error_description: the page shows the server's own words as text and
    says what the person can do, instead of only the error code."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), ["unused-access"]) as double:
        double.refuse = ("invalid_scope", "This app may not read *Observation* for patients yet.")
        first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        first.switch_page("pages/connect.py").run()
        at = answer_in_a_new_tab(begin_smart_sign_in(first, double))

    error = at.error[0].value
    assert "The sign-in did not work: sign-in failed." in error
    assert "The server said: “This app may not read \\*Observation\\* for patients yet.”" in error
    assert "Ask whoever runs the server" in error and "unchanged" in error
    assert double.token_requests == []
