"""Agent KPIs from the agent state log (records/state_log.py): login, idle, occupancy, breaks.

Each state change lasts until the agent's next change; the last one lasts until ``end``.
Time is clipped to [start, end) and split at bucket boundaries. Per (bucket, agent):

- ``login_s``: time in any state but ``logged_out``
- ``idle_s``: time ``available``; ``handling_s``: ``reserved`` + ``on_call`` + ``wrap_up``
- ``occupancy`` = handling / (handling + idle) — breaks and not-ready time are not staffed time
- ``break_s`` and ``breaks`` (seconds per reason, "unspecified" without one); ``not_ready_s``
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from reports.intervals import bucket_start, next_bucket

HANDLING = ("reserved", "on_call", "wrap_up")
COLUMNS = ("bucket", "agent_id", "login_s", "idle_s", "handling_s", "on_call_s", "wrap_up_s", "break_s",
           "not_ready_s", "occupancy", "breaks")


@dataclass
class StateChange:
    agent_id: str
    state: str
    reason: str | None
    at: datetime


def segments(changes: Iterable[StateChange], start: datetime, end: datetime):
    """(agent_id, state, reason, from, to) clipped to [start, end)."""
    by_agent: dict[str, list[StateChange]] = defaultdict(list)
    for ch in changes:
        by_agent[ch.agent_id].append(ch)
    for agent_id, rows in by_agent.items():
        rows.sort(key=lambda r: r.at)
        for ch, nxt in zip(rows, [*rows[1:], None]):
            a, b = max(ch.at, start), min(nxt.at if nxt else end, end)
            if b > a:
                yield agent_id, ch.state, ch.reason, a, b


def agent_kpis(changes: Iterable[StateChange], start: datetime, end: datetime, interval: str = "day",
               tz: str = "UTC") -> list[dict]:
    acc: dict[tuple, dict] = {}
    for agent_id, state, reason, a, b in segments(changes, start, end):
        bucket = bucket_start(a, interval, tz)
        while a < b:
            # in UTC: aware datetimes of one zone subtract as wall clock, wrong across DST
            edge = min(b, next_bucket(bucket, interval).astimezone(timezone.utc))
            row = acc.setdefault((bucket, agent_id), {"states": defaultdict(float), "breaks": defaultdict(float)})
            seconds = (edge - a).total_seconds()
            row["states"][state] += seconds
            if state == "break":
                row["breaks"][reason or "unspecified"] += seconds
            a = edge
            bucket = bucket_start(edge, interval, tz)
    out = []
    for (bucket, agent_id), row in sorted(acc.items()):
        st = row["states"]
        handling, idle = sum(st[s] for s in HANDLING), st["available"]
        out.append({
            "bucket": bucket, "agent_id": agent_id,
            "login_s": round(sum(v for k, v in st.items() if k != "logged_out"), 3),
            "idle_s": round(idle, 3), "handling_s": round(handling, 3), "on_call_s": round(st["on_call"], 3),
            "wrap_up_s": round(st["wrap_up"], 3), "break_s": round(st["break"], 3),
            "not_ready_s": round(st["not_ready"], 3),
            "occupancy": round(handling / (handling + idle), 4) if handling + idle else None,
            "breaks": {k: round(v, 3) for k, v in sorted(row["breaks"].items())},
        })
    return out
