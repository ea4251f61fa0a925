"""Node kinds that play, set, end the call or move between flows.

Each step is a generator ``step(run, flow, name, node)``: it yields commands,
receives their results, and returns where the walk goes next: a node name, None
(end of this flow), a Goto/CallFlow, or a terminal command.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

from control.ivr.commands import Command, Finished, Hangup, Play, SetChannelVars, Transfer, Voicemail
from control.ivr.model import Flow
from control.ivr.render import interpolate

if TYPE_CHECKING:
    from control.ivr.interpreter import FlowRun

Steps = Generator[Command, Any, Any]


@dataclass(frozen=True)
class Goto:
    flow: str
    node: str | None = None


@dataclass(frozen=True)
class CallFlow:
    flow: str
    back_to: str | None


def play_all(run: FlowRun, flow: Flow, spec: Any) -> Steps:
    prompts = run.prompts(flow, spec)
    if prompts:
        yield Play(prompts)


def play_then(run: FlowRun, flow: Flow, spec: Any) -> Steps:
    """Play all but the last prompt item; return the last one (for commands taking one prompt)."""
    prompts = run.prompts(flow, spec)
    if len(prompts) > 1:
        yield Play(prompts[:-1])
    return prompts[-1] if prompts else None


def play(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    yield from play_all(run, flow, node["prompt"])
    return node.get("next")


def set_(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    state = run.state
    if node.get("clear_skills"):
        state.skills = {}
    state.skills.update(node.get("skills", {}))
    if "priority" in node:
        state.priority = node["priority"]
    if node.get("language"):
        state.language, state.language_chosen = node["language"], True
    for key, value in node.get("vars", {}).items():
        state.vars[key] = interpolate(value, run.value) if isinstance(value, str) else value
    if node.get("channel_vars"):
        yield SetChannelVars({k: interpolate(v, run.value) for k, v in node["channel_vars"].items()})
    return node.get("next")


def voicemail(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    prompt = yield from play_then(run, flow, node.get("prompt"))
    run.path.append(f"voicemail {node['box']}")
    run.state.outcome = "voicemail"
    yield Voicemail(box=node["box"], prompt=prompt)
    return node.get("next") or Finished("voicemail")


def transfer(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    yield from play_all(run, flow, node.get("prompt"))
    kind = node.get("kind") or ("external" if node["to"].startswith("+") else "extension")
    run.path.append(f"transfer to {node['to']}")
    run.state.outcome = "transferred"
    yield Transfer(target=node["to"], kind=kind)
    return Finished("transferred")


def hangup(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    yield from play_all(run, flow, node.get("prompt"))
    run.path.append("hangup")
    if run.state.outcome is None:
        run.state.outcome = "self_service"
    return Hangup(node.get("cause", "NORMAL_CLEARING"), reason=f"hangup node {name}")


def goto(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    return Goto(node["flow"], node.get("node"))
    yield  # noqa: unreachable; makes this a generator like every other step


def call(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    return CallFlow(node["flow"], node.get("next"))
    yield  # noqa


def return_(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    return None
    yield  # noqa
