"""Callbacks through the switch simulator: real controller, Redis, PostgreSQL and TCP.

A caller presses the callback key and hangs up; the callback call keeps their place in line,
rings the agent, dials the customer's number and bridges; no answer retries then fails; a
scheduled row from the console's table is dialled at its due time, once.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import gevent
import pytest

from control.config import load_config
from tests.conftest import free_port
from tests.integration.faultkit import wait_for

pytestmark = pytest.mark.integration

NUMBER = "+14155550100"
LATER = "+14155550111"
DID = "+18005550100"
QUEUES = {"queues": {"support": {"requirements": {"english": 3}, "ring_timeout_s": 5, "wrap_up_s": 1,
                                 "announce_every_s": 0, "record": True,
                                 "exit_keys": {"1": {"action": "callback"}}}}}
FLOWS = {"dids": {"default": "front"}, "front": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}


class Rig:
    def __init__(self, tmp_path, redis_url, prefix, database_url, switch=None, **config):
        from control.app import build
        from control.domain.models import Agent
        from control.ivr.loader import flows_from_data
        from control.queues import queues_from_data
        from records.migrate import ensure_schema
        from simulator.runner import Static
        from simulator.switch import Switch

        ensure_schema(database_url)
        self.config = load_config(env={}).replace(
            database_url=database_url, redis_url=redis_url, redis_prefix=prefix, outbound_port=free_port(),
            esl_port=free_port(), records_spool=str(tmp_path / "spool.jsonl"), recordings_dir=str(tmp_path),
            reconcile_interval_s=1, **{"callback_sweep_s": 1, **config})
        # the sweep is the safety net for a `callback_scheduled` message sent before the controller's
        # control channel was subscribed (a loaded machine, right after start): here it runs each second
        self.own_switch = switch is None
        if switch is None:
            switch = Switch(controller=("127.0.0.1", self.config.outbound_port),
                            esl_listen=("127.0.0.1", self.config.esl_port), media_s=0.05)
            switch.start()
        self.switch = switch
        self.config = self.config.replace(esl_port=switch.esl_port)
        queues = Static(queues_from_data(QUEUES, "test"))
        self.controller = build(self.config, flows=Static(flows_from_data(FLOWS, "test")), queues=queues)
        self.store = self.controller.deps.store
        self.store.put_agent(Agent(id="alice", extension="1001", skills={"english": 8}, queues=["support"],
                                   wrap_up_s=1))
        self.phone = self.switch.phones.get("1001") or self.switch.add_phone("1001", answer_after=0.2, talk_time=1.0)
        self.controller.start()
        assert self.controller.switch.wait_ready(10)

    def available(self) -> None:
        from control.domain.models import AgentState

        self.controller.manager.agents.change("alice", AgentState.AVAILABLE)

    def call_and_ask_for_callback(self):
        """Waits, presses 1 (callback), hangs up."""
        handle = self.switch.place_call(NUMBER, DID, inputs=[{"after": 0.3, "digits": "1"}], patience=0.8)
        wait_for(lambda: self.store.get_call(f"cb-{handle.uuid}"), 10, what="the callback call in live state")
        handle.done.wait(5)
        return handle

    def schedule(self, due, **fields) -> str:
        """A console-scheduled callback row due at ``due``, announced to the controllers; its call id."""
        from records.card_models import Callback
        from records.db import session_factory

        with session_factory(self.config.database_url)() as session:
            row = Callback(number="+14155550177", due_at=due, queue="support", status="scheduled", details={},
                           **fields)
            session.add(row)
            session.commit()
            row_id = row.id
        self.controller.deps.publisher.publish("control", {"type": "callback_scheduled", "id": row_id,
                                                           "due_at": due.timestamp()})
        return f"cb-row-{row_id}"

    def records(self, *call_ids, timeout: float = 30.0) -> dict:
        from sqlalchemy import select

        from records.db import session_factory
        from records.models import Call

        def read():
            with session_factory(self.config.database_url)() as session:
                rows = {r.call_id: r for r in session.scalars(select(Call).where(Call.call_id.in_(call_ids)))}
            return rows if set(rows) == set(call_ids) else None

        return wait_for(lambda: self.controller.deps.offload(read), timeout, step=0.2, what=f"records {call_ids}")

    def stop(self) -> None:
        self.controller.stop()
        if self.own_switch:
            self.switch.stop()


@pytest.fixture
def make_rig(tmp_path, redis_url, redis_prefix, pg_database_url):
    rigs = []

    def make(**config):
        rigs.append(Rig(tmp_path, redis_url, redis_prefix, pg_database_url, **config))
        return rigs[-1]

    yield make
    for rig in reversed(rigs):
        rig.stop()


def test_callback_keeps_the_callers_place_and_is_bridged_and_linked(make_rig):
    rig = make_rig()
    customer = rig.switch.add_outside_number(NUMBER, answer_after=0.3, talk_time=5.0)
    first = rig.call_and_ask_for_callback()
    assert first.done.is_set()                                   # the caller has left
    cb_id = f"cb-{first.uuid}"
    callback = rig.store.get_call(cb_id)
    assert callback.kind == "callback" and callback.state.value == "queued"
    later = rig.switch.place_call(LATER, DID)                    # arrives after the callback request
    wait_for(lambda: rig.store.get_call(later.uuid), 10, what="the later caller in the queue")
    assert rig.store.get_call(later.uuid).entered_at > callback.entered_at
    rig.controller.manager.reconcile()                          # no caller leg, yet not a ghost
    assert rig.store.get_call(cb_id) is not None
    rig.available()
    rows = rig.records(first.uuid, cb_id, later.uuid)
    original, served, after = rows[first.uuid], rows[cb_id], rows[later.uuid]
    assert original.outcome == "callback"
    assert any(e.get("callback_call_id") == cb_id for e in original.explanations)
    assert served.outcome == "answered" and served.agent_id == "alice" and served.caller == NUMBER
    assert served.explanations[0]["original_call_id"] == first.uuid
    assert served.recording_path and served.recording_path.endswith(f"{cb_id}.wav")
    assert served.entered_at == original.entered_at             # the place in line it kept
    assert served.offered_at < after.offered_at                 # served before the later caller
    assert after.outcome == "answered" and after.agent_id == "alice"
    assert customer.rings == 1 and rig.phone.extension == "1001"


def test_callback_outlives_the_controller_that_took_the_request(make_rig):
    rig = make_rig()
    customer = rig.switch.add_outside_number(NUMBER, answer_after=0.2, talk_time=0.5)
    first = rig.call_and_ask_for_callback()
    cb_id = f"cb-{first.uuid}"
    rig.controller.stop()                                       # the controller that heard the request is gone
    other = make_rig(switch=rig.switch)
    other.controller.manager.reconcile()
    other.available()
    served = other.records(cb_id)[cb_id]
    assert served.outcome == "answered" and served.agent_id == "alice" and customer.rings == 1


def test_unanswered_callback_retries_then_fails_and_frees_the_agent(make_rig):
    from control.domain.models import AgentState

    rig = make_rig(callback_ring_timeout_s=1, callback_retry_s=0.5, callback_max_attempts=2)
    customer = rig.switch.add_outside_number(NUMBER, answer_after=None)   # never answers
    rig.phone.talk_time = None          # alice stays on the line while the customer's phone rings
    first = rig.call_and_ask_for_callback()
    cb_id = f"cb-{first.uuid}"
    rig.available()
    served = rig.records(cb_id)[cb_id]
    assert served.outcome == "failed" and served.hangup_cause == "NO_ANSWER"
    attempts = [e for e in served.explanations if e.get("kind") == "callback_attempt"]
    assert [(a["attempt"], a["result"]) for a in attempts] == [(1, "NO_ANSWER"), (2, "NO_ANSWER")]
    assert customer.rings == 2
    assert rig.store.get_call(cb_id) is None
    wait_for(lambda: rig.store.get_agent("alice").state == AgentState.AVAILABLE, 10, what="alice available")


def test_scheduled_callback_is_dialled_once_at_its_due_time(make_rig):
    from records.card_models import Callback
    from records.db import session_factory

    rig = make_rig()
    # a second controller on the same switch, Redis and database: the row is still dialled once
    make_rig(switch=rig.switch)
    customer = rig.switch.add_outside_number("+14155550177", answer_after=0.2, talk_time=0.5)
    rig.available()
    due = datetime.now(timezone.utc) + timedelta(seconds=1)
    cb_id = rig.schedule(due, note="call about the invoice")
    row_id = int(cb_id.removeprefix("cb-row-"))
    served = rig.records(cb_id)[cb_id]
    assert served.outcome == "answered" and served.agent_id == "alice"
    assert served.explanations[0]["row_id"] == row_id

    def marked():
        with session_factory(rig.config.database_url)() as session:
            item = session.get(Callback, row_id)
            return item if item.details.get("result") == "answered" else None

    item = wait_for(lambda: rig.controller.deps.offload(marked), 10, what="the row marked")
    assert item.status == "done" and item.details["call_id"] == cb_id
    gevent.sleep(1.0)   # both controllers' timers have fired by now; neither dials again
    assert customer.rings == 1
    assert time.time() >= due.timestamp()


@pytest.fixture(params=["redis", "memory"])
def store(request):
    from control.store.memory_state import MemoryState
    from control.store.redis_state import RedisState

    if request.param == "memory":
        return MemoryState()
    return RedisState(request.getfixturevalue("redis_client"), request.getfixturevalue("redis_prefix"))


def test_store_defers_a_callback_and_requeues_it_once_in_its_place(store):
    from control.domain.models import Agent, AgentState, Call, CallState

    store.put_agent(Agent(id="a1", extension="1001", queues=["support"], state=AgentState.AVAILABLE))
    store.put_call(Call(id="cb-1", caller=NUMBER, did=DID, queue="support", entered_at=100.0,
                        state=CallState.QUEUED, kind="callback"))
    store.put_call(Call(id="c2", caller=LATER, did=DID, queue="support", entered_at=150.0, state=CallState.QUEUED))
    seq = store.get_call("cb-1").seq
    assert store.reserve("cb-1", "a1", "ctl", 30, 200.0) and store.confirm("cb-1", "a1", 201.0)
    call = store.get_call("cb-1")
    call.vars["callback"] = {"attempts": 1}
    store.defer(call, 260.0, "a1", AgentState.AVAILABLE, 205.0)
    assert [c.id for c in store.waiting_calls()] == ["c2"] and store.next_deferred() == 260.0
    agent, held = store.get_agent("a1"), store.get_call("cb-1")
    assert (agent.state, agent.call_id) == (AgentState.AVAILABLE, None)
    assert (held.state, held.kind, held.vars["callback"]) == (CallState.IVR, "callback", {"attempts": 1})
    assert store.requeue_due(259.0) == []
    assert store.requeue_due(260.0) == ["cb-1"] and store.requeue_due(261.0) == []
    back = store.get_call("cb-1")
    assert (back.state, back.entered_at, back.seq) == (CallState.QUEUED, 100.0, seq)
    assert [c.id for c in store.waiting_calls()] == ["cb-1", "c2"] and store.next_deferred() is None
    assert store.claim_once("row:1", 60) and not store.claim_once("row:1", 60) and store.claim_once("row:2", 60)


def test_the_console_hangs_up_a_callback_on_the_customers_leg(make_rig):
    rig = make_rig()
    rig.switch.add_outside_number(NUMBER, answer_after=0.2, talk_time=60.0)
    first = rig.call_and_ask_for_callback()
    cb_id = f"cb-{first.uuid}"
    rig.available()
    live = wait_for(lambda: (c := rig.store.get_call(cb_id)) and c.vars["callback"].get("customer_leg") and c,
                    15, what="the customer bridged")
    assert live.controller_id == rig.controller.deps.controller_id   # console actions come to this controller
    rig.controller.deps.publisher.publish("control", {"type": "call_action", "action": "hangup",
                                                      "call_id": cb_id, "by": "alice", "agent_id": "alice"})
    served = rig.records(cb_id)[cb_id]                          # long before the customer's 60 s talk time
    assert served.outcome == "answered" and served.agent_id == "alice"
    assert rig.switch.channel(live.vars["callback"]["customer_leg"]) is None
