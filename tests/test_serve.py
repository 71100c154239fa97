"""serve.py, which `make run` and the browser tests start: it loads the pages' modules before the
server answers (issue 18) and reads no record while doing so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import json, sys
import serve
serve.preload()
print(json.dumps({name: name in sys.modules for name in ("pandas", "ltc_dashboard.service.core", "pages.charts",
                  "plotly.graph_objs._scatter", "streamlit.web.cli")}))
"""


def test_preload_loads_the_pages_modules_and_opens_no_store(tmp_path):
    """After preload the pages' modules and plotly's chart classes are loaded, and the store
    named by LTC_DB was neither created nor opened (the first session opens it)."""
    db = tmp_path / "never-opened.db"
    env = {**os.environ, "LTC_DB": str(db), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"pandas": True, "ltc_dashboard.service.core": True, "pages.charts": True,
                      "plotly.graph_objs._scatter": True, "streamlit.web.cli": False}
    assert not db.exists() and not (tmp_path / "xdg").exists()
