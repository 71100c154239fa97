"""Security: no patient data or token in any log or on stderr, a store only its owner can read,
uploads limited in size with a plain message, HTML letters that can never run script, no known
vulnerability in the installed packages, and a hazard log whose every test exists.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ltc_dashboard.cli import main as cli
from ltc_dashboard.gate.access import Viewer, proxy_links
from ltc_dashboard.intake import uploads
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.letters import ALLOWED_TAGS, extract_text
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from tests.servers.loopback import Loopback, Reply, outcome

ROOT = Path(__file__).resolve().parent.parent
DEMO = sorted((ROOT / "data" / "demo").glob("*.json"))
TOKEN = "tok-3f9a7c1e-SECRET-b2d4"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def people() -> list[dict]:
    """Every Patient and RelatedPerson in the demo data."""
    found = []
    for path in DEMO:
        for entry in json.loads(path.read_text())["entry"]:
            if entry["resource"]["resourceType"] in ("Patient", "RelatedPerson"):
                found.append(entry["resource"])
    return found


def secrets() -> list[str]:
    """What must never be logged: names, NHS numbers (as stored and spaced), birth dates, the token."""
    words = {TOKEN}
    for person in people():
        for name in person.get("name", []):
            words |= {name.get("text", ""), f"{' '.join(name.get('given', []))} {name.get('family', '')}"}
        for identifier in person.get("identifier", []):
            value = identifier.get("value", "")
            words |= {value, f"{value[:3]} {value[3:6]} {value[6:]}"}
        if person.get("birthDate"):
            year, month, day = person["birthDate"].split("-")
            words |= {person["birthDate"], f"{int(day)} {MONTHS[int(month) - 1]} {year}"}
    return sorted(w.strip() for w in words if len(w.strip()) > 3)


class Everything(logging.Handler):
    """Keeps every record any logger emits, formatted with its exception."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs():
    """Every logger at DEBUG, propagating to one handler on the root; restored afterwards."""
    handler, root = Everything(), logging.getLogger()
    saved = {name: (lg.level, lg.propagate, lg.disabled) for name, lg in logging.root.manager.loggerDict.items()
             if isinstance(lg, logging.Logger)}
    for logger in (logging.getLogger(name) for name in saved):
        logger.setLevel(logging.NOTSET), setattr(logger, "propagate", True), setattr(logger, "disabled", False)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    logging.captureWarnings(True)
    warnings.simplefilter("always")
    yield handler
    logging.captureWarnings(False)
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, (level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level), setattr(logger, "propagate", propagate), setattr(logger, "disabled", disabled)


