from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.overflow import evaluate_overflow, exit_key_action
from control.domain.queue_config import ExitKey, OverflowRule, QueueConfig
from control.domain.queueing import QueueStats, position_and_wait, queue_stats


def q(*rules, **kw):
    return QueueConfig(name="support", overflow=list(rules), **kw)


def call(entered=0.0, **kw):
    return Call(id="c", caller="+1", did="+2", queue="support", entered_at=entered, state=CallState.QUEUED, **kw)


def test_wait_time_rule_fires_after_threshold_with_explanation():
    queue = q(OverflowRule("widen-billing", "widen", "billing", after_s=60))
    assert evaluate_overflow(59.0, call(), queue) is None
    action = evaluate_overflow(61.0, call(), queue)
    assert (action.kind, action.target, action.rule) == ("widen", "billing", "widen-billing")
    assert action.explanation["conditions"] == {"wait_s": 61.0}


def test_rule_in_effect_does_not_fire_again_so_next_rule_can():
    queue = q(OverflowRule("w", "widen", "billing", after_s=10), OverflowRule("vm", "voicemail", "support", after_s=30))
    c = call(extra_queues=["billing"])
    assert evaluate_overflow(20.0, c, queue) is None
    assert evaluate_overflow(31.0, c, queue).rule == "vm"


def test_first_matching_rule_in_order_wins():
    queue = q(OverflowRule("first", "callback", after_s=5), OverflowRule("second", "voicemail", after_s=1))
    assert evaluate_overflow(10.0, call(), queue).rule == "first"
    assert evaluate_overflow(3.0, call(), queue).rule == "second"


def test_no_agents_rule_needs_stats():
    queue = q(OverflowRule("empty", "voicemail", "support", no_agents=True))
    assert evaluate_overflow(1.0, call(), queue, None) is None
    assert evaluate_overflow(1.0, call(), queue, QueueStats("support", agents_logged_in=2)) is None
    assert evaluate_overflow(1.0, call(), queue, QueueStats("support", agents_logged_in=0)).kind == "voicemail"


def test_queue_length_and_estimated_wait_rules():
    queue = q(OverflowRule("long", "callback", queue_length=10), OverflowRule("slow", "ivr", "main", estimated_wait_s=300))
    assert evaluate_overflow(1.0, call(), queue, QueueStats("support", waiting=9, estimated_wait_s=10)) is None
    assert evaluate_overflow(1.0, call(), queue, QueueStats("support", waiting=10)).rule == "long"
    got = evaluate_overflow(1.0, call(), queue, QueueStats("support", waiting=1, estimated_wait_s=400))
    assert (got.kind, got.target) == ("ivr", "main")


def test_combined_conditions_all_must_hold():
    queue = q(OverflowRule("both", "move", "billing", after_s=30, queue_length=5))
    assert evaluate_overflow(40.0, call(), queue, QueueStats("support", waiting=2)) is None
    assert evaluate_overflow(20.0, call(), queue, QueueStats("support", waiting=8)) is None
    assert evaluate_overflow(40.0, call(), queue, QueueStats("support", waiting=8)).kind == "move"


def test_exit_key():
    queue = q(exit_keys={"1": ExitKey("callback")})
    assert exit_key_action(queue, "2") is None
    a = exit_key_action(queue, "1")
    assert (a.kind, a.rule) == ("callback", "exit_key:1")


def _agent(i, state):
    return Agent(id=f"a{i}", extension=str(i), queues=["support"], state=state)


def test_position_and_estimated_wait():
    queue = QueueConfig(name="support", aht_s=120)
    calls = [Call(id=f"c{i}", caller="+1", did="+2", queue="support", entered_at=float(i), seq=i,
                  state=CallState.QUEUED) for i in range(6)]
    agents = [_agent(0, AgentState.ON_CALL), _agent(1, AgentState.ON_CALL), _agent(2, AgentState.BREAK)]
    pos, wait = position_and_wait(10.0, calls[4], calls, agents, {"support": queue})
    assert pos == 5 and wait == 5 * 120 / 2
    agents.append(_agent(3, AgentState.AVAILABLE))
    assert position_and_wait(10.0, calls[0], calls, agents, {"support": queue}) == (1, 0.0)
    assert position_and_wait(10.0, calls[2], calls, [], {"support": queue}, aht_s=60) == (3, 180.0)


def test_queue_stats_with_erlang_estimate():
    queue = QueueConfig(name="support", aht_s=180, service_level_s=20)
    agents = [_agent(i, AgentState.ON_CALL) for i in range(12)] + [_agent(99, AgentState.LOGGED_OUT)]
    stats = queue_stats(0.0, queue, [], agents, arrivals_per_s=100 / 1800)
    assert stats.agents_staffed == 12 and stats.agents_logged_in == 12
    assert 40 < stats.estimated_wait_s < 41 and 0.63 < stats.service_level < 0.65
