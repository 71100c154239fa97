"""Outside attack on issue 20 (branch atk20): the Home readings page with device files it cannot
take apart by itself. Each test marked xfail(strict=True) failed on main when written.

Inputs: the demo store (tests/test_app_support.py) and CSV files written here by hand in the shape
of a scales-and-monitor app's "all measurements" export (Withings Health Mate's combined export
has weight and blood pressure columns side by side: Date, Weight (kg), Systolic, Diastolic, Heart
rate).
"""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, no_errors, open_app,
)

BOTH = (b"Date,Weight (kg),Systolic,Diastolic,Heart rate\n"
        b"2026-11-12 07:30:00,82.5,138,86,70\n2026-11-13 07:30:00,82.3,136,84,68\n")
KIND_WORDS = {"Blood pressure", "Weight"}


def page():
    at = go(open_app(DIABETES), "home_readings")
    no_errors(at)
    return at


def test_a_file_with_weight_and_blood_pressure_can_be_imported_on_the_page(demo_db):
    """Upload the combined file: the page says "say which to import (--kind)", a command-line option
    the person of the page never sees, and neither the column chooser nor anything else lets them
    say which kind to import. The page should let them choose (or take both)."""
    at = page()
    at.file_uploader[0].set_value(("measurements.csv", BOTH, "text/csv"))
    at.run()
    assert not at.exception
    said = " ".join(e.value.replace("\\", "") for e in at.error)
    choosers = [w for w in (*at.radio, *at.selectbox) if w.key != "hr-kind" and KIND_WORDS <= set(map(str, w.options))]
    saves = [b for b in at.button if b.key == "hr-file-save"]
    assert "--kind" not in said and (choosers or saves), said
