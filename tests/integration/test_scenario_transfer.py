"""Attended transfer through the simulator: a real controller, Redis, PostgreSQL and TCP Event Sockets.

Alice answers a caller, consults Bob (the caller hears hold music meanwhile), then completes,
cancels, or Bob never answers. The console's requests go over the Redis ``control`` channel as
web/api_calls.py publishes them.
"""
from __future__ import annotations

import json
import socket
import uuid

import pytest

from control.app import build  # noqa: I001  (gevent is patched by tests/conftest.py)
from control.config import load_config
from control.domain.models import Agent, AgentState
from control.handlers.actions import agent_leg_uuid
from control.ivr.loader import flows_from_data
from control.queues import queues_from_data
from simulator.runner import RecordTap, Static
from simulator.switch import Switch
from tests.integration.faultkit import wait_for

FLOWS = {"dids": {"default": "f"}, "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}
QUEUES = {"queues": {"support": {"ring_timeout_s": 2}}}
OUTSIDE = "+14155550199"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Rig:
    def __init__(self, pg_url: str, redis_url: str, tmp_path, bob_answers: float | None):
        from records.migrate import ensure_schema

        self.config = load_config(env={}).replace(
            database_url=pg_url, redis_url=redis_url, redis_prefix=f"hlxfer-{uuid.uuid4().hex[:8]}",
            outbound_port=_port(), esl_port=_port(), wrap_up_s=60, recordings_dir=str(tmp_path),
            records_spool=str(tmp_path / "spool.jsonl"))
        ensure_schema(pg_url)
        self.switch = Switch(controller=("127.0.0.1", self.config.outbound_port),
                             esl_listen=("127.0.0.1", self.config.esl_port), password=self.config.esl_password)
        self.switch.start()
        self.controller = build(self.config, flows=Static(flows_from_data(FLOWS, "test")),
                                queues=Static(queues_from_data(QUEUES, "test")))
        self.records: dict[str, dict] = {}   # the production path (QueuedRecords), tapped
        self.controller.deps.records = RecordTap(self.controller.deps.records, self.records)
        self.store = self.controller.deps.store
        for i, (agent_id, ext, answers) in enumerate((("alice", "1001", 0.2), ("bob", "1002", bob_answers))):
            self.store.put_agent(Agent(id=agent_id, extension=ext, queues=["support"], order=i, name=agent_id))
            self.switch.add_phone(ext, answer_after=answers, talk_time=None)
        self.switch.add_outside_number(OUTSIDE, answer_after=0.2)
        self.controller.start()
        self.controller.switch.wait_ready(10)
        self.manager = self.controller.manager
        self.manager.agents.change("alice", AgentState.AVAILABLE)

    def close(self) -> None:
        self.controller.stop()
        self.switch.stop()
        keys = list(self.controller.redis.scan_iter(match=f"{self.config.redis_prefix}:*", count=1000))
        if keys:
            self.controller.redis.delete(*keys)

    # -- helpers -------------------------------------------------------------------
    def call_answered_by_alice(self):
        handle = self.switch.place_call(caller="+14155550100", did="+18005550100")
        wait_for(lambda: handle.answered_by_agent == "1001", 15, what="alice answering")
        self.manager.agents.change("bob", AgentState.AVAILABLE)   # only now: alice got the call
        return handle

    def console(self, action: str, call_id: str, **extra) -> None:
        """What web/api_calls.py publishes for a console button."""
        self.controller.deps.publisher.publish("control", {"type": "call_action", "action": action,
                                                           "call_id": call_id, "by": "alice", **extra})

    def state(self, agent_id: str) -> AgentState:
        return self.store.get_agent(agent_id).state

    def consult_events(self, agent_id: str = "alice") -> list[str]:
        key = f"{self.config.redis_prefix}:stream:agent:{agent_id}"
        messages = [json.loads(fields[b"data"]) for _, fields in self.controller.redis.xrange(key)]
        return [m["state"] for m in messages if m.get("type") == "consult"]

    def bridged(self, a: str, b: str) -> bool:
        ch = self.switch.channel(a)
        return ch is not None and ch.bridged and ch.other is not None and ch.other.uuid == b


@pytest.fixture
def make_rig(pg_database_url, redis_url, tmp_path):
    rigs = []

    def make(bob_answers: float | None = 0.2) -> Rig:
        rigs.append(Rig(pg_database_url, redis_url, tmp_path, bob_answers))
        return rigs[-1]

    yield make
    for rig in rigs:
        rig.close()


def alice_consults_bob(rig):
    """Alice answers a caller and starts an attended transfer to Bob: (caller, alice's leg, bob's leg)."""
    handle = rig.call_answered_by_alice()
    call_id = handle.uuid
    alice_leg, bob_leg = agent_leg_uuid(call_id, "alice", 0), agent_leg_uuid(call_id, "bob", 1)
    rig.console("transfer", call_id, to="agent", target="bob", kind="attended")
    wait_for(lambda: rig.bridged(alice_leg, bob_leg), 10, what="alice talking to bob")
    return handle, alice_leg, bob_leg


def test_consult_then_complete_hands_the_caller_to_bob(make_rig, pg_database_url):
    rig = make_rig()
    handle, alice_leg, bob_leg = alice_consults_bob(rig)
    call_id = handle.uuid
    customer = rig.switch.channel(call_id)
    assert not customer.bridged and customer.vars["current_application"] == "endless_playback"   # on hold
    assert rig.state("bob") == AgentState.RESERVED and rig.store.get_call(call_id).agent_id == "alice"

    rig.console("transfer_complete", call_id)
    wait_for(lambda: rig.bridged(call_id, bob_leg), 10, what="the caller bridged with bob")
    wait_for(lambda: rig.switch.channel(alice_leg) is None, 10, what="alice's leg hung up")
    wait_for(lambda: rig.consult_events()[-1:] == ["completed"], 10, what="the consult completed")
    assert rig.consult_events() == ["ringing", "talking", "completed"]
    assert handle.answered_by_agent == "1002"
    assert (rig.state("alice"), rig.state("bob")) == (AgentState.WRAP_UP, AgentState.ON_CALL)
    assert rig.store.get_call(call_id).agent_id == "bob"
    assert customer.recording and customer.recording.endswith(f"{call_id}.wav")   # the same recording runs on

    customer.hangup("NORMAL_CLEARING", by="caller")
    record = wait_for(lambda: rig.records.get(call_id), 10, what="the call record")
    assert record["agent_id"] == "bob" and record["offers"] == ["alice", "bob"] and record["outcome"] == "answered"
    transfer = [e for e in record["explanations"] if e.get("kind") == "transfer"]
    assert transfer and (transfer[0]["from"], transfer[0]["agent"], transfer[0]["mode"]) == ("alice", "bob", "attended")
    wait_for(lambda: rig.state("bob") == AgentState.WRAP_UP, 10, what="bob in wrap-up")
    wait_for(lambda: rig.switch.channel(bob_leg) is None, 10, what="bob's leg hung up")

    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    def stored():
        with session_factory(pg_database_url)() as session:
            return session.scalar(select(Call).where(Call.call_id == call_id))
    row = wait_for(stored, 10, what="the call row")
    assert row.agent_id == "bob" and row.offers == ["alice", "bob"]


def test_consult_then_cancel_puts_the_caller_back_with_alice(make_rig):
    rig = make_rig()
    handle, alice_leg, bob_leg = alice_consults_bob(rig)
    call_id = handle.uuid

    rig.console("transfer_cancel", call_id)
    wait_for(lambda: rig.bridged(call_id, alice_leg), 10, what="the caller back with alice")
    wait_for(lambda: rig.switch.channel(bob_leg) is None, 10, what="bob's leg hung up")
    wait_for(lambda: rig.consult_events()[-1:] == ["cancelled"], 10, what="the consult cancelled")
    assert rig.consult_events() == ["ringing", "talking", "cancelled"]
    assert rig.state("bob") == AgentState.AVAILABLE
    assert rig.state("alice") == AgentState.ON_CALL and rig.store.get_call(call_id).agent_id == "alice"

    rig.switch.channel(call_id).hangup("NORMAL_CLEARING", by="caller")   # alice's leg goes with the caller
    record = wait_for(lambda: rig.records.get(call_id), 10, what="the call record")
    assert record["agent_id"] == "alice" and record["offers"] == ["alice"]
    wait_for(lambda: rig.switch.channel(alice_leg) is None, 10, what="alice's leg hung up")


def test_consult_nobody_answers_the_caller_goes_back_to_alice(make_rig):
    rig = make_rig(bob_answers=None)           # bob's phone rings out the queue's 2 s
    handle = rig.call_answered_by_alice()
    call_id = handle.uuid
    alice_leg = agent_leg_uuid(call_id, "alice", 0)
    rig.console("transfer", call_id, to="agent", target="bob", kind="attended")
    wait_for(lambda: rig.consult_events()[-1:] == ["failed"], 15, what="the consult failing")
    wait_for(lambda: rig.bridged(call_id, alice_leg), 10, what="the caller back with alice")
    assert rig.state("bob") == AgentState.AVAILABLE and rig.state("alice") == AgentState.ON_CALL


def test_consult_an_outside_number_then_complete(make_rig):
    rig = make_rig()
    handle = rig.call_answered_by_alice()
    call_id = handle.uuid
    outside_leg = agent_leg_uuid(call_id, f"external:{OUTSIDE}", 1)
    rig.console("transfer", call_id, to="external", target=OUTSIDE, kind="attended")
    wait_for(lambda: rig.bridged(agent_leg_uuid(call_id, "alice", 0), outside_leg), 10, what="alice talking out")
    rig.console("transfer_complete", call_id)
    wait_for(lambda: rig.bridged(call_id, outside_leg), 10, what="the caller bridged outside")
    record = wait_for(lambda: rig.records.get(call_id), 10, what="alice's segment record")
    wait_for(lambda: rig.consult_events()[-1:] == ["completed"], 10, what="the consult completed")
    assert record["outcome"] == "transferred" and record["agent_id"] == "alice"
    assert rig.state("alice") == AgentState.WRAP_UP and rig.store.get_call(call_id) is None


def test_hold_and_resume_reach_the_switch(make_rig):
    rig = make_rig()
    call_id = rig.call_answered_by_alice().uuid

    def results():
        key = f"{rig.config.redis_prefix}:stream:agent:alice"
        messages = [json.loads(fields[b"data"]) for _, fields in rig.controller.redis.xrange(key)]
        return [(m["action"], m["ok"]) for m in messages if m.get("type") == "call_action"]

    # the agent's leg is held, so that FreeSWITCH plays the hold music to its partner, the caller
    agent_leg = rig.switch.channel(agent_leg_uuid(call_id, "alice", 0))
    rig.console("hold", call_id)
    wait_for(lambda: results() == [("hold", True)], 10, what="the hold result")
    assert agent_leg.vars["hold_state"] == "held" and "hold_state" not in rig.switch.channel(call_id).vars
    rig.console("unhold", call_id)
    wait_for(lambda: len(results()) == 2, 10, what="the resume result")
    assert results()[1] == ("unhold", True) and agent_leg.vars["hold_state"] == "unheld"
