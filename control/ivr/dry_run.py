"""A flow walked with a scripted caller, no switch: what the admin's "test this flow" panel shows.

The pure interpreter runs as it does for a real call; each command gets the answer a caller and the
system would give: a prompt is heard, a key request takes the next of ``keys`` (none left: no
input), a customer lookup finds ``customer``, a queue check sees ``queue_stats``, and entering a
queue is where the test ends (an agent answers). The result lists each step in plain words and the
call's path as the controller would record it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from control.ivr import commands as c
from control.ivr.interpreter import CallContext, FlowRun
from control.ivr.model import FlowSet

MAX_COMMANDS = 200
OPEN_QUEUE = {"agents_available": 1, "agents_logged_in": 1, "waiting": 0, "estimated_wait_s": 0}


@dataclass
class DryRun:
    steps: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    outcome: str | None = None
    queue: str | None = None


def dry_run(flows: FlowSet, flow_name: str, keys: list[str], now: datetime, caller: str = "+14155550100",
            did: str = "", language: str | None = None, customer: dict | None = None,
            queue_stats: dict | None = None) -> DryRun:
    """``did``: the number dialled, whose own language and calendars apply (the DID map)."""
    number = flows.options_for(did)
    run = FlowRun(flows, flow_name, CallContext(caller=caller, did=did, now=now, customer=customer,
                                                language=language or number.language or "en",
                                                hours=dict(number.hours)))
    result, pending = DryRun(), list(keys)
    command = run.start(now)
    for _ in range(MAX_COMMANDS):
        if isinstance(command, c.TERMINAL):
            break
        answer = _answer(command, pending, customer, queue_stats or OPEN_QUEUE, result)
        if isinstance(command, c.EnterQueue):
            result.queue = command.queue
        command = run.resume(answer, now)
    if isinstance(command, c.Hangup):
        result.steps.append(f"hang up ({command.reason or command.cause})")
    result.path, result.outcome = list(run.path), run.outcome
    return result


def _answer(command: Any, keys: list[str], customer: dict | None, stats: dict, out: DryRun) -> Any:
    if isinstance(command, c.Play):
        out.steps.append("play: " + _spoken(command.prompts))
        return None
    if isinstance(command, c.Collect):
        key = keys.pop(0) if keys else ""
        heard = f"pressed {key}" if key else "pressed nothing"
        out.steps.append(f"ask ({command.var}): {_spoken(command.prompts)} — {heard}")
        return key
    if isinstance(command, c.Lookup):
        out.steps.append(f"look up the customer by {command.by}: {'found' if customer else 'not found'}")
        return customer
    if isinstance(command, c.QueryQueue):
        out.steps.append(f"check queue {command.queue}: {stats['agents_available']} agent(s) free")
        return dict(stats)
    if isinstance(command, c.EnterQueue):
        needs = ", ".join(f"{skill} ≥ {level}" for skill, level in command.requirements) or "no skill"
        out.steps.append(f"wait in queue {command.queue} ({needs}, priority {command.priority}, "
                         f"{command.language}) — an agent answers")
        return {"left": "answered"}
    if isinstance(command, c.Voicemail):
        out.steps.append(f"voicemail box {command.box}")
        return None
    if isinstance(command, c.Callback):
        out.steps.append(f"callback requested to {command.number}")
        return None
    if isinstance(command, c.Transfer):
        out.steps.append(f"transfer to {command.target} ({command.kind})")
        return None
    return None   # SetChannelVars and the like: nothing the caller notices


def _spoken(prompts: tuple) -> str:
    return " / ".join(p.text or p.file or f"say {p.say_type} {p.text}" for p in prompts) or "(silence)"
