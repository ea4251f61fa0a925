"""No import cycle among control/handlers modules, counting imports inside functions (which were
used to dodge cycles: call_actions/consult/consult_legs, offers/callback_offer/callbacks/callback_cancel)."""
from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "control" / "handlers"
PACKAGE = "control.handlers"


def imports() -> dict[str, set[str]]:
    modules = {p.stem for p in HANDLERS.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((HANDLERS / f"{name}.py").read_text())
        found = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
                found.add(node.module.removeprefix(PACKAGE + "."))
            elif isinstance(node, ast.Import):
                found |= {a.name.removeprefix(PACKAGE + ".") for a in node.names if a.name.startswith(PACKAGE + ".")}
        found.discard(name)
    return graph


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    path: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt)
            if found:
                return found
        path.pop()
        done.add(node)
        return None

    return visit(start)


def test_handlers_import_each_other_without_a_cycle():
    graph = imports()
    for name in sorted(graph):
        cycle = cycle_from(graph, name)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)
