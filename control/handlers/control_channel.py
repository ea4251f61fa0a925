"""The ``control`` channel: what other controllers and the console ask of this controller.

Dispatch nudges (another controller freed an agent or queued a call), a supervisor's listen /
whisper / barge, a console action on a call (hold, transfer, hang up: only the controller that owns
the caller's socket acts), and callback rows scheduled or cancelled from the console.
"""
from __future__ import annotations

import json
import logging

import gevent

from control import events
from control.handlers.call_actions import ActionRefused, carry_out
from control.handlers.supervise import SuperviseError, supervise
from control.store.keys import Keys

log = logging.getLogger(__name__)


def listen(manager) -> None:
    channel = Keys(manager.deps.config.redis_prefix).events("control")
    while manager.running:
        pubsub = manager.redis.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(channel)
            for message in pubsub.listen():
                on_message(manager, json.loads(message["data"]))
        except Exception:  # Redis restarted: resubscribe after a pause
            log.warning("control channel lost; resubscribing", exc_info=True)
            gevent.sleep(1.0)
        finally:
            pubsub.close()


def on_message(manager, data: dict) -> None:
    kind = data.get("type")
    if kind == "supervise":
        _supervise(manager, data)
    elif kind == "call_action":
        _call_action(manager, data)
    elif kind == "callback_scheduled":
        callbacks, due = manager.callbacks, data.get("due_at")
        if callbacks is not None:
            callbacks.arm_rows(float(due) if isinstance(due, (int, float)) else None)
    elif kind == "pop_ack":
        manager.deps.consoles.acked(str(data.get("call_id", "")), str(data.get("agent_id", "")))
    elif kind == "callback_cancel":
        if manager.callbacks is not None:
            manager.callbacks.cancel(data)   # one controller acts (a claim); see callback_cancel.py
    elif data.get("from") != manager.deps.controller_id:
        manager.nudged()


def _supervise(manager, data: dict) -> None:
    agent = manager.deps.store.get_agent(data.get("agent_id", ""))
    if agent is None or agent.call_id is None or not manager.owns(agent.call_id):
        return  # the controller that owns the call acts; the others ignore it
    try:
        supervise(manager.deps, data["extension"], data["agent_id"], data.get("mode", "listen"),
                  supervisor=data.get("supervisor", ""), supervisor_agent=data.get("supervisor_agent"))
    except (SuperviseError, KeyError) as exc:
        log.warning("supervise request refused: %s", exc)
        manager.deps.publisher.publish("wallboard", events.supervise(
            str(data.get("mode", "listen")), str(data.get("agent_id", "")), agent.call_id,
            str(data.get("supervisor", "")), error=str(exc)))


def _call_action(manager, data: dict) -> None:
    deps, call_id = manager.deps, data.get("call_id", "")
    if not manager.owns(call_id):
        return
    before = deps.store.get_call(call_id)
    try:   # a blind transfer the switch accepted ends this segment's session in transfer.blind
        reply = carry_out(deps, data, manager=manager)
    except ActionRefused as exc:
        reply = f"-ERR {exc}"
    result = events.call_action(data.get("action"), data.get("call_id"), data.get("by"), reply)
    deps.publisher.publish("wallboard", result)
    if before is not None and before.agent_id:
        deps.publisher.publish(f"agent:{before.agent_id}", result)
