"""LiveState on Redis: hashes per agent and call, Lua scripts for every multi-key change.

An agent or call hash keeps the static part as JSON in field ``d`` and the fields
that reservations change as plain hash fields (state, call/agent id, times), so the
Lua scripts (control/store/lua/) touch only those. Semantics are MemoryState's
(see its docstring); key names are in keys.py.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from control.domain.agent_state import transition
from control.domain.models import Agent, AgentState, Call, CallState, Outcome, Requirement
from control.store.keys import Keys
from control.store.memory_state import ARRIVALS_KEPT, STATS_SAMPLES
from control.store.ring_groups import RedisGroups

LUA_DIR = Path(__file__).parent / "lua"
AGENT_LIVE = ("state", "state_since", "break_reason", "call_id", "calls_taken", "talk_time_s",
              "idle_since", "last_offered_at")
CALL_LIVE = ("state", "agent_id", "offered_at", "answered_at")
_CALL_LIVE_KEYS = tuple(f.encode() for f in CALL_LIVE)
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


class RedisState(RedisGroups):
    def __init__(self, client, prefix: str):
        self.r, self.keys = client, Keys(prefix)
        self._lua = {name: client.register_script((LUA_DIR / f"{name}.lua").read_text())
                     for name in ("reserve", "renew", "confirm", "release", "put_call", "set_agent_state",
                                  "requeue_deferred")}
        self._deferred = self.keys.deferred_callbacks()
        self._shared: dict[str, tuple] = {}   # waiting_calls(shared=True): call id -> (raw hash, Call)

    # -- agents ---------------------------------------------------------------------
    def put_agent(self, agent: Agent) -> None:
        pipe = self.r.pipeline()
        pipe.hset(self.keys.agent(agent.id), mapping=agent_to_hash(agent))
        pipe.sadd(self.keys.agents(), agent.id)
        if agent.state in (AgentState.AVAILABLE, AgentState.RESERVED):   # the index, as the Lua keeps it
            pipe.zadd(self.keys.available(), {agent.id: float(agent.idle_since or 0.0)})
        else:
            pipe.zrem(self.keys.available(), agent.id)
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
        """Agents in state available, read through the index the Lua scripts keep
        (``{prefix}:agents:available``: every available agent, plus some just reserved), so the
        dispatcher's cost follows the free agents, not all of them (docs/benchmarks.md, Calls)."""
        agents = self.agents_by_id(sorted(self.available_index()))
        return [a for a in agents if a.state == AgentState.AVAILABLE]

    def available_index(self) -> dict[str, float]:
        """The index alone (one ZRANGE): agent id -> idle_since when it became available, for a
        superset of the available agents. A changed score means the agent went away and came back."""
        # the raw reply: redis-py's own WITHSCORES conversion took 2/3 of this read's time at 2,500 agents
        raw = self.r.execute_command("ZRANGE", self.keys.available(), 0, -1, "WITHSCORES")
        if raw and not isinstance(raw[0], (list, tuple)):   # RESP2: member, score, member, score...
            raw = zip(raw[::2], raw[1::2])
        return {m.decode(): float(score) for m, score in raw}

    def has_agents(self) -> bool:
        return bool(self.r.scard(self.keys.agents()))

    def agent_states(self) -> dict[str, str]:
        """Every agent's state alone (one HGET each, pipelined): for sweeps that need a few agents whole."""
        ids = sorted(m.decode() for m in self.r.smembers(self.keys.agents()))
        pipe = self.r.pipeline(transaction=False)
        for i in ids:
            pipe.hget(self.keys.agent(i), "state")
        return {i: state.decode() for i, state in zip(ids, pipe.execute()) if state is not None}

    def agents_by_id(self, ids) -> list[Agent]:
        pipe = self.r.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(self.keys.agent(i))
        return [agent_from_hash(h) for h in pipe.execute() if h]

    def set_agent_state(self, agent_id: str, state: AgentState, now: float, reason: str | None = None,
                        current: Agent | None = None) -> Agent:
        """Through the domain state machine, applied as compare-and-set (raises InvalidTransition).
        ``current``: the agent as the caller just read it (saves a read; a stale one only costs a retry)."""
        for _ in range(CAS_RETRIES):
            agent, current = current or self.get_agent(agent_id), None
            if agent is None:
                raise KeyError(agent_id)
            new = transition(agent, AgentState(state), now, reason=reason)
            fields = []
            for f in AGENT_LIVE:
                fields += [f, _s(getattr(new, f))]
            if self._lua["set_agent_state"](keys=self._agent_keys(agent_id),
                                             args=[agent.state.value, agent.call_id or "", agent_id, *fields]):
                return new
        raise RuntimeError(f"agent {agent_id} changed state {CAS_RETRIES} times during an update")

    # -- calls ------------------------------------------------------------------------
    def next_seq(self) -> int:
        return int(self.r.incr(self.keys.seq()))

    def put_call(self, call: Call, create: bool | None = None) -> bool:
        """Insert or update (MemoryState.put_call). ``create`` defaults to "the call has no seq yet"
        (its first put); an update of a call that ended meanwhile does nothing and returns False."""
        create = not call.seq if create is None else create
        done, _seq = self._lua["put_call"](keys=self._put_keys(call.id),   # numbers a call without seq
                                           args=[call.seq, call_to_json(call), call.state.value, call.agent_id or "",
                                                 _s(call.offered_at), _s(call.answered_at), call.id,
                                                 "1" if create else "0"])
        return int(done) >= 0

    def _put_keys(self, call_id: str) -> list[str]:
        return [self.keys.call(call_id), self.keys.waiting(), self.keys.seq()]

    def get_call(self, call_id: str) -> Call | None:
        h = self.r.hgetall(self.keys.call(call_id))
        return call_from_hash(h) if h and b"d" in h else None

    def waiting_calls(self, shared: bool = False) -> list[Call]:
        """``shared``: a call whose hash is byte for byte as at the last shared read is the same Call
        object, not decoded again (the dispatcher reads every waiting call on each pass, and a call
        ringing an agent stays waiting, unchanged, for seconds); such Calls must not be modified."""
        ids = [m.decode() for m in self.r.zrange(self.keys.waiting(), 0, -1)]
        pipe = self.r.pipeline()
        for i in ids:
            pipe.hgetall(self.keys.call(i))
        seen: dict[str, tuple] = self._shared if shared else {}
        kept: dict[str, tuple] | None = {} if shared else None
        calls = []
        for call_id, h in zip(ids, pipe.execute()):
            if not h or b"d" not in h:
                continue
            raw = (h[b"d"], h.get(b"seq"), *map(h.get, _CALL_LIVE_KEYS))
            last = seen.get(call_id)
            call = last[1] if last is not None and last[0] == raw else call_from_hash(h)
            if kept is not None:
                kept[call_id] = (raw, call)
            calls.append(call)
        if kept is not None:
            self._shared = kept
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

    def _five(self, call_id: str, agent_id: str) -> list[str]:
        """``_four`` and the index of available agents, which confirm and release keep."""
        return [*self._four(call_id, agent_id), self.keys.available()]

    def _agent_keys(self, agent_id: str) -> list[str]:
        return [self.keys.agent(agent_id), self.keys.available()]

    def reserve(self, call_id: str, agent_id: str, owner: str, lease_s: float, now: float) -> bool:
        return bool(self._lua["reserve"](keys=self._four(call_id, agent_id),
                                         args=[call_id, agent_id, owner, repr(now + lease_s), repr(now)]))

    def reserve_many(self, pairs: list[tuple[str, str]], owner: str, lease_s: float, now: float) -> list[bool]:
        """``reserve`` for each (call, agent) pair, in order, in one pipeline (each still atomic)."""
        pipe = self.r.pipeline(transaction=False)
        for call_id, agent_id in pairs:
            self._lua["reserve"](keys=self._four(call_id, agent_id), client=pipe,
                                 args=[call_id, agent_id, owner, repr(now + lease_s), repr(now)])
        return [bool(done) for done in pipe.execute()]

    def renew(self, call_id: str, agent_id: str, lease_s: float, now: float) -> bool:
        return bool(self._lua["renew"](keys=self._four(call_id, agent_id)[:3],
                                       args=[call_id, agent_id, repr(now + lease_s)]))

    def confirm(self, call_id: str, agent_id: str, now: float) -> bool:
        return bool(self._lua["confirm"](keys=self._five(call_id, agent_id), args=[call_id, agent_id, repr(now)]))

    def release(self, call_id: str, agent_id: str, agent_state: AgentState, now: float,
                requeue_call: bool) -> None:
        self._lua["release"](keys=self._five(call_id, agent_id),
                             args=[call_id, agent_id, AgentState(agent_state).value, repr(now),
                                   "1" if requeue_call else "0"])

    def expired_reservations(self, now: float) -> list[tuple[str, str]]:
        ids = [m.decode() for m in self.r.zrangebyscore(self.keys.leases(), "-inf", now)]
        pipe = self.r.pipeline()
        for i in ids:
            pipe.hget(self.keys.call(i), "agent_id")
        return [(i, a.decode()) for i, a in zip(ids, pipe.execute()) if a]

    # -- callback calls waiting for a retry ------------------------------------------------
    def defer(self, call: Call, due_at: float, agent_id: str | None, agent_state: AgentState, now: float) -> None:
        """In one transaction: end the agent's part (as ``release`` without requeue), keep the call
        out of the queue (state IVR) until ``due_at``. ``requeue_due`` puts it back."""
        call.state, call.agent_id = CallState.IVR, None
        seq = call.seq or self.next_seq()
        pipe = self.r.pipeline(transaction=True)
        if agent_id:
            self._lua["release"](keys=self._five(call.id, agent_id), client=pipe,
                                 args=[call.id, agent_id, AgentState(agent_state).value, repr(now), "0"])
        self._lua["put_call"](keys=self._put_keys(call.id), client=pipe,
                              args=[seq, call_to_json(call), call.state.value, "", "", "", call.id])
        pipe.zadd(self._deferred, {call.id: due_at})
        pipe.execute()

    def deferred(self) -> dict[str, float]:
        """MemoryState.deferred."""
        return {m.decode(): float(due) for m, due in self.r.zrange(self._deferred, 0, -1, withscores=True)}

    def next_deferred(self) -> float | None:
        first = self.r.zrange(self._deferred, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def requeue_due(self, now: float) -> list[str]:
        """The deferred calls due by ``now`` that this caller put back in the queue (each once)."""
        ids = [m.decode() for m in self.r.zrangebyscore(self._deferred, "-inf", now)]
        return [i for i in ids
                if self._lua["requeue_deferred"](keys=[self._deferred, self.keys.call(i), self.keys.waiting()],
                                                 args=[i])]

    def claim_once(self, name: str, ttl_s: float) -> bool:
        """True for exactly one caller per ``name`` within ``ttl_s`` (across controllers)."""
        return bool(self.r.set(self.keys.claim(name), "1", nx=True, ex=max(1, int(ttl_s))))

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
        pipe.zadd(key, {f"{now!r}:{uuid.uuid4().hex[:12]}": now})   # unique members; no counter round trip
        pipe.zremrangebyrank(key, 0, -ARRIVALS_KEPT - 1)
        pipe.execute()

    def arrivals_per_s(self, queue: str, now: float, window_s: float = 900.0) -> float:
        return self.r.zcount(self.keys.arrivals(queue), f"({now - window_s!r}", now) / window_s

    # -- attended transfer (control/handlers/consult.py) -------------------------------------
    def hold_agent_for(self, agent_id: str, call_id: str, now: float) -> bool:
        """MemoryState.hold_agent_for, as one compare-and-set on the agent hash."""
        agent = self.get_agent(agent_id)
        if agent is None or agent.state != AgentState.AVAILABLE:
            return False
        new = transition(agent, AgentState.RESERVED, now, call_id=call_id)
        fields = []
        for f in AGENT_LIVE:
            fields += [f, _s(getattr(new, f))]
        return bool(self._lua["set_agent_state"](keys=self._agent_keys(agent_id),
                                                 args=[agent.state.value, agent.call_id or "", agent_id, *fields]))

    def mark_consult(self, call_id: str, agent_id: str, controller_id: str) -> None:
        """MemoryState.mark_consult."""
        self.r.hset(self.keys.consults(), call_id, f"{agent_id}|{controller_id}")

    def consult_of(self, call_id: str) -> tuple[str, str] | None:
        raw = self.r.hget(self.keys.consults(), call_id)
        if raw is None:
            return None
        agent_id, _, controller_id = raw.decode().partition("|")
        return agent_id, controller_id

    def clear_consult(self, call_id: str) -> None:
        self.r.hdel(self.keys.consults(), call_id)

    def hand_over_call(self, call_id: str, from_agent: str, to_agent: str) -> bool:
        """MemoryState.hand_over_call, atomically."""
        script = self.__dict__.get("_hand_over")
        if script is None:
            script = self._hand_over = self.r.register_script(_HAND_OVER)
        return bool(script(keys=[self.keys.call(call_id)], args=[from_agent, to_agent]))


_HAND_OVER = """
if redis.call('HGET', KEYS[1], 'state') ~= 'connected' then return 0 end
if (redis.call('HGET', KEYS[1], 'agent_id') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'agent_id', ARGV[2])
return 1
"""
