"""Fakes for the handler tests: the ports with memory behind them, no sockets."""
from __future__ import annotations

from dataclasses import dataclass, field

import gevent.event

from control.config import load_config
from control.handlers.deps import Deps
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


class FakePublisher(MemoryPublisher):
    def of(self, channel: str, type_: str | None = None) -> list[dict]:
        return [m for c, m in self.messages if c == channel and (type_ is None or m.get("type") == type_)]


class FakeRecords:
    def __init__(self):
        self.written: dict[str, dict] = {}

    def write(self, record: dict) -> None:
        self.written[record["call_id"]] = record


@dataclass
class Registry:
    value: object

    def current(self):
        return self.value


@dataclass
class Clock:
    t: float = 1000.0

    def __call__(self) -> float:
        return self.t


def make_deps(queues: dict, switch=None, **config) -> Deps:
    clock = Clock()
    history: list[tuple] = []
    deps = Deps(
        config=load_config(env={}).replace(**config), controller_id="test-ctl",
        store=MemoryState(), publisher=FakePublisher(), switch=switch or FakeSwitch(),
        customers=None, records=FakeRecords(), jobs=MemoryJobs(), flows=None,
        queues=Registry(queues), call_log=MemoryCallLog(), now=clock,
        offload=lambda f, *a, **k: f(*a, **k),
        state_log=lambda agent_id, state, reason, at: history.append((agent_id, state, reason)),
    )
    deps.history = history  # the agent state history the handlers wrote
    return deps
