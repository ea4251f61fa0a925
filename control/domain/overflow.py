"""Overflow rules and exit keys: pure functions of the call, the queue and its live stats.

Rules are tried in file order; the first whose conditions all hold fires. A rule
already in effect does not fire again (a widen whose target is already among the
call's extra queues, a move to the queue the call is in), so the next rule can.
A condition needing stats (no_agents, queue_length, estimated_wait_s) does not hold
when stats are not given.

A widened or moved call needs in the target what a call of the target needs, keeping only its
language (skills.overflow_requirements; docs/routing.md, Overflow and requirements).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from control.domain.models import Call, Requirement
from control.domain.queue_config import OverflowRule, QueueConfig
from control.domain.skills import language_skill


@dataclass
class OverflowAction:
    kind: str                       # widen | move | voicemail | callback | ivr
    target: str | None
    rule: str                       # the rule's name (or "exit_key:<digit>")
    explanation: dict[str, Any] = field(default_factory=dict)


def _conditions(now: float, call: Call, rule: OverflowRule, stats) -> dict[str, Any] | None:
    """The conditions that held, or None when one does not."""
    held: dict[str, Any] = {}
    if rule.after_s is not None:
        wait = call.wait_s(now)
        if wait < rule.after_s:
            return None
        held["wait_s"] = round(wait, 3)
    if rule.no_agents:
        if stats is None or stats.agents_logged_in > 0:
            return None
        held["agents_logged_in"] = 0
    if rule.queue_length is not None:
        if stats is None or stats.waiting < rule.queue_length:
            return None
        held["queue_length"] = stats.waiting
    if rule.estimated_wait_s is not None:
        est = None if stats is None else stats.estimated_wait_s
        if est is None or est < rule.estimated_wait_s:
            return None
        held["estimated_wait_s"] = round(est, 3)
    return held


def _in_effect(call: Call, rule: OverflowRule) -> bool:
    if rule.action == "widen":
        return rule.target == call.queue or rule.target in call.extra_queues
    if rule.action == "move":
        return rule.target == call.queue
    return False


def evaluate_overflow(now: float, call: Call, queue: QueueConfig, stats=None) -> OverflowAction | None:
    for index, rule in enumerate(queue.overflow):
        if _in_effect(call, rule):
            continue
        held = _conditions(now, call, rule, stats)
        if held is None:
            continue
        return OverflowAction(rule.action, rule.target, rule.name, {
            "kind": "overflow", "queue": queue.name, "rule": rule.name, "rule_index": index,
            "action": rule.action, "target": rule.target, "conditions": held,
        })
    return None


def exit_key_action(queue: QueueConfig, digit: str) -> OverflowAction | None:
    key = queue.exit_keys.get(digit)
    if key is None:
        return None
    return OverflowAction(key.action, key.target, f"exit_key:{digit}", {
        "kind": "exit_key", "queue": queue.name, "digit": digit, "action": key.action, "target": key.target,
    })


def requirements_after_move(call: Call, source: QueueConfig, target: QueueConfig) -> list[Requirement]:
    """The call's own requirements once moved from ``source`` to ``target``: the IVR's skills and
    ``source``'s requirements stay behind; only the language goes with it, as the skill ``source``
    mapped it to when ``target`` maps none (``target``'s requirements come from ``target``)."""
    if call.language in target.language_skills:
        return []
    lang = language_skill(call.language, target, source)
    return [Requirement(*lang)] if lang else []
