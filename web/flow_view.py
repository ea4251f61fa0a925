"""The admin flow viewer: a flow drawn as a layered graph (inline SVG, laid out here).

Layout: nodes are placed in columns by their distance from the start node (breadth first),
in the order they are reached; edges are straight lines with their label at the midpoint.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from flask import Blueprint, abort, render_template

from web.roles import role_required

bp = Blueprint("flows", __name__, url_prefix="/admin/flows")

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 170, 44, 70, 26, 20


def layout(graph: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Positions for every node and segment for every edge: plain data for the template."""
    ids = [n["id"] for n in graph["nodes"]]
    start = next((n["id"] for n in graph["nodes"] if n["start"]), ids[0] if ids else None)
    out: dict[str, list[str]] = {i: [] for i in ids}
    for e in graph["edges"]:
        if e["from"] in out and e["to"] in out:
            out[e["from"]].append(e["to"])
    depth: dict[str, int] = {}
    order: list[str] = []
    queue = deque([start] if start else [])
    while queue or len(depth) < len(ids):
        if not queue:  # unreachable nodes go in a last column
            queue.append(next(i for i in ids if i not in depth))
            depth[queue[0]] = max(depth.values(), default=-1) + 1
        node = queue.popleft()
        depth.setdefault(node, 0)
        if node in order:
            continue
        order.append(node)
        for nxt in out[node]:
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    rows: dict[int, int] = {}
    pos = {}
    for node in order:
        col = depth[node]
        row = rows.get(col, 0)
        rows[col] = row + 1
        pos[node] = (MARGIN + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    nodes = [{**n, "x": pos[n["id"]][0], "y": pos[n["id"]][1]} for n in graph["nodes"]]
    edges = []
    for e in graph["edges"]:
        if e["from"] in pos and e["to"] in pos:
            (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
            a = (x1 + BOX_W, y1 + BOX_H / 2)
            b = (x2, y2 + BOX_H / 2) if x2 > x1 else (x2 + BOX_W / 2, y2 + (BOX_H if y2 < y1 else 0))
            edges.append({**e, "x1": a[0], "y1": a[1], "x2": b[0], "y2": b[1],
                          "lx": (a[0] + b[0]) / 2, "ly": (a[1] + b[1]) / 2 - 4})
    width = MARGIN * 2 + (max(depth.values(), default=0) + 1) * (BOX_W + GAP_X)
    height = MARGIN * 2 + max(rows.values(), default=1) * (BOX_H + GAP_Y)
    return {"nodes": nodes, "edges": edges, "width": width, "height": height, "box_w": BOX_W, "box_h": BOX_H}


def _flows():
    from flask import current_app

    from control.ivr.loader import load_flows

    return load_flows(current_app.config["HOTLINE"].flows_dir)


@bp.get("/")
@role_required("admin")
def index():
    flows = _flows()
    return render_template("admin/flows.html", flows=sorted(flows.flows), graph=None, name=None)


@bp.get("/<name>")
@role_required("admin")
def show(name: str):
    from control.ivr.graph import flow_graph

    flows = _flows()
    flow = flows.flows.get(name)
    if flow is None:
        abort(404)
    return render_template("admin/flows.html", flows=sorted(flows.flows), name=name,
                           graph=layout(flow_graph(flow)))
