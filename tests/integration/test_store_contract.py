"""The LiveState contract, run against RedisState (real Redis, per-test prefix) and MemoryState."""
import pytest

from control.domain.agent_state import InvalidTransition
from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.store.memory_state import MemoryState
from control.store.redis_state import RedisState

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "redis-hash-tag", "memory"])
def store(request):
    if request.param == "memory":
        return MemoryState()
    client, prefix = request.getfixturevalue("redis_client"), request.getfixturevalue("redis_prefix")
    if request.param == "redis-hash-tag":   # the default form, {hotline}: one Cluster slot (docs/scaling.md)
        prefix = "{" + prefix + "}"
        request.addfinalizer(lambda: _drop(client, prefix))
    return RedisState(client, prefix)


def _drop(client, prefix: str) -> None:
    from control.store.keys import Keys

    keys = list(client.scan_iter(match=Keys(prefix).pattern(), count=1000))
    if keys:
        client.delete(*keys)


def agent(id="a1", state=AgentState.AVAILABLE, **kw):
    return Agent(id=id, extension="1001", skills={"english": 5}, queues=["support"], state=state, **kw)


def call(id="c1", **kw):
    kw.setdefault("state", CallState.QUEUED)
    return Call(id=id, caller="+14155550100", did="+18005550100", queue="support", entered_at=100.25,
                requirements=[Requirement("english", 3)], tier="vip", vars={"customer": {"id": 7}}, **kw)


def test_round_trip_and_seq(store):
    assert not store.has_agents()
    store.put_agent(agent(order=3, name="Alice"))
    store.put_call(call())
    store.put_call(call("c2"))
    a, c = store.get_agent("a1"), store.get_call("c1")
    assert a.name == "Alice" and a.order == 3 and a.state == AgentState.AVAILABLE and a.skills == {"english": 5}
    assert c.requirements == [Requirement("english", 3)] and c.entered_at == 100.25 and c.vars["customer"]["id"] == 7
    assert 0 < c.seq < store.get_call("c2").seq
    assert [x.id for x in store.waiting_calls()] == ["c1", "c2"]
    assert store.get_agent("nope") is None and store.get_call("nope") is None
    assert store.has_agents()


def test_a_shared_read_decodes_only_the_calls_that_changed(store):
    store.put_call(call("c1"))
    store.put_call(call("c2"))
    first = {c.id: c for c in store.waiting_calls(shared=True)}
    c2 = store.get_call("c2")
    c2.priority = 5
    store.put_call(c2)
    again = {c.id: c for c in store.waiting_calls(shared=True)}
    assert again["c2"].priority == 5 and again["c1"].entered_at == 100.25
    if isinstance(store, RedisState):
        assert again["c1"] is first["c1"] and again["c2"] is not first["c2"]
    assert all(a is not b for a, b in zip(store.waiting_calls(), store.waiting_calls()))   # unshared: fresh


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


def test_reserve_many_reserves_each_pair_in_order_as_reserve_would(store):
    for i in (1, 2, 3):
        store.put_agent(agent(f"a{i}"))
        store.put_call(call(f"c{i}"))
    store.set_agent_state("a3", AgentState.BREAK, 5.0)
    got = store.reserve_many([("c1", "a1"), ("c2", "a1"), ("c2", "a2"), ("c3", "a3"), ("gone", "a2")], "ctl", 30, 10.0)
    assert got == [True, False, True, False, False]    # a1 taken by c1 first; a3 on break; a2 taken by c2
    assert [(a.id, a.state, a.call_id) for a in map(store.get_agent, ("a1", "a2", "a3"))] == [
        ("a1", AgentState.RESERVED, "c1"), ("a2", AgentState.RESERVED, "c2"), ("a3", AgentState.BREAK, None)]
    assert store.get_call("c3").state == CallState.QUEUED and store.reserve_many([], "ctl", 30, 11.0) == []


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


def test_a_stale_release_leaves_a_requeued_call_waiting(store):
    """Seen on the real switch: the missed offer requeued the call, then reconcile, acting on the
    agent as it read it a moment before (still reserved), released it again without requeue."""
    store.put_agent(agent("a1"))
    store.put_call(call())
    store.reserve("c1", "a1", "ctl", 30, 10.0)
    store.release("c1", "a1", AgentState.NOT_READY, 25.0, requeue_call=True)
    store.release("c1", "a1", AgentState.AVAILABLE, 25.1, requeue_call=False)
    c = store.get_call("c1")
    assert c is not None and c.state == CallState.QUEUED and [w.id for w in store.waiting_calls()] == ["c1"]
    assert store.get_agent("a1").state == AgentState.NOT_READY


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


