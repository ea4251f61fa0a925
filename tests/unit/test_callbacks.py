"""Callback calls: the virtual call keeps the caller's place; the offer rings the agent, then dials
the customer; retries, failure and the reconciler. Memory fakes, no sockets."""
from __future__ import annotations

import gevent
import gevent.event

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import QueueConfig
from control.domain.queueing import position_and_wait
from control.domain.routing import decide
from control.handlers import actions, offers
from control.handlers.callback_offer import customer_leg_uuid
from control.handlers.callbacks import CallbackService, from_request, from_row, request_callback
from control.handlers.manager import Manager
from control.handlers.reconcile import reconcile
from tests.handler_fakes import FakeSwitch, make_deps

NUMBER = "+14155550100"


class DialSwitch(FakeSwitch):
    """Agent originates answer; the customer's reply comes from ``customer_replies`` in turn."""

    def __init__(self, customer_replies):
        super().__init__()
        self.customer_replies = list(customer_replies)
        self.handlers = []

    def bgapi(self, command):
        self.commands.append("bgapi " + command)
        result = gevent.event.AsyncResult()
        reply = self.customer_replies.pop(0) if "public-outbound" in command else "+OK leg\n"
        if reply is None:          # still ringing until killed
            self.ringing = result
        else:
            result.set(reply)
        return result

    def api(self, command):
        if command.startswith("uuid_kill") and getattr(self, "ringing", None) is not None:
            self.ringing.set("-ERR ORIGINATOR_CANCEL\n")
        return super().api(command)

    def subscribe(self, handler, events=()):
        self.handlers.append(handler)

    def hangup(self, uuid):
        for handler in self.handlers:
            handler({"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": uuid})


def setup(customer_replies=("+OK cust\n",), **config):
    queues = {"support": QueueConfig(name="support", requirements={"english": 3}, ring_timeout_s=12, wrap_up_s=7)}
    deps = make_deps(queues, switch=DialSwitch(customer_replies), callback_retry_s=60, callback_max_attempts=2,
                     **config)
    deps.store.put_agent(Agent(id="alice", extension="1001", skills={"english": 8}, queues=["support"],
                               state=AgentState.AVAILABLE))
    manager = Manager(deps)
    manager.callbacks = CallbackService(deps, manager)
    return deps, manager


def original():
    return Call(id="orig-1", caller=NUMBER, did="+18005550100", queue="support", priority=5, tier="vip",
                requirements=[Requirement("english", 3)], entered_at=900.0, ivr_path=["menu: pressed 1"],
                vars={"customer": {"id": 7, "name": "Ann Lee"}, "customer_name": "Ann Lee"})


def offer_next(deps, manager) -> gevent.Greenlet:
    decisions = decide(deps.now(), [c for c in deps.store.waiting_calls() if c.state == CallState.QUEUED],
                       deps.store.agents(), deps.queues.current())
    assert decisions, "nothing to route"
    first = decisions[0]
    assert deps.store.reserve(first.call_id, first.agent_ids[0], "test-ctl", 30, deps.now())
    greenlet = gevent.spawn(offers.run_offer, manager, first, first.agent_ids[0])
    gevent.sleep(0.01)
    return greenlet


def test_request_keeps_place_priority_and_needs():
    virtual = from_request(original(), "+14155550199", "orig-1", 1000.0, "general")
    assert (virtual.id, virtual.kind, virtual.caller) == ("cb-orig-1", "callback", "+14155550199")
    assert (virtual.entered_at, virtual.priority, virtual.queue) == (900.0, 5, "support")
    assert virtual.requirements == [Requirement("english", 3)] and virtual.state == CallState.QUEUED
    assert virtual.vars["callback"] == {"number": "+14155550199", "original_call_id": "orig-1", "attempts": 0}
    no_queue = from_request(Call(id="x", caller=NUMBER, did="+1"), NUMBER, "x:2", 1000.0, "general")
    assert (no_queue.queue, no_queue.entered_at, no_queue.id) == ("general", 1000.0, "cb-x:2")


