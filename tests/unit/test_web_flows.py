"""The admin flow viewer draws every node and edge of a shipped flow, laid out without overlaps."""
from __future__ import annotations

import re

from control.config import load_config
from control.ivr.graph import flow_graph
from control.ivr.loader import load_flows
from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401
from web.flow_view import layout


def test_layout_places_every_node_once_and_every_edge_between_placed_nodes():
    flow = load_flows(load_config(env={}).flows_dir).flows["main"]
    graph = flow_graph(flow)
    laid = layout(graph)
    assert {n["id"] for n in laid["nodes"]} == {n["id"] for n in graph["nodes"]}
    spots = [(n["x"], n["y"]) for n in laid["nodes"]]
    assert len(spots) == len(set(spots))
    assert len(laid["edges"]) == sum(1 for e in graph["edges"])
    start = next(n for n in laid["nodes"] if n["start"])
    assert start["x"] == min(n["x"] for n in laid["nodes"])


def test_flow_page_renders_svg_with_every_node(client_for):
    client = client_for("admin")
    page = client.get("/admin/flows/main").get_data(as_text=True)
    assert "<svg id=\"flow-graph\"" in page
    assert len(re.findall(r'<g class="node', page)) == len(flow_graph(
        load_flows(load_config(env={}).flows_dir).flows["main"])["nodes"])
    assert client.get("/admin/flows/nope").status_code == 404
