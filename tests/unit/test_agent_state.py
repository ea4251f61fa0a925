import pytest

from control.domain.agent_state import ALLOWED, InvalidTransition, can_transition, transition
from control.domain.models import Agent, AgentState as S


def ag(state=S.AVAILABLE, **kw):
    return Agent(id="a", extension="1", state=state, **kw)


def test_login_sets_idle_since():
    a = transition(ag(S.LOGGED_OUT), S.AVAILABLE, 10.0)
    assert a.state == S.AVAILABLE and a.idle_since == 10.0 and a.state_since == 10.0


def test_reserve_needs_call_and_records_offer_time():
    with pytest.raises(ValueError):
        transition(ag(), S.RESERVED, 5.0)
    a = transition(ag(), S.RESERVED, 5.0, call_id="c1")
    assert a.call_id == "c1" and a.last_offered_at == 5.0


def test_call_end_counts_call_and_talk_time():
    a = transition(ag(S.ON_CALL, state_since=100.0, call_id="c1"), S.WRAP_UP, 160.0)
    assert a.calls_taken == 1 and a.talk_time_s == 60.0 and a.call_id is None


def test_break_keeps_reason_and_clears_it_after():
    a = transition(ag(), S.BREAK, 1.0, reason="lunch")
    assert a.break_reason == "lunch"
    a = transition(a, S.BREAK, 2.0, reason="meeting")
    assert a.break_reason == "meeting" and a.state_since == 1.0
    assert transition(a, S.AVAILABLE, 3.0).break_reason is None


@pytest.mark.parametrize("frm, to", [
    (S.LOGGED_OUT, S.RESERVED), (S.LOGGED_OUT, S.ON_CALL), (S.BREAK, S.RESERVED), (S.NOT_READY, S.ON_CALL),
    (S.ON_CALL, S.BREAK), (S.ON_CALL, S.LOGGED_OUT), (S.AVAILABLE, S.ON_CALL), (S.WRAP_UP, S.RESERVED),
])
def test_invalid_transitions_raise(frm, to):
    with pytest.raises(InvalidTransition):
        transition(ag(frm), to, 1.0, call_id="c")


def test_only_available_agents_can_be_reserved():
    for frm in S:
        assert can_transition(frm, S.RESERVED) == (frm in (S.AVAILABLE, S.RESERVED))


def test_every_state_has_rules():
    assert set(ALLOWED) == set(S)
