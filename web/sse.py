"""Server-Sent Events from a Redis stream.

Why XREAD BLOCK and not pub/sub: one read loop does both the replay after
``Last-Event-ID`` and the live follow, with no window between "replayed" and
"subscribed" where a pop could slip through. Every tab reads the stream on its own
(reads do not consume), so several tabs all get every pop. A block that times out
becomes the heartbeat comment, which keeps proxies from closing an idle stream.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Iterator

from control.events import ready as ready_event
from control.metrics import POP_DELIVERY_SECONDS

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
REPLAY_AGE_S = 60.0
Transform = Callable[[dict[str, Any]], dict[str, Any]]


def valid_id(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if STREAM_ID.match(value) else None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def frame(data: dict[str, Any], event_id: str | None = None, event: str | None = None) -> str:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, default=str))  # JSON: never a bare newline
    return "\n".join(lines) + "\n\n"


def _observe_delivery(message: dict[str, Any]) -> None:
    """A pop's age as it leaves for the console; replays of old pops are not deliveries."""
    sent = message.get("ts")
    if message.get("type") == "offer" and isinstance(sent, (int, float)):
        age = time.time() - sent
        if 0 <= age < REPLAY_AGE_S:
            POP_DELIVERY_SECONDS.observe(age)


def events(client, stream_key: str, last_id: str | None, heartbeat_s: float,
           transform: Transform = lambda m: m, batch: int = 100,
           on_read: Callable[[], None] | None = None) -> Iterator[str]:
    """``on_read``: called before each read of the stream (at least once a heartbeat)."""
    yield "retry: 2000\n\n"
    if last_id is None:
        newest = client.xrevrange(stream_key, count=1)
        last_id = _text(newest[0][0]) if newest else "0-0"
        # The ready event carries the position, so a reconnect before the first pop still resumes here.
        yield frame(ready_event(), event_id=last_id, event="ready")
    else:
        yield frame(ready_event(resumed_from=last_id), event="ready")
    block_ms = max(1, int(heartbeat_s * 1000))
    while True:
        if on_read is not None:
            on_read()
        reply = client.xread({stream_key: last_id}, count=batch, block=block_ms)
        if not reply:
            yield ": heartbeat\n\n"
            continue
        for _key, entries in reply:
            for entry_id, fields in entries:
                last_id = _text(entry_id)
                raw = fields.get(b"data", fields.get("data"))
                try:
                    message = json.loads(raw)
                except (TypeError, ValueError):
                    continue
                _observe_delivery(message)
                yield frame({**transform(message), "stream_id": last_id}, event_id=last_id)
