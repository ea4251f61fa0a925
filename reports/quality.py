"""Quality reports (docs/quality.md, Reports): score by agent, queue and week; criteria most often
failed; the worst calls of a period; calibration between evaluators.

A call's score is its latest evaluation's, else its automatic score. Rows are read for the period and
summed here (a period holds at most a few thousand analysed calls).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from control.domain.quality.scorecard import calibrate
from records.quality_models import CallQuality, Evaluation

GROUPS = ("agent", "queue", "week")


def _rows(session, start: datetime, end: datetime) -> tuple[list[CallQuality], dict[str, list[Evaluation]]]:
    calls = list(session.scalars(select(CallQuality).where(CallQuality.ended_at >= start, CallQuality.ended_at < end)))
    evaluations: dict[str, list[Evaluation]] = defaultdict(list)
    ids = [c.call_id for c in calls]
    for i in range(0, len(ids), 500):
        for e in session.scalars(select(Evaluation).where(Evaluation.call_id.in_(ids[i:i + 500]))
                                 .order_by(Evaluation.created_at, Evaluation.id)):
            evaluations[e.call_id].append(e)
    return calls, evaluations


def call_score(call: CallQuality, evaluations: list[Evaluation]) -> tuple[float | None, bool | None, str]:
    if evaluations:
        last = evaluations[-1]
        return last.score, last.passed, "evaluated"
    return call.auto_score, call.auto_passed, "automatic"


def _key(call: CallQuality, by: str) -> str:
    if by == "week":
        return call.ended_at.strftime("%G-W%V") if call.ended_at else "-"
    return (call.agent_id if by == "agent" else call.queue) or "-"


def scores_by(session, start: datetime, end: datetime, by: str) -> list[dict[str, Any]]:
    calls, evaluations = _rows(session, start, end)
    groups: dict[str, list[tuple[float | None, bool | None, str]]] = defaultdict(list)
    for c in calls:
        groups[_key(c, by)].append(call_score(c, evaluations.get(c.call_id, [])))
    out = []
    for key in sorted(groups):
        scored = [s for s in groups[key] if s[0] is not None]
        out.append({"key": key, "calls": len(groups[key]), "evaluated": sum(1 for s in groups[key] if s[2] == "evaluated"),
                    "score": round(sum(s[0] for s in scored) / len(scored), 1) if scored else None,  # type: ignore[misc]
                    "pass_rate": round(sum(1 for s in scored if s[1]) / len(scored), 3) if scored else None})
    return out


def criteria_failed(session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Each criterion: how often it was judged and failed, most often failed first."""
    calls, evaluations = _rows(session, start, end)
    judged: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for c in calls:
        evs = evaluations.get(c.call_id, [])
        for r in (evs[-1].results if evs else c.auto_results) or []:
            if r.get("passed") is None:
                continue
            judged[r["id"]] += 1
            failed[r["id"]] += 0 if r["passed"] else 1
            labels[r["id"]] = r.get("label", r["id"])
    rows = [{"id": k, "label": labels[k], "judged": judged[k], "failed": failed[k],
             "fail_rate": round(failed[k] / judged[k], 3)} for k in judged]
    return sorted(rows, key=lambda r: (-r["failed"], r["id"]))


def worst_calls(session, start: datetime, end: datetime, limit: int = 10) -> list[dict[str, Any]]:
    calls, evaluations = _rows(session, start, end)
    rows = []
    for c in calls:
        value, passed, source = call_score(c, evaluations.get(c.call_id, []))
        if value is not None:
            rows.append({"call_id": c.call_id, "agent_id": c.agent_id, "queue": c.queue, "ended_at": c.ended_at,
                         "score": value, "passed": passed, "source": source})
    return sorted(rows, key=lambda r: (r["score"], r["call_id"]))[:limit]


def calibration(session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Calls that two or more evaluators scored: the first two evaluations compared."""
    calls, evaluations = _rows(session, start, end)
    out = []
    for c in calls:
        evs = evaluations.get(c.call_id, [])
        if len(evs) >= 2:
            a, b = evs[0], evs[1]
            out.append({"call_id": c.call_id, "agent_id": c.agent_id, "first": a.evaluator, "second": b.evaluator,
                        **calibrate(a.results, b.results, a.score, b.score)})
    return sorted(out, key=lambda r: -(r["score_difference"] or 0))
