"""Small interfaces the core and the call handlers need. Adapters implement them.

Nothing in control/domain imports an adapter; handlers get these passed in by
the composition root (control/app.py), so tests pass fakes instead of mocks.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Protocol

import gevent.event

from control.domain.models import Agent, AgentState, Call


class Clock(Protocol):
    def now(self) -> float: ...


class LiveState(Protocol):
    """Shared live state of agents, waiting calls and reservations (Redis in production)."""

    def put_agent(self, agent: Agent) -> None: ...
    def get_agent(self, agent_id: str) -> Agent | None: ...
    def agents(self) -> list[Agent]: ...
    def agents_by_id(self, ids: Iterable[str]) -> list[Agent]: ...
    def agent_states(self) -> dict[str, str]:
        """Every agent's state (its value) by id: cheaper than reading every agent whole."""
    def has_agents(self) -> bool:
        """Any agent at all (false after Redis restarted empty)."""
    def available_agents(self) -> list[Agent]:
        """The AVAILABLE agents (Redis reads them through an index, not every agent)."""
    def available_index(self) -> dict[str, float]:
        """Agent id -> idle_since of (a superset of) the available agents: a changed value means the
        agent left and came back (handlers/agent_cache.py reads only those again)."""
    def set_agent_state(self, agent_id: str, state: AgentState, now: float,
                        reason: str | None = None, current: Agent | None = None) -> Agent:
        """``current``: the agent as just read by the caller (an optimisation; the write is a CAS)."""

    def put_call(self, call: Call, create: bool | None = None) -> bool:
        """Insert (``create``; default: the call has no seq yet) or update; an update never brings
        back a call that has ended. False when nothing was written for that reason."""
    def get_call(self, call_id: str) -> Call | None: ...
    def waiting_calls(self, shared: bool = False) -> list[Call]:
        """QUEUED and OFFERING calls. ``shared``: unchanged calls may come back as the very objects of
        the previous shared read, which their readers must not modify (handlers/waiting_view.py)."""
    def remove_call(self, call_id: str) -> None: ...
    def next_seq(self) -> int: ...

    def reserve(self, call_id: str, agent_id: str, owner: str, lease_s: float, now: float) -> bool:
        """Atomically: agent AVAILABLE and call QUEUED and unoffered -> both reserved. False if not."""
    def reserve_many(self, pairs: list[tuple[str, str]], owner: str, lease_s: float, now: float) -> list[bool]:
        """``reserve`` for each (call_id, agent_id), in order, at once; each is atomic on its own."""
    def renew(self, call_id: str, agent_id: str, lease_s: float, now: float) -> bool: ...
    def confirm(self, call_id: str, agent_id: str, now: float) -> bool:
        """Reserved -> on call (agent answered)."""
    def release(self, call_id: str, agent_id: str, agent_state: AgentState, now: float,
                requeue_call: bool) -> None:
        """End a reservation or a conversation: agent to ``agent_state``; call back to QUEUED or gone."""
    def expired_reservations(self, now: float) -> list[tuple[str, str]]:
        """(call_id, agent_id) pairs whose lease lapsed (agent_id is ``ring_groups.GROUP`` for a ring group)."""

    # ring groups (ring-all, ring-progressively): semantics in control/store/ring_groups.py
    def reserve_group(self, call_id: str, agent_ids: list[str], owner: str, lease_s: float, now: float,
                      join: bool = False) -> list[str]:
        """Atomically reserve every listed available agent for the call; the agents reserved."""
    def group_members(self, call_id: str) -> list[str]: ...
    def renew_group(self, call_id: str, lease_s: float, now: float) -> bool: ...
    def confirm_group(self, call_id: str, agent_id: str, now: float) -> bool:
        """The first member to answer wins; False for any other."""
    def release_group(self, call_id: str, agent_ids: list[str], agent_state: AgentState, now: float,
                      requeue_call: bool) -> None: ...

    # callback calls between attempts (control/handlers/callbacks.py)
    def defer(self, call: Call, due_at: float, agent_id: str | None, agent_state: AgentState, now: float) -> None:
        """Take the call out of the queue (keeping its place) until ``due_at``; free its agent."""
    def deferred(self) -> dict[str, float]:
        """Deferred callback calls: call id -> due time."""
    def next_deferred(self) -> float | None: ...
    def requeue_due(self, now: float) -> list[str]:
        """Put the deferred calls due by ``now`` back in the queue (each once, across controllers)."""

    # attended transfer (control/handlers/consult.py)
    def hold_agent_for(self, agent_id: str, call_id: str, now: float) -> bool:
        """An AVAILABLE agent becomes RESERVED for a consultation on the call. False if not available."""
    def mark_consult(self, call_id: str, agent_id: str, controller_id: str) -> None:
        """The reconciler leaves a consult's target reserved while ``controller_id`` is alive."""
    def consult_of(self, call_id: str) -> tuple[str, str] | None: ...
    def clear_consult(self, call_id: str) -> None: ...
    def hand_over_call(self, call_id: str, from_agent: str, to_agent: str) -> bool: ...

    # rolling statistics (estimated wait, overflow rules)
    def record_handle_time(self, queue: str, seconds: float, now: float | None = None) -> None: ...
    def aht(self, queue: str) -> float | None: ...
    def record_arrival(self, queue: str, now: float) -> None: ...
    def arrivals_per_s(self, queue: str, now: float) -> float: ...
    def claim_once(self, name: str, ttl_s: float) -> bool:
        """True for the first caller only, across controllers, until ``ttl_s`` passes."""


