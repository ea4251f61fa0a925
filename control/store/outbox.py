"""Call records between a call's end and their batch write, kept in Redis.

The batch writer (control/store/batch.py) trails the call by milliseconds, and by then the call
has left live state. A controller killed in that window would lose the record, so each record
is parked here first and dropped once written (or spooled); any controller's reconcile pass
writes again what has been parked too long. Writes are upserts keyed by call id and the
wrap-up job id is derived from the call id, so a record written twice is still one record.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

log = logging.getLogger(__name__)


def _field(record: dict) -> str:
    # a transferred call writes one record per segment under the same call id
    return f"{record['call_id']}|{record.get('ended_at') or ''}"


class RecordOutbox:
    def __init__(self, client, key: str):
        self.r, self.key = client, key

    def add(self, record: dict, now: float) -> None:
        self.r.hset(self.key, _field(record), json.dumps({"at": now, "record": record}, default=str))

    def done(self, records: Iterable[dict]) -> None:
        fields = {_field(r) for r in records}
        if fields:
            self.r.hdel(self.key, *fields)

    def stale(self, now: float, older_than_s: float, limit: int = 1000) -> list[dict]:
        """Records parked before ``now - older_than_s``: their writer has died or is far behind."""
        found = []
        for _, raw in self.r.hscan_iter(self.key, count=500):
            try:
                item = json.loads(raw)
            except ValueError:
                log.error("unreadable parked call record %r", raw[:200])
                continue
            if float(item.get("at", 0)) < now - older_than_s:
                found.append(item["record"])
                if len(found) >= limit:
                    break
        return found

    def size(self) -> int:
        return self.r.hlen(self.key)