def hostile_server() -> Loopback:
    """A FHIR server that serves the demo patient once, then refuses everything with a body that
    echoes the bearer token and the patient's name, as a careless server might."""
    patient = next(p for p in people() if p["id"] == "dm-patient")

    def answer(request) -> Reply:
        if request.path.startswith("/fhir/Patient"):
            return Reply.json({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": patient}]})
        echo = f"{request.headers.get('authorization')} {patient['name'][0]['text']} {patient['birthDate']}"
        return outcome(401, echo, {"WWW-Authenticate": f"Bearer error={echo!r}"})

    return Loopback(answer)


def test_no_patient_data_or_token_reaches_a_log_or_stderr(all_logs, tmp_path, capfd, monkeypatch):
    """With every logger at DEBUG: an import, a summary for each demo viewer and CLI runs with a
    token set log no name, NHS number, birth date or token, and print none of them to stderr."""
    monkeypatch.setenv("LTC_TOKEN", TOKEN)
    db = tmp_path / "ltc.db"
    store = Store(db)
    assert not import_paths(store, DEMO).rejected
    service = Service(store)
    today = cli.settings.today()
    viewers = [Viewer(kind=kind, patient_id=pid) for pid in store.patient_ids() for kind in ("patient", "clinic")]
    viewers += [Viewer(kind="proxy", patient_id=link.patient_id, proxy_id=link.related_person_id)
                for link in proxy_links(store, today)]
    assert len(viewers) >= 15
    for viewer in viewers:
        assert summary_markdown(service.summary(viewer, today))
    store.close()
    with hostile_server() as server:
        codes = [
            cli.main(["import", str(DEMO[0]), "--db", str(db)]),
            cli.main(["patients", "--db", str(db)]),
            cli.main(["summary", "--patient", "dm-patient", "--format", "md", "--db", str(db)]),
            cli.main(["summary", "--patient", "nobody", "--db", str(db)]),
            cli.main(["sync", "--server", f"{server.root}/fhir", "--patient", "dm-patient", "--db", str(db)]),
        ]
        assert server.requests and all(TOKEN in r.headers.get("authorization", "") for r in server.requests)
    assert codes[:3] == [0, 0, 0] and codes[3] == 2 and codes[4] == 2
    out, err = capfd.readouterr()
    assert "Rajesh Example" in out, "the check would find a name if one were there"
    logged = "\n".join(all_logs.lines)
    assert "127.0.0.1" in logged, "the capture saw no log line at all (urllib3 logs each request at DEBUG)"
    for secret in secrets():
        assert secret not in logged, f"a log holds patient data or the token: {secret[:4]}..."
        assert secret not in err, f"stderr holds patient data or the token: {secret[:4]}..."


def test_the_store_and_its_journal_are_readable_by_their_owner_only(tmp_path):
    """Even under a permissive umask, the store file and its WAL and shared-memory files are 0600."""
    old = os.umask(0)
    try:
        store = Store(tmp_path / "folder" / "ltc.db")
        store.add_question("p1", "A question", author="patient")
        files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files if f.exists()}
        store.close()
    finally:
        os.umask(old)
    assert "ltc.db" in modes and "ltc.db-wal" in modes
    assert all(mode == 0o600 for mode in modes.values()), {name: oct(mode) for name, mode in modes.items()}


@pytest.mark.parametrize("name, size, error, words", [
    ("record.json", uploads.MAX_UPLOAD_BYTES + 1, uploads.UploadTooLarge, "the largest file that can be uploaded is 200 MB"),
    ("record.ndjson.gz", 0, uploads.UploadEmpty, "The file is empty"),
    ("Jane Smith record.pdf", 1000, uploads.UploadWrongKind, "Only FHIR R4 files"),
])
def test_uploads_are_refused_with_a_plain_message(name, size, error, words):
    """Too large, empty or not FHIR JSON: a named error whose message says why, without the file's name."""
    with pytest.raises(uploads.UploadRefused) as raised:
        uploads.check_upload(name, size)
    assert type(raised.value) is error and words in str(raised.value) and name not in str(raised.value)


def test_uploads_within_the_limit_are_accepted():
    """A FHIR file of any size up to the limit passes the check."""
    for name in ("a.json", "B.NDJSON", "c.json.gz", "d.ndjson.gz", "e.xml", "f.XML.gz"):
        uploads.check_upload(name, uploads.MAX_UPLOAD_BYTES)


XSS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<p onclick=alert(1)>hi</p>", "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>', '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>', '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>', "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<math href="javascript:alert(1)">CLICK</math>', '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>', "<style>@import 'http://evil.example/x.css';</style>",
    '<object data="javascript:alert(1)"></object>', '<embed src="data:text/html;base64,PHNjcmlwdD4=">',
    '<form action="javascript:alert(1)"><input type=submit></form>', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=stylesheet href="javascript:alert(1)">', '<base href="javascript:alert(1)//">',
    "<table background=javascript:alert(1)><tr><td>x</td></tr></table>", "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    '<details open ontoggle=alert(1)>', "<template><script>alert(1)</script></template>",
    "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", '<p><b onmouseover="alert(1)">bold</b></p>',
    '<video><source onerror="alert(1)"></video>', '"><script>alert(1)</script>', "<textarea><script>alert(1)</script>",
]


