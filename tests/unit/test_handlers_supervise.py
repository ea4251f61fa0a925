"""Listen / whisper / barge become the originate commands FreeSWITCH was recorded accepting."""
from __future__ import annotations

import pytest

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers import actions
from control.handlers.manager import Manager
from control.handlers.supervise import SuperviseError, supervise
from tests.handler_fakes import make_deps


@pytest.fixture
def deps():
    deps = make_deps({"support": QueueConfig(name="support")})
    deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"], state=AgentState.AVAILABLE))
    deps.store.put_call(Call(id="c1", caller="+1", did="+2", queue="support", state=CallState.QUEUED,
                             controller_id="test-ctl"))
    assert deps.store.reserve("c1", "alice", "test-ctl", 30, deps.now())
    assert deps.store.confirm("c1", "alice", deps.now())
    deps.call_log.append("c1", "offers", "alice")
    return deps


@pytest.mark.parametrize("mode,app,whisper", [("listen", "eavesdrop", False), ("whisper", "eavesdrop", True),
                                              ("barge", "three_way", False)])
def test_modes_map_to_eavesdrop_and_three_way(deps, mode, app, whisper):
    leg = actions.agent_leg_uuid("c1", "alice", 0)
    result = supervise(deps, "2001", "alice", mode, supervisor="sue")
    command = deps.switch.commands[-1]
    assert command.startswith("bgapi originate {origination_uuid=")
    assert command.endswith(f"user/2001 &{app}({leg})")
    assert ("eavesdrop_whisper_bleg=true" in command) is whisper
    assert "eavesdrop_whisper_aleg" not in command
    assert deps.publisher.of("wallboard", "supervise")[0]["supervisor"] == "sue"
    assert result["mode"] == mode


def test_agent_not_on_a_call_is_refused(deps):
    deps.store.put_agent(Agent(id="bob", extension="1002", state=AgentState.AVAILABLE))
    with pytest.raises(SuperviseError):
        supervise(deps, "2001", "bob", "listen")
    with pytest.raises(SuperviseError):
        supervise(deps, "2001", "alice", "shout")


def test_only_the_owning_controller_acts_on_a_request(deps):
    manager = Manager(deps)
    manager.on_control({"type": "supervise", "agent_id": "alice", "extension": "2001", "mode": "listen"})
    assert len(deps.switch.commands) == 1
    deps.controller_id = "someone-else"
    manager.on_control({"type": "supervise", "agent_id": "alice", "extension": "2001", "mode": "listen"})
    assert len(deps.switch.commands) == 1


def test_monitoring_audio_never_goes_to_an_agents_phone(deps):
    """Before: the controller rang whatever extension the request named, even another agent's."""
    deps.store.put_agent(Agent(id="bob", extension="1002", state=AgentState.AVAILABLE))
    for extension in ("1001", "1002"):               # the monitored agent's phone, another agent's
        with pytest.raises(SuperviseError, match="not the supervisor's own"):
            supervise(deps, extension, "alice", "listen", supervisor="sue")
    assert deps.switch.commands == []
    supervise(deps, "1002", "alice", "listen", supervisor="bob", supervisor_agent="bob")  # bob's own phone
    assert deps.switch.commands[-1].split("}")[1].startswith("user/1002 ")


def test_a_supervisor_cannot_monitor_their_own_call(deps):
    with pytest.raises(SuperviseError, match="own call"):
        supervise(deps, "1001", "alice", "listen", supervisor="alice", supervisor_agent="alice")


def test_a_refused_request_is_reported_to_the_wallboard_with_its_reason(deps):
    """Before: the controller only logged it, and the supervisor's page stayed at "Request sent"."""
    deps.store.put_agent(Agent(id="bob", extension="1002", state=AgentState.AVAILABLE))
    Manager(deps).on_control({"type": "supervise", "agent_id": "alice", "extension": "1002", "mode": "whisper",
                              "supervisor": "sue"})
    [refused] = deps.publisher.of("wallboard", "supervise")
    assert (refused["supervisor"], refused["mode"], refused["call_id"]) == ("sue", "whisper", "c1")
    assert "not the supervisor's own" in refused["error"]
    assert deps.switch.commands == []
