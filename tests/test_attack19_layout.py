"""Attacks on issue 19's layout and its architecture test (tests/test_architecture.py).

Each test tries one way a forbidden import, cycle, file or second owner could slip past the rules.
Written by an outside reviewer (helper-65, who had only the issue text and the code) against
commit 712af04; a test marked "Broke" failed then, and passes since the fix named in it. The
others checked a rule and found it holds; they stay as guards."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap

import pytest

import test_architecture as arch
from tests.import_graph import ROOT, banned_in, import_cycles, module_name, project_imports, state_changes

P = "ltc_dashboard"


def _write(base, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _graph(base, names):
    return {n: project_imports(base / (n.replace(".", "/") + ("/__init__.py" if (base / n.replace(".", "/")).is_dir()
                                                              else ".py")), set(names), base) for n in names}


# -- the import rules ------------------------------------------------------------------------


def test_importlib_and_dunder_import_are_seen_by_the_layer_rules(tmp_path):
    """Broke. `importlib.import_module("ltc_dashboard.store")` and `__import__(...)` load
    the store at run time, but `imported_modules` reads only import statements, so a condition
    module (or record/) doing this passes test_layer_does_not_import_banned_modules.
    Fixed: tests/import_graph.py reads a written name given to import_module or __import__."""
    _write(tmp_path, {"x.py": """
        import importlib
        def f():
            return importlib.import_module("ltc_dashboard.store").Store
        def g():
            return __import__("ltc_dashboard.gate.access")
        """})
    assert banned_in(tmp_path / "x.py", {f"{P}.store", f"{P}.gate"})


def test_a_dotted_name_through_an_imported_package_is_seen(tmp_path):
    """Broke. `import ltc_dashboard` is allowed everywhere; `ltc_dashboard.store.Store`
    then works in any process where something else loaded the store (the running app always
    has), and no rule sees it: only import statements are read, not attribute chains.
    Fixed: import_graph reads dotted names reached through an imported package."""
    _write(tmp_path, {"x.py": """
        import ltc_dashboard
        def f(path):
            return ltc_dashboard.store.Store(path)
        """})
    assert banned_in(tmp_path / "x.py", {f"{P}.store"})


def test_every_file_of_the_package_is_under_some_rule():
    """Broke. ltc_dashboard/__init__.py belongs to no entry of RULES (each names a
    subpackage or a leaf), so it may import anything, and `from ltc_dashboard import X` (a
    re-export) is not banned anywhere: a re-exported Store would reach conditions/ unnoticed.
    Fixed: ltc_dashboard/__init__.py has a rule of its own: it imports nothing of the project."""
    covered = {f for parts, _, _ in arch.RULES for f in arch.python_files(*parts)}
    loose = [p.relative_to(ROOT).as_posix() for p in (ROOT / P).rglob("*.py") if p not in covered]
    assert not loose


def test_conditions_and_record_load_neither_store_nor_gate_at_run_time():
    """Holds. The static rules read direct imports only; this imports every module of conditions/
    and ltc_dashboard/record/ in a fresh interpreter and checks what actually got loaded, so a
    re-export, an importlib call or a parent package's __init__ that pulls in the store is caught."""
    names = sorted(module_name(p) for part in ("conditions", f"{P}/record") for p in (ROOT / part).rglob("*.py"))
    code = ("import importlib, sys\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            "bad = ('ltc_dashboard.store', 'ltc_dashboard.gate', 'ltc_dashboard.intake', 'ltc_dashboard.service',"
            " 'ltc_dashboard.exports', 'ltc_dashboard.summary', 'sqlite_utils', 'streamlit', 'connectors', 'pages')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlite_utils', 'streamlit', 'connectors',"
            " 'pages') or m.startswith(bad[:6])))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the cycle finder -----------------------------------------------------------------------


def test_a_cycle_through_a_package_init_is_found(tmp_path):
    """Broke. Importing `p.c` runs `p/__init__.py` first; the finder draws an edge to `p.c`
    only, so the loop q.b -> p (its __init__) -> p.a -> q.b is not seen, though Python fails on it.
    Fixed: import_graph draws an edge to each package above an imported module (not the importer's own)."""
    _write(tmp_path, {"p/__init__.py": "from p.a import x\n", "p/a.py": "from q.b import y\nx = 1\n",
                      "p/c.py": "z = 3\n", "q/__init__.py": "", "q/b.py": "from p.c import z\ny = 2\n"})
    run = subprocess.run([sys.executable, "-c", "import q.b"], cwd=tmp_path, capture_output=True, text=True)
    assert "ImportError" in run.stderr  # a real cycle: Python cannot import it
    assert import_cycles(_graph(tmp_path, ["p", "p.a", "p.c", "q", "q.b"]))


def test_no_two_layer_packages_import_each_other():
    """Broke. summary/core.py imports exports/own_content.py (`questions_for`) while
    exports/pdf_sheet.py and record_request.py import summary/: a loop between two layers. Module
    by module it is no loop, and exports/__init__.py's own function-level imports close it only
    through the package's __init__, which the finder does not draw (see the test above).
    Fixed: questions_for and screen_choices moved to gate/own_content.py; test_architecture checks layers too."""
    files = {module_name(p): p for p in arch.project_files()}
    top = lambda m: ".".join(m.split(".")[:2]) if m.startswith(P + ".") else m.split(".")[0]  # noqa: E731
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph.setdefault(top(name), set()).update(top(d) for d in project_imports(path, set(files)) if top(d) != top(name))
    assert import_cycles(graph) == []


def test_a_rebound_type_checking_name_does_not_hide_a_runtime_import(tmp_path):
    """Broke. `_type_checking_only` skips every `if TYPE_CHECKING:` by the name alone, so a
    module that sets `TYPE_CHECKING = True` (or imports something under that name) closes a
    loop at run time that the cycle finder never sees.
    Fixed: only typing's TYPE_CHECKING, never rebound, hides an import."""
    _write(tmp_path, {"a.py": "import b\n", "b.py": "TYPE_CHECKING = True\nif TYPE_CHECKING:\n    import a\n"})
    assert import_cycles(_graph(tmp_path, ["a", "b"])) == [["a", "b"]]


# -- the layout and file-size checks, run on a copy of the skeleton ---------------------------


@pytest.fixture
def skeleton(tmp_path, monkeypatch):
    files = {"app.py": "", "serve.py": "", **{f"{top}/__init__.py": "" for top in ("conditions", "connectors", "pages", P)},
             **{f"{layer}/__init__.py": "" for layer in arch.LAYERS if layer.startswith(P + "/")},
             **{leaf: "" for leaf in arch.LEAVES}}
    _write(tmp_path, files)
    monkeypatch.setattr(arch, "ROOT", tmp_path)
    arch.test_the_top_level_holds_only_the_entry_points_and_the_layers()  # the skeleton passes as it is
    return tmp_path


@pytest.mark.parametrize("where", ["helpers/tools.py", f"{P}/helpers/tools.py"])
def test_a_new_package_without_init_is_caught(skeleton, where):
    """Broke. The top-level check looks for `*/__init__.py` only: a folder of modules without
    one is a namespace package, importable from the checkout (`import helpers.tools`), under no
    layer rule and, inside ltc_dashboard/, missing from the installed package.
    Fixed: every folder of modules must be a package, and a layer or an allowed folder."""
    _write(skeleton, {where: "import ltc_dashboard.store\n"})
    with pytest.raises(AssertionError):
        arch.test_the_top_level_holds_only_the_entry_points_and_the_layers()


@pytest.mark.parametrize("folder", ["build", "data"])
def test_a_long_file_under_a_folder_named_build_or_data_is_measured(skeleton, folder):
    """Broke. project_files() skips any path with a part named build or data (meant for the
    top-level folders), so ltc_dashboard/record/build/big.py of 500 lines passes the size test, and
    is also outside the cycle, sqlite_utils, fhirclient and clinical-reads checks.
    Fixed: folders that are not the app are skipped by their first part only."""
    _write(skeleton, {f"{P}/record/{folder}/big.py": "x = 1\n" * 500})
    with pytest.raises(AssertionError):
        arch.test_files_stay_small()


# -- the Service mixins ---------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "class ConnectMixin:\n    def f(self, s):\n        setattr(self, '_store', s)\n",
    "class ConnectMixin:\n    def f(self, k):\n        self._opened.append(k)\n",
    "class ConnectMixin:\n    def f(self, k):\n        self._kept.add(k)\n",
    "class ConnectMixin:\n    def f(self, k):\n        vars(self)['_store'] = k\n",
    "class ConnectMixin:\n    def f(self, s):\n        me = self\n        me._store = s\n",
    "class Connect:\n    def f(self, s):\n        self._store = s\n",
    "def swap(service, s):\n    service._store = s\n",
])
def test_the_mixin_check_sees_every_change_of_the_services_state(body):
    """Broke. `_changes_of_self` sees `self.x = ...`, `del`, and clear/pop/popitem/update/
    setdefault, in classes whose name ends in Mixin only: setattr, append/add/remove/discard/extend,
    vars(self), an alias of self, a class named otherwise and a module-level helper all slip by.
    Fixed: import_graph.state_changes, on Service's bases as core.py names them."""
    assert state_changes(ast.parse(body), {"ConnectMixin", "Connect"})


