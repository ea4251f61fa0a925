from hypothesis import given, settings, strategies as st

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import STRATEGIES, QueueConfig
from control.domain.routing import decide
from control.domain.skills import effective_requirements, qualifies

SKILLS = ["english", "mandarin", "billing", "sales"]
QUEUES = {n: QueueConfig(name=n, strategy=s, tier_boost={"vip": 20})
          for n, s in zip(["a", "b", "c"], ["longest-idle-agent", "ring-all", "most-skilled"])}

agents_st = st.lists(st.builds(
    lambda i, skills, queues, state, idle: Agent(id=f"ag{i}", extension=str(i), skills=skills, queues=queues,
                                                 state=state, idle_since=idle),
    st.integers(0, 10_000),
    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=4),
    st.lists(st.sampled_from(list(QUEUES)), min_size=1, max_size=3, unique=True),
    st.sampled_from(list(AgentState)), st.floats(0, 100)), max_size=25, unique_by=lambda a: a.id)

calls_st = st.lists(st.builds(
    lambda i, queue, reqs, prio, tier, entered, state: Call(
        id=f"c{i}", caller="+1", did="+2", queue=queue, requirements=[Requirement(s, m) for s, m in reqs.items()],
        priority=prio, tier=tier, entered_at=entered, seq=i, state=state),
    st.integers(0, 10_000), st.sampled_from(list(QUEUES)),
    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=2),
    st.integers(0, 3), st.sampled_from([None, "vip"]), st.floats(0, 100),
    st.sampled_from([CallState.QUEUED, CallState.QUEUED, CallState.OFFERING])), max_size=40, unique_by=lambda c: c.id)


@settings(max_examples=200, deadline=None)
@given(agents_st, calls_st)
def test_never_unavailable_unqualified_or_double_assigned(agents, calls):
    now = 200.0
    decisions = decide(now, calls, agents, QUEUES)
    by_agent = {a.id: a for a in agents}
    by_call = {c.id: c for c in calls}
    used_agents = [a for d in decisions for a in d.agent_ids]
    assert len(used_agents) == len(set(used_agents))
    assert len({d.call_id for d in decisions}) == len(decisions)
    for d in decisions:
        c = by_call[d.call_id]
        assert c.state == CallState.QUEUED
        reqs = effective_requirements(c, QUEUES[c.queue], now)
        for agent_id in d.agent_ids:
            a = by_agent[agent_id]
            assert a.state == AgentState.AVAILABLE
            assert qualifies(a, reqs)
            assert c.queue in a.queues or set(c.extra_queues) & set(a.queues)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2))
def test_vip_before_non_vip_with_same_skills(vip_entered, plain_entered, reqs):
    r = [Requirement(s, m) for s, m in reqs.items()]
    vip = Call(id="vip", caller="+1", did="+2", queue="a", requirements=r, tier="vip", entered_at=vip_entered, seq=2,
               state=CallState.QUEUED)
    plain = Call(id="plain", caller="+1", did="+2", queue="a", requirements=r, entered_at=plain_entered, seq=1,
                 state=CallState.QUEUED)
    ag = Agent(id="x", extension="1", skills={s: 10 for s in SKILLS}, queues=["a"], state=AgentState.AVAILABLE)
    [d] = decide(200.0, [plain, vip], [ag], QUEUES)
    assert d.call_id == "vip"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 2)), min_size=1, max_size=30), st.integers(1, 10))
def test_fifo_within_a_priority(entries, n_agents):
    calls = [Call(id=f"c{i}", caller="+1", did="+2", queue="a", entered_at=float(t), priority=p, seq=i,
                  state=CallState.QUEUED) for i, (t, p) in enumerate(entries)]
    agents = [Agent(id=f"a{i}", extension=str(i), queues=["a"], state=AgentState.AVAILABLE) for i in range(n_agents)]
    served = [d.call_id for d in decide(100.0, calls, agents, QUEUES)]
    expected = sorted(calls, key=lambda c: (-c.priority, c.entered_at, c.seq))[:n_agents]
    assert served == [c.id for c in expected]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 20), st.integers(1, 4))
def test_no_starvation_with_aging(boost, every, arrivals_per_step):
    """High-priority callers keep arriving faster than one agent serves; the old low call still gets served."""
    queues = {"a": QueueConfig(name="a", aging_every_s=every)}
    waiting = [Call(id="low", caller="+1", did="+2", queue="a", entered_at=0.0, seq=0, state=CallState.QUEUED)]
    # Only callers arriving within boost*every seconds after it can outrank it, so it is served
    # within that many arrivals (plus one step for itself).
    bound = arrivals_per_step * (boost * every + 1) + 1
    seq = 1
    for t in range(0, bound):
        for _ in range(arrivals_per_step):
            waiting.append(Call(id=f"h{seq}", caller="+1", did="+2", queue="a", entered_at=float(t), seq=seq,
                                priority=boost, state=CallState.QUEUED))
            seq += 1
        ag = Agent(id="x", extension="1", queues=["a"], state=AgentState.AVAILABLE)
        [d] = decide(float(t), waiting, [ag], queues)
        if d.call_id == "low":
            return
        waiting = [c for c in waiting if c.id != d.call_id]
    raise AssertionError("the low-priority call starved")


def test_without_aging_the_low_call_would_starve():
    """The same setup with aging off never serves it: shows the property above can fail."""
    queues = {"a": QueueConfig(name="a", aging_every_s=0)}
    waiting = [Call(id="low", caller="+1", did="+2", queue="a", entered_at=0.0, seq=0, state=CallState.QUEUED)]
    for t in range(100):
        waiting.append(Call(id=f"h{t}", caller="+1", did="+2", queue="a", entered_at=float(t), seq=t + 1, priority=1,
                            state=CallState.QUEUED))
        ag = Agent(id="x", extension="1", queues=["a"], state=AgentState.AVAILABLE)
        [d] = decide(float(t), waiting, [ag], queues)
        assert d.call_id != "low"
        waiting = [c for c in waiting if c.id != d.call_id]
