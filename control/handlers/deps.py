"""Everything a handler needs, built once by the composition root (control/app.py), typed by the
ports (control/ports.py): tests pass fakes that implement the whole port."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from control.config import Config
from control.ports import (CallEvents, CallRecords, ConfigSource, Consoles, CustomerLookup, JobQueue, LiveState,
                           Publisher, QueueSource, StateHistory, SwitchControl)
from control.store.consoles import ConsoleWaits


@dataclass
class Deps:
    config: Config
    controller_id: str
    store: LiveState
    publisher: Publisher
    switch: SwitchControl          # the inbound Event Socket
    customers: CustomerLookup
    records: CallRecords
    jobs: JobQueue
    flows: ConfigSource            # control.ivr.loader.FlowRegistry
    queues: QueueSource            # control.queues.QueueRegistry
    call_log: CallEvents
    now: Callable[[], float]       # the clock
    offload: Callable[..., Any]    # run blocking I/O (SQL) off the event loop, in the thread pool
    state_log: StateHistory        # the agent state history for reports (agent_state_log)
    consoles: Consoles = field(default_factory=ConsoleWaits)   # open consoles and their pop acks
