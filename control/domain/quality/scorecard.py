"""Scorecards: criteria per queue, each automatic (from a metric or a phrase) or manual (answered by
an evaluator), with a weight and a pass threshold; the score of a call, and calibration between two
evaluators (docs/quality.md, Scorecards).

A criterion's points are 0..1: an automatic one passes (1) or fails (0); a manual one is answered on a
scale 0..``scale`` and gets ``answer / scale``, passing at ``pass_at``. The score is the weighted mean of
the points of the criteria that have one, as a percentage. A call passes when the score reaches the
card's ``pass_score``, no critical criterion failed, and nothing is pending.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

KINDS = ("auto", "manual")


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    kind: str = "auto"
    weight: float = 1.0
    critical: bool = False
    phrase: str | None = None        # auto: a phrase rule's name; passes when the rule is satisfied
    metric: str | None = None        # auto: a metric's name, checked against min/max
    min: float | None = None
    max: float | None = None
    scale: int = 1                   # manual: answers 0..scale
    pass_at: int = 1                 # manual: passes at this answer or above


@dataclass(frozen=True)
class Scorecard:
    criteria: tuple[Criterion, ...]
    pass_score: float = 80.0

    def manual(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.kind == "manual")


@dataclass(frozen=True)
class Result:
    id: str
    label: str
    kind: str
    weight: float
    critical: bool
    value: Any                       # the metric, the phrase found, or the answer
    points: float | None             # None: pending (a manual criterion not answered yet)
    passed: bool | None


@dataclass(frozen=True)
class Score:
    results: tuple[Result, ...]
    score: float | None              # None: nothing scored
    passed: bool
    complete: bool

    def results_dicts(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.results]


def _metric_passes(c: Criterion, value: Any) -> bool:
    if value is None:
        return False
    return (c.min is None or value >= c.min) and (c.max is None or value <= c.max)


def _auto(c: Criterion, metrics: Mapping[str, Any], phrases: Mapping[str, Mapping[str, Any]]) -> Result:
    if c.phrase is not None:
        hit = phrases.get(c.phrase)
        if hit is None:                # no transcript for this call (language without an engine)
            return Result(c.id, c.label, c.kind, c.weight, c.critical, None, None, None)
        ok = bool(hit.get("ok"))
        return Result(c.id, c.label, c.kind, c.weight, c.critical, hit.get("phrase"), 1.0 if ok else 0.0, ok)
    value = metrics.get(c.metric) if c.metric else None
    ok = _metric_passes(c, value)
    return Result(c.id, c.label, c.kind, c.weight, c.critical, value, 1.0 if ok else 0.0, ok)


def _manual(c: Criterion, answer: Any) -> Result:
    if answer is None or answer == "":
        return Result(c.id, c.label, c.kind, c.weight, c.critical, None, None, None)
    value = max(0, min(c.scale, int(answer)))
    return Result(c.id, c.label, c.kind, c.weight, c.critical, value, value / c.scale if c.scale else 0.0,
                  value >= c.pass_at)


def score(card: Scorecard, metrics: Mapping[str, Any], phrases: Mapping[str, Mapping[str, Any]],
          answers: Mapping[str, Any] | None = None) -> Score:
    answers = answers or {}
    results = tuple(_auto(c, metrics, phrases) if c.kind == "auto" else _manual(c, answers.get(c.id))
                    for c in card.criteria)
    scored = [r for r in results if r.points is not None]
    weight = sum(r.weight for r in scored)
    value = round(100 * sum(r.weight * (r.points or 0.0) for r in scored) / weight, 1) if weight else None
    critical_failed = any(r.critical and r.passed is False for r in results)
    complete = all(r.points is not None for r in results if r.kind == "manual")
    passed = value is not None and value >= card.pass_score and not critical_failed
    return Score(results, value, passed and complete, complete)


def auto_score(card: Scorecard, metrics: Mapping[str, Any], phrases: Mapping[str, Mapping[str, Any]]) -> Score:
    """The automatic part alone (every call gets one): manual criteria are left out of the score."""
    auto_only = Scorecard(tuple(c for c in card.criteria if c.kind == "auto"), card.pass_score)
    return score(auto_only, metrics, phrases)


def calibrate(first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]],
              first_score: float | None, second_score: float | None) -> dict[str, Any]:
    """Two evaluations of one call: per criterion, the two points and their difference; the score's."""
    theirs = {r["id"]: r for r in second}
    rows = []
    for r in first:
        other = theirs.get(r["id"], {})
        a, b = r.get("points"), other.get("points")
        rows.append({"id": r["id"], "label": r.get("label", r["id"]), "first": a, "second": b,
                     "difference": round(abs(a - b), 3) if a is not None and b is not None else None,
                     "agree": r.get("passed") == other.get("passed")})
    diff = abs(first_score - second_score) if first_score is not None and second_score is not None else None
    return {"criteria": rows, "score_difference": round(diff, 1) if diff is not None else None,
            "disagreements": sum(1 for row in rows if not row["agree"])}
