"""The import rules of STYLE.md and docs/ARCHITECTURE.md hold, so the picture stays true
(in the spirit of sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.import_graph import (ROOT, banned_in, import_cycles, imported_modules, imports_in, module_name,
                                project_imports, state_changes)


def python_files(*parts: str) -> list[Path]:
    files = []
    for part in parts:
        target = ROOT / part
        files.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return [f for f in files if f.exists()]


# Folders of the checkout that are not the app: skipped by their first part only, so a folder of
# the same name inside a package (ltc_dashboard/record/build/) is still read.
NOT_THE_APP = {".venv", "tests", "node_modules", ".tools", "build", "data", ".git", "docs"}


def project_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in NOT_THE_APP]


P = "ltc_dashboard"
# The layout, in the order of the data flow (docs/ARCHITECTURE.md, ltc_dashboard/__init__.py): the
# brief's names at the top, everything else in the one package whose import name is the project's.
LAYERS = ("connectors", f"{P}/intake", f"{P}/store", f"{P}/gate", f"{P}/record", "conditions", f"{P}/summary",
          f"{P}/exports", f"{P}/service", f"{P}/cli", "pages")
LEAVES = (f"{P}/fhir_read.py", f"{P}/textsafe.py", f"{P}/preference_keys.py", f"{P}/settings.py")
INTAKE, STORE, GATE, RECORD = f"{P}.intake", f"{P}.store", f"{P}.gate", f"{P}.record"
SUMMARY, EXPORTS, SERVICE, CLI, SETTINGS = f"{P}.summary", f"{P}.exports", f"{P}.service", f"{P}.cli", f"{P}.settings"
ABOVE_THE_STORE = {INTAKE, GATE, RECORD, "conditions", SUMMARY, EXPORTS, SERVICE, CLI, "pages", SETTINGS}
EVERY_PART = ABOVE_THE_STORE | {STORE, "connectors", f"{P}.fhir_read", f"{P}.textsafe", f"{P}.preference_keys"}

RULES = [
    # (files, modules they must not import, why)
    (("connectors",), ABOVE_THE_STORE | {STORE, "streamlit", "sqlite_utils"},
     "connectors yield raw dicts and never touch the database"),
    ((f"{P}/intake",), {"conditions", SUMMARY, SERVICE, CLI, "pages", "streamlit"},
     "intake writes records in: it asks the gate (a carer's sync) and restores own-content files, "
     "and never reaches the views, the service or anything that draws"),
    ((f"{P}/store",), ABOVE_THE_STORE | {"connectors", "streamlit"},
     "the store keeps raw resources and knows nothing above it"),
    ((f"{P}/record",), ABOVE_THE_STORE - {RECORD} | {STORE, "connectors", "streamlit", "sqlite_utils"},
     "the record package maps and reads entries: it never reaches the store, the gate or anything above"),
    ((f"{P}/gate",), {INTAKE, "conditions", SUMMARY, EXPORTS, SERVICE, CLI, "pages", SETTINGS, "connectors",
                      "streamlit"},
     "the gate reads the store and the record package only: what is above it asks the gate"),
    (("conditions",), ABOVE_THE_STORE - {RECORD, "conditions"} | {STORE, "connectors", "sqlite_utils", "streamlit",
                                                                   "fhirclient"},
     "condition modules are pure clinical logic"),
    ((f"{P}/summary",), {"sqlite_utils", "connectors", "streamlit", STORE, SERVICE, CLI, "pages", INTAKE},
     "the summary is built from a VisibleRecord only"),
    ((f"{P}/exports",), {"streamlit", "pages", SERVICE, CLI},
     "exports write files from what the gate passed; they never draw or hold the service"),
    ((f"{P}/service",), {"streamlit", "pages", CLI},
     "the service is the one door for pages and the CLI; it draws nothing"),
    (("pages", "app.py"), {STORE, "connectors", "fhirclient", "sqlite_utils", CLI, f"{INTAKE}.ingest",
                           f"{INTAKE}.sync", f"{INTAKE}.uploads"},
     "pages draw domain objects and never reach the store"),
    ((f"{P}/cli",), {"streamlit", "pages"},
     "the CLI reads records through the service, never draws"),
    ((f"{P}/settings.py",), EVERY_PART - {RECORD, SETTINGS} | {"streamlit", "sqlite_utils"},
     "settings say where things are and what day it is: the demo store's import is intake/stores.py's"),
    ((f"{P}/__init__.py",), EVERY_PART | {"streamlit", "sqlite_utils"},
     "ltc_dashboard/__init__.py says the layout in words: a re-export there would reach every layer"),
    ((f"{P}/fhir_read.py",), EVERY_PART - {f"{P}.fhir_read", f"{P}.textsafe"} | {"streamlit", "sqlite_utils", "pydantic"},
     "fhir_read is the one reading of raw FHIR that both connectors/ and ltc_dashboard/record/ import: it imports "
     "neither, only textsafe (what of a name is visible)"),
    ((f"{P}/preference_keys.py",), EVERY_PART - {f"{P}.preference_keys"} | {"streamlit", "sqlite_utils"},
     "the preference table is read by every layer (store, views, exports, service, pages): it imports none"),
    ((f"{P}/textsafe.py",), EVERY_PART - {f"{P}.textsafe"} | {"streamlit", "sqlite_utils"},
     "writing text safely for each medium is pure, so every layer can use it"),
]


@pytest.mark.parametrize("parts, banned, why", RULES, ids=[r[0][0] for r in RULES])
def test_layer_does_not_import_banned_modules(parts, banned, why):
    """Each layer imports only what the one-direction flow allows."""
    offenders = {str(f.relative_to(ROOT)): banned_in(f, banned) for f in python_files(*parts)}
    offenders = {f: mods for f, mods in offenders.items() if mods}
    assert not offenders, f"{why}: {offenders}"


def test_the_layer_rules_see_a_banned_import(tmp_path):
    """Not vacuous: `from ltc_dashboard.store import Store` and `from ltc_dashboard import store`
    are both found under a ban on the store package, a sibling with a longer name is not."""
    (tmp_path / "x.py").write_text("from ltc_dashboard.store import Store\n"
                                    "def f():\n    from ltc_dashboard import store, store_words\n")
    assert banned_in(tmp_path / "x.py", {STORE}) == ["ltc_dashboard.store", "ltc_dashboard.store.Store"]
    gate = ROOT / P / "gate" / "access.py"  # a relative import is read as the module it names
    sneaky = ast.parse("from ..store import db\nfrom . import viewer\n")
    assert imports_in(sneaky, gate) >= {STORE, f"{STORE}.db", f"{GATE}.viewer"}


def test_the_top_level_holds_only_the_entry_points_and_the_layers():
    """A newcomer reads the flow from the top: two entry points (app.py for Streamlit, serve.py for
    `make run`), the brief's packages and ltc_dashboard/; no loose module, and no folder of modules
    that is not one of them, a layer, or a folder that is not the app (issue 19)."""
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["app.py", "serve.py"]
    folders = {p.parent.relative_to(ROOT) for p in project_files()} - {Path(".")}
    tops = {folder.parts[0] for folder in folders}
    assert tops - {"bench", "scripts"} == {"conditions", "connectors", P, "pages"}
    in_packages = {f for f in folders if f.parts[0] not in ("bench", "scripts")}
    assert sorted(f.as_posix() for f in in_packages if not (ROOT / f / "__init__.py").exists()) == []
    layers = sorted(f.as_posix() for f in in_packages if f.parts[0] == P and len(f.parts) == 2)
    assert layers == sorted(layer for layer in LAYERS if layer.startswith(P + "/"))
    loose = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / P).glob("*.py") if p.name != "__init__.py")
    assert loose == sorted(LEAVES)


def _first_mentions(text: str, names: list[str]) -> list[int]:
    where = [text.find(f"`{name}/`") for name in names]
    assert -1 not in where, [name for name, at in zip(names, where) if at == -1]
    return where


def test_the_package_says_its_layers_in_the_order_of_the_flow():
    """ltc_dashboard/__init__.py (by their names inside it) and docs/ARCHITECTURE.md's Layout
    section (by their paths) name the layers in LAYERS' order, so the reading order a newcomer is
    given is the one the rules check."""
    short = [layer.removeprefix(P + "/") for layer in LAYERS]
    where = _first_mentions((ROOT / P / "__init__.py").read_text(), short)
    assert where == sorted(where)
    docs = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    layout = docs[docs.index("## Layout"):]
    layout = layout[:layout.index("\n## ", 1)]
    where = _first_mentions(layout, list(LAYERS))
    assert where == sorted(where)


# The gate: ltc_dashboard/gate/, whose access.py is the one door to clinical resources; the
# parts split from it to keep files small read the store too (each says so).
GATE_FILES = {f"{P}/gate/access.py", f"{P}/gate/access_snapshot.py", f"{P}/gate/carer_access.py",
              f"{P}/gate/shared.py"}


def test_gate_modules_other_than_the_readers_do_not_read_the_store():
    """Of the gate, only access.py and the parts split from it import the store."""
    offenders = [str(f.relative_to(ROOT)) for f in python_files(f"{P}/gate")
                 if str(f.relative_to(ROOT)) not in GATE_FILES and banned_in(f, {STORE, "sqlite_utils"})]
    assert not offenders


def test_only_the_store_imports_sqlite_utils():
    """sqlite_utils is imported by the store package alone."""
    offenders = [str(p.relative_to(ROOT)) for p in project_files()
                 if "sqlite_utils" in imported_modules(p) and p.relative_to(ROOT).parts[:2] != (P, "store")]
    assert not offenders


def test_only_the_server_connectors_import_fhirclient():
    """fhirclient is imported by connectors/fhir_server.py and connectors/smart.py, and by
    connectors/fhir_xml.py for its R4 models' element lists (which elements repeat), alone."""
    allowed = {ROOT / "connectors" / "fhir_server.py", ROOT / "connectors" / "smart.py",
               ROOT / "connectors" / "fhir_xml.py",
               ROOT / "bench" / "naive_fhirclient.py"}  # the benchmark's yardstick, not the app
    offenders = [str(p.relative_to(ROOT)) for p in project_files()
                 if banned_in(p, {"fhirclient"}) and p not in allowed]
    assert not offenders


