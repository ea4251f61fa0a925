"""Queue configuration as plain dataclasses (loaded by control/queues.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

STRATEGIES = (
    "longest-idle-agent", "round-robin", "top-down", "ring-all", "ring-progressively",
    "fewest-calls", "least-talk-time", "random", "most-skilled",
)
OVERFLOW_ACTIONS = ("widen", "move", "voicemail", "callback", "ivr")
# Actions whose target is another queue (checked for existence and cycles).
QUEUE_TARGET_ACTIONS = ("widen", "move")


@dataclass(frozen=True)
class RelaxStep:
    """After ``after_s`` seconds of waiting: cap every minimum at ``max_min_level`` and drop skills."""
    after_s: float
    max_min_level: int | None = None
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class OverflowRule:
    """Fires when every condition given holds; conditions left None are not checked."""
    name: str
    action: str
    target: str | None = None
    after_s: float | None = None              # the call has waited at least this long
    no_agents: bool = False                   # no agent of the queue is logged in
    queue_length: int | None = None           # at least this many calls wait in the queue
    estimated_wait_s: float | None = None     # the call's estimated wait is at least this


@dataclass(frozen=True)
class ExitKey:
    action: str
    target: str | None = None


ABANDON_RATE_ALERT = 0.10   # the abandon-rate alert when a queue's YAML sets none


@dataclass(frozen=True)
class AlertLimits:
    """Wallboard alert thresholds (a queue's YAML ``alerts``). A limit left None takes the queue's
    default (``limits``): its service-level target, its service-level threshold, 10 % abandoned."""
    service_level_below: float | None = None    # today's service level (0-1) under this
    longest_wait_s: float | None = None         # a caller has waited longer than this
    abandon_rate_above: float | None = None     # today's abandon rate (0-1) over this


@dataclass
class QueueConfig:
    name: str
    strategy: str = "longest-idle-agent"
    description: str = ""
    requirements: dict[str, int] = field(default_factory=dict)       # skill -> minimum proficiency
    language_skills: dict[str, str] = field(default_factory=dict)    # call language -> required skill
    language_min_level: int = 1
    relax: list[RelaxStep] = field(default_factory=list)              # sorted by after_s
    priority: int = 0                       # queue weight, used by the "queue-priority" offer order
    tier_boost: dict[str, int] = field(default_factory=dict)          # customer tier -> priority boost
    vip_tiers: list[str] = field(default_factory=lambda: ["vip"])
    vip_queue: str | None = None            # VIP calls are routed as calls of this queue
    vip_agents: list[str] = field(default_factory=list)              # senior group tried first for VIPs
    aging_every_s: float = 0.0              # effective priority +aging_step per this many seconds; 0 = off
    aging_step: int = 1
    wrap_up_s: float | None = None          # None: the configured default (agent_state.wrap_up_length)
    ring_timeout_s: float = 15.0
    # browser phones: True answers the queue's offers by itself, False always rings, None leaves it
    # to the agent's own choice (agents.auto_answer); the queue's setting wins when set
    auto_answer: bool | None = None
    ring_group_size: int = 3                # agents listed per ring-progressively decision
    ring_progressively_delay_s: float = 10.0  # ring-progressively: the next phone joins every this many s
    service_level_s: float = 20.0
    service_level_target: float = 0.8
    aht_s: float = 180.0                    # handle time assumed until real samples exist
    announce_every_s: float = 0.0
    record: bool = True
    dispositions: list[str] = field(default_factory=list)
    disposition_required: bool = False
    # outside numbers (regular expressions) agents may send this queue's calls to, besides their role's
    outbound_allow: list[str] = field(default_factory=list)
    overflow: list[OverflowRule] = field(default_factory=list)
    exit_keys: dict[str, ExitKey] = field(default_factory=dict)
    alerts: AlertLimits = field(default_factory=AlertLimits)
    file: str = ""
    line: int | None = None


def alert_limits(q: QueueConfig) -> AlertLimits:
    """The queue's wallboard alert thresholds with every default filled in."""
    a = q.alerts
    return AlertLimits(
        service_level_below=q.service_level_target if a.service_level_below is None else a.service_level_below,
        longest_wait_s=q.service_level_s if a.longest_wait_s is None else a.longest_wait_s,
        abandon_rate_above=ABANDON_RATE_ALERT if a.abandon_rate_above is None else a.abandon_rate_above)
