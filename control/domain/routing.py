"""The decision API the controller calls: ``decide(now, waiting_calls, agents, queues, rng)``.

Pure: it reads the snapshot it is given and returns decisions; it mutates nothing.
Only QUEUED calls and AVAILABLE agents take part. Calls are served in effective
priority order (see priority.py); each call gets the best qualified agent by its
queue's strategy (strategies.py); each agent appears in at most one decision.
Every Decision carries an ``explanation`` dict (candidates, scores, the rule that
fired) for the call's record.

``LiveRouting`` keeps one Router across dispatch passes and gives the same decisions as
``decide`` on the same snapshot, at the cost of what changed since the last pass rather
than of every available agent.
"""
from __future__ import annotations

import random

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.domain.router import OFFER_ORDERS, Decision, Router

__all__ = ["Decision", "Router", "OFFER_ORDERS", "decide", "LiveRouting"]


def decide(now: float, waiting_calls: list[Call], agents: list[Agent], queues: dict[str, QueueConfig],
           rng: random.Random | None = None, offer_order: str = "priority") -> list[Decision]:
    router = Router(queues, rng=rng, offer_order=offer_order)
    for agent in agents:
        if agent.state == AgentState.AVAILABLE:
            router.add_agent(agent)
    if not router.agents:
        return []
    for call in waiting_calls:
        if call.state == CallState.QUEUED and call.agent_id is None:
            router.add_call(call)
    return router.decide_all(now)


class LiveRouting:
    """A Router kept between passes. The caller reports agent changes (``update_agents``: an Agent
    added or replaced, None for one gone); each pass gives the waiting calls whole.

    ``decide(now, calls)`` equals ``decide(now, calls, agents, ...)`` where agents are the ones
    reported, sorted by id (as the dispatcher's cache lists them): decided calls and agents are
    committed, and a call or agent that is still there next pass is simply reported again.
    """

    def __init__(self, queues: dict[str, QueueConfig], rng: random.Random | None = None,
                 offer_order: str = "priority"):
        self.router = Router(queues, rng=rng, offer_order=offer_order)

    @property
    def queues(self) -> dict[str, QueueConfig]:
        return self.router.queues

    def update_agents(self, changes: dict[str, Agent | None]) -> None:
        router = self.router
        for agent_id, agent in changes.items():
            if agent is None:
                router.remove_agent(agent_id)
            else:
                router.add_agent(agent)

    def decide(self, now: float, waiting_calls: list[Call]) -> list[Decision]:
        router = self.router
        router.sync_calls(waiting_calls)
        if not router.agents or not router.calls:
            return []
        return router.decide_all(now, kept=True)
