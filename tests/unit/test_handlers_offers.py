"""The offer and clean-up rules of the call handlers, driven with memory fakes (no sockets)."""
from __future__ import annotations

import gevent

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.domain.routing import decide
from control.handlers import actions, offers
from control.handlers.manager import Manager
from control.handlers.reconcile import reconcile
from tests.handler_fakes import FakeSwitch, make_deps


def setup(reply="+OK leg\n", record=True):
    queues = {"support": QueueConfig(name="support", requirements={"english": 3}, record=record,
                                     ring_timeout_s=12)}
    deps = make_deps(queues, switch=FakeSwitch(originate_reply=reply))
    deps.store.put_agent(Agent(id="alice", extension="1001", skills={"english": 8}, queues=["support"],
                               state=AgentState.AVAILABLE))
    deps.store.put_call(Call(id="caller-1", caller="+14155550100", did="+18005550100", queue="support",
                             state=CallState.QUEUED, entered_at=990.0,
                             vars={"customer": {"name": "Ann Lee", "tier": "vip"}}))
    return deps, Manager(deps)


def offer(deps, manager):
    now = deps.now()
    decisions = decide(now, deps.store.waiting_calls(), deps.store.agents(), deps.queues.current())
    assert [d.agent_ids for d in decisions] == [["alice"]]
    assert deps.store.reserve("caller-1", "alice", "test-ctl", 30, now)
    offers.run_offer(manager, decisions[0], "alice")


def test_answered_offer_pops_before_ringing_then_records_and_bridges():
    deps, manager = setup()
    offer(deps, manager)
    leg = actions.agent_leg_uuid("caller-1", "alice", 0)
    cmds = deps.switch.commands
    assert cmds[0].startswith("bgapi originate {origination_uuid=" + leg)
    assert "originate_timeout=12" in cmds[0] and "}user/1001 &park()" in cmds[0]
    assert cmds[1:] == ["uuid_break caller-1 all", "uuid_setvar caller-1 RECORD_STEREO true",
                        f"uuid_record caller-1 start {deps.call_log.read('caller-1', 'recording')[0]}",
                        f"uuid_bridge caller-1 {leg}"]
    pops = deps.publisher.of("agent:alice")
    assert [p["type"] for p in pops] == ["offer", "answered"]
    assert pops[0]["customer"]["name"] == "Ann Lee" and pops[0]["wait_s"] == 10.0
    assert deps.store.get_agent("alice").state == AgentState.ON_CALL
    assert deps.store.get_call("caller-1").state == CallState.CONNECTED
    assert deps.call_log.read("caller-1", "offers") == ["alice"]
    assert deps.call_log.read("caller-1", "explanations")[0]["agent"] == "alice"


def test_queue_without_recording_does_not_record():
    deps, manager = setup(record=False)
    offer(deps, manager)
    assert not any(c.startswith("uuid_record") for c in deps.switch.commands)


def test_missed_offer_sets_agent_not_ready_and_requeues_call():
    deps, manager = setup(reply="-ERR NO_ANSWER\n")
    offer(deps, manager)
    gevent.sleep(0)  # the history is written off the call's greenlet
    assert deps.history == [("alice", "not_ready", "missed: NO_ANSWER")]
    assert deps.store.get_agent("alice").state == AgentState.NOT_READY
    call = deps.store.get_call("caller-1")
    assert call.state == CallState.QUEUED and call.agent_id is None
    missed = deps.publisher.of("agent:alice", "missed")
    assert missed[0]["cause"] == "NO_ANSWER"


def test_caller_gone_while_ringing_frees_agent_without_penalty():
    deps, manager = setup(reply="-ERR ORIGINATOR_CANCEL\n")
    offer(deps, manager)
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE
    assert deps.store.get_call("caller-1") is None


def test_bridge_failure_kills_agent_leg_and_frees_agent():
    deps, manager = setup()
    deps.switch.bridge_reply = "-ERR Invalid uuid\n"
    offer(deps, manager)
    leg = actions.agent_leg_uuid("caller-1", "alice", 0)
    assert f"uuid_kill {leg} ORIGINATOR_CANCEL" in deps.switch.commands
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE


def test_reconcile_frees_lapsed_reservation_and_requeues_call():
    deps, manager = setup()
    deps.switch.channels = {"caller-1"}
    assert deps.store.reserve("caller-1", "alice", "dead-controller", 5, deps.now())
    deps.now.t += 60
    fixed = reconcile(manager)
    assert fixed["leases"] == 1
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE
    assert deps.store.get_call("caller-1").state == CallState.QUEUED


def test_reconcile_removes_ghost_call_and_writes_its_record():
    deps, manager = setup()
    deps.switch.channels = set()  # FreeSWITCH no longer has the caller
    fixed = reconcile(manager)
    assert fixed["ghost_calls"] == 1
    assert deps.store.get_call("caller-1") is None
    assert deps.records.written["caller-1"]["outcome"] == "abandoned"


def test_reconcile_moves_agent_on_vanished_call_to_wrap_up():
    deps, manager = setup()
    deps.switch.channels = {"caller-1"}
    offer(deps, manager)
    deps.switch.channels = set()
    deps.store.remove_call("caller-1")
    fixed = reconcile(manager)
    assert fixed["stuck_agents"] == 1
    assert deps.store.get_agent("alice").state == AgentState.WRAP_UP
    manager.stop()


def test_current_leg_is_derived_from_the_shared_offer_log():
    deps, manager = setup(reply="-ERR NO_ANSWER\n")
    offer(deps, manager)
    assert offers.current_leg(deps.call_log, "caller-1") == (actions.agent_leg_uuid("caller-1", "alice", 0), "alice")
    assert offers.current_leg(deps.call_log, "nobody") is None
