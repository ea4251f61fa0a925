"""Waiting callers left on a dead controller's socket.

FreeSWITCH leaves ``socket`` only when the application running on the channel ends: a caller
on endless hold music whose controller died stays there, and the dialplan's reconnect loop
(dialplan/hotline.xml) never runs. Each controller keeps a heartbeat key in Redis; a controller
that finds a waiting caller owned by a controller without one sends ``uuid_break <uuid> all``.
The hold music ends, ``socket`` returns, the dialplan connects the caller again and the
controller that takes the call resumes it in its place (CallSession._resume).

Callers still in the IVR need nothing: their prompts and digit collection are finite, so the
``socket`` application returns by itself and the dialplan reconnects them.
"""
from __future__ import annotations

import logging

import gevent

from control.domain.models import CallState
from control.errors import RedisError
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.store.keys import Keys

log = logging.getLogger(__name__)

BREAK_AGAIN_S = 10.0   # a broken caller needs a second or two to reach a controller again


def ttl_s(config) -> float:
    return max(3.0, 3 * float(config.reconcile_interval_s))


def _key(deps, controller_id: str) -> str:
    return Keys(deps.config.redis_prefix).controller(controller_id)


def keep_alive(manager) -> None:
    """Refresh this controller's heartbeat until the manager stops; remove it on a clean stop."""
    deps = manager.deps
    ttl = ttl_s(deps.config)
    try:
        while True:
            try:
                manager.redis.set(_key(deps, deps.controller_id), "1", px=int(ttl * 1000))
            except RedisError:
                log.warning("controller heartbeat not written", exc_info=True)
            gevent.sleep(ttl / 3)
    finally:
        try:
            manager.redis.delete(_key(deps, deps.controller_id))
        except RedisError:
            log.info("controller heartbeat not removed; it expires in %.0f s", ttl)


def controller_alive(manager, controller_id: str) -> bool:
    """True while ``controller_id`` keeps its heartbeat (and when that cannot be told)."""
    if controller_id == manager.deps.controller_id:
        return True
    if manager.redis is None:   # one process: no other controller
        return False
    try:
        return bool(manager.redis.exists(_key(manager.deps, controller_id)))
    except RedisError:
        log.warning("cannot tell whether controller %s is alive", controller_id, exc_info=True)
        return True


def break_orphans(manager, live: set[str]) -> int:
    """``uuid_break`` every live waiting caller whose owning controller has no heartbeat."""
    if manager.redis is None:   # one process (memory state): no other controller to outlive
        return 0
    deps, now = manager.deps, manager.deps.now()
    broken = manager.orphans_broken
    for call_id, at in list(broken.items()):
        if now - at > BREAK_AGAIN_S:
            del broken[call_id]
    owners: dict[str, bool] = {}
    count = 0
    for call in deps.store.waiting_calls():
        owner = call.controller_id
        if (call.kind == "callback" or call.id not in live or call.id in manager.sessions or call.id in broken
                or not owner or owner == deps.controller_id
                or call.state not in (CallState.QUEUED, CallState.OFFERING)):
            continue
        if owner not in owners:
            owners[owner] = controller_alive(manager, owner)
        if owners[owner]:
            continue
        try:
            reply = deps.switch.api(commands.uuid_break(call.id))
        except SwitchUnavailable:
            return count
        broken[call.id] = now
        count += 1
        log.warning("call %s waited on dead controller %s: uuid_break -> %s", call.id, owner, reply.strip())
    return count
