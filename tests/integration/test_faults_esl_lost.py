"""The inbound Event Socket to FreeSWITCH drops while an agent's phone rings and while another
controller's call ends: the controller reconnects, resubscribes and reconciles at once (the timer
is set far out here, so only the reconnect can be what fixes things)."""
from __future__ import annotations

import gevent
import pytest

from control.domain.models import AgentState
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401

pytestmark = pytest.mark.integration


def test_reconnect_resubscribes_and_reconciles(rig):
    rig.db.add_agents([("alice", "1001"), ("carol", "1003")])
    rig.switch.add_phone("1001", answer_after=1.0, talk_time=1.0)
    rig.switch.add_phone("1003", answer_after=0.2, talk_time=1.0)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller(HOTLINE_RECONCILE_INTERVAL_S="120")
    wait_for(lambda: len(store.agents()) == 2 and all(a.state == AgentState.AVAILABLE for a in store.agents()),
             5, what="agents available")
    store.set_agent_state("carol", AgentState.NOT_READY, 0.0)   # only alice takes this call
    call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=60)
    wait_for(lambda: store.get_agent("alice").state == AgentState.RESERVED, 5, what="alice's phone ringing")

    sessions_before = set(rig.switch.inbound_sessions)
    rig.switch.stop_inbound()
    # while we are cut off, carol (on another controller's call) sees her call end: we miss the hangup
    store.set_agent_state("carol", AgentState.AVAILABLE, 0.0)
    _put_on_call(store, "carol", "gone-call")
    gevent.sleep(1.5)                    # alice answers meanwhile; her leg parks, nobody bridges it
    rig.switch.start()
    wait_for(lambda: any(s.conn.event_format for s in rig.switch.inbound_sessions - sessions_before), 5,
             what="the controller to reconnect and resubscribe")

    wait_for(lambda: store.get_agent("carol").state in (AgentState.WRAP_UP, AgentState.AVAILABLE), 5,
             what="carol released by the reconnect's reconciliation")
    assert call.done.wait(15), rig.logs()
    assert call.result["answered_by_agent"] in ("1001", "1003"), (call.result, rig.logs())
    # no agent leg left parked, nobody stuck or punished for the switch's outage
    wait_for(lambda: rig.switch.channels() == [], 5, what="every channel gone")
    wait_for(lambda: all(a.state == AgentState.AVAILABLE for a in store.agents()), 5, what="agents available")
    records = wait_for(lambda: (r := rig.db.records()) and call.uuid in r and r, 5, what="the record")
    assert records[call.uuid].outcome == "answered" and records[call.uuid].offers[0] == "alice"


def _put_on_call(store, agent_id: str, call_id: str) -> None:
    agent = store.get_agent(agent_id)
    agent.state, agent.call_id = AgentState.ON_CALL, call_id
    store.put_agent(agent)
