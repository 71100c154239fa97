"""The import rules of STYLE.md and docs/ARCHITECTURE.md hold, so the picture stays true
(in the spirit of sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports (including imports inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def python_files(*parts: str) -> list[Path]:
    files = []
    for part in parts:
        target = ROOT / part
        files.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return [f for f in files if f.exists()]


def project_files() -> list[Path]:
    skip = {".venv", "tests", "node_modules", ".tools", "build", "data"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


RULES = [
    # (files, modules they must not import, why)
    (("connectors",), {"store", "record", "conditions", "summary", "pages", "streamlit", "sqlite_utils", "service"},
     "connectors yield raw dicts and never touch the database"),
    (("store",), {"connectors", "record", "conditions", "summary", "pages", "streamlit", "service"},
     "the store keeps raw resources and knows nothing above it"),
    (("conditions",), {"store", "sqlite_utils", "streamlit", "connectors", "pages", "service", "fhirclient"},
     "condition modules are pure clinical logic"),
    (("summary.py",), {"sqlite_utils", "connectors", "streamlit", "store", "service"},
     "the summary is built from a VisibleRecord only"),
    (("pages", "app.py"), {"store", "connectors", "fhirclient", "sqlite_utils"},
     "pages draw domain objects and never reach the store"),
    (("fhir_read.py",), {"store", "record", "connectors", "conditions", "summary", "sheet", "exports", "pages",
                         "streamlit", "sqlite_utils", "service", "pydantic"},
     "fhir_read is the one reading of raw FHIR that both connectors/ and record/ import: it imports neither"),
    (("textsafe.py",), {"store", "record", "conditions", "summary", "sheet", "exports", "pages", "service",
                        "connectors", "streamlit", "sqlite_utils"},
     "writing text safely for each medium is pure, so every layer can use it"),
]


@pytest.mark.parametrize("parts, banned, why", RULES, ids=[r[0][0] for r in RULES])
def test_layer_does_not_import_banned_modules(parts, banned, why):
    """Each layer imports only what the one-direction flow allows."""
    offenders = {str(f.relative_to(ROOT)): sorted(imported_modules(f) & banned) for f in python_files(*parts)}
    offenders = {f: mods for f, mods in offenders.items() if mods}
    assert not offenders, f"{why}: {offenders}"


def test_record_modules_other_than_the_gate_do_not_read_the_store():
    """Only record/access.py may import the store; the rest of record/ is pure mapping."""
    offenders = [str(f.relative_to(ROOT)) for f in python_files("record")
                 if f.name != "access.py" and imported_modules(f) & {"store", "sqlite_utils", "streamlit", "connectors"}]
    assert not offenders


def test_only_the_store_imports_sqlite_utils():
    """sqlite_utils is imported by the store package alone."""
    offenders = [str(p.relative_to(ROOT)) for p in project_files()
                 if "sqlite_utils" in imported_modules(p) and p.relative_to(ROOT).parts[0] != "store"]
    assert not offenders


def test_only_the_server_connectors_import_fhirclient():
    """fhirclient is imported by connectors/fhir_server.py and connectors/smart.py, and by
    connectors/fhir_xml.py for its R4 models' element lists (which elements repeat), alone."""
    allowed = {ROOT / "connectors" / "fhir_server.py", ROOT / "connectors" / "smart.py",
               ROOT / "connectors" / "fhir_xml.py",
               ROOT / "bench" / "naive_fhirclient.py"}  # the benchmark's yardstick, not the app
    offenders = [str(p.relative_to(ROOT)) for p in project_files()
                 if "fhirclient" in imported_modules(p) and p not in allowed]
    assert not offenders


# The gate: record/access.py, and its reading of the record's snapshot (kept, updated or derived
# whole), split out to keep the file within the house's size and imported by access.py alone.
GATE = (Path("record/access.py"), Path("record/access_snapshot.py"))


def test_clinical_reads_of_the_store_happen_only_in_the_gate():
    """Reading clinical resources (resources_for, shared, of_type, search_text, the record's
    snapshot, kept, as it was at an earlier write, or the resources a write changed) is the gate's job."""
    readers = ("resources_for(", "resource_texts_for(", ".shared(", ".of_type(", "search_text(", "search_text_parts(",
               ".patient_resource(", ".derived(", ".keep_derived(", ".derived_before(", ".changes_since(",
               ".resource_rows(")
    offenders = []
    for path in project_files():
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "store" or rel in GATE:
            continue
        text = path.read_text()
        if any(r in text for r in readers):
            offenders.append(str(rel))
    assert not offenders, f"only record/access.py may read clinical resources: {offenders}"


def _full_imports(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name (`from a.b import c` names a.b and a.b.c)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_only_the_gate_opens_the_snapshot_and_only_record_snapshot_makes_it():
    """record/access_snapshot.py (the gate's reading of snapshots) is imported by record/access.py
    alone, and the snapshot's parts (record/snapshot/) by the gate, each other, and the mapping's
    callers through `record.snapshot` (map_visible) or its codec (conditions' chart points)."""
    importers = [str(p.relative_to(ROOT)) for p in project_files()
                 if "record.access_snapshot" in _full_imports(p) and p.relative_to(ROOT) not in GATE
                 and p.relative_to(ROOT).parts[0] != "tests"]
    assert not importers
    parts = {"record.snapshot.build", "record.snapshot.changes", "record.snapshot.layout", "record.snapshot.mapped",
             "record.snapshot.removals"}
    outside = [str(p.relative_to(ROOT)) for p in project_files()
               if parts & _full_imports(p) and p.relative_to(ROOT).parts[:2] != ("record", "snapshot")
               and p.relative_to(ROOT) not in (*GATE, Path("record/gate_chains.py"))
               and p.relative_to(ROOT).parts[0] != "tests"]
    assert not outside, outside


def test_files_stay_small():
    """No source file grows past 450 lines (STYLE.md: past ~400, split)."""
    big = {str(p.relative_to(ROOT)): n for p in project_files() if (n := len(p.read_text().splitlines())) > 450}
    assert not big


def test_every_registered_page_goes_through_the_app_first():
    """Each page app.py registers calls state.guard() before drawing, so opening its file's own
    address never skips sign-in, quick exit or the access log (the neutral page has nothing to hide)."""
    registered = set(re.findall(r'"(pages/[\w]+\.py)"', (ROOT / "app.py").read_text()))  # st.Page args and the RECORD table
    assert len(registered) >= 10
    unguarded = [p for p in sorted(registered) if p != "pages/neutral.py"
                 and "state.guard()" not in (ROOT / p).read_text()]
    assert not unguarded


def test_every_subpackage_of_an_installed_package_is_installed():
    """setuptools installs only the packages pyproject lists by name, not their subpackages: a
    subpackage left out (record/snapshot/) is missing from the installed `ltc`."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for top in listed if "." not in top
             for init in (ROOT / top).rglob("__init__.py")}
    assert found == listed


def test_every_top_level_module_is_installed():
    """The installed `ltc` command imports the project's top-level modules from the install, not the
    checkout: one missing from pyproject's py-modules makes `ltc` fail outside the tests (cli_readings
    did, found by `make bench`), while the tests, run from the checkout, still pass."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["py-modules"])
    assert {path.stem for path in ROOT.glob("*.py")} == listed
