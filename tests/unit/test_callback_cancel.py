"""The controller's side of cancelling a waiting callback call (control/handlers/callback_cancel.py)."""
from __future__ import annotations

from control.domain.models import AgentState, CallState
from control.handlers.callbacks import request_callback
from control.handlers.manager import Manager
from tests.unit.test_callbacks import NUMBER, original, setup as make_controller


def cancel_message(call_id: str, request_id: str = "r1", **extra) -> dict:
    return {"type": "callback_cancel", "call_id": call_id, "request_id": request_id, "by": "supervisor", **extra}


def test_a_queued_callback_is_taken_out_and_recorded_as_cancelled():
    deps, manager = make_controller()
    deps.store.set_agent_state("alice", AgentState.NOT_READY, deps.now())
    call = request_callback(deps, manager, original(), NUMBER)
    manager.on_control(cancel_message(call.id, agent_id="bob"))
    assert deps.store.get_call(call.id) is None
    assert call.id not in [c.id for c in deps.store.waiting_calls()]
    record = deps.records.written[call.id]
    assert record["outcome"] == "failed" and record["hangup_cause"] == "CANCELLED"
    assert record["explanations"][0]["original_call_id"] == "orig-1"
    assert {"kind": "callback_cancelled", "by": "supervisor", "at": deps.now()} in record["explanations"]
    replies = deps.publisher.of("wallboard", "callback_cancelled")
    assert [(r["call_id"], r["ok"], r["result"]) for r in replies] == [(call.id, True, "cancelled")]
    assert deps.publisher.of("agent:bob", "callback_cancelled") == replies   # the agent who asked hears it
    ended = deps.publisher.of("wallboard", "call_ended")
    assert ended and ended[-1]["cancelled"] is True and ended[-1]["call_id"] == call.id


def test_refused_once_an_agent_is_ringing():
    deps, manager = make_controller()
    call = request_callback(deps, manager, original(), NUMBER)
    assert deps.store.reserve(call.id, "alice", "test-ctl", 30, deps.now())
    manager.on_control(cancel_message(call.id))
    kept = deps.store.get_call(call.id)
    assert kept is not None and kept.state == CallState.OFFERING and kept.agent_id == "alice"
    reply = deps.publisher.of("wallboard", "callback_cancelled")[-1]
    assert reply["ok"] is False and "agent" in reply["result"]
    assert call.id not in deps.records.written


def test_a_reservation_that_slips_in_before_the_write_wins():
    """The router reserves the call between the cancel's read and its write: the agent keeps it."""
    deps, manager = make_controller()
    call = request_callback(deps, manager, original(), NUMBER)
    store, real_get = deps.store, deps.store.get_call
    reads = []

    def get_call(call_id):
        reads.append(call_id)
        found = real_get(call_id)
        if len(reads) == 1:           # right after the cancel's first look
            assert store.reserve(call_id, "alice", "test-ctl", 30, deps.now())
        return found

    store.get_call = get_call
    reply = manager.callbacks.cancel(cancel_message(call.id))
    store.get_call = real_get
    assert reply["ok"] is False
    assert store.get_call(call.id).state == CallState.OFFERING and call.id not in deps.records.written


def test_a_callback_waiting_for_its_retry_is_cancelled_and_not_requeued():
    deps, manager = make_controller()
    call = request_callback(deps, manager, original(), NUMBER)
    deps.store.defer(deps.store.get_call(call.id), deps.now() + 60, None, AgentState.AVAILABLE, deps.now())
    manager.callbacks.cancel(cancel_message(call.id))
    assert deps.store.get_call(call.id) is None
    deps.now.t += 120
    assert deps.store.requeue_due(deps.now()) == []
    assert deps.records.written[call.id]["hangup_cause"] == "CANCELLED"


def test_one_controller_acts_on_a_request_and_a_new_request_is_heard_again():
    deps, manager = make_controller()
    other = Manager(deps)            # a second controller sharing the live state
    from control.handlers.callbacks import CallbackService

    other.callbacks = CallbackService(deps, other)
    call = request_callback(deps, manager, original(), NUMBER)
    assert deps.store.reserve(call.id, "alice", "test-ctl", 30, deps.now())
    assert manager.callbacks.cancel(cancel_message(call.id, "r1"))["ok"] is False
    assert other.callbacks.cancel(cancel_message(call.id, "r1")) is None      # claimed by the first
    deps.store.release(call.id, "alice", AgentState.NOT_READY, deps.now(), requeue_call=True)
    assert other.callbacks.cancel(cancel_message(call.id, "r2"))["ok"] is True
    assert deps.store.get_call(call.id) is None


def test_not_a_callback_or_gone_is_refused():
    deps, manager = make_controller()
    assert manager.callbacks.cancel(cancel_message("c-plain")) is None        # not a cb- id: ignored
    reply = manager.callbacks.cancel(cancel_message("cb-nothing"))
    assert reply["ok"] is False and "no longer" in reply["result"]
