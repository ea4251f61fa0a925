"""Everything a handler needs, built once by the composition root (control/app.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from control.config import Config


@dataclass
class Deps:
    config: Config
    controller_id: str
    store: Any            # ports.LiveState
    publisher: Any        # ports.Publisher
    switch: Any           # ports.SwitchControl (inbound Event Socket)
    customers: Any        # ports.CustomerLookup
    records: Any          # ports.CallRecords
    jobs: Any             # ports.JobQueue
    flows: Any            # control.ivr FlowRegistry
    queues: Any           # control.queues QueueRegistry
    call_log: Any         # control.store.call_log.CallLog
    now: Callable[[], float] = field(default=None)  # clock
    offload: Callable[..., Any] = field(default=None)  # run blocking I/O (SQL) off the event loop
    state_log: Callable[..., Any] | None = None        # (agent_id, state, reason, at): history for reports
