"""Rules: when to route, whom to offer, and cleaning up what a crash or a lost event left behind.

Event-driven: ``trigger()`` is called when a call is queued, an agent frees up or
an offer fails (also from other controllers, through the ``control`` channel).
A one-second timer runs only while calls wait, because relaxing skills, aging
and overflow are functions of time.
"""
from __future__ import annotations

import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Callable

import gevent
import gevent.event

from control import requests
from control.domain.models import Agent, AgentState, CallState
from control.errors import RedisError
from control.handlers import offers, ring_group
from control.handlers.after_call_sweep import sweep_after_call_work
from control.metrics import DISPATCH_SECONDS
from control.handlers.agent_cache import AvailableAgents
from control.handlers.agent_states import AgentStates
from control.handlers.deps import Deps
from control.handlers.waiting_view import WaitingView
from control.ports import CallRecords
from control.store.keys import Keys

if TYPE_CHECKING:
    from control.handlers.call import CallSession
    from control.handlers.callbacks import CallbackService
    from control.handlers.consult_legs import Consult
    from control.handlers.last_seen import LastSeen

REDIS_DOWN_PAUSE_S = 1.0   # between dispatch attempts while Redis is unreachable
log = logging.getLogger(__name__)

WAITING_TICK_S = 1.0
SNAPSHOT_TTL_S = 0.5
DISPATCH_MIN_INTERVAL_S = 0.02


