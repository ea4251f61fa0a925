"""SIGKILL the controller with one call bridged and one waiting; a new controller takes over.

The bridged call is FreeSWITCH's and stays up; the waiting caller's dialplan runs `socket`
again and the new controller resumes it in its place; the agent of the orphaned call goes
through wrap-up back to available; every call gets exactly one record.
"""
from __future__ import annotations

import pytest

from control.domain.models import AgentState
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401

pytestmark = pytest.mark.integration


def test_bridged_call_survives_and_waiting_call_is_resumed(rig):
    rig.db.add_agents([("alice", "1001")])
    rig.switch.add_phone("1001", answer_after=0.2, talk_time=4.0)
    store = live_state(rig.redis_url, rig.prefix)
    first = rig.controller()
    wait_for(lambda: store.get_agent("alice") and store.get_agent("alice").state == AgentState.AVAILABLE,
             5, what="alice available")

    bridged = rig.switch.place_call(caller="+14155550100", did="+18005550100", patience=60)
    wait_for(lambda: bridged.result["bridged_at"], 5, what="the first call bridged")
    waiting = rig.switch.place_call(caller="+14155550111", did="+18005550100", patience=60)
    wait_for(lambda: any(c.id == waiting.uuid for c in store.waiting_calls()), 5, what="the second call queued")

    first.kill()
    assert rig.switch.channel(bridged.uuid) is not None, "the bridged call must outlive its controller"
    rig.controller()

    # the orphaned bridged call ends when alice hangs up; reconcile frees her; the waiting call gets her
    assert bridged.done.wait(10)
    assert bridged.result["hangup_by"] == "agent"
    assert waiting.done.wait(20), rig.logs()
    assert waiting.result["answered_by_agent"] == "1001", (waiting.result, rig.logs())

    records = wait_for(lambda: (r := rig.db.records()) and {bridged.uuid, waiting.uuid} <= set(r) and r,
                       10, what="both call records")
    assert records[bridged.uuid].agent_id == "alice" and records[bridged.uuid].outcome == "answered"
    assert records[waiting.uuid].outcome == "answered" and records[waiting.uuid].agent_id == "alice"
    assert len(records) == 2
    wait_for(lambda: store.get_agent("alice").state == AgentState.AVAILABLE, 10, what="alice available again")
    assert store.waiting_calls() == []