def test_no_service_module_changes_state_outside_core_by_any_of_these_means():
    """Holds today: none of the forms above is used in ltc_dashboard/service/*.py but core.py."""
    pattern = re.compile(r"setattr\(self|vars\(self\)|self\.__dict__|self\._\w+\.(append|add|extend|remove|discard|insert)\(")
    found = {p.name: pattern.findall(p.read_text()) for p in (ROOT / P / "service").glob("*.py") if p.name != "core.py"}
    assert not {k: v for k, v in found.items() if v}


# -- one owner per fact, in the code today -----------------------------------------------------


@pytest.mark.parametrize("resource", [
    {"resourceType": "Observation", "status": "Entered-In-Error"},
    {"resourceType": "Observation", "status": " entered-in-error "},
    {"resourceType": "Condition", "verificationStatus": {"coding": [{"code": "ENTERED-IN-ERROR"}]}},
])
def test_the_store_reads_entered_in_error_as_its_owner_does(resource):
    """Broke. store/versions.py keeps its own `_says_in_error` (exact match) to choose among
    copies that cannot be ordered, while the owner, record/entered_in_error.py, reads any case and
    padding: a copy the gate withholds as entered in error does not count as the least-granting
    one when the store picks a winner.
    Fixed: the owner moved to fhir_read.entered_in_error, which the store asks."""
    from ltc_dashboard.fhir_read import entered_in_error
    from ltc_dashboard.store.versions import restraint

    assert restraint(resource)[0] == entered_in_error(resource)


