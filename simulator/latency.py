"""How long FreeSWITCH takes to run an Event Socket command, for the simulator.

mod_event_socket reads one connection's commands one at a time and runs an ``api`` command in that
connection's thread before reading the next (``api_exec`` called inline in ``parse_command``), so
a slow command holds up every command behind it on the same connection. A ``bgapi`` is answered
at once and runs in a thread of its own. The simulator's inbound session is one greenlet per
connection that handles commands in order; sleeping there for a command's latency holds up that
connection only, as on the real switch.

``CommandLatency`` maps a command name (``show``, ``uuid_bridge``, ``originate``) to seconds, with
``default`` for the rest; ``bgapi_accept`` is how long a ``bgapi`` holds its connection before the
``+OK Job-UUID`` reply (FreeSWITCH starts the job's thread and waits for it to pick the job up).
``DEFAULT_LATENCY`` is the median measured on FreeSWITCH 1.11.2
(docs/benchmarks.md, Event Socket command latency); ``CommandLatency.none()`` answers at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CommandLatency:
    default: float = 0.0
    by_command: dict[str, float] = field(default_factory=dict)
    bgapi_accept: float = 0.0

    @classmethod
    def none(cls) -> "CommandLatency":
        return cls()

    @classmethod
    def parse(cls, text: str) -> "CommandLatency":
        """``"0.0005,show=0.02,uuid_bridge=0.002"``: a default in seconds, then name=seconds pairs."""
        default, by_command = 0.0, {}
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, eq, value = part.partition("=")
            try:
                seconds = float(value if eq else name)
            except ValueError:
                raise ValueError(f"command latency {part!r}: expected seconds or name=seconds, "
                                 f"e.g. 0.0005,show=0.02") from None
            if seconds < 0:
                raise ValueError(f"command latency {part!r}: seconds must not be negative")
            if eq:
                by_command[name.strip()] = seconds
            else:
                default = seconds
        return cls(default, by_command)

    def of(self, command_line: str) -> float:
        """Seconds for ``uuid_bridge a b`` (an api or bgapi argument)."""
        name = command_line.strip().split(" ", 1)[0]
        return self.by_command.get(name, self.default)


# Medians on FreeSWITCH 1.11.2 with 1,000 channels up: a command that attaches to a channel's media
# (uuid_record adds a media bug) waits for that channel's thread, about one 20 ms frame at worst.
DEFAULT_LATENCY = CommandLatency(default=0.0002, by_command={"show": 0.018, "uuid_record": 0.010},
                                 bgapi_accept=0.0025)
