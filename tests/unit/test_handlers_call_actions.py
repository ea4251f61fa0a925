"""Console actions on a live call become the right switch commands, and bad requests are refused."""
from __future__ import annotations

import gevent
import gevent.event
import pytest

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers import actions, offers
from control.handlers.call_actions import ActionRefused, carry_out
from control.handlers.manager import Manager
from tests.handler_fakes import FakeSwitch, make_deps


@pytest.fixture
def deps():
    deps = make_deps({"support": QueueConfig(name="support")})
    deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"], state=AgentState.AVAILABLE))
    deps.store.put_agent(Agent(id="bob", extension="1002", queues=["support"]))
    deps.store.put_call(Call(id="c1", caller="+1", did="+2", queue="support", state=CallState.QUEUED,
                             controller_id="test-ctl"))
    deps.store.reserve("c1", "alice", "test-ctl", 30, deps.now())
    deps.store.confirm("c1", "alice", deps.now())
    deps.call_log.append("c1", "offers", "alice")
    return deps


@pytest.mark.parametrize("message,command", [
    ({"action": "hold"}, f"uuid_hold {actions.agent_leg_uuid('c1', 'alice', 0)}"),
    ({"action": "unhold"}, f"uuid_hold off {actions.agent_leg_uuid('c1', 'alice', 0)}"),
    ({"action": "hangup"}, "uuid_kill c1 NORMAL_CLEARING"),
    ({"action": "transfer", "to": "queue", "target": "billing"}, "uuid_transfer c1 hotline_queue_billing XML hotline"),
    ({"action": "transfer", "to": "agent", "target": "bob"}, "uuid_transfer c1 1002 XML internal"),
    ({"action": "transfer", "to": "external", "target": "+14155550199"},
     "uuid_transfer c1 +14155550199 XML public-outbound"),
])
def test_actions_map_to_switch_commands(deps, message, command):
    carry_out(deps, {"call_id": "c1", **message}, manager=Manager(deps))
    if message["action"] == "transfer":
        assert deps.switch.commands[:2] == ["uuid_setvar c1 hotline_did +2", "uuid_setvar c1 hotline_segment 1"]
        assert deps.switch.commands[2] == command
        assert deps.switch.commands[3] == f"uuid_kill {actions.agent_leg_uuid('c1', 'alice', 0)} NORMAL_CLEARING"
    else:
        assert deps.switch.commands == [command]


@pytest.mark.parametrize("message", [
    {"action": "explode", "call_id": "c1"},
    {"action": "hold", "call_id": "nope"},
    {"action": "transfer", "call_id": "c1", "to": "external", "target": "1; uuid_kill all"},
    {"action": "transfer", "call_id": "c1", "to": "agent", "target": "nobody"},
])
def test_bad_requests_are_refused(deps, message):
    with pytest.raises(ActionRefused):
        carry_out(deps, message)
    assert deps.switch.commands == []


def test_manager_reports_the_result_on_the_wallboard(deps):
    Manager(deps).on_control({"type": "call_action", "action": "hold", "call_id": "c1", "by": "alice"})
    assert deps.publisher.of("wallboard", "call_action")[0]["result"] == "+OK"


def test_transfer_frees_the_agent_into_wrap_up_and_ends_the_local_segment(deps):
    class Session:
        ended, agent_then = False, None

        def transferred(self):   # first, before the agent's wrap-up: this segment's end must not end it again
            self.ended, self.agent_then = True, deps.store.get_agent("alice").state

    manager = Manager(deps)
    session = manager.sessions["c1"] = Session()
    manager.on_control({"type": "call_action", "action": "transfer", "call_id": "c1", "to": "queue",
                        "target": "billing"})
    assert session.ended and session.agent_then == AgentState.ON_CALL
    assert deps.store.get_agent("alice").state == AgentState.WRAP_UP
    assert deps.store.get_call("c1") is None  # the next segment enters the queue afresh
    assert manager.agents.timing("alice")
    manager.stop()


# -- attended transfer (control/handlers/consult.py) ------------------------------------------
class RingingSwitch(FakeSwitch):
    """Originates stay ringing until the test answers them (``answer``) or fails them."""

    def __init__(self):
        super().__init__()
        self.jobs = []

    def bgapi(self, command: str):
        self.commands.append("bgapi " + command)
        result = gevent.event.AsyncResult()
        self.jobs.append(result)
        return result

    def answer(self, reply: str = "+OK leg\n"):
        self.jobs[-1].set(reply)
        gevent.sleep(0.01)          # the ringing greenlet takes it from here


