"""Ringing several agents for one call: ring-all and ring-progressively (mod_callcenter semantics).

ring-all rings every reserved agent at once; ring-progressively rings the first and adds the next
every ``ring_progressively_delay_s`` while earlier phones keep ringing. The first answer wins; the
losers go back to available. Who goes not-ready, leases, crashes and the explanation records:
docs/routing.md, "Ring groups". Store side: control/store/ring_groups.py.
"""
from __future__ import annotations

import logging
import time

import gevent

from control import events
from control.domain.models import AgentState
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers

log = logging.getLogger(__name__)

STRATEGIES = ("ring-all", "ring-progressively")
RING_OUT = ("NO_ANSWER", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT")
DEFAULT_DELAY_S = 10.0


def is_group(decision) -> bool:
    return decision.explanation.get("strategy") in STRATEGIES


def is_callback(store, call_id: str) -> bool:
    """Callback calls have no caller leg to bridge; offers.run_offer handles them one agent at a time."""
    call = store.get_call(call_id)
    return call is not None and call.kind == "callback"


def reserve(deps, decision, now: float) -> list[str]:
    """ring-all: every listed agent still available, atomically; ring-progressively: the first one."""
    store, lease, owner = deps.store, deps.config.reservation_lease_s, deps.controller_id
    if decision.explanation.get("strategy") == "ring-all":
        return store.reserve_group(decision.call_id, decision.agent_ids, owner, lease, now)
    for agent_id in decision.agent_ids:
        if store.reserve_group(decision.call_id, [agent_id], owner, lease, now):
            return [agent_id]
    return []


def run(manager, decision, reserved: list[str]) -> None:
    RingGroup(manager, decision).run(reserved)


class RingGroup:
    def __init__(self, manager, decision):
        self.manager, self.deps, self.decision = manager, manager.deps, decision
        self.strategy = decision.explanation.get("strategy")
        self.queue = self.deps.queues.current().get(decision.queue)
        self.ring_s = getattr(self.queue, "ring_timeout_s", None) or self.deps.config.ring_timeout_s
        self.delay = getattr(self.queue, "ring_progressively_delay_s", None) or DEFAULT_DELAY_S
        self.call = None
        self.legs: dict[str, tuple[str, gevent.event.AsyncResult]] = {}   # ringing: agent -> (leg uuid, originate job)
        self.rung: list[dict] = []                       # every agent rung: agent, at, result
        self.attempts: dict[str, int] = {}               # agent -> its leg's attempt number
        self.to_join: list[str] = []
        self.winner: str | None = None
        self.caller_gone = False
        self.started = 0.0

    # -- the ring --------------------------------------------------------------------
    def run(self, reserved: list[str]) -> None:
        deps, call_id = self.deps, self.decision.call_id
        self.call = deps.store.get_call(call_id)
        if self.call is None:
            deps.store.release_group(call_id, reserved, AgentState.AVAILABLE, deps.now(), requeue_call=False)
            return
        self.started = deps.now()
        if self.strategy == "ring-progressively":
            self.to_join = [a for a in self.decision.agent_ids if a not in reserved]
        deps.call_log.append(call_id, "explanations", {**self.decision.explanation, "agent": reserved[0],
                                                       "agents": list(reserved), "at": self.started})
        for agent_id in reserved:
            self._ring(agent_id)
        try:
            self._wait()
        finally:
            self._record()
        self.manager.trigger(broadcast=True)

    def _wait(self) -> None:
        deps, store, call_id = self.deps, self.deps.store, self.decision.call_id
        lease = deps.config.reservation_lease_s
        session = self.manager.sessions.get(call_id)
        hungup = session.channel.hungup if session is not None else None   # a caller on this controller
        next_join = time.monotonic() + self.delay
        while self.winner is None and not self.caller_gone:
            if not self.legs and not self._join():
                return  # nobody rings and nobody is left to add: the last release requeued the call
            timeout = lease / 3
            if self.to_join:
                timeout = max(0.0, min(timeout, next_join - time.monotonic()))
            jobs = [job for _, job in self.legs.values()]
            gevent.wait(jobs + ([hungup] if hungup is not None else []), timeout=timeout, count=1)
            if hungup is not None and hungup.is_set():
                self._caller_left()
                return
            ended = self._results()
            if self.winner is not None or self.caller_gone:
                return
            if self.to_join and (time.monotonic() >= next_join or not self.legs):
                self._join()
                next_join = time.monotonic() + self.delay
            self._missed(ended)
            if self.legs and not store.renew_group(call_id, lease, deps.now()):
                self._caller_left()   # the call is no longer the group's: its caller left
                return

    def _results(self) -> list[tuple[str, str]]:
        """Handle the legs that stopped ringing; the unanswered ones are returned to be freed."""
        ended = []
        for agent_id, (leg, job) in sorted(self.legs.items(), key=lambda kv: not _answered(kv[1][1])):
            if not job.ready():
                continue
            body = job.get()
            del self.legs[agent_id]
            if body.startswith("+OK"):
                self._answer(agent_id, leg)
                if self.winner is not None:
                    return []   # the other legs were killed and their agents freed
                continue
            cause = body.strip().removeprefix("-ERR").strip() or "UNKNOWN"
            self._note(agent_id, f"missed: {cause}")
            if cause == "CONNECTION_LOST":
                self._connection_lost(leg)
                return []
            if cause == "ORIGINATOR_CANCEL" or self.deps.store.get_call(self.call.id) is None:
                self._caller_left(agent_id)
                return []
            ended.append((agent_id, cause))
        return ended

    def _ring(self, agent_id: str) -> None:
        deps, call = self.deps, self.call
        now = deps.now()
        attempt = deps.call_log.append(call.id, "offers", agent_id) - 1
        leg = actions.agent_leg_uuid(call.id, agent_id, attempt)
        self.attempts[agent_id] = attempt
        self.rung.append({"agent": agent_id, "at": now, "result": "ringing"})
        agent = deps.store.get_agent(agent_id)
        if agent is None:
            self._free([agent_id], AgentState.AVAILABLE, "gone")
            return
        try:
            self.legs[agent_id] = (leg, offers.start_ring(deps, call, agent, leg, self.ring_s, now, ring=self.strategy))
        except SwitchUnavailable:
            self._free([agent_id], AgentState.AVAILABLE, "switch unavailable")
        except ValueError as exc:   # the phone cannot be dialled (commands.user_dial): nothing was sent
            log.error("agent %s not rung for call %s: %s", agent_id, call.id, exc)
            self._free([agent_id], AgentState.NOT_READY, "phone cannot be dialled")

    def _join(self) -> bool:
        """ring-progressively: the next listed agent still available starts ringing."""
        deps, lease = self.deps, self.deps.config.reservation_lease_s
        while self.to_join:
            agent_id = self.to_join.pop(0)
            if deps.store.reserve_group(self.call.id, [agent_id], deps.controller_id, lease, deps.now(), join=True):
                self.manager.agents.note(agent_id, AgentState.RESERVED)
                deps.call_log.append(self.call.id, "explanations", {
                    "kind": "ring", "strategy": self.strategy, "agent": agent_id, "at": deps.now(),
                    "after_s": round(deps.now() - self.started, 3)})
                self._ring(agent_id)
                return True
        return False

    # -- outcomes ----------------------------------------------------------------------
    def _answer(self, agent_id: str, leg: str) -> None:
        deps, now = self.deps, self.deps.now()
        if not deps.store.confirm_group(self.call.id, agent_id, now):   # the call is no longer the group's
            log.info("call %s: %s answered after the call left its ring group", self.call.id, agent_id)
            actions.kill(deps.switch, leg)
            self._free([agent_id], AgentState.AVAILABLE, "caller left", reason="caller_left", requeue=False)
            return
        self.winner = agent_id
        self._note(agent_id, "answered")
        # offers.current_leg (transfer, listen, hangup) must find the winner's leg, not the last one rung
        deps.call_log.append(self.call.id, "won", {"agent": agent_id, "attempt": self.attempts[agent_id],
                                                   "offers": max(self.attempts.values()) + 1})
        losers = list(self.legs)
        for _, (other, _) in self.legs.items():
            actions.kill(deps.switch, other, "LOSE_RACE")
        self.legs.clear()
        self._free(losers, AgentState.AVAILABLE, "lost the race", reason="answered_elsewhere")
        offers.bridge(self.manager, self.call, agent_id, leg, self.queue, now)

    def _missed(self, ended: list[tuple[str, str]]) -> None:
        deps = self.deps
        for agent_id, cause in ended:
            ring_out = self.strategy == "ring-all" and cause in RING_OUT
            state = AgentState.AVAILABLE if ring_out else AgentState.NOT_READY
            deps.store.release_group(self.call.id, [agent_id], state, deps.now(), requeue_call=True)
            self.manager.agents.note(agent_id, state, None if ring_out else f"missed: {cause}")
            message = events.missed(self.call.id, agent_id, cause, state.value)
            deps.publisher.publish(f"agent:{agent_id}", message)
            deps.publisher.publish("wallboard", message)

    def _caller_left(self, *ended: str) -> None:
        self.caller_gone = True
        ringing = list(self.legs)
        for leg, _ in self.legs.values():
            actions.kill(self.deps.switch, leg)
        self.legs.clear()
        members = set(self.deps.store.group_members(self.call.id)) - set(ringing) - set(ended)
        self._free([*ringing, *ended, *sorted(members)], AgentState.AVAILABLE, "caller left", reason="caller_left",
                   requeue=False)

    def _connection_lost(self, leg: str) -> None:
        """As offers._connection_lost, for every leg: once reconnected, drop them and requeue."""
        deps = self.deps
        deps.switch.wait_ready(deps.config.reservation_lease_s / 2)
        for other in [leg, *(lg for lg, _ in self.legs.values())]:
            actions.kill(deps.switch, other)
        self.legs.clear()
        self.caller_gone = True   # ends the ring; the call goes back to the queue below
        still_waiting = deps.store.get_call(self.call.id) is not None
        deps.store.release_group(self.call.id, deps.store.group_members(self.call.id), AgentState.AVAILABLE,
                                 deps.now(), requeue_call=still_waiting)

    def _free(self, agent_ids: list[str], state: AgentState, note: str, reason: str | None = None,
              requeue: bool = True) -> None:
        if not agent_ids:
            return
        deps = self.deps
        deps.store.release_group(self.call.id, agent_ids, state, deps.now(), requeue_call=requeue)
        for agent_id in agent_ids:
            self._note(agent_id, note)
            self.manager.agents.note(agent_id, state)
            if reason:
                deps.publisher.publish(f"agent:{agent_id}", events.ended(self.call.id, deps.now(), reason=reason))

    def _note(self, agent_id: str, result: str) -> None:
        for entry in reversed(self.rung):
            if entry["agent"] == agent_id:
                if entry["result"] == "ringing":
                    entry["result"] = result
                return

    def _record(self) -> None:
        deps = self.deps
        deps.call_log.append(self.call.id, "explanations", {
            "kind": "ring_group", "strategy": self.strategy, "rung": self.rung, "winner": self.winner,
            "agent": self.winner, "at": deps.now()})


def _answered(job) -> bool:
    return job.ready() and str(job.get()).startswith("+OK")

