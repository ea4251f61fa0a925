"""The quality file (``<queues_dir>/quality/quality.yaml``, docs/quality.md): analysis settings, phrases to
spot and the scorecard of each queue, ``default`` for a queue without its own entry."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from control.domain.quality.metrics import Settings
from control.domain.quality.phrases import KINDS as PHRASE_KINDS, SIDES, PhraseRule
from control.domain.quality.scorecard import KINDS as CRITERION_KINDS, Criterion, Scorecard

FILE = Path("quality") / "quality.yaml"
DEFAULT = "default"


@dataclass(frozen=True)
class QueueQuality:
    phrases: tuple[PhraseRule, ...] = ()
    scorecard: Scorecard = Scorecard(())


@dataclass(frozen=True)
class QualityConfig:
    settings: Settings = Settings()
    vad_aggressiveness: int = 2
    queues: dict[str, QueueQuality] = field(default_factory=dict)

    def for_queue(self, queue: str | None) -> QueueQuality:
        return self.queues.get(queue or "") or self.queues.get(DEFAULT) or QueueQuality()


def _phrase(name: str, raw: dict[str, Any]) -> PhraseRule:
    rule = PhraseRule(name=name, phrases=tuple(str(p) for p in raw.get("any", ())), kind=raw.get("kind", "required"),
                      side=raw.get("side", "agent"), within_s=raw.get("within_s"), min_match=raw.get("min_match"))
    if rule.kind not in PHRASE_KINDS or rule.side not in SIDES or not rule.phrases:
        raise ValueError(f"phrase {name!r}: kind is one of {PHRASE_KINDS}, side one of {SIDES}, and 'any' lists phrases")
    return rule


def _criterion(raw: dict[str, Any], phrases: set[str]) -> Criterion:
    known = set(Criterion.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown or "id" not in raw:
        raise ValueError(f"criterion {raw.get('id')!r}: needs an id; unknown keys {sorted(unknown)}")
    c = Criterion(**{"label": raw["id"], **raw})
    if c.kind not in CRITERION_KINDS:
        raise ValueError(f"criterion {c.id!r}: kind is one of {CRITERION_KINDS}")
    if c.kind == "auto" and (c.phrase is None) == (c.metric is None):
        raise ValueError(f"criterion {c.id!r}: an automatic criterion names a phrase or a metric")
    if c.phrase is not None and c.phrase not in phrases:
        raise ValueError(f"criterion {c.id!r}: no phrase rule {c.phrase!r} in this queue")
    if c.kind == "manual" and not 0 < c.pass_at <= c.scale:
        raise ValueError(f"criterion {c.id!r}: pass_at is between 1 and scale")
    return c


def _queue(raw: dict[str, Any]) -> QueueQuality:
    rules = tuple(_phrase(name, r) for name, r in (raw.get("phrases") or {}).items())
    card = raw.get("scorecard") or {}
    criteria = tuple(_criterion(c, {r.name for r in rules}) for c in card.get("criteria", ()))
    return QueueQuality(rules, Scorecard(criteria, float(card.get("pass_score", 80))))


def parse(data: dict[str, Any]) -> QualityConfig:
    analysis = data.get("analysis") or {}
    settings = Settings(long_gap_s=float(analysis.get("long_gap_s", Settings.long_gap_s)),
                        talk_over_min_s=float(analysis.get("talk_over_min_s", Settings.talk_over_min_s)))
    queues = {}
    for name, raw in (data.get("queues") or {}).items():
        try:
            queues[name] = _queue(raw or {})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"quality.yaml, queue {name!r}: {exc}") from exc
    return QualityConfig(settings, int(analysis.get("vad_aggressiveness", 2)), queues)


def load_quality(queues_dir: str | Path) -> QualityConfig:
    """The file's configuration; the defaults (no phrases, no criteria) when there is no file."""
    path = Path(queues_dir) / FILE
    if not path.exists():
        return QualityConfig()
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