def test_the_connect_page_names_a_person_as_the_owner_does():
    """Broke. service/connect.py formats names itself twice (`_person`, `_name`: given then
    family of the first name), not through fhir_read.person_name (official first, text first).
    Fixed: service/connect.py asks fhir_read.person_name."""
    from ltc_dashboard import fhir_read
    from ltc_dashboard.service.connect import _person

    patient = {"resourceType": "Patient", "id": "p1", "name": [
        {"use": "old", "given": ["Maggie"], "family": "Smith"},
        {"use": "official", "text": "Margaret Jones", "given": ["Margaret"], "family": "Jones"}]}
    assert _person(patient).name == fhir_read.person_name(patient)


def test_the_copies_of_the_shared_types_still_agree():
    """Holds, but two more literal copies of lookup_types' sets exist and no owner test checks
    them: exports/feedback.py NOT_FLAGGABLE (== REFERENCED_ONLY) and record/dates.py UNDATED_TYPES
    (which must hold every shared type). They should import the owner; until then they must agree."""
    from ltc_dashboard.exports.feedback import NOT_FLAGGABLE
    from ltc_dashboard.record.dates import UNDATED_TYPES
    from ltc_dashboard.record.lookup_types import REFERENCED_ONLY

    assert NOT_FLAGGABLE == REFERENCED_ONLY
    assert REFERENCED_ONLY <= UNDATED_TYPES


# -- what a newcomer reads ------------------------------------------------------------------


def _module_rows() -> list[str]:
    docs = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    section = docs[docs.index("## Modules and their rules"):docs.index("### One owner")]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_every_row_of_the_module_table_is_whole():
    """Broke. The cli row ends inside a code span ("`readings.py` holds `ltc reading add\\ |"):
    the move cut what the old row said of readings, appointments, requests and repeats.
    Fixed in docs/ARCHITECTURE.md."""
    assert [row[:40] for row in _module_rows() if row.count("`") % 2] == []


def test_the_record_row_names_only_what_record_holds():
    """Broke. The `ltc_dashboard/record/` row still describes `snapshot/` (facts, codec,
    layout, build, changes, removals, mapped) as the record package's; it is gate/snapshot/.
    Fixed in docs/ARCHITECTURE.md."""
    row = next(r for r in _module_rows() if r.startswith(f"| `{P}/record/`"))
    named = set(re.findall(r"`(\w+\.py|\w+/)`", row.split(" | ")[1]))
    assert sorted(n for n in named if not (ROOT / P / "record" / n).exists()) == []
