"""How tests/test_architecture.py reads a Python file's imports and finds loops among them (not a
test file: its functions are imported by the architecture tests and their attack,
tests/test_attack19_layout.py).

An import is counted wherever it stands in a file (a function-level import closes a loop as well
as a top-level one), by its full dotted name, in every form that loads a module at run time:
`import a.b`, `from a import b` (a.b may be a module), relative imports resolved against the
file's package, `importlib.import_module("a.b")` and `__import__("a.b")` with a written name, and
a dotted name reached through an imported package (`import a` then `a.b.c`). For loops, importing
`a.b.c` also runs the `__init__.py` of `a` and `a.b`, unless the importer sits inside them; an
import under `if TYPE_CHECKING:` (typing's, never rebound) is never run and draws no edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path, root: Path = ROOT) -> str:
    """`ltc_dashboard/gate/access.py` -> `ltc_dashboard.gate.access`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path, root: Path) -> str:
    me = module_name(path, root) if path.is_relative_to(root) else path.stem
    return me if path.name == "__init__.py" else me.rpartition(".")[0]


def type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under `if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`, where the
    name is typing's and the module never binds it again: read by type checkers, never run."""
    names, rebound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "typing":
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "TYPE_CHECKING"}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            rebound |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not (isinstance(node, ast.ImportFrom)
                                                                     and node.module == "typing"):
            rebound |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    names -= rebound
    hidden = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        by_name = isinstance(test, ast.Name) and test.id in names
        by_module = (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
                     and isinstance(test.value, ast.Name) and test.value.id == "typing" and "typing" not in rebound)
        if by_name or by_module:
            hidden |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return hidden


def _dotted(node: ast.AST) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"], or None when the chain does not start at a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def imports_in(tree: ast.AST, path: Path, root: Path = ROOT, skip: set[int] = frozenset()) -> set[str]:
    """Every module `tree` (the file at `path`) imports, in every form the module docstring lists,
    by its full dotted name; each `from a import b` also as a.b. Nodes whose id is in `skip` are
    left out."""
    package = _package_of(path, root)
    found, bound = set(), {}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            for alias in node.names:
                found.add(f"{module}.{alias.name}")
                bound[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = _dotted(node.func)
            if called and called[-1] in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                name = node.args[0].value
                found.add(f"{package}{name}" if name.startswith(".") else name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in skip:
            chain = _dotted(node)
            if chain and chain[0] in bound:
                found.add(".".join([bound[chain[0]], *chain[1:]]))
    return found


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module the file at `path` imports (imports_in), type-checking-only ones included."""
    return imports_in(ast.parse(path.read_text(), filename=str(path)), path, root)


def banned_in(path: Path, banned: set[str]) -> list[str]:
    """The imports of `path` that fall under one of `banned` (a module or package and all below it)."""
    return sorted(name for name in imported_modules(path)
                  if any(name == b or name.startswith(b + ".") for b in banned))


def project_imports(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """The project modules (of `modules`) the file at `path` runs when it imports what it does:
    each module named, and the packages above it whose `__init__.py` Python runs first, but not
    the packages the file sits inside (they are running already, so `from conditions import x` in
    conditions/y.py runs conditions/x.py only). Type-checking-only imports aside."""
    tree = ast.parse(path.read_text(), filename=str(path))
    me = module_name(path, root)
    mine = {".".join(me.split(".")[:i]) for i in range(1, me.count(".") + 1)}

    def owning(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for name in imports_in(tree, path, root, type_checking_only(tree)):
        module = owning(name)
        if module is None:
            continue
        parts = module.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return found & modules - mine - {me}


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


# Calls that change the object they are called on.
_CHANGING = {"append", "add", "extend", "insert", "remove", "discard", "clear", "pop", "popitem", "update",
             "setdefault", "sort", "reverse", "move_to_end", "__setitem__", "__delitem__"}


def state_changes(tree: ast.AST, mixins: set[str]) -> list[str]:
    """Where a module changes state that is not its own (by line): in the classes named in
    `mixins` (Service's bases), any assignment or deletion through `self`, a changing call on
    `self` or what it holds, and `self` given another name; anywhere in the module,
    `setattr`, `delattr`, `vars(...)`, `__dict__`, and an assignment to another object's private
    attribute (`service._store = ...`)."""
    found = []
    in_mixin = {id(inner) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) and cls.name in mixins
                for inner in ast.walk(cls)}
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        chains = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            chains = [_dotted(part) for target in targets for part in ast.walk(target)
                      if isinstance(part, (ast.Attribute, ast.Subscript))]
            chains += [_dotted(part.value) for target in targets for part in ast.walk(target)
                       if isinstance(part, ast.Subscript)]
            if (id(node) in in_mixin and isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                    and node.value.id == "self"):
                found.append(f"{where}: self given another name")
        elif isinstance(node, ast.Call):
            called = _dotted(node.func)
            if called and called[-1] in {"setattr", "delattr", "vars"} and len(called) == 1:
                found.append(f"{where}: {called[0]}()")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in _CHANGING:
                chains = [_dotted(node.func.value)]
        elif isinstance(node, ast.Attribute) and node.attr == "__dict__":
            found.append(f"{where}: __dict__")
        for chain in chains:
            if not chain or len(chain) < 2:
                continue
            if chain[0] == "self" and id(node) in in_mixin:
                found.append(f"{where}: self.{'.'.join(chain[1:])}")
            elif chain[0] != "self" and chain[1].startswith("_") and not chain[1].startswith("__"):
                found.append(f"{where}: {'.'.join(chain)}")
    return found
