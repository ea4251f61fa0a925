"""Checks across flows: goto/call targets, sub-flow call cycles, queue names."""
from __future__ import annotations

from typing import Iterator

from control.cycles import find_cycles
from control.ivr.model import Flow, flow_edges
from control.ivr.validate import conditions, suggest
from control.yamlfile import ConfigError, Locator


def check_flows(flows: dict[str, Flow], locators: dict[str, Locator], queues=None) -> list[ConfigError]:
    """Checks across flows: goto/call targets, call cycles, queue names (when ``queues`` is given)."""
    errors = []
    for flow in flows.values():
        loc = locators[flow.name]
        for name, node in flow.nodes.items():
            for target_flow, target_node in flow_edges(node):
                if target_flow not in flows:
                    errors.append(loc.error(["nodes", name, "flow"], f"flow {flow.name}: node {name!r}: no flow "
                                                                     f"named {target_flow!r}",
                                            suggest(target_flow, flows)))
                elif target_node and target_node not in flows[target_flow].nodes:
                    errors.append(loc.error(["nodes", name, "node"], f"flow {flow.name}: node {name!r}: flow "
                                                                     f"{target_flow!r} has no node {target_node!r}",
                                            suggest(target_node, flows[target_flow].nodes)))
            if queues is not None:
                for path, queue in _queues_used(node):
                    if queue not in queues:
                        errors.append(loc.error(["nodes", name, *path], f"flow {flow.name}: node {name!r}: unknown "
                                                                        f"queue {queue!r}", suggest(queue, queues)))
    return errors + _call_cycles(flows, locators)


def _queues_used(node: dict) -> Iterator[tuple[list, str]]:
    if node["type"] == "queue":
        yield ["queue"], node["queue"]
    if node["type"] == "branch":
        for i, case in enumerate(node["cases"]):
            for path, cond in conditions(case["when"], ["cases", i, "when"]):
                if "queue" in cond:
                    yield path + ["queue"], cond["queue"]


def _call_cycles(flows: dict[str, Flow], locators: dict[str, Locator]) -> list[ConfigError]:
    calls = {f.name: [(n, node["flow"]) for n, node in f.nodes.items()
                      if node["type"] == "call" and node["flow"] in flows] for f in flows.values()}
    return [locators[flow].error(
        ["nodes", node_name, "flow"],
        f"flow {flow}: node {node_name!r}: sub-flow calls form a cycle: {' -> '.join(cycle)}",
        "use goto to move on for good, or break the cycle")
        for flow, node_name, cycle in find_cycles(calls)]