def test_set_agent_state_with_a_stale_copy_applies_to_the_agent_as_it_is(store):
    store.put_agent(agent(state=AgentState.LOGGED_OUT))
    stale = store.get_agent("a1")                                   # logged out, as the caller read it
    store.set_agent_state("a1", AgentState.AVAILABLE, 5.0)
    store.set_agent_state("a1", AgentState.BREAK, 6.0, reason="lunch", current=stale)   # CAS misses, re-reads
    now = store.get_agent("a1")
    assert now.state == AgentState.BREAK and now.break_reason == "lunch" and now.state_since == 6.0
    store.set_agent_state("a1", AgentState.AVAILABLE, 7.0, current=now)                  # a current copy
    assert store.get_agent("a1").state == AgentState.AVAILABLE and store.get_agent("a1").idle_since == 7.0


def test_rolling_stats(store):
    assert store.aht("support") is None
    for s in (100, 200, 300):
        store.record_handle_time("support", s, 1.0)
    assert store.aht("support") == 200
    for t in (10.0, 20.0, 950.0):
        store.record_arrival("support", t)
    assert store.arrivals_per_s("support", 960.0, window_s=100.0) == pytest.approx(1 / 100)


# -- ring groups (ring-all, ring-progressively) ------------------------------------------------
from control.store.ring_groups import GROUP  # noqa: E402


def group_setup(store, *ids, busy=()):
    for i in ids:
        store.put_agent(agent(i, state=AgentState.BREAK if i in busy else AgentState.AVAILABLE))
    store.put_call(call())


def test_reserve_group_reserves_every_available_agent_at_once(store):
    group_setup(store, "a1", "a2", "a3", busy=("a2",))
    assert store.reserve_group("c1", ["a1", "a2", "a3", "ghost"], "ctl", 30, 10.0) == ["a1", "a3"]
    for i in ("a1", "a3"):
        a = store.get_agent(i)
        assert (a.state, a.call_id, a.last_offered_at) == (AgentState.RESERVED, "c1", 10.0)
    assert store.get_agent("a2").state == AgentState.BREAK
    c = store.get_call("c1")
    assert (c.state, c.agent_id, c.offered_at) == (CallState.OFFERING, GROUP, 10.0)
    assert store.group_members("c1") == ["a1", "a3"]
    assert store.expired_reservations(40.0) == [("c1", GROUP)]
    # the call is taken: neither a second group nor a one-agent reservation gets it
    store.put_agent(agent("a4"))
    assert store.reserve_group("c1", ["a4"], "ctl", 30, 11.0) == []
    assert not store.reserve("c1", "a4", "ctl", 30, 11.0)
    assert store.get_agent("a4").state == AgentState.AVAILABLE


def test_reserve_group_with_nobody_available_changes_nothing(store):
    group_setup(store, "a1", busy=("a1",))
    assert store.reserve_group("c1", ["a1"], "ctl", 30, 10.0) == []
    c = store.get_call("c1")
    assert c.state == CallState.QUEUED and c.agent_id is None and store.expired_reservations(1e9) == []


def test_group_join_is_for_the_owner_of_a_ringing_group_only(store):
    group_setup(store, "a1", "a2", "a3")
    assert store.reserve_group("c1", ["a2"], "ctl", 30, 10.0, join=True) == []   # not ringing yet
    assert store.reserve_group("c1", ["a1"], "ctl", 30, 10.0) == ["a1"]
    assert store.reserve_group("c1", ["a2"], "other-ctl", 30, 12.0, join=True) == []
    assert store.reserve_group("c1", ["a1", "a2"], "ctl", 30, 12.0, join=True) == ["a2"]
    assert store.group_members("c1") == ["a1", "a2"]
    assert store.get_call("c1").offered_at == 10.0


def test_one_agent_operations_never_touch_a_group_call(store):
    group_setup(store, "a1", "a2")
    store.reserve_group("c1", ["a1", "a2"], "ctl", 30, 10.0)
    assert not store.confirm("c1", "a1", 11.0) and not store.renew("c1", "a1", 30, 11.0)
    store.release("c1", "a1", AgentState.NOT_READY, 11.0, requeue_call=True)
    assert store.get_agent("a1").state == AgentState.NOT_READY
    c = store.get_call("c1")
    assert c.state == CallState.OFFERING and c.agent_id == GROUP and store.group_members("c1") == ["a2"]