class Publisher(Protocol):
    """Fan-out of live events to consoles and wallboards (Redis pub/sub in production)."""

    def publish(self, channel: str, message: dict[str, Any]) -> None: ...
    def flush(self) -> None:
        """Send whatever is queued before returning (where order against the switch matters)."""
    def close(self) -> None:
        """At shutdown: send what is queued, then stop."""


class CustomerLookup(Protocol):
    def by_number(self, e164: str) -> dict[str, Any] | None: ...
    def by_account(self, account: str) -> dict[str, Any] | None: ...


class StateHistory(Protocol):
    """The agent state history the reports read (agent_state_log). ``put`` never blocks a call."""

    def put(self, agent_id: str, state: str, reason: str | None, at: float) -> None: ...


class CallRecords(Protocol):
    """Durable call records (SQL), each followed by its wrap-up job. Must buffer when the database
    is down. The controller's is control/store/batch.QueuedRecords."""

    def submit(self, record: dict[str, Any]) -> None:
        """Queue a finished call's record; its wrap-up job is enqueued once it is written (or spooled)."""
    def pending(self) -> int:
        """Records spooled while the database was down."""
    def flush(self) -> bool:
        """Write the spooled records now (blocking: run it in the thread pool)."""
    def recover(self, now: float, older_than_s: float) -> int:
        """Queue again records parked by a writer that died; how many."""
    def sweep(self, now: float, replay_s: float = 0.0) -> int:
        """Enqueue again the wrap-up jobs of the after-call outbox still pending (call it on the hub: its
        SQL goes to the thread pool); ``replay_s``: Redis lost its data, redo the wrap-ups done that recently."""
    def drain(self, timeout: float) -> bool:
        """At shutdown: wait until what is queued is written."""


class JobQueue(Protocol):
    """After-call work; a job id already enqueued (or done) is not enqueued again."""

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None, **kwargs: Any) -> None: ...
    def enqueue_many(self, func_path: str, jobs: list[tuple[tuple, str]]) -> None:
        """(args, job_id) pairs at once."""


class Consoles(Protocol):
    """Agents' consoles: open or not, and their acknowledgement that a pop is on screen
    (control/store/consoles.py)."""

    def is_open(self, agent_id: str) -> bool: ...
    def expect(self, call_id: str, agent_id: str) -> Any:
        """A waiter (``.wait(timeout) -> bool``) registered before the pop is published."""
    def acked(self, call_id: str, agent_id: str) -> None: ...
    def mark_open(self, agent_id: str, ttl_s: float) -> None: ...


class SwitchControl(Protocol):
    """Commands to FreeSWITCH that are not tied to one outbound socket (inbound ESL)."""

    def api(self, command: str) -> str: ...
    def bgapi(self, command: str) -> gevent.event.AsyncResult:
        """The job's reply (``+OK ...`` / ``-ERR ...``) arrives in the result."""
    def subscribe(self, handler: Callable[[dict[str, str]], None], events: Iterable[str] = ()) -> None: ...
    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after every reconnect (events were lost meanwhile)."""
    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the connection; False on timeout."""


class ConfigSource(Protocol):
    """A registry of validated configuration (queues, flows) that edits replace while running."""

    def current(self) -> Any: ...
    def reload(self) -> bool:
        """Load edited files; a file that fails validation is refused and the old version kept."""


class QueueSource(Protocol):
    def current(self) -> Mapping[str, Any]:
        """Queue name -> control.domain.queue_config.QueueConfig."""
    def reload(self) -> bool: ...


class CallEvents(Protocol):
    """Each call's append-only lists shared across controllers: offers, explanations, recording,
    won (control/store/call_log.py)."""

    def append(self, call_id: str, kind: str, item: Any) -> int: ...
    def append_many(self, call_id: str, items: list[tuple[str, Any]]) -> list[int]: ...
    def read(self, call_id: str, kind: str) -> list[Any]: ...
    def read_many(self, call_id: str, kinds: tuple[str, ...]) -> dict[str, list[Any]]: ...
    def drop(self, call_id: str, kinds: tuple[str, ...] = ...) -> None: ...