# An element whose content is never shown, opened and not closed: what follows is dropped, as
# a browser with scripting on would treat it as one raw block.
SWALLOWS_THE_REST = {'<noscript><p title="</noscript><img src=x onerror=alert(1)>">'}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag, attrs) -> None:
        self.found.append((tag, attrs))

    def handle_comment(self, data) -> None:
        self.found.append(("!--", [data]))

    def unknown_decl(self, data) -> None:
        self.found.append(("<!", [data]))


@pytest.mark.parametrize("vector", XSS)
def test_html_letters_keep_no_script_handler_or_url(vector):
    """Each XSS vector, as a letter, leaves `Letter.html_safe` with allow-listed, attribute-free tags
    only: no script, handler, javascript: URL, style, frame, svg or math survives."""
    page = f"<html><body><h1>Clinic letter</h1>{vector}<p>Kind regards</p></body></html>"
    letter = map_record([{
        "resourceType": "DocumentReference", "id": "l1", "status": "current", "subject": {"reference": "Patient/p"},
        "content": [{"attachment": {"contentType": "text/html", "data": base64.b64encode(page.encode()).decode()}}],
    }]).letters[0]
    assert letter.html_safe == extract_text("text/html", page.encode())[1]
    assert "Clinic letter" in letter.html_safe
    if vector not in SWALLOWS_THE_REST:
        assert "Kind regards" in letter.html_safe, "the rest of the letter was lost"
    parser = _Tags()
    parser.feed(letter.html_safe)
    parser.close()
    assert all(tag in ALLOWED_TAGS and not attrs for tag, attrs in parser.found), parser.found
    lowered = letter.html_safe.lower()
    assert not re.search(r"<\s*(script|svg|math|iframe|object|embed|style|img|a|form|meta|link|base)\b", lowered)


def test_dependency_audit():
    """pip-audit finds no known vulnerability in the installed packages (skipped, saying why, when
    PyPI's advisory service cannot be reached: this workplace's PyPI answers 404 for every
    package's advisories, so a failure there would only block every change without auditing)."""
    if shutil.which("bash") is None or not (Path(sys.executable).parent / "pip-audit").exists():
        pytest.fail("pip-audit is not installed in the test environment: install the `test` extra")
    run = subprocess.run(["bash", str(ROOT / "scripts" / "audit.sh"), "--format", "json"], capture_output=True,
                         text=True, timeout=600, env={**os.environ, "VENV": str(Path(sys.executable).parent.parent)})
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        report = None
    dependencies = (report or {}).get("dependencies", [])
    unaudited = [d for d in dependencies if "skip_reason" in d]
    unreachable = report is None and re.search(r"ConnectionError|NameResolution|Max retries|timed out", run.stderr)
    unreachable = unreachable or (dependencies and len(unaudited) == len(dependencies))
    if unreachable:
        reason = ("PyPI's advisory service could not be reached (no package could be looked up: "
                  f"{(unaudited[0]['skip_reason'] if unaudited else run.stderr.strip()[-200:])})")
        pytest.skip(f"{reason}. The audit did not run; run scripts/audit.sh where it can.")
    assert report is not None, f"pip-audit did not run: {run.stderr[-800:]}"
    found = [f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release'])})"
             for d in dependencies for v in d.get("vulns", [])]
    assert not found, "known vulnerabilities:\n" + "\n".join(found)
    assert not unaudited, f"packages that could not be audited: {[d['name'] for d in unaudited]}"


def test_hazard_log_tests_exist():
    """Every test the hazard log names as proof of a control exists (pytest collects it)."""
    log = (ROOT / "docs" / "safety" / "hazard-log.md").read_text()
    named = sorted(set(re.findall(r"`(tests/[\w/]+\.py::[\w\[\]\-]+)`", log)))
    assert len(named) >= 8, "the hazard log names too few tests"
    files = sorted({n.split("::")[0] for n in named})
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    collected = {line.split("[")[0] for line in run.stdout.splitlines() if "::" in line}
    missing = [n for n in named if n.split("[")[0] not in collected]
    assert not missing, f"the hazard log names tests that do not exist: {missing}\n{run.stderr[-500:]}"
