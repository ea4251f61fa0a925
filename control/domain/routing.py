"""The decision API the controller calls: ``decide(now, waiting_calls, agents, queues, rng)``.

Pure: it reads the snapshot it is given and returns decisions; it mutates nothing.
Only QUEUED calls and AVAILABLE agents take part. Calls are served in effective
priority order (see priority.py); each call gets the best qualified agent by its
queue's strategy (strategies.py); each agent appears in at most one decision.
Every Decision carries an ``explanation`` dict (candidates, scores, the rule that
fired) for the call's record.
"""
from __future__ import annotations

import random

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.domain.router import OFFER_ORDERS, Decision, Router

__all__ = ["Decision", "Router", "OFFER_ORDERS", "decide"]


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
