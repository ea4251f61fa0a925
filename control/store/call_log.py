"""Append-only per-call lists in Redis: offers and routing explanations.

Kept apart from the call's own hash so the controller that offers a call and
the controller that owns the caller's socket never overwrite each other.
"""
from __future__ import annotations

import json
from typing import Any

TTL_S = 6 * 3600  # long enough for any call; short enough not to pile up at 250 calls/s
# what a call's record copies; "callback" (a request the callback service reads later) stays
ENDED_KINDS = ("offers", "explanations", "recording", "won")


class CallLog:
    def __init__(self, client, prefix: str):
        self.client, self.prefix = client, prefix

    def _key(self, call_id: str, kind: str) -> str:
        return f"{self.prefix}:calllog:{call_id}:{kind}"

    def append(self, call_id: str, kind: str, item: Any) -> None:
        key = self._key(call_id, kind)
        pipe = self.client.pipeline()
        pipe.rpush(key, json.dumps(item))
        pipe.expire(key, TTL_S)
        pipe.execute()

    def read(self, call_id: str, kind: str) -> list[Any]:
        return [json.loads(v) for v in self.client.lrange(self._key(call_id, kind), 0, -1)]

    def drop(self, call_id: str, kinds: tuple[str, ...] = ENDED_KINDS) -> None:
        """Forget a finished call's lists (one DEL): its record holds them now; left alone they
        would only expire after TTL_S, ~2 keys per call (docs/benchmarks.md, Soak)."""
        self.client.delete(*(self._key(call_id, kind) for kind in kinds))


class MemoryCallLog:
    def __init__(self):
        self.items: dict[tuple[str, str], list[Any]] = {}

    def append(self, call_id: str, kind: str, item: Any) -> None:
        self.items.setdefault((call_id, kind), []).append(item)

    def read(self, call_id: str, kind: str) -> list[Any]:
        return list(self.items.get((call_id, kind), []))

    def drop(self, call_id: str, kinds: tuple[str, ...] = ENDED_KINDS) -> None:
        for kind in kinds:
            self.items.pop((call_id, kind), None)
