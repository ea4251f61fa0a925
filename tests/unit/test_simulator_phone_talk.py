"""An agent's phone counts its talk time from the bridge, not from its answer: counted from the answer,
a short exponential draw hung up before the controller bridged, which the controller rightly took as
a missed offer (the agent went not-ready and Erlang C runs lost agents). An outside number counts
from its answer."""
from __future__ import annotations

import gevent
from gevent.event import Event

from simulator.people import Phone


class Leg:
    def __init__(self):
        self.on_bridge, self.gone, self.alive, self.hung_up_at = Event(), Event(), True, None
        self.vars = {"hotline_agent": "amy", "hotline_call": "c1"}   # the controller's offer

    def hangup(self, cause, by=None):
        self.alive, self.hung_up_at = False, gevent.get_hub().loop.now()
        self.gone.set()


def test_agent_phone_talks_from_the_bridge():
    phone, leg = Phone("1001", 0, 0.05), Leg()
    phone.talk_from_bridge = True
    phone.talk(leg)
    gevent.sleep(0.15)
    assert leg.alive            # answered, not yet bridged: still on
    leg.on_bridge.set()
    gevent.sleep(0.02)
    assert leg.alive
    gevent.sleep(0.1)
    assert not leg.alive        # 0.05 s after the bridge


def test_agent_phone_never_bridged_does_not_hang_up_on_its_own_and_outside_numbers_count_from_the_answer():
    agent, leg = Phone("1001", 0, 0.02), Leg()
    agent.talk_from_bridge = True
    agent.talk(leg)
    outside, other = Phone("+14155550100", 0, 0.02), Leg()
    eavesdrop, listening = Phone("2001", 0, 0.02), Leg()
    eavesdrop.talk_from_bridge, listening.vars = True, {}     # not an offer: counts from the answer
    eavesdrop.talk(listening)
    outside.talk(other)
    gevent.sleep(0.1)
    assert leg.alive and not other.alive and not listening.alive
    leg.hangup("NORMAL_CLEARING")    # the controller dropped the leg: the waiting greenlet ends quietly
    gevent.sleep(0.01)


def test_talk_time_zero_drops_at_once_on_answering_before_any_bridge():
    phone, leg = Phone("1001", 0, 0.0), Leg()
    phone.talk_from_bridge = True
    phone.talk(leg)
    gevent.sleep(0.01)
    assert not leg.alive