def test_first_answer_wins_and_a_second_is_refused(store):
    group_setup(store, "a1", "a2", "a3")
    store.reserve_group("c1", ["a1", "a2", "a3"], "ctl", 30, 10.0)
    assert store.renew_group("c1", 30, 20.0) and store.expired_reservations(45.0) == []
    assert store.confirm_group("c1", "a2", 21.0)
    assert not store.confirm_group("c1", "a1", 21.5)
    assert not store.confirm_group("c1", "a2", 21.5)
    assert not store.renew_group("c1", 30, 22.0)
    c = store.get_call("c1")
    assert (c.state, c.agent_id, c.answered_at) == (CallState.CONNECTED, "a2", 21.0)
    assert store.get_agent("a2").state == AgentState.ON_CALL
    assert store.waiting_calls() == [] and store.expired_reservations(1e9) == []
    assert store.group_members("c1") == ["a1", "a3"]       # the losers, still to be freed
    store.release_group("c1", ["a1", "a3", "a2"], AgentState.AVAILABLE, 22.0, requeue_call=False)
    for i in ("a1", "a3"):
        a = store.get_agent(i)
        assert (a.state, a.call_id, a.idle_since) == (AgentState.AVAILABLE, None, 22.0)
    assert store.get_agent("a2").state == AgentState.ON_CALL        # the winner is not a member to free
    assert store.get_call("c1").state == CallState.CONNECTED and store.group_members("c1") == []
    assert sorted(a.id for a in store.available_agents()) == ["a1", "a3"]


def test_confirm_group_refuses_a_non_member(store):
    group_setup(store, "a1", "a2")
    store.reserve_group("c1", ["a1"], "ctl", 30, 10.0)
    assert not store.confirm_group("c1", "a2", 11.0)
    assert store.get_call("c1").state == CallState.OFFERING


def test_release_group_requeues_the_call_when_the_last_member_leaves(store):
    group_setup(store, "a1", "a2")
    seq = store.get_call("c1").seq
    store.reserve_group("c1", ["a1", "a2"], "ctl", 30, 10.0)
    store.release_group("c1", ["a1"], AgentState.NOT_READY, 15.0, requeue_call=True)
    assert store.get_agent("a1").state == AgentState.NOT_READY
    assert store.available_agents() == []
    assert store.get_call("c1").state == CallState.OFFERING and store.group_members("c1") == ["a2"]
    store.release_group("c1", ["a2"], AgentState.AVAILABLE, 16.0, requeue_call=True)
    c = store.get_call("c1")
    assert c.state == CallState.QUEUED and c.agent_id is None and c.seq == seq
    assert store.expired_reservations(1e9) == [] and [x.id for x in store.waiting_calls()] == ["c1"]
    assert store.reserve("c1", "a2", "ctl", 30, 17.0)          # an ordinary call again


def test_release_group_drops_the_call_of_a_caller_who_left(store):
    group_setup(store, "a1", "a2")
    store.reserve_group("c1", ["a1", "a2"], "ctl", 30, 10.0)
    store.release_group("c1", ["a1", "a2"], AgentState.AVAILABLE, 12.0, requeue_call=False)
    assert store.get_call("c1") is None and store.waiting_calls() == []
    assert [store.get_agent(i).state for i in ("a1", "a2")] == [AgentState.AVAILABLE] * 2
    assert store.expired_reservations(1e9) == []


def test_release_group_after_the_call_is_gone_still_frees_the_members(store):
    group_setup(store, "a1", "a2")
    store.reserve_group("c1", ["a1", "a2"], "ctl", 30, 10.0)
    store.remove_call("c1")
    store.release_group("c1", ["a1", "a2"], AgentState.AVAILABLE, 12.0, requeue_call=True)
    assert store.get_call("c1") is None
    assert [store.get_agent(i).state for i in ("a1", "a2")] == [AgentState.AVAILABLE] * 2


# -- the available-agents index and updates of ended calls (docs/benchmarks.md, Calls) ----------
def free_ids(store) -> list[str]:
    return sorted(a.id for a in store.available_agents())


def truth(store) -> list[str]:
    return sorted(a.id for a in store.agents() if a.state == AgentState.AVAILABLE)


