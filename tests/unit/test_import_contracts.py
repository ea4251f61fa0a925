"""Import contracts: the layering docs/architecture.md (Checks) describes, read from the source with ast.

- The pure core (``control.domain`` and the IVR interpreter) reaches nothing that does I/O, directly
  or through another module of ours.
- Handlers (``control.handlers``) do not import ``redis`` or ``records``: they get adapters through
  the ports (control/ports.py) and the errors those raise from ``control.errors``.
- No cycles: between the top-level packages, between the subpackages of ``control``, and between
  the modules of a package. Entry points (command lines, the composition root) sit above everything
  and may import anything; nothing else imports them.

Every import counts, also one inside a function, except those under ``if TYPE_CHECKING:`` (no
runtime dependency) for the cycle checks.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("control", "records", "web", "worker", "reports", "simulator")

# Command lines and the composition root: they wire everything together, so they may import anything.
# Besides these, every module named ``cli`` or ``*_cli`` (web.cli, control.db_cli, ...) is one.
ENTRY_POINTS = ("control.cli", "control.app", "control.demo", "control.bench", "simulator.runner")
# The part of control every package may use (records, web, worker, reports and the simulator read the
# config, the queue files and the domain models): one unit of its own in the top-level cycle check.
CONTROL_BASE = ("control.domain", "control.config", "control.paths", "control.queues", "control.yamlfile",
                "control.cycles", "control.errors")

# The IVR modules that do I/O (reading flow files, running espeak-ng); the rest of control.ivr is pure.
IVR_WITH_IO = ("control.ivr.loader", "control.ivr.prompts", "control.ivr.validate", "control.ivr.crossflow")

# Modules and libraries that do I/O (network, files, processes, databases, the web framework).
IO_LIBRARIES = (
    "redis", "hiredis", "sqlalchemy", "psycopg2", "flask", "flask_login", "flask_sqlalchemy", "flask_migrate",
    "flask_wtf", "flask_babel", "flask_limiter", "werkzeug", "requests", "urllib3", "gevent", "greenswitch",
    "rq", "psutil", "prometheus_client", "jinja2", "ruamel", "yaml", "jsonschema",
    "socket", "ssl", "select", "selectors", "asyncio", "subprocess", "threading", "multiprocessing",
    "http", "urllib", "smtplib", "sqlite3", "shutil", "tempfile", "wave", "logging",
)
IO_OURS = (
    "records", "web", "worker", "reports", "simulator", "control.store", "control.esl", "control.handlers",
    "control.app", "control.cli", "control.config", "control.queues", "control.yamlfile", "control.procs",
    "control.fsconf", "control.checks", "control.demo", "control.bench", "control.production", *IVR_WITH_IO,
)


@dataclass(frozen=True)
class Import:
    importer: str
    target: str      # a module of ours, or the top-level name of a library
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:``

    def where(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.target}"


def _module_files(root: Path = ROOT) -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours ``name`` is or lives in (``control.x.f`` -> ``control.x``), else None."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST, type_only: bool = False):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), type_only)
        else:
            yield from _import_nodes(node, type_only)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[:len(parts) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    # ``from package import module`` imports the module; ``from module import name`` the module
    return [f"{base}.{alias.name}" for alias in node.names]


@cache
def imports(root: Path = ROOT) -> tuple[Import, ...]:
    modules = _module_files(root)
    found = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node, type_only in _import_nodes(ast.parse(path.read_text(), str(path))):
            for name in _targets(node, module, is_package):
                target = _ours(name, modules) if name.split(".")[0] in PACKAGES else name.split(".")[0]
                if target and target != module:
                    found.append(Import(module, target, node.lineno, type_only))
    return tuple(found)


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def is_entry_point(module: str) -> bool:
    last = module.rpartition(".")[2]
    return _in(module, ENTRY_POINTS) or last == "cli" or last.endswith("_cli") or last == "__main__"


def is_pure(module: str) -> bool:
    return _in(module, ("control.domain",)) or (_in(module, ("control.ivr",)) and not _in(module, IVR_WITH_IO))


def _forbidden_io(target: str) -> bool:
    return _in(target, IO_LIBRARIES) or _in(target, IO_OURS)


# -- the pure core ----------------------------------------------------------------------------
def io_reached_by_the_pure_core(root: Path = ROOT) -> list[str]:
    """Each import of I/O a pure module makes, directly or through modules of ours that are not pure
    (a pure module it imports is checked on its own), with the chain of imports that reaches it."""
    by_importer = defaultdict(list)
    for imp in imports(root):
        by_importer[imp.importer].append(imp)
    problems = set()
    for start in _module_files(root):
        if not is_pure(start):
            continue
        seen, todo = {start}, [(start, [])]
        while todo:
            module, chain = todo.pop()
            for imp in by_importer.get(module, ()):
                path = chain + [imp]
                if _forbidden_io(imp.target):
                    problems.add(" -> ".join(i.where() for i in path))
                elif imp.target.split(".")[0] in PACKAGES and imp.target not in seen and not is_pure(imp.target):
                    seen.add(imp.target)
                    todo.append((imp.target, path))
    return sorted(problems)


def test_the_pure_core_reaches_no_io():
    problems = io_reached_by_the_pure_core()
    assert not problems, (
        "control.domain and the IVR interpreter must do no I/O (docs/architecture.md, Checks). "
        "Pass what they need in as arguments, or move the code to an adapter (control/store, control/esl) "
        "or to a handler:\n  " + "\n  ".join(problems))


# -- handlers ---------------------------------------------------------------------------------
def test_handlers_import_neither_redis_nor_records():
    problems = [imp.where() for imp in imports()
                if _in(imp.importer, ("control.handlers",)) and _in(imp.target, ("redis", "records"))]
    assert not problems, (
        "control/handlers get their adapters through the Protocols in control/ports.py; the errors those "
        "adapters raise are in control/errors.py (add one there, and have the adapter raise or translate it):"
        "\n  " + "\n  ".join(problems))


# -- cycles -----------------------------------------------------------------------------------
def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan: the groups of nodes that reach each other (only those of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(edges):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def cycles(unit_of, scope=lambda module: True, root: Path = ROOT) -> list[str]:
    """Cycles between the units ``unit_of(module)`` groups modules into, each with the imports that
    close it; entry points and type-only imports left out."""
    edges: dict[str, set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)
    for imp in imports(root):
        if imp.type_only or is_entry_point(imp.importer) or imp.target.split(".")[0] not in PACKAGES:
            continue
        if not (scope(imp.importer) and scope(imp.target)):
            continue
        a, b = unit_of(imp.importer), unit_of(imp.target)
        if a != b:
            edges[a].add(b)
            evidence[(a, b)].add(imp.where())
    found = []
    for group in strongly_connected(edges):
        members = set(group)
        lines = [f"{a} -> {b}: " + "; ".join(sorted(evidence[(a, b)]))
                 for a in group for b in sorted(edges[a] & members)]
        found.append("cycle between " + ", ".join(group) + "\n    " + "\n    ".join(lines))
    return found


def top_level(module: str) -> str:
    return "control (base)" if _in(module, CONTROL_BASE) else module.split(".")[0]


def control_subpackage(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _fail_on(found: list[str], what: str) -> None:
    assert not found, (
        f"{what} must not import each other in a cycle (docs/architecture.md, Checks). Move what both need "
        "down into a module they both may import, or pass it in:\n  " + "\n  ".join(found))


def test_no_cycles_between_top_level_packages():
    _fail_on(cycles(top_level), "Top-level packages")


def test_no_cycles_between_the_subpackages_of_control():
    _fail_on(cycles(control_subpackage, scope=lambda m: _in(m, ("control",))), "The subpackages of control")


def test_no_cycles_between_modules():
    _fail_on(cycles(lambda module: module), "Modules")


def test_entry_points_are_imported_only_by_entry_points():
    problems = [imp.where() for imp in imports()
                if is_entry_point(imp.target) and not is_entry_point(imp.importer)]
    assert not problems, (
        "command lines and the composition root (control/app.py) sit above everything; "
        "move what others need out of them:\n  " + "\n  ".join(problems))


# -- import-time side effects -------------------------------------------------------------------
def _is_main_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and \
        isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"


def patch_all_calls() -> list[tuple[str, int, bool]]:
    """(module, line, whether the call runs only when asked: inside a function or a __main__ guard)."""
    found = []

    def walk(node: ast.AST, module: str, guarded: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = guarded or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) or _is_main_guard(child)
            if isinstance(child, ast.Call) and getattr(child.func, "attr", getattr(child.func, "id", "")) == "patch_all":
                found.append((module, child.lineno, guarded))
            walk(child, module, inner)

    for module, path in _module_files().items():
        walk(ast.parse(path.read_text(), str(path)), module, False)
    return found


def test_gevent_is_patched_only_by_entry_points_never_on_import():
    problems = [f"{module} (line {line})" for module, line, guarded in patch_all_calls()
                if not (guarded and is_entry_point(module))]
    assert not problems, (
        "monkey.patch_all() belongs in an entry point (control/cli.py patches before it imports a command; "
        "tests/conftest.py for the tests), inside its main function or under if __name__ == '__main__', "
        "never at the top of a module that others import:\n  " + "\n  ".join(problems))


# -- the checks check ---------------------------------------------------------------------------
def test_the_graph_sees_imports_inside_functions_and_tells_type_only_ones(tmp_path):
    package = tmp_path / "control"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from control import b\n    import redis.exceptions\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n")
    found = {(imp.importer, imp.target): imp for imp in imports(tmp_path)}
    assert not found[("control.a", "control.b")].type_only
    assert found[("control.a", "redis")].line == 3
    assert found[("control.b", "control.a")].type_only


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_io_reached_through_a_helper_is_reported_with_the_chain(tmp_path):
    root = _tree(tmp_path, {"control/__init__.py": "", "control/domain/__init__.py": "",
                            "control/domain/rules.py": "from control.helper import clock\n",
                            "control/helper.py": "import time\nimport redis\n"})
    assert io_reached_by_the_pure_core(root) == [
        "control.domain.rules (line 1) imports control.helper -> control.helper (line 2) imports redis"]


def test_a_cycle_is_reported_with_the_imports_that_close_it(tmp_path):
    root = _tree(tmp_path, {"web/__init__.py": "", "web/a.py": "from web.b import x\n",
                            "web/b.py": "def f():\n    from web import a\n", "web/c.py": "import web.a\n"})
    assert cycles(lambda module: module, root=root) == [
        "cycle between web.a, web.b\n    web.a -> web.b: web.a (line 1) imports web.b\n"
        "    web.b -> web.a: web.b (line 2) imports web.a"]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
