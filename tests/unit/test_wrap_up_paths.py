"""The same wrap-up after every way a conversation ends (control/handlers/agent_states.py): a hang-up,
a blind transfer, an attended transfer, a callback and the reconciler's sweep each give the agent the
same wrap-up length (agent's, else queue's, else the default; 0 is a length), write a ``wrap_up``
history row, say so in the ``ended`` event and start the wrap-up timer."""
from __future__ import annotations

import gevent
import pytest

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers.call import CallSession
from control.handlers.call_actions import carry_out
from control.handlers.callback_offer import customer_leg_uuid
from control.handlers.callbacks import CallbackService, request_callback
from control.handlers.manager import Manager
from control.handlers.reconcile import reconcile
from tests.handler_fakes import make_deps
from tests.unit.test_callbacks import NUMBER, DialSwitch, offer_next, original
from tests.unit.test_handlers_call_actions import RingingSwitch, Session

DEFAULT_S = 10.0


def rig(queue_s, agent_s, switch=None):
    deps = make_deps({"support": QueueConfig(name="support", wrap_up_s=queue_s)}, switch=switch,
                     wrap_up_s=DEFAULT_S)
    deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"], skills={"english": 8},
                               state=AgentState.AVAILABLE, wrap_up_s=agent_s))
    deps.store.put_agent(Agent(id="bob", extension="1002", queues=["support"], state=AgentState.AVAILABLE))
    manager = Manager(deps)
    manager.callbacks = CallbackService(deps, manager)
    return deps, manager


def connect(deps) -> None:
    """alice talks to caller c1 (queue support), answered 30 s ago."""
    deps.store.put_call(Call(id="c1", caller="+1", did="+2", queue="support", state=CallState.QUEUED,
                             controller_id="test-ctl", answered_at=deps.now() - 30))
    assert deps.store.reserve("c1", "alice", "test-ctl", 30, deps.now())
    assert deps.store.confirm("c1", "alice", deps.now())
    deps.call_log.append("c1", "offers", "alice")


def hang_up(deps, manager):
    connect(deps)
    session = CallSession(deps, manager, channel=None)
    session.call, session.agent_id = deps.store.get_call("c1"), "alice"
    session._release_agent(deps.now())


def blind_transfer(deps, manager):
    connect(deps)
    carry_out(deps, {"action": "transfer", "call_id": "c1", "to": "queue", "target": "support"}, manager=manager)


def attended_transfer(deps, manager):
    connect(deps)
    manager.sessions["c1"] = Session("alice")
    carry_out(deps, {"action": "transfer", "call_id": "c1", "to": "agent", "target": "bob", "kind": "attended"},
              manager=manager)
    deps.switch.answer()
    assert carry_out(deps, {"action": "transfer_complete", "call_id": "c1"}, manager=manager).startswith("+OK")


def callback(deps, manager):
    deps.store.set_agent_state("bob", AgentState.BREAK, deps.now(), reason="lunch")   # alice takes it
    request_callback(deps, manager, original(), NUMBER)
    greenlet = offer_next(deps, manager)
    deps.switch.hangup(customer_leg_uuid("cb-orig-1", 1))   # the customer ends the conversation
    greenlet.join(timeout=2)


def reconciled(deps, manager):
    connect(deps)   # ... and the call's controller died: no channel left on the switch
    reconcile(manager)


PATHS = {"hang-up": (hang_up, None), "blind transfer": (blind_transfer, None),
         "attended transfer": (attended_transfer, RingingSwitch), "callback": (callback, lambda: DialSwitch(["+OK c\n"])),
         "reconcile": (reconciled, None)}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("queue_s,agent_s,expected", [
    (25.0, None, 25.0),      # the queue's
    (25.0, 7.0, 7.0),        # the agent's, over the queue's
    (None, None, DEFAULT_S),  # neither: the configured default
    (0.0, None, 0.0),        # a queue without wrap-up (0 is a length, not "unset")
])
def test_every_way_a_conversation_ends_gives_the_same_wrap_up(path, queue_s, agent_s, expected):
    run, switch = PATHS[path]
    deps, manager = rig(queue_s, agent_s, switch=switch() if switch else None)
    try:
        run(deps, manager)
        ended = [m for m in deps.publisher.of("agent:alice", "ended") if "wrap_up_s" in m]
        assert [m["wrap_up_s"] for m in ended] == [expected]
        assert ("alice", "wrap_up", None) in deps.history
        if expected:
            assert deps.store.get_agent("alice").state == AgentState.WRAP_UP and manager.agents.timing("alice")
        else:   # the timer of 0 s makes the agent available again at once
            gevent.sleep(0.01)
            assert deps.store.get_agent("alice").state == AgentState.AVAILABLE
            assert deps.history[-1] == ("alice", "available", None)
    finally:
        manager.stop()
