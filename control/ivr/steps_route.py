"""Node kinds that decide where the caller goes: lookup, branch (customer fields, business hours,
holidays, queue conditions) and queue."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from control.ivr.commands import EnterQueue, Finished, Hangup, Lookup, QueryQueue
from control.ivr.model import Flow
from control.ivr.render import interpolate
from control.ivr.steps_basic import Goto, Steps, play_all
from control.ivr.steps_input import DIALABLE

if TYPE_CHECKING:
    from control.ivr.interpreter import FlowRun


def compare(op: str, value: Any, operand: Any) -> bool:
    def same(a: Any, b: Any) -> bool:
        return a == b or (a is not None and not isinstance(a, (dict, list)) and str(a) == str(b))

    if op == "exists":
        return (value not in (None, "", [], {})) == bool(operand)
    if op in ("equals", "not_equals"):
        return same(value, operand) == (op == "equals")
    if op in ("in", "not_in"):
        hit = (any(same(v, x) for v in value for x in operand) if isinstance(value, list)
               else any(same(value, x) for x in operand))
        return hit == (op == "in")
    if op == "matches":
        return value is not None and re.search(operand, str(value)) is not None
    if isinstance(value, (list, dict)):
        value = len(value)   # open_tickets: [...] compares by count
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return {"gt": number > operand, "gte": number >= operand, "lt": number < operand, "lte": number <= operand}[op]


def lookup(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    by = node["by"]
    value = interpolate(node.get("value", "${caller}" if by == "caller" else "${account}"), run.value).strip()
    if not value or (by == "caller" and not DIALABLE.match(value)):
        run.path.append(f"lookup {by}: nothing to look up")
        return node["not_found"]
    customer = yield Lookup(by=by, value=value)
    if not isinstance(customer, dict) or not customer:
        run.path.append(f"lookup {by} {value}: not found")
        return node["not_found"]
    run.state.customer = customer
    language = customer.get("language")
    if node.get("use_language", True) and not run.state.language_chosen and language in flow.languages:
        run.state.language = language
    tier = f" ({customer['tier']})" if customer.get("tier") else ""
    run.path.append(f"lookup {by} {value}: found{tier}")
    return node["found"]


def branch(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    stats: dict[str, dict] = {}   # queue stats, asked once per visit
    for i, case in enumerate(node["cases"]):
        if (yield from condition(run, flow, case["when"], stats)):
            run.path.append(f"{name}: {case.get('label') or f'case {i + 1}'}")
            return case["next"]
    run.path.append(f"{name}: otherwise")
    return node["default"]


def condition(run: FlowRun, flow: Flow, cond: dict, stats: dict[str, dict]) -> Steps:
    if "all" in cond:
        for sub in cond["all"]:
            if not (yield from condition(run, flow, sub, stats)):
                return False
        return True
    if "any" in cond:
        for sub in cond["any"]:
            if (yield from condition(run, flow, sub, stats)):
                return True
        return False
    if "not" in cond:
        return not (yield from condition(run, flow, cond["not"], stats))
    if "open" in cond:
        return run.calendar(flow, cond["open"]).is_open(run.now)
    if "holiday" in cond:
        return run.calendar(flow, cond["holiday"]).holiday(run.now) is not None
    if "queue" in cond:
        queue = cond["queue"]
        if queue not in stats:
            result = yield QueryQueue(queue)
            stats[queue] = result if isinstance(result, dict) else {}
        op = next(k for k in cond if k not in ("queue", "stat"))
        return compare(op, stats[queue].get(cond["stat"]), cond[op])
    op = next(k for k in cond if k != "field")
    return compare(op, run.value(cond["field"]), cond[op])


def _target(run: FlowRun, flow: Flow, name: str) -> str | Goto | None:
    if name in flow.nodes:
        return name
    return Goto(name) if name in run.flows.flows else None


def queue(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    queue_name = node["queue"]
    yield from play_all(run, flow, node.get("prompt"))
    skills = {**run.state.skills, **node.get("skills", {})}
    run.path.append(f"queue {queue_name}")
    result = yield EnterQueue(queue=queue_name, requirements=tuple(sorted(skills.items())),
                              priority=node.get("priority", run.state.priority), language=run.state.language)
    result = result if isinstance(result, dict) else {"left": "error", "reason": "no result"}
    left, digit = result.get("left"), str(result.get("digit") or "")
    if left == "answered":
        return Finished("answered")
    if left == "exit_key" and digit in node.get("exit_keys", {}):
        run.path.append(f"queue {queue_name}: pressed {digit}")
        return node["exit_keys"][digit]
    if left in ("exit_key", "overflow") and result.get("goto"):
        run.path.append(f"queue {queue_name}: {left} → {result['goto']}")
        target = _target(run, flow, str(result["goto"]))
        if target is not None:
            return target
        run.path.append(f"unknown node or flow {result['goto']!r}")
    elif left in ("exit_key", "overflow") and result.get("action") in ("voicemail", "callback"):
        run.path.append(f"queue {queue_name}: {left} → {result['action']}")
        return Finished(result["action"])   # the controller already took the message / request
    else:
        reason = f": {result['reason']}" if result.get("reason") else ""
        run.path.append(f"queue {queue_name}: left ({left or 'unknown'}{reason})")
    return (node.get("on_error") or node.get("next")
            or Hangup("NORMAL_TEMPORARY_FAILURE", reason=f"queue {queue_name}: {left}"))