class Session:
    def __init__(self, agent_id):
        self.agent_id, self.call, self.ended = agent_id, Call(id="c1", caller="+1", did="+2"), False
        self.call.agent_id = agent_id

    def transferred(self):
        self.ended = True


@pytest.fixture
def consulting(deps):
    deps.switch = RingingSwitch()
    deps.store.set_agent_state("bob", AgentState.AVAILABLE, deps.now())
    manager = Manager(deps)
    manager.sessions["c1"] = Session("alice")
    yield deps, manager
    manager.stop()


ALICE_LEG = actions.agent_leg_uuid("c1", "alice", 0)
BOB_LEG = actions.agent_leg_uuid("c1", "bob", 1)


def attended(manager, to="agent", target="bob"):
    return carry_out(manager.deps, {"action": "transfer", "call_id": "c1", "to": to, "target": target,
                                    "kind": "attended", "by": "alice"}, manager=manager)


def states(deps):
    return {a.id: a.state for a in deps.store.agents()}


def consult_states(deps):
    return [m["state"] for m in deps.publisher.of("agent:alice", "consult")]


def test_attended_transfer_holds_the_caller_reserves_the_target_and_rings_them(consulting):
    deps, manager = consulting
    assert attended(manager).startswith("+OK")
    assert deps.switch.commands[:2] == [f"uuid_setvar {ALICE_LEG} park_after_bridge true",
                                        "uuid_transfer c1 endless_playback:local_stream://moh inline"]
    originate = deps.switch.commands[2]
    assert originate.startswith("bgapi originate {") and originate.endswith("}user/1002 &park()")
    assert f"origination_uuid={BOB_LEG}" in originate and "park_after_bridge=true" in originate
    bob = deps.store.get_agent("bob")
    assert bob.state == AgentState.RESERVED and bob.call_id == "c1"     # routing will not offer bob a call
    assert deps.store.get_call("c1").agent_id == "alice"
    assert deps.publisher.of("agent:bob", "offer")[0]["consult_from"] == "alice"
    assert consult_states(deps) == ["ringing"]
    deps.switch.answer()
    assert deps.switch.commands[-1] == f"uuid_bridge {ALICE_LEG} {BOB_LEG}"
    assert consult_states(deps) == ["ringing", "talking"]


def test_complete_bridges_the_caller_with_the_target_and_hands_the_call_over(consulting):
    deps, manager = consulting
    attended(manager)
    deps.switch.answer()
    with pytest.raises(ActionRefused):      # one consultation at a time, and no blind transfer meanwhile
        carry_out(deps, {"action": "transfer", "call_id": "c1", "to": "queue", "target": "billing"}, manager=manager)
    deps.switch.commands.clear()
    assert carry_out(deps, {"action": "transfer_complete", "call_id": "c1"}, manager=manager).startswith("+OK")
    assert deps.switch.commands == [f"uuid_bridge c1 {BOB_LEG}", f"uuid_kill {ALICE_LEG} NORMAL_CLEARING",
                                    f"uuid_setvar {BOB_LEG} park_after_bridge"]
    assert states(deps) == {"alice": AgentState.WRAP_UP, "bob": AgentState.ON_CALL}
    assert deps.store.get_agent("bob").call_id == "c1" and deps.store.get_call("c1").agent_id == "bob"
    assert manager.agents.timing("alice") and manager.sessions["c1"].agent_id == "bob"
    assert offers.current_leg(deps.call_log, "c1") == (BOB_LEG, "bob")   # later hang-ups find bob's leg
    transfer = [e for e in deps.call_log.read("c1", "explanations") if e.get("kind") == "transfer"]
    assert transfer and transfer[0]["mode"] == "attended" and transfer[0]["agent"] == "bob"
    assert deps.publisher.of("agent:alice", "ended")[0]["wrap_up_s"] > 0
    assert deps.publisher.of("agent:bob", "answered")[0]["transferred_from"] == "alice"
    assert consult_states(deps)[-1] == "completed"


