"""Position in line and estimated wait of a waiting call; per-queue live statistics.

Position: 1 + the waiting calls of the same routing queue that come before this
one in service order (effective priority, then entered_at, then seq).

Estimated wait: with A available qualified agents and S staffed qualified agents
(available, ringing, talking or in wrap-up), a call at position P waits
0 when P <= A, else (P - A) x AHT / S. With nobody staffed: P x AHT (at least one
handle time per caller ahead). AHT is the queue's recent average handle time
(passed in), else the queue's configured ``aht_s``. For a queue as a whole
(reports, the IVR's "expected wait"), ``QueueStats`` also carries the Erlang C
average speed of answer when an arrival rate is known.
"""
from __future__ import annotations

from dataclasses import dataclass

from control.domain import erlang
from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.priority import order_key, routing_queue
from control.domain.queue_config import QueueConfig
from control.domain.skills import qualifies, serving_requirements

STAFFED = frozenset({AgentState.AVAILABLE, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
WAITING = frozenset({CallState.QUEUED, CallState.OFFERING})


@dataclass
class QueueStats:
    queue: str
    waiting: int = 0
    agents_logged_in: int = 0          # any state but logged_out
    agents_staffed: int = 0            # available, reserved, on_call or wrap_up
    agents_available: int = 0
    aht_s: float = 180.0
    arrivals_per_s: float | None = None
    estimated_wait_s: float | None = None   # for the call the stats were computed for, or Erlang ASA
    service_level: float | None = None


def position(now: float, call: Call, waiting_calls: list[Call], queues: dict[str, QueueConfig]) -> int:
    rq = routing_queue(call, queues)
    home = queues.get(call.queue) if call.queue else None
    mine = order_key(call, home, now)
    ahead = 0
    for other in waiting_calls:
        if other.id == call.id or other.state not in WAITING or routing_queue(other, queues) != rq:
            continue
        if order_key(other, queues.get(other.queue) if other.queue else None, now) < mine:
            ahead += 1
    return ahead + 1


def estimate_wait(pos: int, available: int, staffed: int, aht_s: float) -> float:
    if pos <= available:
        return 0.0
    if staffed <= 0:
        return pos * aht_s
    return (pos - available) * aht_s / staffed


def position_and_wait(now: float, call: Call, waiting_calls: list[Call], agents: list[Agent],
                      queues: dict[str, QueueConfig], aht_s: float | None = None) -> tuple[int, float]:
    rq = routing_queue(call, queues)
    queue = queues.get(rq) if rq else None
    pos = position(now, call, waiting_calls, queues)
    if queue is None:
        return pos, pos * (aht_s if aht_s is not None else 180.0)
    needs = serving_requirements(call, queue, queues, now)
    staffed = available = 0
    for agent in agents:
        if agent.state in STAFFED and any(q in needs and qualifies(agent, needs[q]) for q in agent.queues):
            staffed += 1
            available += agent.state == AgentState.AVAILABLE
    return pos, estimate_wait(pos, available, staffed, aht_s if aht_s is not None else queue.aht_s)


def queue_stats(now: float, queue: QueueConfig, waiting_calls: list[Call], agents: list[Agent],
                aht_s: float | None = None, arrivals_per_s: float | None = None,
                call: Call | None = None, queues: dict[str, QueueConfig] | None = None) -> QueueStats:
    """Live numbers of one queue; with ``call`` the estimate is that call's, else Erlang C's ASA."""
    aht = aht_s if aht_s is not None else queue.aht_s   # a measured 0 is a measurement
    members = [a for a in agents if queue.name in a.queues]
    stats = QueueStats(
        queue=queue.name,
        waiting=sum(1 for c in waiting_calls if c.queue == queue.name and c.state in WAITING),
        agents_logged_in=sum(1 for a in members if a.state != AgentState.LOGGED_OUT),
        agents_staffed=sum(1 for a in members if a.state in STAFFED),
        agents_available=sum(1 for a in members if a.state == AgentState.AVAILABLE),
        aht_s=aht, arrivals_per_s=arrivals_per_s,
    )
    if call is not None:
        _, stats.estimated_wait_s = position_and_wait(now, call, waiting_calls, agents,
                                                      queues or {queue.name: queue}, aht)
    elif arrivals_per_s is not None:
        traffic = erlang.offered_load(arrivals_per_s, aht)
        stats.estimated_wait_s = erlang.asa(traffic, stats.agents_staffed, aht)
        stats.service_level = erlang.service_level(traffic, stats.agents_staffed, aht, queue.service_level_s)
    return stats
