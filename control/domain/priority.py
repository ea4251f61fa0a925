"""Priority of a waiting call: base priority, tier boost, VIP routing and aging.

effective = call.priority + tier_boost[tier] + aging_step * floor(wait / aging_every_s)

Aging makes every waiting call climb, so a low-priority call eventually outranks
newcomers and nothing starves. Equal effective priority: first come, first served
(entered_at, then seq).
"""
from __future__ import annotations

import math

from control.domain.models import Call
from control.domain.queue_config import QueueConfig


def base_priority(call: Call, queue: QueueConfig | None) -> int:
    boost = queue.tier_boost.get(call.tier, 0) if (queue is not None and call.tier) else 0
    return call.priority + boost


def aging_bonus(queue: QueueConfig | None, wait_s: float) -> int:
    if queue is None or queue.aging_every_s <= 0:
        return 0
    return queue.aging_step * int(math.floor(wait_s / queue.aging_every_s))


def effective_priority(call: Call, queue: QueueConfig | None, now: float) -> int:
    return base_priority(call, queue) + aging_bonus(queue, call.wait_s(now))


def is_vip(call: Call, queue: QueueConfig | None) -> bool:
    return queue is not None and call.tier is not None and call.tier in queue.vip_tiers


def routing_queue(call: Call, queues: dict[str, QueueConfig]) -> str | None:
    """The queue whose agents and strategy serve the call: the VIP queue for VIPs when set."""
    queue = queues.get(call.queue) if call.queue else None
    if queue is not None and queue.vip_queue and is_vip(call, queue) and queue.vip_queue in queues:
        return queue.vip_queue
    return call.queue


def order_key(call: Call, queue: QueueConfig | None, now: float) -> tuple:
    """Sort key: smaller is served first."""
    return (-effective_priority(call, queue, now), call.entered_at if call.entered_at is not None else now,
            call.seq, call.id)