def test_cancel_puts_the_caller_back_with_the_agent_and_frees_the_target(consulting):
    deps, manager = consulting
    attended(manager)
    deps.switch.answer()
    deps.switch.commands.clear()
    carry_out(deps, {"action": "transfer_cancel", "call_id": "c1"}, manager=manager)
    assert deps.switch.commands[:3] == [f"uuid_bridge c1 {ALICE_LEG}", f"uuid_kill {BOB_LEG} NORMAL_CLEARING",
                                        f"uuid_setvar {ALICE_LEG} park_after_bridge"]
    assert states(deps) == {"alice": AgentState.ON_CALL, "bob": AgentState.AVAILABLE}
    assert deps.store.get_call("c1").agent_id == "alice"
    assert consult_states(deps)[-1] == "cancelled"
    with pytest.raises(ActionRefused):
        carry_out(deps, {"action": "transfer_complete", "call_id": "c1"}, manager=manager)


def test_cancel_while_ringing_drops_the_ring_then_reconnects(consulting):
    deps, manager = consulting
    attended(manager)
    with pytest.raises(ActionRefused):      # nobody to hand over to yet
        carry_out(deps, {"action": "transfer_complete", "call_id": "c1"}, manager=manager)
    carry_out(deps, {"action": "transfer_cancel", "call_id": "c1"}, manager=manager)
    assert deps.switch.commands[-1] == f"uuid_kill {BOB_LEG} ORIGINATOR_CANCEL"
    deps.switch.answer("-ERR ORIGINATOR_CANCEL\n")
    assert f"uuid_bridge c1 {ALICE_LEG}" in deps.switch.commands
    assert states(deps) == {"alice": AgentState.ON_CALL, "bob": AgentState.AVAILABLE}
    assert consult_states(deps)[-1] == "cancelled"


def test_no_answer_is_a_failed_consult(consulting):
    deps, manager = consulting
    attended(manager)
    deps.switch.answer("-ERR NO_ANSWER\n")
    assert f"uuid_bridge c1 {ALICE_LEG}" in deps.switch.commands
    assert states(deps)["bob"] == AgentState.AVAILABLE
    failed = deps.publisher.of("agent:alice", "consult")[-1]
    assert (failed["state"], failed["cause"]) == ("failed", "NO_ANSWER")


@pytest.mark.parametrize("state", [AgentState.BREAK, AgentState.LOGGED_OUT])
def test_a_target_who_is_not_available_is_refused(consulting, state):
    deps, manager = consulting
    deps.store.set_agent_state("bob", state, deps.now())
    with pytest.raises(ActionRefused):
        attended(manager)
    assert deps.switch.commands == [] and deps.store.get_agent("bob").state == state


def test_a_queue_target_consults_its_longest_idle_available_agent(consulting):
    deps, manager = consulting
    deps.store.put_agent(Agent(id="carol", extension="1003", queues=["billing"], state=AgentState.AVAILABLE,
                               idle_since=5.0))
    deps.store.put_agent(Agent(id="dave", extension="1004", queues=["billing"], state=AgentState.AVAILABLE,
                               idle_since=1.0))
    attended(manager, to="queue", target="billing")
    assert deps.store.get_agent("dave").state == AgentState.RESERVED
    assert deps.switch.commands[2].endswith("}user/1004 &park()")
    with pytest.raises(ActionRefused):
        attended(manager, to="queue", target="nobody-here")


def test_the_caller_hanging_up_ends_the_consult_and_frees_the_target(consulting):
    from control.handlers import consult

    deps, manager = consulting
    attended(manager)
    deps.switch.answer()
    consult.on_switch_event(manager, {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "c1"})
    gevent.sleep(0.01)
    assert {f"uuid_kill {BOB_LEG} NORMAL_CLEARING", f"uuid_kill {ALICE_LEG} NORMAL_CLEARING"} <= \
        set(deps.switch.commands)
    assert states(deps)["bob"] == AgentState.AVAILABLE and not consult.active(manager, "c1")