def test_scheduled_row_waits_from_its_due_time():
    row = {"id": 4, "number": NUMBER, "due_at": 950.0, "customer_id": 7, "call_id": None, "queue": None, "note": "n"}
    call = from_row(row, 1000.0, "support")
    assert (call.id, call.kind, call.entered_at, call.queue) == ("cb-row-4", "callback", 950.0, "support")
    assert call.vars["callback"]["row_id"] == 4


def test_callback_is_served_before_a_later_caller_and_counts_in_positions():
    deps, manager = setup()
    request_callback(deps, manager, original(), NUMBER)
    later = Call(id="later", caller="+14155550111", did="+18005550100", queue="support",
                 requirements=[Requirement("english", 3)], state=CallState.QUEUED, entered_at=950.0)
    deps.store.put_call(later)
    waiting = deps.store.waiting_calls()
    assert {c.id: c.kind for c in waiting} == {"cb-orig-1": "callback", "later": "inbound"}
    assert decide(deps.now(), waiting, deps.store.agents(), deps.queues.current())[0].call_id == "cb-orig-1"
    position, _ = position_and_wait(deps.now(), deps.store.get_call("later"), waiting, deps.store.agents(),
                                    deps.queues.current())
    assert position == 2


def test_agent_rings_first_then_customer_is_dialled_bridged_and_recorded():
    deps, manager = setup()
    request_callback(deps, manager, original(), NUMBER)
    greenlet = offer_next(deps, manager)
    agent_leg = actions.agent_leg_uuid("cb-orig-1", "alice", 0)
    customer_leg = customer_leg_uuid("cb-orig-1", 1)
    cmds = deps.switch.commands
    assert cmds[0].startswith(f"bgapi originate {{origination_uuid={agent_leg}") and "user/1001 &park()" in cmds[0]
    assert f"origination_uuid={customer_leg}" in cmds[1]
    assert cmds[1].endswith(f"}}loopback/{NUMBER}/public-outbound &park()")
    assert cmds[2:5] == [f"uuid_break {customer_leg} all", f"uuid_setvar {customer_leg} RECORD_STEREO true",
                         f"uuid_record {customer_leg} start {deps.call_log.read('cb-orig-1', 'recording')[0]}"]
    assert cmds[5] == f"uuid_bridge {customer_leg} {agent_leg}"
    pop = deps.publisher.of("agent:alice", "offer")[0]
    assert pop["callback"] is True and pop["original_call_id"] == "orig-1" and pop["number"] == NUMBER
    assert deps.store.get_agent("alice").state == AgentState.ON_CALL
    deps.switch.hangup(customer_leg)           # the customer ends the conversation
    greenlet.join(timeout=2)
    assert greenlet.dead
    assert deps.store.get_agent("alice").state == AgentState.WRAP_UP
    assert deps.store.get_call("cb-orig-1") is None
    record = deps.records.written["cb-orig-1"]
    assert record["outcome"] == "answered" and record["agent_id"] == "alice" and record["entered_at"] == 900.0
    assert record["explanations"][0] == {"kind": "callback", "original_call_id": "orig-1", "row_id": None,
                                         "number": NUMBER}
    assert [e["result"] for e in record["explanations"] if e.get("kind") == "callback_attempt"] == ["answered"]
    assert deps.jobs.jobs["wrapup-cb-orig-1"] == ("worker.wrapup.finalize_call", ("cb-orig-1",))


def test_no_answer_retries_later_in_place_then_fails_and_frees_the_agent():
    deps, manager = setup(customer_replies=("-ERR NO_ANSWER\n", "-ERR USER_BUSY\n"))
    request_callback(deps, manager, original(), NUMBER)
    offer_next(deps, manager).join(timeout=2)
    call = deps.store.get_call("cb-orig-1")
    assert call.state == CallState.IVR and call.vars["callback"]["attempts"] == 1
    assert deps.store.waiting_calls() == [] and deps.store.next_deferred() == 1060.0
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE
    assert deps.store.requeue_due(1059.0) == []
    deps.now.t = 1060.0
    assert manager.callbacks.requeue_due() == ["cb-orig-1"]
    again = deps.store.get_call("cb-orig-1")
    assert again.state == CallState.QUEUED and again.entered_at == 900.0
    offer_next(deps, manager).join(timeout=2)
    assert deps.store.get_call("cb-orig-1") is None
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE
    record = deps.records.written["cb-orig-1"]
    assert record["outcome"] == "failed" and record["hangup_cause"] == "USER_BUSY"
    assert [e["result"] for e in record["explanations"] if e.get("kind") == "callback_attempt"] == \
        ["NO_ANSWER", "USER_BUSY"]
    assert deps.switch.customer_replies == []


