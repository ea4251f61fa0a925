"""An agent whose extension cannot go into a dial string is not rung: no pop, no originate; that agent
goes not-ready (the call would be offered to them again and again) and the call waits for the next."""
from __future__ import annotations

import gevent

from control.domain.models import Agent, AgentState, CallState
from tests.unit.test_handlers_offers import group_setup, offer, ring, setup


def test_an_undiallable_extension_sends_nothing_and_gives_the_call_back():
    deps, manager = setup()
    deps.store.put_agent(Agent(id="alice", extension="10 01,user/2000", skills={"english": 8}, queues=["support"],
                               state=AgentState.AVAILABLE))
    offer(deps, manager)
    gevent.sleep(0)
    assert deps.switch.commands == []
    assert deps.publisher.of("agent:alice") == []
    assert deps.store.get_agent("alice").state == AgentState.NOT_READY
    call = deps.store.get_call("caller-1")
    assert call.state == CallState.QUEUED and call.agent_id is None


def test_in_a_ring_group_the_other_phones_still_ring():
    deps, manager = group_setup("ring-all", {"1002": (0.05, "+OK b\n"), "1003": (30.0, "-ERR NO_ANSWER\n")})
    deps.store.put_agent(Agent(id="alice", extension="10{01", skills={"english": 8}, queues=["support"],
                               state=AgentState.AVAILABLE, order=0))
    ring(deps, manager)
    assert deps.store.get_agent("alice").state == AgentState.NOT_READY
    assert deps.store.get_agent("bob").state == AgentState.ON_CALL
    assert deps.store.get_call("caller-1").agent_id == "bob"
