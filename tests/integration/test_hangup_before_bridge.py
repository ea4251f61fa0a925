"""An agent's phone answers, then hangs up before the controller bridges it: the caller still
waiting goes back in line with their place kept and is answered by the next agent; the first
agent is treated as having missed the offer. (The caller used to stay on silence, never offered
again.) Real controller process, simulator, Redis and PostgreSQL."""
from __future__ import annotations

import signal

import pytest

from control.domain.models import AgentState
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401

pytestmark = pytest.mark.integration


def test_a_phone_that_drops_before_the_bridge_gives_the_caller_to_the_next_agent(rig):
    rig.db.add_agents([("alice", "1001"), ("carol", "1003")])
    rig.switch.add_phone("1001", answer_after=0.2, talk_time=0.0)    # answers, hangs up at once
    rig.switch.add_phone("1003", answer_after=0.4, talk_time=0.5)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller()
    wait_for(lambda: len(store.agents()) == 2 and all(a.state == AgentState.AVAILABLE for a in store.agents()),
             5, what="agents available")
    store.set_agent_state("carol", AgentState.NOT_READY, 0.0)        # alice is offered first
    call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
    wait_for(lambda: store.get_agent("alice").state == AgentState.NOT_READY, 10, what="alice's miss")
    store.set_agent_state("carol", AgentState.AVAILABLE, 0.0)
    assert call.done.wait(20), rig.logs()
    assert call.result["answered_by_agent"] == "1003", (call.result, rig.logs())
    record = wait_for(lambda: (r := rig.db.records()) and call.uuid in r and r[call.uuid], 10, what="the record")
    assert (record.outcome, record.agent_id, record.offers) == ("answered", "carol", ["alice", "carol"])


def test_a_caller_who_hangs_up_before_the_controller_reads_the_channel_is_recorded(rig):
    """A controller short of CPU accepts the switch's connection late: the caller is already gone and
    ``connect`` fails. The call is still recorded, as abandoned, from its CHANNEL_HANGUP_COMPLETE (it
    used to have no record: "call handler failed ... Event Socket connection closed")."""
    controller = rig.controller()
    controller.proc.send_signal(signal.SIGSTOP)
    try:
        call = rig.switch.place_call(caller="+14155550301", did="+18005550100", patience=0.3)
        assert call.done.wait(10)
    finally:
        controller.proc.send_signal(signal.SIGCONT)
    record = wait_for(lambda: (r := rig.db.records()) and call.uuid in r and r[call.uuid], 10, what="the record")
    assert (record.outcome, record.caller, record.agent_id) == ("abandoned", "+14155550301", None), rig.logs()
    assert "call handler failed" not in rig.logs()
