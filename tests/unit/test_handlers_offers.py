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


# -- ring groups: ring-all and ring-progressively ----------------------------------------------
from control.store.ring_groups import GROUP  # noqa: E402


class RingSwitch(FakeSwitch):
    """Phones by extension: (seconds of ringing, reply); uuid_kill ends a ringing leg with its cause."""

    def __init__(self, phones: dict[str, tuple[float, str]]):
        super().__init__()
        self.phones, self.jobs = phones, {}

    def bgapi(self, command: str):
        self.commands.append("bgapi " + command)
        leg = command.split("origination_uuid=")[1].split(",")[0]
        ext = command.split("}user/")[1].split()[0]
        delay, reply = self.phones[ext]
        result = self.jobs[leg] = gevent.event.AsyncResult()
        gevent.spawn_later(delay, lambda: result.ready() or result.set(reply))
        return result

    def api(self, command: str) -> str:
        parts = command.split()
        if parts[0] == "uuid_kill" and parts[1] in self.jobs and not self.jobs[parts[1]].ready():
            self.jobs[parts[1]].set(f"-ERR {parts[2]}\n")
        return super().api(command)

    def originated(self) -> list[str]:
        return [c.split("hotline_agent=")[1].split(",")[0] for c in self.commands if c.startswith("bgapi originate")]


NEVER = (30.0, "-ERR NO_ANSWER\n")


def group_setup(strategy, phones, **queue):
    queues = {"support": QueueConfig(name="support", strategy=strategy, requirements={"english": 3},
                                     ring_timeout_s=12, **queue)}
    deps = make_deps(queues, switch=RingSwitch(phones))
    for i, (name, ext) in enumerate([("alice", "1001"), ("bob", "1002"), ("carol", "1003")]):
        deps.store.put_agent(Agent(id=name, extension=ext, skills={"english": 8}, queues=["support"],
                                   state=AgentState.AVAILABLE, order=i))
    deps.store.put_call(Call(id="caller-1", caller="+14155550100", did="+18005550100", queue="support",
                             state=CallState.QUEUED, entered_at=990.0))
    return deps, Manager(deps)


def ring(deps, manager):
    decisions = decide(deps.now(), deps.store.waiting_calls(), deps.store.agents(), deps.queues.current())
    assert manager._reserve_and_offer(decisions[0], deps.now()) == 1
    manager._offering["caller-1"].join(timeout=10)


def states(deps):
    return {a: deps.store.get_agent(a).state for a in ("alice", "bob", "carol")}


def leg(agent, attempt):
    return actions.agent_leg_uuid("caller-1", agent, attempt)


def test_ring_all_rings_every_phone_and_the_first_answer_wins():
    deps, manager = group_setup("ring-all", {"1001": NEVER, "1002": (0.05, "+OK b\n"), "1003": NEVER})
    ring(deps, manager)
    assert deps.switch.originated() == ["alice", "bob", "carol"]
    assert states(deps) == {"alice": AgentState.AVAILABLE, "bob": AgentState.ON_CALL, "carol": AgentState.AVAILABLE}
    call = deps.store.get_call("caller-1")
    assert call.state == CallState.CONNECTED and call.agent_id == "bob"
    assert f"uuid_kill {leg('alice', 0)} LOSE_RACE" in deps.switch.commands
    assert f"uuid_kill {leg('carol', 2)} LOSE_RACE" in deps.switch.commands
    assert f"uuid_bridge caller-1 {leg('bob', 1)}" in deps.switch.commands
    assert deps.call_log.read("caller-1", "offers") == ["alice", "bob", "carol"]
    route, result = deps.call_log.read("caller-1", "explanations")
    assert route["kind"] == "route" and route["agents"] == ["alice", "bob", "carol"]
    assert result["kind"] == "ring_group" and result["winner"] == "bob"
    assert {r["agent"]: r["result"] for r in result["rung"]} == {
        "alice": "lost the race", "bob": "answered", "carol": "lost the race"}
    assert [m["reason"] for m in deps.publisher.of("agent:alice", "ended")] == ["answered_elsewhere"]
    assert offers.current_leg(deps.call_log, "caller-1") == (leg("bob", 1), "bob")   # not carol's, rung last


def test_ring_all_two_answers_at_once_gives_the_call_to_exactly_one():
    deps, manager = group_setup("ring-all", {"1001": (0.05, "+OK a\n"), "1002": (0.05, "+OK b\n"),
                                             "1003": NEVER})
    ring(deps, manager)
    got = [a for a, s in states(deps).items() if s == AgentState.ON_CALL]
    assert len(got) == 1 and deps.store.get_call("caller-1").agent_id == got[0]
    assert sum(1 for s in states(deps).values() if s == AgentState.AVAILABLE) == 2
    assert len([c for c in deps.switch.commands if c.startswith("uuid_bridge")]) == 1


def test_ring_all_ring_out_keeps_agents_available_but_a_refusal_is_a_missed_offer():
    deps, manager = group_setup("ring-all", {"1001": (0.02, "-ERR NO_ANSWER\n"), "1002": (0.03, "-ERR USER_BUSY\n"),
                                             "1003": (0.04, "-ERR NO_ANSWER\n")})
    ring(deps, manager)
    assert states(deps) == {"alice": AgentState.AVAILABLE, "bob": AgentState.NOT_READY, "carol": AgentState.AVAILABLE}
    call = deps.store.get_call("caller-1")
    assert call.state == CallState.QUEUED and call.agent_id is None     # back in line for the next round
    assert deps.store.expired_reservations(1e9) == []
    assert deps.call_log.read("caller-1", "explanations")[-1]["winner"] is None


