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
    (("preference_keys.py",), {"store", "record", "conditions", "summary", "sheet", "exports", "pages", "service",
                               "connectors", "streamlit", "sqlite_utils", "fhir_read", "textsafe"},
     "the preference table is read by every layer (store, views, exports, service, pages): it imports none"),
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


# The gate: record/access.py and the parts split from it to keep files small (each says so).
# record/access_snapshot.py: the gate's reading of the record's snapshot (kept, updated or derived
# whole), split out to keep access.py within the house's size and imported by access.py alone.
GATE_FILES = {"record/access.py", "record/access_snapshot.py", "record/carer_access.py", "record/gate_shared.py"}


def test_record_modules_other_than_the_gate_do_not_read_the_store():
    """Only the gate may import the store; the rest of record/ is pure mapping."""
    offenders = [str(f.relative_to(ROOT)) for f in python_files("record") if str(f.relative_to(ROOT)) not in GATE_FILES
                 and imported_modules(f) & {"store", "sqlite_utils", "streamlit", "connectors"}]
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


def test_clinical_reads_of_the_store_happen_only_in_the_gate():
    """Reading clinical resources (resources_for, shared, of_type, search_text, the record's
    snapshot, kept, as it was at an earlier write, or the resources a write changed) is the gate's job."""
    readers = ("resources_for(", "resource_texts_for(", ".shared(", ".of_type(", "search_text(", "search_text_parts(",
               ".patient_resource(", ".derived(", ".keep_derived(", ".derived_before(", ".changes_since(",
               ".kept_with_changes(", ".resource_rows(")
    offenders = []
    for path in project_files():
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "store" or str(rel) in GATE_FILES:
            continue
        text = path.read_text()
        if any(r in text for r in readers):
            offenders.append(str(rel))
    assert not offenders, f"only the gate ({sorted(GATE_FILES)}) may read clinical resources: {offenders}"


MAX_LINES = 400
# Files still over MAX_LINES, each held to the length it has now so it cannot grow. Remove an
# entry once its file is split.
STILL_OVER: dict[str, int] = {}


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
                 if "record.access_snapshot" in _full_imports(p) and str(p.relative_to(ROOT)) != "record/access.py"
                 and p.relative_to(ROOT).parts[0] != "tests"]
    assert not importers
    parts = {"record.snapshot.build", "record.snapshot.changes", "record.snapshot.layout", "record.snapshot.mapped",
             "record.snapshot.removals"}
    outside = [str(p.relative_to(ROOT)) for p in project_files()
               if parts & _full_imports(p) and p.relative_to(ROOT).parts[:2] != ("record", "snapshot")
               and str(p.relative_to(ROOT)) not in (GATE_FILES | {"record/gate_chains.py"})
               and p.relative_to(ROOT).parts[0] != "tests"]
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


def module_name(path: Path, root: Path = ROOT) -> str:
    """`record/access.py` -> `record.access`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of import nodes under `if TYPE_CHECKING:`: read by type checkers, never run."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            hidden |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return hidden


def project_imports(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """The project modules a file imports, anywhere in it (a function-level import hides a cycle
    as well as a top-level one does), relative imports resolved; type-checking-only imports aside."""
    tree = ast.parse(path.read_text(), filename=str(path))
    hidden, me = _type_checking_only(tree), module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]

    def owning(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found |= {owning(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                whole = f"{source}.{alias.name}" if source else alias.name
                found.add(whole if whole in modules else owning(source))
    return found - {None, me}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


# cli.py (being changed by the pages and features work, issue 19) imports cli_readings inside a
# function and cli_readings imports cli for its options and UsageError: to be broken by moving
# those into a module both import when cli.py is free to change.
KNOWN_CYCLES: list[list[str]] = []  # none: the command modules share cli_common.py, not cli.py


def test_no_import_cycle_among_the_project_modules():
    """No two project modules import each other, directly or around a loop, at any level of the
    file: a cycle makes the import order matter and hides which layer owns what (issue 19)."""
    files = {module_name(p): p for p in project_files()}
    graph = {name: project_imports(path, set(files)) for name, path in files.items()}
    assert [c for c in import_cycles(graph) if c not in KNOWN_CYCLES] == []


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