def test_the_agent_hanging_up_during_the_consult_completes_the_transfer(consulting):
    from control.handlers import consult

    deps, manager = consulting
    attended(manager)
    deps.switch.answer()
    consult.on_switch_event(manager, {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": ALICE_LEG})
    gevent.sleep(0.01)
    assert f"uuid_bridge c1 {BOB_LEG}" in deps.switch.commands
    assert states(deps) == {"alice": AgentState.WRAP_UP, "bob": AgentState.ON_CALL}


def test_the_target_hanging_up_during_the_consult_is_a_cancel(consulting):
    from control.handlers import consult

    deps, manager = consulting
    attended(manager)
    deps.switch.answer()
    consult.on_switch_event(manager, {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": BOB_LEG})
    gevent.sleep(0.01)
    assert f"uuid_bridge c1 {ALICE_LEG}" in deps.switch.commands
    assert states(deps) == {"alice": AgentState.ON_CALL, "bob": AgentState.AVAILABLE}


def test_an_outside_number_is_dialled_through_the_dialplan_and_ends_the_segment(consulting):
    deps, manager = consulting
    attended(manager, to="external", target="+14155550199")
    assert deps.switch.commands[2].endswith("}loopback/+14155550199/public-outbound &park()")
    deps.switch.answer()
    carry_out(deps, {"action": "transfer_complete", "call_id": "c1"}, manager=manager)
    assert manager.sessions["c1"].ended and deps.store.get_call("c1") is None
    assert states(deps)["alice"] == AgentState.WRAP_UP


def test_the_manager_leaves_an_attended_transfer_to_the_consult(consulting):
    deps, manager = consulting
    manager.on_control({"type": "call_action", "action": "transfer", "call_id": "c1", "to": "agent",
                        "target": "bob", "kind": "attended", "by": "alice"})
    assert deps.publisher.of("wallboard", "call_action")[0]["ok"]
    assert not manager.sessions["c1"].ended and not manager.agents.timing("alice")
    assert deps.store.get_agent("alice").state == AgentState.ON_CALL


@pytest.mark.parametrize("reply,expected", [
    ("+OK leg\n", f"uuid_bridge c1 {BOB_LEG}"),                               # bob takes the caller
    ("-ERR NO_ANSWER\n", "uuid_transfer c1 hotline_queue_support XML hotline"),  # back to the queue
])
def test_the_agent_hanging_up_while_the_target_rings(consulting, reply, expected):
    from control.handlers import consult

    deps, manager = consulting
    attended(manager)
    consult.on_switch_event(manager, {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": ALICE_LEG})
    gevent.sleep(0.01)
    deps.switch.answer(reply)
    assert expected in deps.switch.commands
    assert f"uuid_bridge {ALICE_LEG} {BOB_LEG}" not in deps.switch.commands
    assert states(deps)["alice"] == AgentState.WRAP_UP and not consult.active(manager, "c1")
    assert states(deps)["bob"] == (AgentState.ON_CALL if reply.startswith("+OK") else AgentState.AVAILABLE)


def test_a_target_who_logged_out_while_ringing_stays_logged_out(consulting):
    deps, manager = consulting
    attended(manager)
    deps.store.set_agent_state("bob", AgentState.LOGGED_OUT, deps.now())
    deps.switch.answer("-ERR NO_ANSWER\n")
    assert states(deps) == {"alice": AgentState.ON_CALL, "bob": AgentState.LOGGED_OUT}
    assert deps.publisher.of("agent:bob", "state")[-1]["state"] == "logged_out"


def test_hold_waits_for_the_bridge_to_settle_only_right_after_the_answer(deps, monkeypatch):
    from control.handlers import call_actions

    slept: list[float] = []
    monkeypatch.setattr(call_actions.gevent, "sleep", slept.append)
    deps.now.t += 0.2                                  # answered 0.2 s ago
    carry_out(deps, {"call_id": "c1", "action": "hold"})
    assert slept == [pytest.approx(call_actions.BRIDGE_SETTLE_S - 0.2)]
    deps.now.t += 5
    carry_out(deps, {"call_id": "c1", "action": "unhold"})
    carry_out(deps, {"call_id": "c1", "action": "hold"})
    assert len(slept) == 1 and deps.switch.commands[-1].startswith("uuid_hold ")


@pytest.mark.parametrize("marked_by,kept", [("test-ctl", True), ("dead-ctl", False), (None, False)])
def test_reconcile_keeps_a_consult_target_reserved_only_while_its_controller_lives(deps, marked_by, kept):
    from control.handlers.reconcile import reconcile

    deps.switch.channels = {"c1"}                      # the caller is still up
    deps.store.set_agent_state("bob", AgentState.AVAILABLE, deps.now())
    assert deps.store.hold_agent_for("bob", "c1", deps.now())
    if marked_by:
        deps.store.mark_consult("c1", "bob", marked_by)
    reconcile(Manager(deps))
    assert deps.store.get_agent("bob").state == (AgentState.RESERVED if kept else AgentState.AVAILABLE)
    assert (deps.store.consult_of("c1") is not None) == kept


def test_a_callback_call_is_hung_up_on_the_customers_leg_and_never_transferred(deps):
    deps.store.put_call(Call(id="cb-c9", caller="+14155550177", did="+2", queue="support", state=CallState.QUEUED,
                             kind="callback", vars={"callback": {"number": "+14155550177"}}))
    with pytest.raises(ActionRefused, match="not been reached"):
        carry_out(deps, {"call_id": "cb-c9", "action": "hangup"})
    call = deps.store.get_call("cb-c9")
    call.vars["callback"]["customer_leg"] = "leg-customer"
    deps.store.put_call(call)
    carry_out(deps, {"call_id": "cb-c9", "action": "hangup"})
    assert deps.switch.commands[-1] == "uuid_kill leg-customer NORMAL_CLEARING"
    with pytest.raises(ActionRefused, match="cannot be transferred"):
        carry_out(deps, {"call_id": "cb-c9", "action": "transfer", "to": "queue", "target": "billing"})


def test_a_transfer_the_switch_refuses_is_not_recorded_as_a_transfer(deps):
    class Refusing(FakeSwitch):
        def api(self, command: str) -> str:
            reply = super().api(command)
            return "-ERR No such channel!\n" if command.startswith("uuid_transfer") else reply

    deps.switch = Refusing()
    reply = carry_out(deps, {"action": "transfer", "call_id": "c1", "to": "queue", "target": "billing", "by": "alice"},
                      manager=Manager(deps))
    assert reply.startswith("-ERR")
    kinds = [(e["kind"], e.get("result")) for e in deps.call_log.read("c1", "explanations")]
    assert ("transfer", None) not in [(k, None) for k, _ in kinds]
    assert ("transfer_refused", "-ERR No such channel!") in kinds
    assert not any(c.startswith("uuid_kill") for c in deps.switch.commands)   # the agent's leg stays up


def test_a_refused_blind_transfer_leaves_the_call_with_the_agent(deps):
    """The switch said no: the agent is still on the call, with no wrap-up, no 'ended' on their
    console, no wrap-up timer and no wrap_up history row; only the refusal is on the record."""
    class Refusing(FakeSwitch):
        def api(self, command: str) -> str:
            reply = super().api(command)
            return "-ERR No such channel!\n" if command.startswith("uuid_transfer") else reply

    deps.switch = Refusing()
    manager = Manager(deps)
    session = manager.sessions["c1"] = type("Session", (), {"ended": False,
                                                            "transferred": lambda self: setattr(self, "ended", True)})()
    manager.on_control({"type": "call_action", "action": "transfer", "call_id": "c1", "to": "queue",
                        "target": "billing", "by": "alice"})
    alice, call = deps.store.get_agent("alice"), deps.store.get_call("c1")
    assert alice.state == AgentState.ON_CALL and alice.call_id == "c1"
    assert call is not None and call.state == CallState.CONNECTED and call.agent_id == "alice"
    assert not session.ended and not manager.agents.timing("alice")
    assert deps.publisher.of("agent:alice", "ended") == []
    assert [r for r in deps.history if r[1] == "wrap_up"] == []
    [result] = deps.publisher.of("agent:alice", "call_action")
    assert result["ok"] is False and "No such channel" in result["result"]
    assert [e["kind"] for e in deps.call_log.read("c1", "explanations")] == ["transfer_refused"]
    manager.stop()


def test_the_next_segment_waits_until_the_transferring_agent_let_the_call_go(deps):
    """The switch accepted the transfer; the caller's next segment may connect before the transferring
    controller released the call: it waits for that release, then queues the call afresh."""
    from control.handlers.call import CallSession

    manager = Manager(deps)
    session = CallSession(deps, manager, channel=None)
    session.call = deps.store.get_call("c1")
    later = gevent.spawn_later(0.1, manager.agents.end_conversation, "alice", "c1", "support", deps.now())
    session._previous_segment_gone(limit_s=2.0)
    assert later.dead and deps.store.get_call("c1") is None
    manager.stop()
