"""A flow as nodes and edges, for the admin page's flow viewer."""
from __future__ import annotations

from typing import Any

from control.ivr.model import Flow, flow_edges, node_edges


def _summary(node: dict[str, Any]) -> str:
    kind = node["type"]
    if kind == "queue":
        return f"queue {node['queue']}"
    if kind in ("goto", "call"):
        return f"{kind} {node['flow']}" + (f" at {node['node']}" if node.get("node") else "")
    if kind == "collect":
        return f"collect {node['var']}"
    if kind == "lookup":
        return f"lookup by {node['by']}"
    if kind == "transfer":
        return f"transfer to {node['to']}"
    if kind == "voicemail":
        return f"voicemail {node['box']}"
    return kind


def flow_graph(flow: Flow) -> dict[str, list[dict[str, Any]]]:
    """{"nodes": [{id, type, label, start, line}], "edges": [{from, to, label}]}.

    Another flow a goto/call leads to appears once as a node ``flow:<name>`` of type ``flow``.
    """
    nodes = [{"id": name, "type": node["type"], "label": node.get("label") or _summary(node),
              "start": name == flow.start, "line": flow.lines.get(name)}
             for name, node in flow.nodes.items()]
    edges: list[dict[str, Any]] = []
    external: dict[str, dict[str, Any]] = {}
    for name, node in flow.nodes.items():
        for _, target, label in node_edges(node):
            edges.append({"from": name, "to": target, "label": label})
        for other, at in flow_edges(node):
            ref = f"flow:{other}"
            external.setdefault(ref, {"id": ref, "type": "flow", "label": f"flow {other}", "start": False,
                                      "line": None})
            edges.append({"from": name, "to": ref, "label": node["type"] + (f" at {at}" if at else "")})
    return {"nodes": nodes + list(external.values()), "edges": edges}