def test_ring_progressively_adds_the_next_phone_while_the_first_keeps_ringing():
    deps, manager = group_setup("ring-progressively", {"1001": NEVER, "1002": (0.05, "+OK b\n"), "1003": NEVER},
                                ring_progressively_delay_s=0.2)
    ring(deps, manager)
    assert deps.switch.originated() == ["alice", "bob"]             # carol was never needed
    assert states(deps) == {"alice": AgentState.AVAILABLE, "bob": AgentState.ON_CALL, "carol": AgentState.AVAILABLE}
    assert f"uuid_kill {leg('alice', 0)} LOSE_RACE" in deps.switch.commands   # still ringing when bob answered
    joined = [e for e in deps.call_log.read("caller-1", "explanations") if e["kind"] == "ring"]
    assert [e["agent"] for e in joined] == ["bob"]


def test_ring_progressively_missed_phone_goes_not_ready_and_the_next_rings_at_once():
    deps, manager = group_setup("ring-progressively", {"1001": (0.02, "-ERR NO_ANSWER\n"),
                                                       "1002": (0.02, "+OK b\n"), "1003": NEVER},
                                ring_progressively_delay_s=30)
    ring(deps, manager)    # would wait 30 s for bob if an empty group did not advance at once
    assert states(deps)["alice"] == AgentState.NOT_READY and states(deps)["bob"] == AgentState.ON_CALL
    assert deps.store.get_call("caller-1").agent_id == "bob"


def test_caller_hanging_up_while_the_group_rings_frees_everyone_and_kills_every_leg():
    deps, manager = group_setup("ring-all", {"1001": NEVER, "1002": NEVER, "1003": NEVER})
    decisions = decide(deps.now(), deps.store.waiting_calls(), deps.store.agents(), deps.queues.current())
    manager._reserve_and_offer(decisions[0], deps.now())
    gevent.sleep(0.05)
    # what call.py does when the caller hangs up: drop the call, kill the latest offer's leg
    deps.store.remove_call("caller-1")
    deps.switch.api(f"uuid_kill {offers.current_leg(deps.call_log, 'caller-1')[0]} ORIGINATOR_CANCEL")
    manager._offering["caller-1"].join(timeout=5)
    assert set(states(deps).values()) == {AgentState.AVAILABLE}
    for i, agent in enumerate(["alice", "bob"]):
        assert f"uuid_kill {leg(agent, i)} ORIGINATOR_CANCEL" in deps.switch.commands
    assert deps.store.group_members("caller-1") == []


def test_reconcile_sweeps_a_ring_group_whose_controller_died():
    deps, manager = group_setup("ring-all", {})
    deps.switch.channels = {"caller-1"}
    assert deps.store.reserve_group("caller-1", ["alice", "bob"], "dead-controller", 5, deps.now()) == ["alice", "bob"]
    for agent in ("alice", "bob"):
        deps.call_log.append("caller-1", "offers", agent)
    deps.now.t += 60
    assert reconcile(manager)["leases"] == 1
    assert set(states(deps).values()) == {AgentState.AVAILABLE}
    assert deps.store.get_call("caller-1").state == CallState.QUEUED
    assert f"uuid_kill {leg('bob', 1)} ORIGINATOR_CANCEL" in deps.switch.commands


def test_reconcile_frees_a_race_loser_left_reserved_by_a_dead_controller():
    deps, manager = group_setup("ring-all", {})
    deps.switch.channels = {"caller-1"}
    deps.store.reserve_group("caller-1", ["alice", "bob"], "dead-controller", 5, deps.now())
    assert deps.store.confirm_group("caller-1", "bob", deps.now())
    assert deps.store.get_call("caller-1").agent_id == "bob" != GROUP
    assert reconcile(manager)["stuck_agents"] == 1
    assert states(deps)["alice"] == AgentState.AVAILABLE and states(deps)["bob"] == AgentState.ON_CALL


def test_ring_progressively_delay_is_read_and_checked_at_load():
    import pytest

    from control.queues import queues_from_data
    from control.yamlfile import ConfigErrors

    data = {"queues": {"s": {"strategy": "ring-progressively", "ring_progressively_delay_s": 2.5}}}
    assert queues_from_data(data, "q.yaml")["s"].ring_progressively_delay_s == 2.5
    assert QueueConfig(name="s").ring_progressively_delay_s == 10.0
    for bad in (0, -1, "soon"):
        with pytest.raises(ConfigErrors, match="ring_progressively_delay_s"):
            queues_from_data({"queues": {"s": {"ring_progressively_delay_s": bad}}}, "q.yaml")


def test_the_queues_auto_answer_goes_in_the_invites_alert_info():
    """queue auto_answer: true / false → Alert-Info the browser phone reads (softphone.js); unset → none."""
    import pytest

    from control.queues import queues_from_data
    from control.yamlfile import ConfigErrors

    for setting, expected in ((True, r"alert_info=<urn:x-hotline:auto-answer>;info\\\\=alert-autoanswer"),
                              (False, "alert_info=<urn:x-hotline:ring>"), (None, None)):
        deps, manager = setup()
        deps.queues.current()["support"].auto_answer = setting
        offer(deps, manager)
        originate = deps.switch.commands[0]
        if expected is None:
            assert "alert_info" not in originate
        else:
            assert expected in originate, originate
    assert queues_from_data({"queues": {"s": {"auto_answer": True}}}, "q.yaml")["s"].auto_answer is True
    assert QueueConfig(name="s").auto_answer is None
    with pytest.raises(ConfigErrors, match="auto_answer"):
        queues_from_data({"queues": {"s": {"auto_answer": "yes"}}}, "q.yaml")