def test_available_agents_follow_every_move(store):
    store.put_agent(agent("a1"))
    store.put_agent(agent("a2"))
    store.put_agent(agent("brk", state=AgentState.BREAK))
    store.put_call(call("c1"))
    store.put_call(call("c2"))
    assert free_ids(store) == truth(store) == ["a1", "a2"]
    assert store.reserve("c1", "a1", "ctl", 30, 1.0)
    assert free_ids(store) == truth(store) == ["a2"]
    assert store.confirm("c1", "a1", 2.0)
    store.release("c1", "a1", AgentState.WRAP_UP, 3.0, requeue_call=False)
    store.set_agent_state("brk", AgentState.AVAILABLE, 3.5)
    assert free_ids(store) == truth(store) == ["a2", "brk"]
    store.set_agent_state("a1", AgentState.AVAILABLE, 4.0)
    assert store.reserve("c2", "a2", "ctl", 30, 5.0)
    store.release("c2", "a2", AgentState.NOT_READY, 6.0, requeue_call=True)   # a missed offer
    assert free_ids(store) == truth(store) == ["a1", "brk"]
    store.put_agent(agent("a2"))                                               # re-synced as available
    assert free_ids(store) == truth(store) == ["a1", "a2", "brk"]


def test_redis_index_holds_only_available_or_just_reserved_agents(redis_client, redis_prefix):
    from control.handlers.agent_cache import AvailableAgents

    store = RedisState(redis_client, redis_prefix)
    for i in range(4):
        store.put_agent(agent(f"a{i}"))
    store.put_call(call("c1"))
    cache = AvailableAgents(store)

    def read(at: float) -> list:
        cache.agents_changed = True   # each step changes an agent: the dispatcher would be told so
        return cache.read(at)

    assert [a.id for a in read(10.0)] == ["a0", "a1", "a2", "a3"]
    assert store.reserve("c1", "a0", "ctl", 30, 11.0)
    assert sorted(store.available_index()) == ["a0", "a1", "a2", "a3"]   # reserve leaves it indexed
    assert store.confirm("c1", "a0", 12.0)
    assert sorted(store.available_index()) == ["a1", "a2", "a3"]
    assert [a.id for a in read(12.5)] == ["a1", "a2", "a3"]
    store.release("c1", "a0", AgentState.AVAILABLE, 13.0, requeue_call=False)
    back = read(13.5)                                               # came back: read again
    assert [a.id for a in back] == ["a0", "a1", "a2", "a3"] and back[0].calls_taken == 1
    store.set_agent_state("a3", AgentState.BREAK, 14.0)
    assert [a.id for a in read(14.5)] == ["a0", "a1", "a2"] == free_ids(store)


def test_an_update_never_brings_back_an_ended_call(store):
    store.put_agent(agent())
    store.put_call(call())
    stale = store.get_call("c1")                        # read by a waiting caller's timer, say
    assert store.reserve("c1", "a1", "ctl", 30, 1.0) and store.confirm("c1", "a1", 2.0)
    store.release("c1", "a1", AgentState.WRAP_UP, 3.0, requeue_call=False)   # the call ended
    stale.priority = 5
    assert store.put_call(stale) is False
    assert store.get_call("c1") is None and store.waiting_calls() == []
    store.put_call(call("c2"))
    gone = store.get_call("c2")
    store.remove_call("c2")
    assert store.put_call(gone) is False and store.get_call("c2") is None
    assert store.put_call(gone, create=True) is True                  # an explicit re-insert
    assert [c.id for c in store.waiting_calls()] == ["c2"]


def test_consult_marks_are_per_call_and_cleared(store):
    assert store.consult_of("c1") is None
    store.mark_consult("c1", "bob", "ctl-a")
    store.mark_consult("c2", "amy", "ctl-b")
    assert store.consult_of("c1") == ("bob", "ctl-a") and store.consult_of("c2") == ("amy", "ctl-b")
    store.clear_consult("c1")
    assert store.consult_of("c1") is None and store.consult_of("c2") == ("amy", "ctl-b")


def test_deferred_callback_calls_are_listed_until_due(store):
    store.put_call(call("cb-1", kind="callback"))
    store.put_call(call("cb-2", kind="callback"))
    assert store.deferred() == {} and store.next_deferred() is None
    store.defer(store.get_call("cb-1"), 150.0, None, AgentState.AVAILABLE, 100.0)
    store.defer(store.get_call("cb-2"), 120.0, None, AgentState.AVAILABLE, 100.0)
    assert store.deferred() == {"cb-1": 150.0, "cb-2": 120.0} and store.next_deferred() == 120.0
    assert store.requeue_due(130.0) == ["cb-2"]
    assert store.deferred() == {"cb-1": 150.0}