def test_clinical_reads_of_the_store_happen_only_in_the_gate():
    """Reading clinical resources (resources_for, shared, of_type, search_text, the record's
    snapshot, kept, as it was at an earlier write, or the resources a write changed) is the gate's job."""
    readers = ("resources_for(", "resource_texts_for(", ".shared(", ".of_type(", "search_text(", "search_text_parts(",
               ".patient_resource(", ".snapshot_blobs(", ".keep_snapshot(", ".snapshot_before(", ".changes_since(",
               ".kept_with_changes(", ".resource_rows(")
    offenders = []
    for path in project_files():
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == (P, "store") or rel.as_posix() in GATE_FILES:
            continue
        text = path.read_text()
        if any(r in text for r in readers):
            offenders.append(str(rel))
    assert not offenders, f"only the gate ({sorted(GATE_FILES)}) may read clinical resources: {offenders}"


MAX_LINES = 400
# Files still over MAX_LINES, each held to the length it has now so it cannot grow. Remove an
# entry once its file is split.
STILL_OVER: dict[str, int] = {}


def test_only_the_gate_opens_the_snapshot_and_only_the_snapshot_package_makes_it():
    """gate/access_snapshot.py (the gate's reading of snapshots) is imported by gate/access.py
    alone, and the snapshot's parts (gate/snapshot/) by the gate, each other, and the mapping's
    callers through `gate.snapshot` (map_visible) or its codec (conditions' chart points)."""
    importers = [p.relative_to(ROOT).as_posix() for p in project_files()
                 if f"{GATE}.access_snapshot" in imported_modules(p) and p.relative_to(ROOT).as_posix() != f"{P}/gate/access.py"]
    assert not importers
    parts = {f"{GATE}.snapshot.{name}" for name in ("build", "changes", "layout", "mapped", "removals")}
    outside = [p.relative_to(ROOT).as_posix() for p in project_files()
               if parts & imported_modules(p) and p.relative_to(ROOT).parts[:3] != (P, "gate", "snapshot")
               and p.relative_to(ROOT).as_posix() not in (GATE_FILES | {f"{P}/gate/chains.py"})]
    assert not outside, outside


