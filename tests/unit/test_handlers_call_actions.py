"""Console actions on a live call become the right switch commands, and bad requests are refused."""
from __future__ import annotations

import pytest

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers import actions
from control.handlers.call_actions import ActionRefused, carry_out
from control.handlers.manager import Manager
from tests.handler_fakes import make_deps


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
    ({"action": "hold"}, "uuid_hold c1"),
    ({"action": "unhold"}, "uuid_hold off c1"),
    ({"action": "hangup"}, "uuid_kill c1 NORMAL_CLEARING"),
    ({"action": "transfer", "to": "queue", "target": "billing"}, "uuid_transfer c1 hotline_queue_billing XML hotline"),
    ({"action": "transfer", "to": "agent", "target": "bob"}, "uuid_transfer c1 1002 XML internal"),
    ({"action": "transfer", "to": "external", "target": "+14155550199"},
     "uuid_transfer c1 +14155550199 XML public-outbound"),
])
def test_actions_map_to_switch_commands(deps, message, command):
    carry_out(deps, {"call_id": "c1", **message})
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
        ended = False

        def transferred(self):
            self.ended = True

    manager = Manager(deps)
    session = manager.sessions["c1"] = Session()
    manager.on_control({"type": "call_action", "action": "transfer", "call_id": "c1", "to": "queue",
                        "target": "billing"})
    assert session.ended
    assert deps.store.get_agent("alice").state == AgentState.WRAP_UP
    assert deps.store.get_call("c1") is None  # the next segment enters the queue afresh
    assert "alice" in manager._wrapups
    manager.stop()