def test_agent_hanging_up_while_the_customer_rings_gives_the_call_back_uncounted():
    deps, manager = setup(customer_replies=(None,))
    request_callback(deps, manager, original(), NUMBER)
    greenlet = offer_next(deps, manager)
    deps.switch.hangup(actions.agent_leg_uuid("cb-orig-1", "alice", 0))
    greenlet.join(timeout=2)
    assert greenlet.dead
    assert f"uuid_kill {customer_leg_uuid('cb-orig-1', 1)} ORIGINATOR_CANCEL" in deps.switch.commands
    call = deps.store.get_call("cb-orig-1")
    assert call.state == CallState.QUEUED and call.vars["callback"]["attempts"] == 0
    assert deps.store.get_agent("alice").state == AgentState.NOT_READY


def test_agent_missing_the_ring_is_not_a_customer_attempt():
    deps, manager = setup()
    deps.switch.bgapi = lambda command: _result("-ERR NO_ANSWER\n")
    request_callback(deps, manager, original(), NUMBER)
    offer_next(deps, manager).join(timeout=2)
    call = deps.store.get_call("cb-orig-1")
    assert call.state == CallState.QUEUED and call.vars["callback"]["attempts"] == 0
    assert deps.store.get_agent("alice").state == AgentState.NOT_READY


def test_reconciler_keeps_a_waiting_callback_call_but_sweeps_a_ghost_caller():
    deps, manager = setup()
    request_callback(deps, manager, original(), NUMBER)
    deps.store.put_call(Call(id="ghost", caller="+1", did="+2", queue="support", state=CallState.QUEUED,
                             entered_at=990.0))
    fixed = reconcile(manager)
    assert fixed["ghost_calls"] == 1
    assert [c.id for c in deps.store.waiting_calls()] == ["cb-orig-1"]


def test_reconciler_keeps_an_agent_talking_on_a_callback_while_its_leg_is_up():
    deps, manager = setup()
    request_callback(deps, manager, original(), NUMBER)
    deps.store.reserve("cb-orig-1", "alice", "dead-ctl", 30, deps.now())
    deps.call_log.append("cb-orig-1", "offers", "alice")
    deps.store.confirm("cb-orig-1", "alice", deps.now())
    agent_leg = actions.agent_leg_uuid("cb-orig-1", "alice", 0)
    deps.switch.channels.add(agent_leg)
    assert reconcile(manager)["stuck_agents"] == 0
    deps.switch.channels.discard(agent_leg)     # gone before the customer was reached: still owed
    assert reconcile(manager)["stuck_agents"] == 1
    assert deps.store.get_call("cb-orig-1").state == CallState.QUEUED


def test_claims_are_once():
    deps, _ = setup()
    assert deps.store.claim_once("callback-row:1", 60)
    assert not deps.store.claim_once("callback-row:1", 60)


def _result(body):
    result = gevent.event.AsyncResult()
    result.set(body)
    return result


def test_scenario_says_how_called_back_customers_behave():
    import pytest

    from control.yamlfile import ConfigErrors
    from simulator.scenario import loads_scenario

    text = """name: cb
calls: [{at: 0, caller: "+14155550100", did: "+18005550100"}]
outside:
  - {number: "+14155550100", answer_after: 2, talk_time: 5}
  - {number: "+14155550199", answer_after: never}
  - {number: "+14155550188", busy: true}
"""
    assert [o["number"] for o in loads_scenario(text).outside] == ["+14155550100", "+14155550199", "+14155550188"]
    with pytest.raises(ConfigErrors):
        loads_scenario(text.replace("busy: true", "busy: sometimes"))

