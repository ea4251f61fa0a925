"""Desk-phone feature codes change agent state or start monitoring, with a tone either way."""
from __future__ import annotations

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers import actions
from control.handlers.features import ERROR_TONE, OK_TONE, handle_feature
from control.handlers.manager import Manager
from tests.handler_fakes import make_deps


class FakeChannel:
    def __init__(self):
        self.apps: list[tuple[str, str | None]] = []

    def execute(self, app, arg=None, wait=True, timeout=None):
        self.apps.append((app, arg))
        return {}

    def answer(self):
        self.apps.append(("answer", None))

    def connect(self, take_over=False):
        self.apps.append(("connect", "take over" if take_over else None))
        return {"variable_hotline_feature": "login", "Caller-Caller-ID-Number": "1001"}


def setup():
    deps = make_deps({"support": QueueConfig(name="support")})
    deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"]))
    deps.store.put_agent(Agent(id="sue", extension="2001"))
    return deps, Manager(deps)


def _alice_rung(deps) -> None:
    """alice's phone is ringing for call c1 (its agent leg is offer 0)."""
    deps.store.set_agent_state("alice", AgentState.AVAILABLE, deps.now())
    deps.store.put_call(Call(id="c1", caller="+1", did="+2", queue="support", state=CallState.QUEUED))
    deps.store.reserve("c1", "alice", "test-ctl", 30, deps.now())
    deps.call_log.append("c1", "offers", "alice")


def test_login_then_break_then_logout_from_the_desk_phone():
    deps, manager = setup()
    for feature, state in (("login", AgentState.AVAILABLE), ("break", AgentState.BREAK),
                           ("ready", AgentState.AVAILABLE), ("logout", AgentState.LOGGED_OUT)):
        channel = FakeChannel()
        assert handle_feature(deps, manager, channel, {"variable_hotline_feature": feature,
                                                        "Caller-Caller-ID-Number": "1001"}) == "ok"
        assert deps.store.get_agent("alice").state == state
        assert channel.apps[0] == ("answer", None) and ("playback", OK_TONE) in channel.apps


def test_a_feature_call_takes_its_channel_s_events_before_running_anything():
    """Without myevents no CHANNEL_EXECUTE_COMPLETE comes, and the feature's first playback waits forever."""
    from control.handlers.call import CallSession

    deps, manager = setup()
    channel = FakeChannel()
    CallSession(deps, manager, channel).run()
    assert channel.apps[:2] == [("connect", "take over"), ("answer", None)]
    assert deps.store.get_agent("alice").state == AgentState.AVAILABLE


def test_unknown_phone_gets_the_error_tone():
    deps, manager = setup()
    channel = FakeChannel()
    assert handle_feature(deps, manager, channel, {"variable_hotline_feature": "login",
                                                    "Caller-Caller-ID-Number": "9999"}) == "unknown agent"
    assert ("playback", ERROR_TONE) in channel.apps


def test_whisper_on_an_extension_eavesdrops_the_agent_leg_toward_the_agent():
    deps, manager = setup()
    _alice_rung(deps)
    channel = FakeChannel()
    result = handle_feature(deps, manager, channel, {"variable_hotline_feature": "whisper",
                                                      "variable_hotline_target": "1001",
                                                      "Caller-Caller-ID-Number": "2001",
                                                      "variable_hotline_monitor": "true"})
    assert result == "ok"
    assert ("set", "eavesdrop_whisper_bleg=true") in channel.apps
    assert ("eavesdrop", actions.agent_leg_uuid("c1", "alice", 0)) in channel.apps


def test_listening_to_an_idle_extension_is_refused():
    deps, manager = setup()
    channel = FakeChannel()
    result = handle_feature(deps, manager, channel, {"variable_hotline_feature": "listen",
                                                      "variable_hotline_target": "1001",
                                                      "Caller-Caller-ID-Number": "2001",
                                                      "variable_hotline_monitor": "true"})
    assert "not on a call" in result and ("playback", ERROR_TONE) in channel.apps


def test_monitoring_from_a_phone_not_marked_as_a_supervisors_is_refused():
    deps, manager = setup()
    _alice_rung(deps)
    channel = FakeChannel()
    result = handle_feature(deps, manager, channel, {"variable_hotline_feature": "listen",
                                                      "variable_hotline_target": "1001",
                                                      "Caller-Caller-ID-Number": "1002"})   # another agent
    assert "only a supervisor's phone" in result and ("playback", ERROR_TONE) in channel.apps
    assert not [app for app, _arg in channel.apps if app == "eavesdrop"]


def test_the_directory_marks_supervisors_phones_and_the_dialplan_requires_the_mark():
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from control.fsconf import AgentRow, render_agent

    assert '<variable name="hotline_monitor" value="true"/>' in render_agent(
        AgentRow("sue", "Sue", "2001", "secret-password-1", monitor=True))
    assert "hotline_monitor" not in render_agent(AgentRow("bob", "Bob", "1002", "secret-password-2"))
    plan = ET.parse(Path(__file__).resolve().parents[2] / "dialplan" / "internal.xml").getroot()
    for name in ("feature_listen", "feature_whisper", "feature_barge"):
        extension = next(e for e in plan.iter("extension") if e.get("name") == name)
        first = extension.find("condition")
        assert (first.get("field"), first.get("expression")) == ("${hotline_monitor}", "^true$"), name
