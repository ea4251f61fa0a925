"""The LiveState contract, run against RedisState (real Redis, per-test prefix) and MemoryState."""
import pytest

from control.domain.agent_state import InvalidTransition
from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.store.memory_state import MemoryState
from control.store.redis_state import RedisState

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "memory"])
def store(request):
    if request.param == "memory":
        return MemoryState()
    client, prefix = request.getfixturevalue("redis_client"), request.getfixturevalue("redis_prefix")
    return RedisState(client, prefix)


def agent(id="a1", state=AgentState.AVAILABLE, **kw):
    return Agent(id=id, extension="1001", skills={"english": 5}, queues=["support"], state=state, **kw)


def call(id="c1", **kw):
    kw.setdefault("state", CallState.QUEUED)
    return Call(id=id, caller="+14155550100", did="+18005550100", queue="support", entered_at=100.25,
                requirements=[Requirement("english", 3)], tier="vip", vars={"customer": {"id": 7}}, **kw)


def test_round_trip_and_seq(store):
    store.put_agent(agent(order=3, name="Alice"))
    store.put_call(call())
    store.put_call(call("c2"))
    a, c = store.get_agent("a1"), store.get_call("c1")
    assert a.name == "Alice" and a.order == 3 and a.state == AgentState.AVAILABLE and a.skills == {"english": 5}
    assert c.requirements == [Requirement("english", 3)] and c.entered_at == 100.25 and c.vars["customer"]["id"] == 7
    assert 0 < c.seq < store.get_call("c2").seq
    assert [x.id for x in store.waiting_calls()] == ["c1", "c2"]
    assert store.get_agent("nope") is None and store.get_call("nope") is None


def test_reserve_is_exclusive(store):
    store.put_agent(agent("a1"))
    store.put_agent(agent("a2"))
    store.put_call(call("c1"))
    store.put_call(call("c2"))
    assert store.reserve("c1", "a1", "ctl", 30, 10.0)
    assert not store.reserve("c1", "a2", "ctl", 30, 10.0)   # call already reserved
    assert not store.reserve("c2", "a1", "ctl", 30, 10.0)   # agent already reserved
    a, c = store.get_agent("a1"), store.get_call("c1")
    assert (a.state, a.call_id, a.last_offered_at) == (AgentState.RESERVED, "c1", 10.0)
    assert (c.state, c.agent_id, c.offered_at) == (CallState.OFFERING, "a1", 10.0)
    assert "c1" in [x.id for x in store.waiting_calls()]


def test_reserve_refuses_unavailable_agent_or_unqueued_call(store):
    store.put_agent(agent("brk", state=AgentState.BREAK))
    store.put_agent(agent("a1"))
    store.put_call(call("ivr", state=CallState.IVR))
    store.put_call(call("c1"))
    assert not store.reserve("c1", "brk", "ctl", 30, 1.0)
    assert not store.reserve("ivr", "a1", "ctl", 30, 1.0)
    assert not store.reserve("ghost", "a1", "ctl", 30, 1.0)
    assert not store.reserve("c1", "ghost", "ctl", 30, 1.0)


def test_put_call_does_not_undo_a_reservation(store):
    store.put_agent(agent())
    store.put_call(call())
    stale = store.get_call("c1")
    assert store.reserve("c1", "a1", "ctl", 30, 1.0)
    stale.extra_queues = ["billing"]
    store.put_call(stale)
    c = store.get_call("c1")
    assert c.state == CallState.OFFERING and c.agent_id == "a1" and c.extra_queues == ["billing"]


def test_lease_renew_and_expiry(store):
    store.put_agent(agent())
    store.put_call(call())
    store.reserve("c1", "a1", "ctl", 30, 10.0)
    assert store.expired_reservations(39.0) == []
    assert store.expired_reservations(40.0) == [("c1", "a1")]
    assert store.renew("c1", "a1", 30, 35.0)
    assert store.expired_reservations(60.0) == []
    assert not store.renew("c1", "other", 30, 35.0)


def test_confirm_then_release_to_wrap_up(store):
    store.put_agent(agent())
    store.put_call(call())
    store.reserve("c1", "a1", "ctl", 30, 10.0)
    assert not store.confirm("c1", "other", 12.0)
    assert store.confirm("c1", "a1", 12.0)
    assert store.get_agent("a1").state == AgentState.ON_CALL
    c = store.get_call("c1")
    assert c.state == CallState.CONNECTED and c.answered_at == 12.0
    assert store.waiting_calls() == [] and store.expired_reservations(1e9) == []
    store.release("c1", "a1", AgentState.WRAP_UP, 72.0, requeue_call=False)
    a = store.get_agent("a1")
    assert (a.state, a.call_id, a.calls_taken, a.talk_time_s) == (AgentState.WRAP_UP, None, 1, 60.0)
    assert store.get_call("c1") is None


def test_missed_offer_requeues_call_and_agent_not_ready(store):
    store.put_agent(agent())
    store.put_call(call())
    seq = store.get_call("c1").seq
    store.reserve("c1", "a1", "ctl", 30, 10.0)
    store.release("c1", "a1", AgentState.NOT_READY, 25.0, requeue_call=True)
    a, c = store.get_agent("a1"), store.get_call("c1")
    assert a.state == AgentState.NOT_READY and a.call_id is None
    assert c.state == CallState.QUEUED and c.agent_id is None and c.seq == seq and c.entered_at == 100.25
    assert store.expired_reservations(1e9) == []
    store.put_agent(agent("a2"))
    assert store.reserve("c1", "a2", "ctl", 30, 26.0)


def test_release_by_another_agent_does_not_touch_the_call(store):
    store.put_agent(agent("a1"))
    store.put_agent(agent("a2"))
    store.put_call(call())
    store.reserve("c1", "a1", "ctl", 30, 10.0)
    store.release("c1", "a2", AgentState.AVAILABLE, 11.0, requeue_call=False)
    assert store.get_call("c1").agent_id == "a1" and store.get_agent("a1").state == AgentState.RESERVED


def test_remove_call(store):
    store.put_call(call())
    store.remove_call("c1")
    assert store.get_call("c1") is None and store.waiting_calls() == []


def test_set_agent_state_follows_the_state_machine(store):
    store.put_agent(agent(state=AgentState.LOGGED_OUT))
    a = store.set_agent_state("a1", AgentState.AVAILABLE, 5.0)
    assert a.state == AgentState.AVAILABLE and store.get_agent("a1").idle_since == 5.0
    store.set_agent_state("a1", AgentState.BREAK, 6.0, reason="lunch")
    assert store.get_agent("a1").break_reason == "lunch"
    with pytest.raises(InvalidTransition):
        store.set_agent_state("a1", AgentState.ON_CALL, 7.0)
    assert store.get_agent("a1").state == AgentState.BREAK


def test_rolling_stats(store):
    assert store.aht("support") is None
    for s in (100, 200, 300):
        store.record_handle_time("support", s, 1.0)
    assert store.aht("support") == 200
    for t in (10.0, 20.0, 950.0):
        store.record_arrival("support", t)
    assert store.arrivals_per_s("support", 960.0, window_s=100.0) == pytest.approx(1 / 100)
