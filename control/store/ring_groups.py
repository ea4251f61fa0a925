"""Ring groups in live state: several agents reserved for one call (ring-all, ring-progressively).

Mixed into MemoryState and RedisState; tests/integration/test_store_contract.py runs both.

- ``reserve_group`` reserves every listed AVAILABLE agent for a QUEUED, unheld call in one atomic
  step (unavailable ones are skipped), or with ``join`` adds agents to a group that ``owner`` is
  ringing. It returns the agents it reserved, in the given order ([] and no change when none).
- While a group holds it, the call is OFFERING with ``agent_id == GROUP``, so the one-agent
  ``renew``, ``confirm`` and ``release`` never touch it; one lease (on the call) covers the group.
- ``confirm_group`` lets exactly one member win: the winner goes ON_CALL, the call CONNECTED to it.
- ``release_group`` frees the listed members (only those still reserved for the call); when no
  member holds a call nobody won, the call is requeued or dropped (``requeue_call``).
- ``group_members`` are the members still reserved for the call (losers included, until freed).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from control.domain.agent_state import apply_release
from control.domain.models import Agent, AgentState, Call, CallState
from control.store.keys import Keys

GROUP = "*group*"   # a call's agent_id while a ring group holds it; never a valid agent id
LUA_DIR = Path(__file__).parent / "lua"
SCRIPTS = ("reserve_group", "renew_group", "confirm_group", "release_group")


class MemoryGroups:
    """For MemoryState (uses its _agents, _calls, _leases, _owner)."""

    _agents: dict[str, Agent]
    _calls: dict[str, Call]
    _leases: dict[str, float]
    _owner: dict[str, str]
    remove_call: Callable[[str], None]

    @property
    def _groups(self) -> dict[str, list[str]]:
        return self.__dict__.setdefault("_ring_groups", {})

    def _group_holds(self, call_id: str, agent_id: str) -> bool:
        agent = self._agents.get(agent_id)
        return agent is not None and agent.state == AgentState.RESERVED and agent.call_id == call_id

    def reserve_group(self, call_id: str, agent_ids: list[str], owner: str, lease_s: float, now: float,
                      join: bool = False) -> list[str]:
        call = self._calls.get(call_id)
        if call is None:
            return []
        if join:
            if call.state != CallState.OFFERING or call.agent_id != GROUP or self._owner.get(call_id) != owner:
                return []
        elif call.state != CallState.QUEUED or call.agent_id is not None:
            return []
        got = []
        for agent_id in dict.fromkeys(agent_ids):
            agent = self._agents.get(agent_id)
            if agent is None or agent.state != AgentState.AVAILABLE:
                continue
            agent.state, agent.state_since, agent.call_id, agent.last_offered_at = AgentState.RESERVED, now, call_id, now
            agent.break_reason = None
            got.append(agent_id)
        if not got:
            return []
        if not join:
            call.state, call.agent_id, call.offered_at = CallState.OFFERING, GROUP, now
            self._owner[call_id], self._groups[call_id] = owner, []
        self._groups[call_id] += got
        self._leases[call_id] = now + lease_s
        return got

    def group_members(self, call_id: str) -> list[str]:
        return [a for a in self._groups.get(call_id, []) if self._group_holds(call_id, a)]

    def renew_group(self, call_id: str, lease_s: float, now: float) -> bool:
        call = self._calls.get(call_id)
        if call is None or call.state != CallState.OFFERING or call.agent_id != GROUP:
            return False
        self._leases[call_id] = now + lease_s
        return True

    def confirm_group(self, call_id: str, agent_id: str, now: float) -> bool:
        call = self._calls.get(call_id)
        if call is None or call.state != CallState.OFFERING or call.agent_id != GROUP:
            return False
        if agent_id not in self._groups.get(call_id, []) or not self._group_holds(call_id, agent_id):
            return False
        agent = self._agents[agent_id]
        agent.state, agent.state_since = AgentState.ON_CALL, now
        call.state, call.agent_id, call.answered_at = CallState.CONNECTED, agent_id, now
        self._leases.pop(call_id, None)
        return True

    def release_group(self, call_id: str, agent_ids: list[str], agent_state: AgentState, now: float,
                      requeue_call: bool) -> None:
        for agent_id in agent_ids:
            if self._group_holds(call_id, agent_id):
                apply_release(self._agents[agent_id], AgentState(agent_state), now)
        if call_id in self._groups:
            self._groups[call_id] = [a for a in self._groups[call_id] if a not in agent_ids]
        call = self._calls.get(call_id)
        if call is None:
            self._leases.pop(call_id, None)
            self._groups.pop(call_id, None)
        elif call.state == CallState.OFFERING and call.agent_id == GROUP and not self.group_members(call_id):
            self._groups.pop(call_id, None)
            if requeue_call:
                call.state, call.agent_id = CallState.QUEUED, None
                self._leases.pop(call_id, None)
                self._owner.pop(call_id, None)
            else:
                self.remove_call(call_id)


class RedisGroups:
    """For RedisState (uses its r and keys); the call hash keeps the members as JSON in ``group``."""

    r: Any   # a redis.Redis client
    keys: Keys

    def _group_script(self, name: str):
        scripts = self.__dict__.setdefault("_ring_group_lua", {})
        if name not in scripts:
            scripts[name] = self.r.register_script((LUA_DIR / f"{name}.lua").read_text())
        return scripts[name]

    def _listed(self, call_id: str) -> list[str]:
        raw = self.r.hget(self.keys.call(call_id), "group")
        members = json.loads(raw) if raw else []
        return members if isinstance(members, list) else []   # Lua's cjson writes an empty list as {}

    def reserve_group(self, call_id: str, agent_ids: list[str], owner: str, lease_s: float, now: float,
                      join: bool = False) -> list[str]:
        ids = list(dict.fromkeys(agent_ids))
        if not ids:
            return []
        k = self.keys
        got = self._group_script("reserve_group")(
            keys=[k.call(call_id), k.leases(), *(k.agent(a) for a in ids)],
            args=[call_id, owner, repr(now + lease_s), repr(now), "1" if join else "0", GROUP, *ids])
        return [g.decode() if isinstance(g, bytes) else g for g in got]

    def group_members(self, call_id: str) -> list[str]:
        listed = self._listed(call_id)
        pipe = self.r.pipeline(transaction=False)
        for a in listed:
            pipe.hmget(self.keys.agent(a), "state", "call_id")
        return [a for a, (state, held) in zip(listed, pipe.execute())
                if state == b"reserved" and held == call_id.encode()]

    def renew_group(self, call_id: str, lease_s: float, now: float) -> bool:
        k = self.keys
        return bool(self._group_script("renew_group")(keys=[k.call(call_id), k.leases()],
                                                      args=[call_id, repr(now + lease_s), GROUP]))

    def confirm_group(self, call_id: str, agent_id: str, now: float) -> bool:
        k = self.keys
        return bool(self._group_script("confirm_group")(
            keys=[k.agent(agent_id), k.call(call_id), k.leases(), k.waiting(), k.available()],
            args=[call_id, agent_id, repr(now), GROUP]))

    def release_group(self, call_id: str, agent_ids: list[str], agent_state: AgentState, now: float,
                      requeue_call: bool) -> None:
        freed = list(dict.fromkeys(agent_ids))
        others = [a for a in self._listed(call_id) if a not in freed]
        k = self.keys
        self._group_script("release_group")(
            keys=[k.call(call_id), k.leases(), k.waiting(), k.available(), *(k.agent(a) for a in freed + others)],
            args=[call_id, AgentState(agent_state).value, repr(now), "1" if requeue_call else "0", GROUP,
                  len(freed), *freed, *others])
