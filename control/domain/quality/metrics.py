"""A call's acoustic metrics from the speech segments of each side (docs/quality.md, Metrics).

Times are seconds from the start of the recording. Silence is time when neither side speaks; the
leading silence before the first word counts too (an agent who answers and says nothing is heard as
silence). Talk-over is time when both speak.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from control.domain.quality.segments import Segment, gaps, intersection, total, union

END_WINDOW_S = 2.0   # "cross-talk at the end": both sides spoke in the last seconds of the call


@dataclass(frozen=True)
class Settings:
    long_gap_s: float = 5.0          # a silence at least this long is a "long gap"
    talk_over_min_s: float = 0.3     # an overlap shorter than this is a backchannel, not talk-over


@dataclass(frozen=True)
class CallMetrics:
    duration_s: float
    caller_talk_s: float
    agent_talk_s: float
    agent_talk_ratio: float | None       # agent / (agent + caller); None when nobody spoke
    silence_s: float
    longest_silence_s: float
    long_silences: int                   # silences of at least Settings.long_gap_s
    talk_over_s: float
    talk_over_count: int
    hold_s: float | None                 # from the call's record (call_facts), not the audio
    first_agent_word_s: float | None     # None: the agent never spoke
    last_speaker: str | None             # "agent", "caller" or None
    end_crosstalk: bool                  # both sides spoke within the last END_WINDOW_S seconds
    caller: list[Segment] = field(default_factory=list)
    agent: list[Segment] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _r(x: float) -> float:
    return round(x, 3)


def _last_speaker(caller: Sequence[Segment], agent: Sequence[Segment]) -> str | None:
    ends = {"caller": caller[-1][1] if caller else None, "agent": agent[-1][1] if agent else None}
    known = {side: end for side, end in ends.items() if end is not None}
    return max(known, key=lambda side: known[side]) if known else None


def analyse(caller: Sequence[Segment], agent: Sequence[Segment], duration_s: float,
            hold_s: float | None = None, settings: Settings = Settings()) -> CallMetrics:
    caller, agent = union(caller), union(agent)
    silences = gaps(union(caller, agent), 0.0, duration_s)
    overlaps = [o for o in intersection(caller, agent) if o[1] - o[0] >= settings.talk_over_min_s]
    caller_s, agent_s = total(caller), total(agent)
    tail = duration_s - END_WINDOW_S
    return CallMetrics(
        duration_s=_r(duration_s), caller_talk_s=_r(caller_s), agent_talk_s=_r(agent_s),
        agent_talk_ratio=_r(agent_s / (agent_s + caller_s)) if caller_s + agent_s > 0 else None,
        silence_s=_r(total(silences)),
        longest_silence_s=_r(max((b - a for a, b in silences), default=0.0)),
        long_silences=sum(1 for a, b in silences if b - a >= settings.long_gap_s),
        talk_over_s=_r(total(overlaps)), talk_over_count=len(overlaps),
        hold_s=hold_s, first_agent_word_s=agent[0][0] if agent else None,
        last_speaker=_last_speaker(caller, agent),
        end_crosstalk=bool(caller and agent and caller[-1][1] > tail and agent[-1][1] > tail),
        caller=list(caller), agent=list(agent))
