"""control/domain/agent_restore.py: an agent put back from its last logged state (pure)."""
from control.domain.agent_restore import restore
from control.domain.models import Agent, AgentState


def fresh() -> Agent:
    return Agent(id="a1", extension="1001")


def test_what_the_agent_chose_is_kept_with_its_reason_and_time():
    agent = restore(fresh(), "break", "lunch", 100.0, now=500.0)
    assert (agent.state, agent.break_reason, agent.state_since) == (AgentState.BREAK, "lunch", 100.0)
    agent = restore(fresh(), "not_ready", "technical", 100.0, now=500.0)
    assert (agent.state, agent.break_reason) == (AgentState.NOT_READY, "technical")
    assert restore(fresh(), "logged_out", None, 100.0, now=500.0).state == AgentState.LOGGED_OUT
    agent = restore(fresh(), "available", "stale", 100.0, now=500.0)
    assert (agent.state, agent.break_reason, agent.idle_since) == (AgentState.AVAILABLE, None, 100.0)


def test_an_agent_on_a_call_comes_back_in_wrap_up_from_now():
    for state in ("on_call", "reserved", "wrap_up"):
        agent = restore(fresh(), state, None, 100.0, now=500.0)
        assert (agent.state, agent.state_since, agent.call_id) == (AgentState.WRAP_UP, 500.0, None)


def test_an_unknown_state_changes_nothing():
    assert restore(fresh(), "dancing", None, 100.0, now=500.0).state == AgentState.LOGGED_OUT
