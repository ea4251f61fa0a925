"""Loaded flows: a Flow is validated YAML data plus where each node came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from control.ivr.hours import Hours

PROMPT_FIELDS = ("prompt", "invalid_prompt", "timeout_prompt", "confirm_prompt", "number_prompt", "done_prompt")
DEFAULT_MAX_STEPS = 200


@dataclass
class Flow:
    name: str
    file: str
    nodes: dict[str, dict[str, Any]]
    start: str
    languages: tuple[str, ...] = ("en",)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    hours: dict[str, Hours] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)     # node name -> line in file
    max_steps: int = DEFAULT_MAX_STEPS
    description: str = ""
    line: int = 1


@dataclass(frozen=True)
class DidOptions:
    """A number's own settings in the DID map: its callers' first language, calendars swapped."""
    language: str | None = None
    hours: dict[str, str] = field(default_factory=dict)     # the flow's calendar -> the one used instead


@dataclass
class FlowSet:
    flows: dict[str, Flow]
    dids: dict[str, str] = field(default_factory=dict)      # E.164 DID -> flow name
    default: str | None = None
    warnings: list = field(default_factory=list)            # ConfigErrors that do not stop loading
    did_options: dict[str, DidOptions] = field(default_factory=dict)

    def options_for(self, did: str) -> DidOptions:
        return self.did_options.get(did) or DidOptions()

    def get(self, name: str) -> Flow:
        try:
            return self.flows[name]
        except KeyError:
            raise KeyError(f"no IVR flow named {name!r}; known: {sorted(self.flows)}") from None

    def for_did(self, did: str) -> Flow:
        name = self.dids.get(did) or self.default
        if name is None:
            raise KeyError(f"no IVR flow for DID {did!r} and no default in the DID map")
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.flows


def node_edges(node: dict[str, Any]) -> list[tuple[list[Any], str, str]]:
    """(key path inside the node, target node, label) for every node this one can continue at."""
    kind = node["type"]
    out: list[tuple[list[Any], str, str]] = []

    def add(key: str, label: str) -> None:
        if node.get(key):
            out.append(([key], node[key], label))

    if kind == "menu":
        for digit, opt in node.get("options", {}).items():
            target = opt if isinstance(opt, str) else opt.get("next")
            out.append((["options", digit], target, f"pressed {digit}"))
        add("default", "no valid choice")
        add("no_input", "no input")
    elif kind == "lookup":
        add("found", "found")
        add("not_found", "not found")
    elif kind == "branch":
        for i, case in enumerate(node.get("cases", [])):
            out.append((["cases", i, "next"], case["next"], case.get("label") or f"case {i + 1}"))
        add("default", "otherwise")
    elif kind == "queue":
        for digit, target in node.get("exit_keys", {}).items():
            out.append((["exit_keys", digit], target, f"exit key {digit}"))
        add("on_error", "queue error")
        add("next", "left queue")
    elif kind in ("collect", "callback"):
        add("next", "entered" if kind == "collect" else "requested")
        add("on_fail", "failed")
    elif kind == "call":
        add("next", "returned")
    elif kind != "goto":
        add("next", "")
    return out


def flow_edges(node: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(flow, node or None) a goto/call node leaves for."""
    if node["type"] in ("goto", "call"):
        return [(node["flow"], node.get("node"))]
    return []
