"""Call KPIs per interval and per queue, agent or DID, as pure functions (docs/kpis.md).

Input: ``CallRow`` per call (build them with ``rows_from_records``). ``call_kpis`` returns one
dict per (bucket, key) with the columns in ``COLUMNS``; the SQL version (reports/queries.py)
returns the same columns and must agree with this one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Mapping

from reports.intervals import bucket_start

BY = {"queue": "queue", "agent": "agent_id", "did": "did"}
COLUMNS = ("bucket", "key", "offered", "answered", "abandoned", "short_abandoned", "other", "answer_rate",
           "abandon_rate", "service_level", "asa_s", "aht_s", "longest_wait_s", "transfer_rate",
           "repeat_rate", "csat_avg", "csat_count")
REPEAT_WINDOW = timedelta(hours=24)


@dataclass
class CallRow:
    call_id: str
    entered_at: datetime
    queue: str | None = None
    agent_id: str | None = None
    did: str | None = None
    caller: str | None = None
    answered_at: datetime | None = None
    outcome: str | None = None
    wait_s: float = 0.0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_s: float = 0.0
    transferred: bool = False
    csat: int | None = None


def rows_from_records(calls, facts: Mapping[str, object] | None = None,
                      csat: Mapping[str, int] | None = None) -> list[CallRow]:
    """From records.models.Call rows, call_facts rows and CSAT scores keyed by call_id."""
    facts, csat = facts or {}, csat or {}
    out = []
    for c in calls:
        f = facts.get(c.call_id)
        out.append(CallRow(c.call_id, c.entered_at, c.queue, c.agent_id, c.did, c.caller, c.answered_at, c.outcome,
                           c.wait_s or 0.0, c.talk_s or 0.0, getattr(f, "hold_s", 0.0) or 0.0,
                           getattr(f, "wrap_s", 0.0) or 0.0,
                           bool(getattr(f, "transferred", False)) or c.outcome == "transferred", csat.get(c.call_id)))
    return out


def repeat_ids(calls: Iterable[CallRow], window: timedelta = REPEAT_WINDOW) -> set[str]:
    """Calls whose caller had an earlier call (by entered_at, then call_id) at most ``window`` before."""
    last: dict[str, datetime] = {}
    out = set()
    for c in sorted(calls, key=lambda c: (c.entered_at, c.call_id)):
        if not c.caller:
            continue
        prev = last.get(c.caller)
        if prev is not None and c.entered_at - prev <= window:
            out.add(c.call_id)
        last[c.caller] = c.entered_at
    return out


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def summarize(calls: list[CallRow], repeats: set[str], short_abandon_s: float,
              sl_threshold: Callable[[CallRow], float]) -> dict:
    answered = [c for c in calls if c.answered_at is not None]
    abandons = [c for c in calls if c.answered_at is None and c.outcome == "abandoned"]
    short = [c for c in abandons if c.wait_s < short_abandon_s]
    qualified = len(calls) - len(short)
    scores = [c.csat for c in calls if c.csat is not None]
    return {
        "offered": len(calls), "answered": len(answered), "abandoned": len(abandons) - len(short),
        "short_abandoned": len(short), "other": len(calls) - len(answered) - len(abandons),
        "answer_rate": _ratio(len(answered), qualified),
        "abandon_rate": _ratio(len(abandons) - len(short), qualified),
        "service_level": _ratio(sum(1 for c in answered if c.wait_s <= sl_threshold(c)), qualified),
        "asa_s": _mean([c.wait_s for c in answered]),
        "aht_s": _mean([c.talk_s + c.hold_s + c.wrap_s for c in answered]),
        "longest_wait_s": round(max((c.wait_s for c in calls), default=0.0), 3) if calls else None,
        "transfer_rate": _ratio(sum(1 for c in answered if c.transferred), len(answered)),
        "repeat_rate": _ratio(sum(1 for c in calls if c.call_id in repeats), len(calls)),
        "csat_avg": _mean([float(s) for s in scores]), "csat_count": len(scores),
    }


def call_kpis(calls: Iterable[CallRow], interval: str = "day", by: str = "queue", tz: str = "UTC",
              start: datetime | None = None, end: datetime | None = None,
              sl_thresholds: Mapping[str, float] | None = None, default_sl_s: float = 20.0,
              short_abandon_s: float = 5.0) -> list[dict]:
    """KPIs of the calls that reached a queue, entered in [start, end), per bucket and ``by`` key.

    ``calls`` may include calls outside the range and calls that never reached a queue: they
    count only as the earlier call of a repeat. The service-level threshold is the queue's
    (``sl_thresholds``), else ``default_sl_s``; for ``by="agent"``/``"did"`` each call still
    uses its own queue's threshold.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {sorted(BY)}")
    calls = list(calls)
    repeats = repeat_ids(calls)
    thresholds = sl_thresholds or {}
    groups: dict[tuple, list[CallRow]] = defaultdict(list)
    for c in calls:
        if c.queue is None or (start and c.entered_at < start) or (end and c.entered_at >= end):
            continue
        groups[(bucket_start(c.entered_at, interval, tz), getattr(c, BY[by]))].append(c)
    out = []
    for (bucket, key), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        out.append({"bucket": bucket, "key": key, **summarize(
            members, repeats, short_abandon_s, lambda c: thresholds.get(c.queue or "", default_sl_s))})
    return out
