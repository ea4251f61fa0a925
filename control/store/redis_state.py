"""LiveState on Redis: hashes per agent and call, Lua scripts for every multi-key change.

An agent or call hash keeps the static part as JSON in field ``d`` and the fields
that reservations change as plain hash fields (state, call/agent id, times), so the
Lua scripts (control/store/lua/) touch only those. Semantics are MemoryState's
(see its docstring); key names are in keys.py.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from control.domain.agent_state import transition
from control.domain.models import Agent, AgentState, Call, CallState, Outcome, Requirement
from control.store.keys import Keys
from control.store.memory_state import ARRIVALS_KEPT, STATS_SAMPLES

LUA_DIR = Path(__file__).parent / "lua"
AGENT_LIVE = ("state", "state_since", "break_reason", "call_id", "calls_taken", "talk_time_s",
              "idle_since", "last_offered_at")
CALL_LIVE = ("state", "agent_id", "offered_at", "answered_at")
_FLOATS = {"state_since", "talk_time_s", "idle_since", "last_offered_at", "offered_at", "answered_at"}
CAS_RETRIES = 8


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (AgentState, CallState)):
        return value.value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _live(name: str, raw: bytes | None) -> Any:
    text = raw.decode() if raw is not None else ""
    if name == "state":
        return text
    if name == "calls_taken":
        return int(float(text)) if text else 0
    if name in _FLOATS:
        return float(text) if text else (None if name in ("offered_at", "answered_at") else 0.0)
    return text or None


def agent_to_hash(agent: Agent) -> dict[str, str]:
    d = asdict(agent)
    d["state"] = agent.state.value
    out = {"d": json.dumps(d)}
    out.update({f: _s(getattr(agent, f)) for f in AGENT_LIVE})
    return out


def agent_from_hash(h: dict[bytes, bytes]) -> Agent:
    d = json.loads(h[b"d"].decode())  # str: json skips encoding detection
    for f in AGENT_LIVE:
        if f.encode() in h:
            d[f] = _live(f, h[f.encode()])
    d["state"] = AgentState(d["state"])
    return Agent(**d)


def call_to_json(call: Call) -> str:
    d = asdict(call)
    d["state"] = call.state.value
    d["outcome"] = call.outcome.value if call.outcome else None
    d["requirements"] = [[r.skill, r.min_level] for r in call.requirements]
    return json.dumps(d, default=str)


def call_from_hash(h: dict[bytes, bytes]) -> Call:
    d = json.loads(h[b"d"].decode())  # str: json skips encoding detection
    for f in CALL_LIVE:
        if f.encode() in h:
            d[f] = _live(f, h[f.encode()])
    if b"seq" in h:
        d["seq"] = int(h[b"seq"])
    d["state"] = CallState(d["state"])
    d["outcome"] = Outcome(d["outcome"]) if d.get("outcome") else None
    d["requirements"] = [Requirement(s, int(m)) for s, m in d.get("requirements", [])]
    return Call(**d)


class RedisState:
    def __init__(self, client, prefix: str):
        self.r, self.keys = client, Keys(prefix)
        self._lua = {name: client.register_script((LUA_DIR / f"{name}.lua").read_text())
                     for name in ("reserve", "renew", "confirm", "release", "put_call", "set_agent_state")}

    # -- agents ---------------------------------------------------------------------
    def put_agent(self, agent: Agent) -> None:
        pipe = self.r.pipeline()
        pipe.hset(self.keys.agent(agent.id), mapping=agent_to_hash(agent))
        pipe.sadd(self.keys.agents(), agent.id)
        pipe.execute()

    def get_agent(self, agent_id: str) -> Agent | None:
        h = self.r.hgetall(self.keys.agent(agent_id))
        return agent_from_hash(h) if h else None

    def agents(self) -> list[Agent]:
        ids = sorted(m.decode() for m in self.r.smembers(self.keys.agents()))
        pipe = self.r.pipeline()
        for i in ids:
            pipe.hgetall(self.keys.agent(i))
        return [agent_from_hash(h) for h in pipe.execute() if h]

    def available_agents(self) -> list[Agent]:
        """Agents in state available: one HGET per agent, whole hashes (and JSON) only for those.
        The dispatcher runs this on every trigger; reading every agent whole was its main cost."""
        ids = sorted(m.decode() for m in self.r.smembers(self.keys.agents()))
        pipe = self.r.pipeline(transaction=False)
        for i in ids:
            pipe.hget(self.keys.agent(i), "state")
        free = [i for i, state in zip(ids, pipe.execute()) if state == b"available"]
        pipe = self.r.pipeline(transaction=False)
        for i in free:
            pipe.hgetall(self.keys.agent(i))
        agents = [agent_from_hash(h) for h in pipe.execute() if h]
        return [a for a in agents if a.state == AgentState.AVAILABLE]

    def set_agent_state(self, agent_id: str, state: AgentState, now: float, reason: str | None = None) -> Agent:
        """Through the domain state machine, applied as compare-and-set (raises InvalidTransition)."""
        for _ in range(CAS_RETRIES):
            agent = self.get_agent(agent_id)
            if agent is None:
                raise KeyError(agent_id)
            new = transition(agent, AgentState(state), now, reason=reason)
            fields = []
            for f in AGENT_LIVE:
                fields += [f, _s(getattr(new, f))]
            if self._lua["set_agent_state"](keys=[self.keys.agent(agent_id)],
                                             args=[agent.state.value, agent.call_id or "", *fields]):
                return new
        raise RuntimeError(f"agent {agent_id} changed state {CAS_RETRIES} times during an update")

    # -- calls ------------------------------------------------------------------------
    def next_seq(self) -> int:
        return int(self.r.incr(self.keys.seq()))

    def put_call(self, call: Call) -> None:
        seq = call.seq or self.next_seq()
        data = call_to_json(call)
        self._lua["put_call"](keys=[self.keys.call(call.id), self.keys.waiting()],
                              args=[seq, data, call.state.value, call.agent_id or "", _s(call.offered_at),
                                    _s(call.answered_at), call.id])

    def get_call(self, call_id: str) -> Call | None:
        h = self.r.hgetall(self.keys.call(call_id))
        return call_from_hash(h) if h and b"d" in h else None

    def waiting_calls(self) -> list[Call]:
        ids = [m.decode() for m in self.r.zrange(self.keys.waiting(), 0, -1)]
        pipe = self.r.pipeline()
        for i in ids:
            pipe.hgetall(self.keys.call(i))
        calls = [call_from_hash(h) for h in pipe.execute() if h and b"d" in h]
        return [c for c in calls if c.state in (CallState.QUEUED, CallState.OFFERING)]

    def remove_call(self, call_id: str) -> None:
        pipe = self.r.pipeline()
        pipe.delete(self.keys.call(call_id))
        pipe.zrem(self.keys.waiting(), call_id)
        pipe.zrem(self.keys.leases(), call_id)
        pipe.execute()

    # -- reservations -------------------------------------------------------------------
    def _four(self, call_id: str, agent_id: str) -> list[str]:
        k = self.keys
        return [k.agent(agent_id), k.call(call_id), k.leases(), k.waiting()]

    def reserve(self, call_id: str, agent_id: str, owner: str, lease_s: float, now: float) -> bool:
        return bool(self._lua["reserve"](keys=self._four(call_id, agent_id),
                                         args=[call_id, agent_id, owner, repr(now + lease_s), repr(now)]))

    def renew(self, call_id: str, agent_id: str, lease_s: float, now: float) -> bool:
        return bool(self._lua["renew"](keys=self._four(call_id, agent_id)[:3],
                                       args=[call_id, agent_id, repr(now + lease_s)]))

    def confirm(self, call_id: str, agent_id: str, now: float) -> bool:
        return bool(self._lua["confirm"](keys=self._four(call_id, agent_id), args=[call_id, agent_id, repr(now)]))

    def release(self, call_id: str, agent_id: str, agent_state: AgentState, now: float,
                requeue_call: bool) -> None:
        self._lua["release"](keys=self._four(call_id, agent_id),
                             args=[call_id, agent_id, AgentState(agent_state).value, repr(now),
                                   "1" if requeue_call else "0"])

    def expired_reservations(self, now: float) -> list[tuple[str, str]]:
        ids = [m.decode() for m in self.r.zrangebyscore(self.keys.leases(), "-inf", now)]
        pipe = self.r.pipeline()
        for i in ids:
            pipe.hget(self.keys.call(i), "agent_id")
        return [(i, a.decode()) for i, a in zip(ids, pipe.execute()) if a]

    # -- rolling stats ---------------------------------------------------------------------
    def record_handle_time(self, queue: str, seconds: float, now: float | None = None) -> None:
        pipe = self.r.pipeline()
        pipe.lpush(self.keys.handle_times(queue), repr(float(seconds)))
        pipe.ltrim(self.keys.handle_times(queue), 0, STATS_SAMPLES - 1)
        pipe.execute()

    def aht(self, queue: str) -> float | None:
        samples = [float(v) for v in self.r.lrange(self.keys.handle_times(queue), 0, -1)]
        return sum(samples) / len(samples) if samples else None

    def record_arrival(self, queue: str, now: float) -> None:
        key = self.keys.arrivals(queue)
        pipe = self.r.pipeline()
        pipe.zadd(key, {f"{now!r}:{self.next_seq()}": now})
        pipe.zremrangebyrank(key, 0, -ARRIVALS_KEPT - 1)
        pipe.execute()

    def arrivals_per_s(self, queue: str, now: float, window_s: float = 900.0) -> float:
        return self.r.zcount(self.keys.arrivals(queue), f"({now - window_s!r}", now) / window_s
