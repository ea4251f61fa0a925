"""The call state machine (control/domain/call_state.py) and the stores that move calls along it.

Randomised (hypothesis): sequences of the store's atomic operations on a few calls and agents, run
against RedisState (real Redis) and MemoryState. Every change of a call's state they make is one the
machine allows, an ended call never comes back, and a call that ended leaves no reservation behind
(no agent held for it, no lease for the reconciler to find)."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from control.domain.call_state import ALLOWED, CALLBACK_ONLY, IllegalCallTransition, can_move, move
from control.domain.models import Agent, AgentState, Call, CallState
from control.store.memory_state import MemoryState
from control.store.redis_state import RedisState

pytestmark = pytest.mark.integration

CALLS, AGENTS = ("c1", "c2"), ("a1", "a2")
STATES = list(CallState)
FAR = 1e9   # a time at which every lease has lapsed


# -- the machine itself -------------------------------------------------------------------
@given(st.sampled_from(STATES), st.sampled_from(STATES), st.sampled_from(["inbound", "callback"]))
def test_move_accepts_exactly_the_allowed_moves(frm, to, kind):
    call = Call(id="c", caller="+1", did="+2", state=frm, kind=kind)
    allowed = to == frm or to in ALLOWED[frm] or (kind == "callback" and to in CALLBACK_ONLY.get(frm, ()))
    if allowed:
        assert move(call, to).state == to
    else:
        with pytest.raises(IllegalCallTransition, match=f"from {frm.value} to {to.value}"):
            move(call, to)
        assert call.state == frm


@given(st.lists(st.sampled_from(STATES), max_size=30))
def test_an_ended_call_never_moves_again(targets):
    call = Call(id="c", caller="+1", did="+2", state=CallState.IVR)
    for to in targets:
        ended = call.state == CallState.ENDED
        try:
            move(call, to)
        except IllegalCallTransition:
            continue
        assert not ended or to == CallState.ENDED


# -- the stores -----------------------------------------------------------------------------
ARRIVE, RESERVE, CONFIRM = (
    st.tuples(st.just("arrive"), st.sampled_from(CALLS), st.sampled_from(["inbound", "callback"]),
              st.sampled_from([CallState.QUEUED, CallState.IVR])),
    st.tuples(st.just("reserve"), st.sampled_from(CALLS), st.sampled_from(AGENTS)),
    st.tuples(st.just("confirm"), st.sampled_from(CALLS), st.sampled_from(AGENTS)))
OPS = st.one_of(
    ARRIVE, ARRIVE, RESERVE, RESERVE, CONFIRM,   # the common steps, drawn more often
    st.tuples(st.just("renew"), st.sampled_from(CALLS), st.sampled_from(AGENTS)),
    st.tuples(st.just("release"), st.sampled_from(CALLS), st.sampled_from(AGENTS),
              st.sampled_from([AgentState.AVAILABLE, AgentState.WRAP_UP, AgentState.NOT_READY]), st.booleans()),
    st.tuples(st.just("defer"), st.sampled_from(CALLS)),
    st.tuples(st.just("requeue_due"),),
    st.tuples(st.just("sweep"),),
    st.tuples(st.just("end"), st.sampled_from(CALLS)),
    st.tuples(st.just("free"), st.sampled_from(AGENTS)),
)


def apply(store, op, now: float) -> None:
    kind = op[0]
    if kind == "arrive":
        _, call_id, call_kind, state = op
        store.put_call(Call(id=call_id, caller="+1", did="+2", queue="q", state=state, kind=call_kind,
                            entered_at=now), create=True)
    elif kind == "reserve":
        store.reserve(op[1], op[2], "ctl", 30, now)
    elif kind == "renew":
        store.renew(op[1], op[2], 30, now)
    elif kind == "confirm":
        store.confirm(op[1], op[2], now)
    elif kind == "release":   # asked to requeue a conversation, the store ends it instead
        store.release(op[1], op[2], op[3], now, requeue_call=op[4])
    elif kind == "defer":   # a callback whose customer did not answer waits for its next attempt
        call = store.get_call(op[1])
        if call is not None and call.kind == "callback" and call.state == CallState.CONNECTED:
            store.defer(call, now + 1, call.agent_id, AgentState.AVAILABLE, now)
    elif kind == "requeue_due":
        store.requeue_due(now + 2)
    elif kind == "sweep":   # the reconciler: lapsed leases go back to the queue
        for call_id, agent_id in store.expired_reservations(FAR):
            store.release(call_id, agent_id, AgentState.AVAILABLE, now, requeue_call=True)
    elif kind == "end":     # the caller hangs up: what call.py's finish does
        call = store.get_call(op[1])
        if call is not None:
            if call.agent_id:
                store.release(call.id, call.agent_id, AgentState.WRAP_UP, now, requeue_call=False)
            store.remove_call(call.id)
    elif kind == "free":   # the wrap-up timer, or the agent back from not-ready (never a held agent)
        agent = store.get_agent(op[1])
        if agent is not None and agent.state in (AgentState.WRAP_UP, AgentState.NOT_READY):
            store.set_agent_state(op[1], AgentState.AVAILABLE, now)


def check(store, before: dict, seen: set, op) -> dict:
    after = {}
    for call_id in CALLS:
        call = store.get_call(call_id)
        after[call_id] = (call.state, call.kind) if call is not None else None
        was = before.get(call_id)
        if call is None:
            continue
        if was is None:   # only a new call appears, and an ended call never comes back
            assert op[0] == "arrive" and call_id not in seen, f"{call_id} came back after it ended ({op})"
        else:
            assert can_move(was[0], call.state, call.kind), f"{call_id}: {was[0].value} -> {call.state.value} ({op})"
    ended = [c for c in CALLS if after[c] is None and before.get(c) is not None]
    for call_id in ended:
        for agent in store.agents():
            assert not (agent.call_id == call_id and agent.state in (AgentState.RESERVED, AgentState.ON_CALL)), \
                f"{agent.id} still held for ended call {call_id} ({op})"
        assert all(c != call_id for c, _ in store.expired_reservations(FAR)), f"a lease outlived {call_id} ({op})"
    return after


@pytest.fixture(params=["memory", "redis"])
def make_store(request):
    if request.param == "memory":
        yield MemoryState
        return
    client = request.getfixturevalue("redis_client")
    prefixes = []

    def make():
        prefixes.append(f"hltest-csm-{uuid.uuid4().hex[:10]}")
        return RedisState(client, prefixes[-1])

    yield make
    for prefix in prefixes:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=3, max_size=40))
# always tried: a reserved call the caller leaves, a conversation that ends, one asked back in line
@example(ops=[("arrive", "c1", "inbound", CallState.QUEUED), ("reserve", "c1", "a1"), ("confirm", "c1", "a1"),
              ("release", "c1", "a1", AgentState.AVAILABLE, True)])
@example(ops=[("arrive", "c1", "inbound", CallState.QUEUED), ("reserve", "c1", "a1"), ("end", "c1")])
@example(ops=[("arrive", "c1", "inbound", CallState.QUEUED), ("reserve", "c1", "a1"), ("confirm", "c1", "a1"),
              ("release", "c1", "a1", AgentState.WRAP_UP, False)])
def test_random_operations_move_calls_only_along_the_machine(make_store, ops):
    store = make_store()
    for agent_id in AGENTS:
        store.put_agent(Agent(id=agent_id, extension=agent_id, queues=["q"], state=AgentState.AVAILABLE))
    before: dict = {}
    seen: set = set()
    for i, op in enumerate(ops):
        if op[0] == "arrive" and op[1] in seen:
            continue   # a call id is a channel's uuid: used once (a transfer's next segment is a new record)
        apply(store, op, 1000.0 + i)
        before = check(store, before, seen, op)
        seen.update(c for c, v in before.items() if v is not None)
