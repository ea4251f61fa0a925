"""Taking a waiting callback call out of its queue (the console's ``callback_cancel`` message).

Only a call nobody serves yet may go: the state change to ``ended`` is written with put_call,
which never undoes a reservation (lua/put_call.lua, MemoryState.put_call), so the router and the
cancel cannot both win. Reading the call back tells which one did.
"""
from __future__ import annotations

import copy
import logging

from control import events
from control.domain.call_state import move
from control.domain.models import CallState, Outcome
from control.handlers.callback_offer import callback_record
from control.store.batch import hand_over

log = logging.getLogger(__name__)

CLAIM_TTL_S = 3600
CANCEL_CAUSE = "CANCELLED"    # Outcome has no "cancelled": outcome failed, this cause, an explanation
BUSY = "an agent is already calling this customer"


def cancel_waiting(deps, data: dict) -> dict | None:
    """The reply published to the requester, or None when another controller took the request."""
    call_id, by = str(data.get("call_id") or ""), str(data.get("by") or "")
    request_id = str(data.get("request_id") or call_id)
    if not call_id.startswith("cb-") or not deps.store.claim_once(f"callback-cancel:{request_id}", CLAIM_TTL_S):
        return None
    call = deps.store.get_call(call_id)
    if call is None or call.kind != "callback" or call.state == CallState.ENDED:
        return _reply(deps, data, False, "the callback is no longer waiting")
    if call.state in (CallState.OFFERING, CallState.CONNECTED) or call.agent_id:
        return _reply(deps, data, False, BUSY)
    ending = copy.deepcopy(call)
    move(ending, CallState.ENDED)
    ending.agent_id = None
    deps.store.put_call(ending, create=False)
    after = deps.store.get_call(call_id)
    if after is None:
        return _reply(deps, data, False, "the callback is no longer waiting")
    if after.state != CallState.ENDED:          # an agent was reserved in between: that one wins
        return _reply(deps, data, False, BUSY)
    now = deps.now()
    move(call, CallState.ENDED)
    call.ended_at, call.outcome = now, Outcome.FAILED
    call.ivr_path.append(f"callback cancelled by {by or 'the console'}")
    deps.call_log.append(call.id, "explanations", {"kind": "callback_cancelled", "by": by, "at": now})
    deps.store.remove_call(call.id)
    hand_over(deps, callback_record(call, None, deps.call_log, now, CANCEL_CAUSE))
    deps.publisher.publish("wallboard", events.call_ended(call.id, Outcome.FAILED.value, None, kind="callback",
                                                           cancelled=True, by=by))
    log.info("callback %s cancelled by %s", call.id, by)
    return _reply(deps, data, True, "cancelled", row_id=(call.vars.get("callback") or {}).get("row_id"))


def _reply(deps, data: dict, ok: bool, result: str, row_id=None) -> dict:
    reply = events.callback_cancelled(data.get("call_id"), data.get("request_id"), data.get("by"), ok, result)
    deps.publisher.publish("wallboard", reply)
    if data.get("agent_id"):
        deps.publisher.publish(f"agent:{data['agent_id']}", reply)
    if not ok:
        log.info("callback cancel of %s refused: %s", data.get("call_id"), result)
    return {**reply, "row_id": row_id}
