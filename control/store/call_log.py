"""Append-only per-call lists in Redis: offers and routing explanations.

Kept apart from the call's own hash so the controller that offers a call and
the controller that owns the caller's socket never overwrite each other.
"""
from __future__ import annotations

import json
from typing import Any

from control.store.keys import Keys

TTL_S = 6 * 3600  # long enough for any call; short enough not to pile up at 250 calls/s
# what a call's record copies; "callback" (a request the callback service reads later) stays
ENDED_KINDS = ("offers", "explanations", "recording", "won")


class CallLog:
    def __init__(self, client, prefix: str):
        self.client, self.prefix = client, prefix

    def _key(self, call_id: str, kind: str) -> str:
        return Keys(self.prefix).call_log(call_id, kind)

    def append(self, call_id: str, kind: str, item: Any) -> int:
        """Returns the list's new length."""
        return self.append_many(call_id, [(kind, item)])[0]

    def append_many(self, call_id: str, items: list[tuple[str, Any]]) -> list[int]:
        """(kind, item) pairs in one round trip; the lists' new lengths, in order."""
        pipe = self.client.pipeline(transaction=False)
        for kind, item in items:
            key = self._key(call_id, kind)
            pipe.rpush(key, json.dumps(item))
            pipe.expire(key, TTL_S)
        return pipe.execute()[::2]

    def read(self, call_id: str, kind: str) -> list[Any]:
        return [json.loads(v) for v in self.client.lrange(self._key(call_id, kind), 0, -1)]

    def read_many(self, call_id: str, kinds: tuple[str, ...]) -> dict[str, list[Any]]:
        """Several of a call's lists in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for kind in kinds:
            pipe.lrange(self._key(call_id, kind), 0, -1)
        return {kind: [json.loads(v) for v in raw] for kind, raw in zip(kinds, pipe.execute())}

    def drop(self, call_id: str, kinds: tuple[str, ...] = ENDED_KINDS) -> None:
        """Forget a finished call's lists (one DEL): its record holds them now; left alone they
        would only expire after TTL_S, ~2 keys per call (docs/benchmarks.md, Soak)."""
        self.client.delete(*(self._key(call_id, kind) for kind in kinds))


class MemoryCallLog:
    def __init__(self):
        self.items: dict[tuple[str, str], list[Any]] = {}

    def append(self, call_id: str, kind: str, item: Any) -> int:
        items = self.items.setdefault((call_id, kind), [])
        items.append(item)
        return len(items)

    def append_many(self, call_id: str, items: list[tuple[str, Any]]) -> list[int]:
        return [self.append(call_id, kind, item) for kind, item in items]

    def read(self, call_id: str, kind: str) -> list[Any]:
        return list(self.items.get((call_id, kind), []))

    def read_many(self, call_id: str, kinds: tuple[str, ...]) -> dict[str, list[Any]]:
        return {kind: self.read(call_id, kind) for kind in kinds}

    def drop(self, call_id: str, kinds: tuple[str, ...] = ENDED_KINDS) -> None:
        for kind in kinds:
            self.items.pop((call_id, kind), None)
