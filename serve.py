"""Start the app server with the app's modules already loaded (what `make run` runs):

    .venv/bin/python serve.py --server.address 127.0.0.1 --server.port 8501

is `streamlit run app.py` with the same options, after importing what the pages need. Streamlit
runs app.py only when the first person opens the app, so that person waited for every import of the
pages (pandas, plotly and its chart classes, the gate, the condition views, the exports): on this
machine about half of the first load, 2 to 4 s in all (issue 18; bench/README.md, fix 35). Here
they are imported, the terminology tables read and one chart made before the server answers, so the
first visit costs what a later one does. Nothing of any record is read: the store is opened by the
first session, through the Service that pages/state.py keeps.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# pandas first: the store's sqlite_utils import hides it for a moment when it is not loaded yet
# (ltc_dashboard/store/db.py); here nothing else runs then.
PRELOAD = ("pandas", "pyarrow", "ltc_dashboard.service.core", "ltc_dashboard.settings", "ltc_dashboard.summary.core",
           "ltc_dashboard.summary.sheet", "conditions", "ltc_dashboard.gate.access", "ltc_dashboard.exports",
           "pages.state", "pages.ui", "pages.sidebar", "pages.charts", "pages.text", "pages.carer_choice",
           "pages.export_widget", "pages.feedback_widget")


def preload() -> None:
    """Import the pages' modules, read the terminology tables and make one chart, as the first
    session's run would have."""
    for name in PRELOAD:
        importlib.import_module(name)
    import inspect

    from streamlit import string_util

    from conditions.base import MeasureView
    from pages import charts
    from ltc_dashboard.record import terminology

    terminology.preload()
    measure = MeasureView(id="preload", name="preload", plain_name="preload", unit="1", display_unit="1", series=[])
    charts.measure_figure(measure).to_json()  # plotly's chart classes and JSON encoder load on first use
    # What Streamlit itself does once per process, in the first session's run: the page icon is
    # checked against its table of emoji (one very large pattern, compiled on first use), and its
    # first element walks the call stack with inspect, which indexes every loaded module by file.
    string_util.is_emoji("📋")
    inspect.stack()


def main(argv: list[str] | None = None) -> int:
    preload()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
