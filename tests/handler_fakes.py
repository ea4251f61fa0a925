"""Fakes for the handler tests: the ports (control/ports.py) with memory behind them, no sockets.
Each implements its whole port, so handlers run the same code paths as in production."""
from __future__ import annotations

from dataclasses import dataclass, field

import gevent.event

from control.config import load_config
from control.domain.job_ids import wrapup_job_id
from control.handlers.deps import Deps
from control.store.batch import WRAPUP_JOB
from control.store.call_log import MemoryCallLog
from control.store.publisher import MemoryPublisher
from control.store.jobs import MemoryJobs
from control.store.memory_state import MemoryState


class FakeSwitch:
    """Answers api/bgapi like FreeSWITCH would, from a table of replies."""

    def __init__(self, originate_reply: str = "+OK leg\n", channels: set[str] | None = None):
        self.commands: list[str] = []
        self.originate_reply = originate_reply
        self.channels = channels if channels is not None else set()
        self.bridge_reply = None

    def api(self, command: str) -> str:
        self.commands.append(command)
        verb = command.split()[0]
        if verb == "uuid_bridge":
            return self.bridge_reply or f"+OK {command.split()[2]}\n"
        if verb == "uuid_exists":
            return "true" if command.split()[1] in self.channels else "false"
        if verb == "show":
            import json

            rows = [{"uuid": u} for u in sorted(self.channels)]
            return json.dumps({"row_count": len(rows), "rows": rows}) if rows else '{"row_count": 0}\n'
        return "+OK\n"

    def bgapi(self, command: str):
        self.commands.append("bgapi " + command)
        result = gevent.event.AsyncResult()
        result.set(self.originate_reply)
        return result

    def subscribe(self, handler, events=()):
        pass

    def on_reconnect(self, callback) -> None:
        pass

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True


class FakePublisher(MemoryPublisher):
    def of(self, channel: str, type_: str | None = None) -> list[dict]:
        return [m for c, m in self.messages if c == channel and (type_ is None or m.get("type") == type_)]


class FakeRecords:
    """ports.CallRecords: written at once, then the wrap-up job, as QueuedRecords does after its batch."""

    def __init__(self, jobs: MemoryJobs):
        self.jobs = jobs
        self.written: dict[str, dict] = {}

    def submit(self, record: dict) -> None:
        self.written[record["call_id"]] = record
        self.jobs.enqueue_many(WRAPUP_JOB, [((record["call_id"],), wrapup_job_id(record["call_id"]))])

    def pending(self) -> int:
        return 0

    def flush(self) -> bool:
        return True

    def recover(self, now: float, older_than_s: float) -> int:
        return 0

    def sweep(self, now: float, replay_s: float = 0.0) -> int:
        return 0

    def drain(self, timeout: float) -> bool:
        return True


class NoCustomers:
    """ports.CustomerLookup that knows nobody (a caller without a card)."""

    def by_number(self, e164: str) -> dict | None:
        return None

    def by_account(self, account: str) -> dict | None:
        return None


class FakeHistory:
    """ports.StateHistory: the agent state history the handlers wrote, as (agent, state, reason)."""

    def __init__(self):
        self.rows: list[tuple] = []

    def put(self, agent_id: str, state: str, reason: str | None, at: float) -> None:
        self.rows.append((agent_id, state, reason))


@dataclass
class Registry:
    value: object

    def current(self):
        return self.value

    def reload(self) -> bool:
        return False


@dataclass
class Clock:
    t: float = 1000.0

    def __call__(self) -> float:
        return self.t


def make_deps(queues: dict, switch=None, **config) -> Deps:
    clock = Clock()
    history, jobs = FakeHistory(), MemoryJobs()
    deps = Deps(
        config=load_config(env={}).replace(**config), controller_id="test-ctl",
        store=MemoryState(), publisher=FakePublisher(), switch=switch or FakeSwitch(),
        customers=NoCustomers(), records=FakeRecords(jobs), jobs=jobs, flows=Registry(None),
        queues=Registry(queues), call_log=MemoryCallLog(), now=clock,
        offload=lambda f, *a, **k: f(*a, **k),
        state_log=history,
    )
    deps.history = history.rows  # the agent state history the handlers wrote
    return deps