class Manager:
    def __init__(self, deps: Deps, redis_client=None):
        self.deps = deps
        self.redis = redis_client
        # the one owner of agent state changes (control/handlers/agent_states.py)
        self.agents = AgentStates(deps.store, deps.state_log, deps.publisher, deps.now, self.agent_available,
                                  deps.queues.current, deps.config.wrap_up_s)
        self._dirty = gevent.event.Event()
        self._nudge: gevent.Greenlet | None = None   # a coalesced nudge to the other controllers
        self._available: AvailableAgents | None = None   # the dispatcher's agent cache
        self._routing = None   # LiveRouting: the Router kept between passes, fed by the cache's changes
        self._lease = None   # one pass at a time across controllers (dispatch_lease.py)
        self._greenlets: list[gevent.Greenlet] = []
        self._offering: dict[str, gevent.Greenlet] = {}
        self.rng = random.Random()
        self.running = False
        self._snapshot: tuple[float, list] | None = None
        self._waiting: WaitingView | None = None
        self.sessions: dict[str, CallSession] = {}   # call id -> the callers whose socket this controller holds
        # agents from the database back into live state after Redis lost them: busy {agent: call} -> count
        self.resync_agents: Callable[[dict[str, str]], int] | None = None
        self.epoch_marked = False   # this controller's epoch mark is in Redis (reconcile.py restore_lost_state)
        # node name -> an Event Socket connection of its own for the reconciler's `show channels` (app.py);
        # None: it goes over deps.switch like any command
        self.channel_lists: dict[str, Any] | None = None
        # dialling callbacks (handlers/callbacks.py); the composition root sets it, with its database rows
        self.callbacks: CallbackService | None = None
        self.consults: dict[str, Consult] = {}   # attended transfers under way here, by call id (consult.py)
        self.consults_watched = False            # consult.py subscribed to the hangups it needs
        self.last_seen: LastSeen | None = None   # hangups seen, for the reconciler (last_seen.py)
        self.orphans_broken: dict[str, float] = {}   # callers sent uuid_break, and when (orphans.py)

    @property
    def waiting(self) -> WaitingView:
        """The waiting calls as the last pass read them, shared with the waiting callers."""
        if self._waiting is None:
            self._waiting = WaitingView(self.deps.store)
        return self._waiting

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.running = True
        self._greenlets = [gevent.spawn(self._dispatch_loop), gevent.spawn(self._reconcile_loop)]
        if self.redis is not None:
            from control.handlers.orphans import keep_alive

            self._greenlets.append(gevent.spawn(self._listen_control))
            self._greenlets.append(gevent.spawn(keep_alive, self))   # heartbeat: see orphans.py
        self.deps.switch.on_reconnect(self.reconcile)

    def stop(self) -> None:
        self.running = False
        gevent.killall(self._greenlets + list(self._offering.values()))
        self.agents.stop()

    def trigger(self, broadcast: bool = False, calls_only: bool = False) -> None:
        """Dispatch soon; ``broadcast``: other controllers too. Nudges to the others coalesce:
        at most one per DISPATCH_MIN_INTERVAL_S, each one PUBLISH (no replay stream: a nudge is not
        history). A controller never passes on a nudge it received (on_control). ``calls_only``:
        no agent came or went (a call was queued), so the pass may use a just-read agent index."""
        if not calls_only and self._available is not None:
            self._available.agents_changed = True
        self._dirty.set()
        if broadcast and self._nudge is None:
            self._nudge = gevent.spawn_later(DISPATCH_MIN_INTERVAL_S, self._send_nudge)

    def _send_nudge(self) -> None:
        self._nudge = None
        message = requests.dispatch(controller_id=self.deps.controller_id)
        if self.redis is None:
            self.deps.publisher.publish("control", message)
            return
        try:
            self.redis.publish(Keys(self.deps.config.redis_prefix).events("control"), json.dumps(message))
        except RedisError:   # the peers' one-second tick dispatches anyway
            log.warning("dispatch nudge not sent", exc_info=True)

    # -- dispatch ------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while self.running:
            self._dirty.wait(timeout=WAITING_TICK_S)
            self._dirty.clear()
            self.dispatch_pass()

    def dispatch_pass(self) -> int:
        """``dispatch_once``, then a pause, both under the dispatch lease: while another controller
        holds it, this one only marks the nudge, and the holder runs again when it lets go
        (control/handlers/dispatch_lease.py)."""
        lease = self._dispatch_lease()
        if lease is not None and not lease.acquire():
            return 0
        started, done = time.monotonic(), 0
        try:
            try:
                with DISPATCH_SECONDS.time():
                    done = self.dispatch_once()
            except RedisError:   # live state unreachable: nothing to route; wait instead of spinning
                log.warning("dispatch skipped: live state (Redis) unreachable")
                gevent.sleep(REDIS_DOWN_PAUSE_S)
            except Exception:  # keep routing alive; the next trigger retries
                log.exception("dispatch failed")
            # nudges arriving meanwhile coalesce into the next pass: one dispatch serves every
            # waiting call, and each pass reads the agents (docs/benchmarks.md, Calls). A pass
            # that took long waits as long again, so dispatch never takes over the process; the
            # lease is kept meanwhile so the pause holds for every controller, not just this one.
            gevent.sleep(max(DISPATCH_MIN_INTERVAL_S, time.monotonic() - started))
        finally:
            if lease is not None and lease.release():
                self._dirty.set()
        return done

    def _dispatch_lease(self):
        if self._lease is None and self.redis is not None:
            from control.handlers.dispatch_lease import DispatchLease

            self._lease = DispatchLease(self.redis, self.deps.config.redis_prefix, self.deps.controller_id)
        return self._lease

    def dispatch_once(self) -> int:
        store, now = self.deps.store, self.deps.now()
        waiting = [c for c in self.waiting.read() if c.state == CallState.QUEUED]
        if not waiting:
            return 0
        if self._available is None:
            self._available = AvailableAgents(store)
        self._available.refresh(now)
        routing = self._live_routing()
        try:
            decisions = routing.decide(now, waiting)   # = decide(now, waiting, cached agents, queues, rng)
        except Exception:
            self._routing = None   # maybe half committed: start again from the cache
            raise
        started = 0
        try:
            # one agent each: every reservation in one round trip (one at a time, each waited for its
            # turn on a busy event loop, and a backlog of a thousand callers took seconds to offer)
            single = [d for d in decisions if len(d.agent_ids) == 1 and not ring_group.is_group(d)]
            lease = self.deps.config.reservation_lease_s
            reserved = store.reserve_many([(d.call_id, d.agent_ids[0]) for d in single],
                                          self.deps.controller_id, lease, now) if single else []
            for decision, ok in zip(single, reserved):
                if ok:
                    started += self._offer(decision, decision.agent_ids, (offers.run_offer, self, decision,
                                                                          decision.agent_ids[0]))
            batched = {id(d) for d in single}
            for decision in decisions:
                if id(decision) not in batched:   # ring groups, and anything offering several agents
                    started += self._reserve_and_offer(decision, now)
        finally:
            # the agents named are reserved now, or were stale in the cache: read them again next time
            self._available.forget(a for d in decisions for a in d.agent_ids)
        if started < len(decisions):
            self._dirty.set()   # some were taken meanwhile (another controller): again, with fresh agents
        return started

    def _live_routing(self):
        from control.domain.routing import LiveRouting

        queues, routing = self.deps.queues.current(), self._routing
        if routing is None or routing.queues is not queues or routing.router.rng is not self.rng:
            routing = self._routing = LiveRouting(queues, rng=self.rng)   # or queues reloaded
            routing.update_agents(self._available.take_all())
        else:
            routing.update_agents(self._available.take_changes())
        return routing

    def _reserve_and_offer(self, decision, now: float) -> int:
        lease = self.deps.config.reservation_lease_s
        if ring_group.is_group(decision) and not ring_group.is_callback(self.deps.store, decision.call_id):
            # ring-all / ring-progressively: several phones ring for the call (ring_group.py)
            reserved = ring_group.reserve(self.deps, decision, now)
            offer = (ring_group.run, self, decision, reserved)
        else:
            reserved = next(([a] for a in decision.agent_ids
                             if self.deps.store.reserve(decision.call_id, a, self.deps.controller_id, lease, now)), [])
            offer = (offers.run_offer, self, decision, *reserved)
        if not reserved:
            return 0
        return self._offer(decision, reserved, offer)

    def _offer(self, decision, reserved: list[str], offer: tuple) -> int:
        for agent_id in reserved:
            self.agents.note(agent_id, AgentState.RESERVED)
        greenlet = gevent.spawn(*offer)
        self._offering[decision.call_id] = greenlet
        greenlet.link(lambda g, cid=decision.call_id: self._offering.pop(cid, None))
        return 1

    def snapshot(self) -> tuple[list, list]:
        """Waiting calls and agents, shared by every local call for half a second: each waiting
        caller needs queue stats once a second, and thousands of them must not each read all of Redis."""
        now = self.deps.now()
        if self._snapshot is None or now - self._snapshot[0] > SNAPSHOT_TTL_S:
            self._snapshot = (now, self.deps.store.agents())
        return self.waiting.calls(), self._snapshot[1]

    # -- agents freed ---------------------------------------------------------------------------
    def agent_available(self, agent: Agent) -> None:
        """AgentStates' dispatch nudge: this controller knows the agent as written, so the pass needs
        no index read for it; the other controllers are nudged too."""
        noted = self._available is not None and self._available.note_available(agent)
        self.trigger(broadcast=True, calls_only=noted)

    # -- events from other controllers (control/handlers/control_channel.py) ----------
    def _listen_control(self) -> None:
        from control.handlers.control_channel import listen

        listen(self)

    def on_control(self, data: dict) -> None:
        """A message on the control channel: a dispatch nudge, or a console's or supervisor's request."""
        from control.handlers.control_channel import on_message

        on_message(self, data)

    def owns(self, call_id: str) -> bool:
        """This controller holds the caller's socket (only it acts on the call's media)."""
        call = self.deps.store.get_call(call_id)
        return call is not None and call.controller_id == self.deps.controller_id

    def offering(self, call_id: str) -> bool:
        """An offer of the call rings from this controller (it renews its own lease)."""
        return call_id in self._offering

    def nudged(self) -> None:
        """Another controller's nudge: a pass soon (it is not passed on, and says nothing of agents)."""
        self._dirty.set()

    # -- reconciliation ----------------------------------------------------------
    def _reconcile_loop(self) -> None:
        while self.running:
            gevent.sleep(self.deps.config.reconcile_interval_s)
            try:
                self.flush_records()
                self.reload_config()
                self.reconcile()
                sweep_after_call_work(self)
            except Exception:  # keep the loop alive; the next round retries
                log.exception("reconcile failed")

    def flush_records(self) -> None:
        """Records buffered while the database was down are written once it is back, even when
        no further call ends to trigger the writer's own retry."""
        self.deps.offload(_flush_pending, self.deps.records)

    def reload_config(self) -> None:
        """Edited flows and queues apply to new calls; a file that fails validation is refused
        by its registry and the previous version stays in force."""
        self.deps.flows.reload()
        self.deps.queues.reload()

    def reconcile(self) -> None:
        from control.handlers.reconcile import reconcile

        reconcile(self)


def _flush_pending(records: CallRecords) -> None:
    if records.pending():
        records.flush()
