"""Plain data for agents, calls and queues. Times are float seconds (a clock passed in)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class AgentState(str, Enum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"      # phone ringing with an offer
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    BREAK = "break"            # with a reason code
    NOT_READY = "not_ready"    # after a missed offer


class CallState(str, Enum):
    IVR = "ivr"
    QUEUED = "queued"
    OFFERING = "offering"      # an agent is reserved and ringing
    CONNECTED = "connected"
    ENDED = "ended"


class Outcome(str, Enum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    TRANSFERRED = "transferred"
    SELF_SERVICE = "self_service"   # finished in the IVR without an agent
    FAILED = "failed"


@dataclass(frozen=True)
class Requirement:
    skill: str
    min_level: int = 1


@dataclass
class Agent:
    id: str
    extension: str
    skills: dict[str, int] = field(default_factory=dict)   # skill -> proficiency 1..10
    queues: list[str] = field(default_factory=list)        # in the agent's offer order
    state: AgentState = AgentState.LOGGED_OUT
    state_since: float = 0.0
    break_reason: str | None = None
    call_id: str | None = None         # the call it is reserved for or talking to
    order: int = 0                     # position for top-down / ring-progressively
    calls_taken: int = 0
    talk_time_s: float = 0.0
    idle_since: float = 0.0            # for longest-idle-agent
    last_offered_at: float = 0.0       # for round-robin
    name: str = ""
    wrap_up_s: float | None = None     # overrides the queue's wrap-up timer


@dataclass
class Call:
    id: str                            # the caller leg's FreeSWITCH Unique-ID
    caller: str                        # E.164 when it could be normalised, else as received
    did: str
    queue: str | None = None
    requirements: list[Requirement] = field(default_factory=list)
    priority: int = 0                  # higher is served first (before aging)
    tier: str | None = None            # customer tier, e.g. "vip"
    language: str = "en"
    customer_id: int | None = None
    state: CallState = CallState.IVR
    created_at: float = 0.0
    entered_at: float | None = None    # queue entry; keeps its value across callback/move (place in line)
    seq: int = 0                       # tiebreak for first come, first served
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    agent_id: str | None = None
    offers: list[str] = field(default_factory=list)        # agents offered, in order
    extra_queues: list[str] = field(default_factory=list)  # queues whose agents were added by overflow
    ivr_path: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    controller_id: str | None = None   # which controller process owns the caller's socket
    node: str = "default"              # which FreeSWITCH node carries it
    vars: dict[str, Any] = field(default_factory=dict)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "inbound"              # "callback": a virtual call with no caller leg; an agent's answer dials out

    def wait_s(self, now: float) -> float:
        return 0.0 if self.entered_at is None else max(0.0, now - self.entered_at)
