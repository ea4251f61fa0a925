"""control/handlers/browser_phones.py: FreeSWITCH's registration events of the webrtc profile move
an available agent to not-ready (phone_offline) and back, through AgentStates."""
from __future__ import annotations

import gevent

from control.domain.models import Agent, AgentState
from control.handlers.agent_states import AgentStates
from control.handlers.browser_phones import PHONE_OFFLINE, BrowserPhones
from control.store.memory_state import MemoryState
from control.store.publisher import MemoryPublisher


class History:
    def __init__(self):
        self.rows: list[tuple] = []

    def put(self, agent_id, state, reason, at):
        self.rows.append((agent_id, state, reason))


def world(contact="error/user_not_registered", state=AgentState.AVAILABLE):
    store = MemoryState()
    store.put_agent(Agent(id="alice", extension="1001", state=state))
    store.put_agent(Agent(id="bob", extension="1002", state=AgentState.AVAILABLE))
    history, publisher, nudged = History(), MemoryPublisher(), []
    states = AgentStates(store, history, publisher, lambda: 100.0, nudged.append, lambda: {}, 10)
    asked: list[str] = []

    def api(command):
        asked.append(command)
        return contact

    return store, BrowserPhones(store, states, api, "hotline.test", settle_s=(0.0, 0.01)), history, asked


def event(subclass, user="1001", profile="webrtc"):
    return {"Event-Name": "CUSTOM", "Event-Subclass": subclass, "profile-name": profile, "username": user}


def settle():
    gevent.sleep(0.05)


def test_a_drop_makes_the_agent_not_ready_and_the_return_available():
    store, phones, history, asked = world()
    phones.on_event(event("sofia::expire"))
    settle()
    assert store.get_agent("alice").state == AgentState.NOT_READY
    assert ("alice", "not_ready", PHONE_OFFLINE) in history.rows
    assert asked == ["sofia_contact webrtc/1001@hotline.test"]
    assert store.get_agent("bob").state == AgentState.AVAILABLE
    phones.on_event(event("sofia::register"))
    settle()
    assert store.get_agent("alice").state == AgentState.AVAILABLE


def test_another_contact_still_registered_is_no_drop():
    store, phones, _, _ = world(contact="sofia/webrtc/sip:1001@192.0.2.9:5066;transport=ws")
    phones.on_event(event("sofia::unregister"))
    settle()
    assert store.get_agent("alice").state == AgentState.AVAILABLE


def test_a_registration_the_switch_has_not_deleted_yet_is_asked_again():
    replies = iter(["sofia/webrtc/sip:1001@192.0.2.9:5066;transport=ws", "error/user_not_registered"])
    store, phones, _, asked = world()
    phones.api = lambda command: (asked.append(command), next(replies))[1]
    phones.on_event(event("sofia::unregister"))
    settle()
    assert store.get_agent("alice").state == AgentState.NOT_READY and len(asked) == 2


def test_desk_phones_and_agents_not_available_are_left_alone():
    store, phones, _, asked = world(state=AgentState.BREAK)
    phones.on_event(event("sofia::expire", profile="internal"))
    phones.on_event(event("sofia::expire"))
    settle()
    assert store.get_agent("alice").state == AgentState.BREAK
    assert asked == []      # internal profile: not looked at; webrtc: alice is not available, nothing to ask


def test_an_agent_who_chose_another_state_meanwhile_keeps_it():
    store, phones, _, _ = world()
    phones.on_event(event("sofia::expire"))
    settle()
    phones.states.change("alice", AgentState.BREAK, reason="lunch")
    phones.on_event(event("sofia::register"))
    settle()
    assert store.get_agent("alice").state == AgentState.BREAK


def test_refreshes_of_phones_nobody_moved_cost_nothing():
    store, phones, _, asked = world()
    store.agents = None   # would fail if looked at
    phones.on_event(event("sofia::register"))
    settle()
    assert asked == []


def test_a_drop_during_a_call_leaves_the_call_and_the_wrap_up_then_not_ready():
    """The phone drops while the agent is on a call: the call goes on, the wrap-up is the usual one,
    and its end makes the agent not ready (phone_offline) instead of available; the phone's return
    then makes them available."""
    store, phones, history, _ = world(state=AgentState.ON_CALL)
    phones.on_event(event("sofia::expire"))
    settle()
    assert store.get_agent("alice").state == AgentState.ON_CALL
    phones.states.change("alice", AgentState.WRAP_UP)
    phones.states.start_wrap_up("alice", 0.01)
    settle()
    assert store.get_agent("alice").state == AgentState.NOT_READY
    assert history.rows[-1] == ("alice", "not_ready", PHONE_OFFLINE)
    phones.on_event(event("sofia::register"))
    settle()
    assert store.get_agent("alice").state == AgentState.AVAILABLE


def test_a_drop_in_wrap_up_with_the_phone_back_before_its_end_is_available():
    store, phones, _, _ = world(state=AgentState.WRAP_UP)
    phones.on_event(event("sofia::unregister"))
    settle()
    assert store.get_agent("alice").state == AgentState.WRAP_UP
    phones.on_event(event("sofia::register"))
    settle()
    phones.states.start_wrap_up("alice", 0.01)
    settle()
    assert store.get_agent("alice").state == AgentState.AVAILABLE


def test_a_wrap_up_end_without_a_drop_is_available():
    store, phones, _, _ = world(state=AgentState.WRAP_UP)
    phones.states.start_wrap_up("alice", 0.01)
    settle()
    assert store.get_agent("alice").state == AgentState.AVAILABLE