def test_files_stay_small():
    """No source or test file grows past 400 lines (STYLE.md: past ~400, split); the few still
    over it (STILL_OVER) may not grow, and one that shrank under it must leave the list."""
    files = project_files() + python_files("tests")
    lengths = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in files}
    big = {f: n for f, n in lengths.items() if n > STILL_OVER.get(f, MAX_LINES)}
    assert not big, f"split these by responsibility: {big}"
    settled = sorted(f for f in STILL_OVER if lengths.get(f, 0) <= MAX_LINES)
    assert not settled, f"no longer over {MAX_LINES} lines: remove from STILL_OVER: {settled}"


def test_no_import_cycle_among_the_project_modules():
    """No two project modules import each other, directly or around a loop, at any level of the
    file: a cycle makes the import order matter and hides which layer owns what (issue 19)."""
    files = {module_name(p): p for p in project_files()}
    graph = {name: project_imports(path, set(files)) for name, path in files.items()}
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_a_function_level_import(tmp_path):
    """The cycle check is not vacuous: a loop closed by an import inside a function is found,
    and one closed only under TYPE_CHECKING is not."""
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    (tmp_path / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n")
    names = {"a", "b", "c"}
    graph = {n: project_imports(tmp_path / f"{n}.py", names, tmp_path) for n in names}
    assert import_cycles(graph) == [["a", "b"]]
    assert graph["c"] == set()


def test_every_registered_page_goes_through_the_app_first():
    """Each page app.py registers calls state.guard() before drawing, so opening its file's own
    address never skips sign-in, quick exit or the access log (the neutral page has nothing to hide)."""
    registered = set(re.findall(r'"(pages/[\w]+\.py)"', (ROOT / "app.py").read_text()))  # st.Page args and the RECORD table
    assert len(registered) >= 10
    unguarded = [p for p in sorted(registered) if p != "pages/neutral.py"
                 and "state.guard()" not in (ROOT / p).read_text()]
    assert not unguarded


def test_every_package_is_installed_and_the_installed_names_are_the_projects():
    """setuptools installs only the packages pyproject lists by name, not their subpackages: one
    left out (ltc_dashboard/gate/snapshot/ once) is missing from the installed `ltc`, while the tests, run from
    the checkout, still pass. The installed top-level import names are the project's own package
    and the two the brief names that `ltc` needs; nothing generic (settings, sync, service, pages)
    is installed (issue 19)."""
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setup["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for top in listed if "." not in top
             for init in (ROOT / top).rglob("__init__.py")}
    assert found == listed
    assert {name for name in listed if "." not in name} == {P, "connectors", "conditions"}
    assert setup["py-modules"] == []  # app.py, serve.py and pages/ run from the checkout, as Streamlit runs them


def test_the_service_s_mixins_never_change_its_own_state():
    """Service (service/core.py) owns its store, its caches and its lock; the mixins it takes its
    other methods from (connect, flags, readings, requests, repeats, appointments: its bases,
    read from core.py) read them and ask core.py to change them (`_switch_store`,
    `_remember_slots`), so every change of the service's state is in one file (issue 19). Its
    attack (tests/test_attack19_layout.py) shows each way of changing state is seen."""
    core = ast.parse((ROOT / P / "service" / "core.py").read_text())
    service = next(n for n in ast.walk(core) if isinstance(n, ast.ClassDef) and n.name == "Service")
    mixins = {base.id for base in service.bases if isinstance(base, ast.Name)}
    assert len(mixins) >= 6
    offenders = {f.name: state_changes(ast.parse(f.read_text()), mixins) for f in python_files(f"{P}/service")
                 if f.name != "core.py"}
    assert not {name: found for name, found in offenders.items() if found}


def test_no_two_layers_import_each_other():
    """Read layer by layer (each of ltc_dashboard's subpackages, each brief package, each leaf as
    one node), the imports run one way: two layers importing each other would make neither the
    lower (summary/ read exports/ while exports/ wrote the summary, found by the attack)."""
    def layer(module: str) -> str:
        return ".".join(module.split(".")[:2]) if module.startswith(P + ".") else module.split(".")[0]

    files = {module_name(p): p for p in project_files() if p.relative_to(ROOT).parts[0] not in ("bench", "scripts")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph.setdefault(layer(name), set()).update(layer(m) for m in project_imports(path, set(files)))
    graph = {node: edges - {node} for node, edges in graph.items()}
    assert import_cycles(graph) == []
