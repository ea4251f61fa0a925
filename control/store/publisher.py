"""ports.Publisher on Redis: a capped stream per channel (for replay) plus pub/sub (for followers).

The stream id is the SSE ``id:``, so a console that reconnects with ``Last-Event-ID``
reads everything it missed with XREAD; pub/sub carries the same message (with its
``stream_id``) to listeners that only want live events.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from control.store.keys import Keys

PUBLISH_LUA = (Path(__file__).parent / "lua" / "publish.lua").read_text()


class RedisPublisher:
    def __init__(self, client, prefix: str, maxlen: int = 1000):
        self.r, self.prefix, self.maxlen, self.keys = client, prefix, maxlen, Keys(prefix)
        self._publish = client.register_script(PUBLISH_LUA)   # XADD + PUBLISH in one round trip

    def stream_key(self, channel: str) -> str:
        return self.keys.stream(channel)

    def pubsub_channel(self, channel: str) -> str:
        return self.keys.events(channel)

    def publish(self, channel: str, message: dict[str, Any]) -> str:
        data = json.dumps({k: v for k, v in message.items() if k != "stream_id"}, default=str)
        stream_id = self._publish(keys=[self.stream_key(channel)],
                                  args=[self.pubsub_channel(channel), data, self.maxlen])
        return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)


class MemoryPublisher:
    """For tests and the in-process bench: remembers what was published."""

    def __init__(self):
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def publish(self, channel: str, message: dict[str, Any]) -> str:
        self.messages.append((channel, message))
        return f"{len(self.messages)}-0"
