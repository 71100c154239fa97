"""The condition page says which situation shaped the diabetes view (issue 15)."""

from __future__ import annotations

from test_app_support import DIABETES, demo_db, demo_db_template, go, no_errors, open_app  # noqa: F401


def test_condition_page_says_which_situation_shaped_the_view(demo_db):
    """The demo diabetes patient's ACR results, raised twice months apart, show the NG203 line in
    words under the intro, citing the guideline plainly."""
    at = go(open_app(DIABETES, "patient"), "condition")
    no_errors(at)
    lines = [i.value for i in at.info]
    assert any(l.startswith("Because your kidney results") and "NICE guideline NG203" in l for l in lines)
    assert not any("§" in l or "[NG" in l for l in lines)
