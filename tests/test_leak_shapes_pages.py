"""The leak property over real shapes, on the pages: one record holding the explicit example of
every shape family that holds on main (tests/leak_families.py, so a family joins once its fix is
merged and its xfail removed), opened in AppTest as several viewers; no must-hide marker of the
oracle (tests/leak_oracle.py) is drawn on any page, and letter search for each finds nothing.

AppTest is slow, so this is a fixed example rather than a drawn one: the drawn shapes go through
every non-page output in tests/test_leak_shapes.py.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ltc_dashboard.intake.ingest import import_paths
from leak_families import FAMILIES
from leak_oracle import must_hide, viewers_of
from leak_shapes import SHOWN_LETTER, write_files
from ltc_dashboard.store import Store
from test_app_support import APP, TIMEOUT, no_errors
from test_leak_shapes import build_case
from test_leaks_pages import SEARCH_KEY, go_hash, shown


def test_no_page_shows_a_marker_of_any_holding_shape():
    """Every page, for the patient, the clinic screen, the fully permitted carer and two carers
    with narrowed Consents, draws no must-hide marker, and letter search finds none of them."""
    files, start = build_case([(f, f.explicit) for f in FAMILIES if not f.leak])
    folder = Path(tempfile.mkdtemp(prefix="leak-shapes-pages-"))
    store = Store(folder / "app.db")
    import_paths(store, write_files(folder, files))
    store.close()
    carers = [v for v in viewers_of(files) if v.startswith("proxy:RelatedPerson/rpc")]
    viewers = ["patient", "clinic", "proxy:RelatedPerson/rp1", *carers[:1], *carers[-1:]]
    before = os.environ.get("LTC_DB")
    os.environ["LTC_DB"] = str(folder / "app.db")  # a new path: a new cached Service
    leaks, pages, searched = {}, 0, 0
    try:
        for viewer in viewers:
            hidden = must_hide(files, viewer, start)
            at = AppTest.from_file(APP, default_timeout=TIMEOUT)
            at.query_params["patient"] = "p1"
            at.query_params["viewer"] = viewer
            at.run()
            no_errors(at)
            for page_hash, info in dict(at._registered_pages).items():
                go_hash(at, page_hash)
                pages += 1
                text = shown(at).upper()
                found = sorted(m for m in hidden if m in text)
                if found:
                    leaks[f"{viewer} on {info['page_name']}"] = found
                if info["page_name"] == "Letters" and [t for t in at.text_input if t.key == SEARCH_KEY]:
                    for mark in sorted(hidden):
                        at.text_input(key=SEARCH_KEY).input(mark).run()
                        searched += 1
                        if mark in shown(at).upper():
                            leaks[f"{viewer} searching letters for {mark}"] = [mark]
                    at.text_input(key=SEARCH_KEY).input(SHOWN_LETTER).run()
                    assert SHOWN_LETTER in shown(at), f"{viewer}: the control letter is not found"
    finally:
        if before is None:
            os.environ.pop("LTC_DB", None)
        else:
            os.environ["LTC_DB"] = before
    assert pages >= 5 * len(viewers) and searched > 0
    assert not leaks, f"hidden markers drawn: {leaks}"
