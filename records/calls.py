"""Durable call records: an idempotent upsert by call_id that survives a database outage.

While the database is unreachable, records go to a bounded in-memory buffer and to a
JSONL spool file (so a restart loses nothing either). The next write after the retry
interval, or an explicit ``flush()``, drains the spool and the buffer oldest first.
Upsert by call_id means a record flushed twice is still one row. Each batch also adds the calls'
after-call work to the outbox table in the same transaction (records/after_call.py).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, SQLAlchemyError

from control.domain.call_record import LIST_FIELDS, PLAIN_FIELDS, TIME_FIELDS, CallRecord
from control.paths import var_dir
from records.after_call import add_pending
from records.locks import native_rlock
from records.models import Call

log = logging.getLogger(__name__)

DEFAULT_SPOOL = var_dir() / "spool" / "call-records.jsonl"
# the fields of control/domain/call_record.CallRecord, by how they are stored
TIME_KEYS, PLAIN_KEYS, LIST_KEYS = TIME_FIELDS, PLAIN_FIELDS, LIST_FIELDS


def to_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


def is_outage(exc: BaseException) -> bool:
    """True when the database could not be reached (retry later), not when the record is bad."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or type(exc).__name__ in ("OperationalError", "InterfaceError")
    return False


def apply_record(row: Call, record: dict[str, Any]) -> None:
    for key in PLAIN_KEYS:
        if key in record:
            setattr(row, key, record[key])
    for key in TIME_KEYS:
        if key in record:
            setattr(row, key, to_datetime(record[key]))
    for key in LIST_KEYS:
        if key in record:
            setattr(row, key, list(record[key] or []))
    # The console may set a disposition before the controller's record arrives; keep it.
    if record.get("disposition"):
        row.disposition = record["disposition"]


def upsert_call(session, record: dict[str, Any]) -> Call:
    return upsert_calls(session, [record])[0]


def upsert_calls(session, records: Iterable[dict[str, Any]], chunk: int = 500) -> list[Call]:
    """Upsert a batch: one SELECT per ``chunk`` ids for the rows that exist, new rows added together
    (the flush sends them as multi-row INSERTs). A call_id twice in the batch is one row, last wins."""
    rows: dict[str, Call] = {}
    records = list(records)
    ids = list(dict.fromkeys(r["call_id"] for r in records))
    for start in range(0, len(ids), chunk):
        found = session.scalars(select(Call).where(Call.call_id.in_(ids[start:start + chunk])))
        rows.update((row.call_id, row) for row in found)
    for record in records:
        row = rows.get(record["call_id"])
        if row is None:
            row = rows[record["call_id"]] = Call(call_id=record["call_id"], ivr_path=[], offers=[], explanations=[])
            session.add(row)
        apply_record(row, record)
    return [rows[i] for i in ids]


def _private(record: dict[str, Any]) -> dict[str, Any]:
    CallRecord.from_dict(record)   # ValueError: no call_id, or a key that is not a CallRecord field
    return json.loads(json.dumps(record, default=str))  # a private, JSON-safe copy


class CallRecordWriter:
    def __init__(self, session_factory, spool_path: str | os.PathLike | None = None,
                 max_buffer: int = 10000, retry_s: float = 2.0):
        self.sessions = session_factory
        self.spool = Path(spool_path) if spool_path else DEFAULT_SPOOL
        self.max_buffer = max_buffer
        self.retry_s = retry_s
        self.buffer: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = native_rlock()
        self._down_since: float | None = None
        self._last_try = 0.0

    # -- public -----------------------------------------------------------------------
    def write(self, record: dict[str, Any]) -> None:
        self.write_many([record])

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        """Upsert a batch in one transaction; while the database is down the whole batch is spooled
        (one fsync). A failure mid-batch rolls the transaction back, so a retry never doubles a row."""
        records = [_private(r) for r in records]
        if not records:
            return
        with self._lock:
            if self.pending() and (not self._may_retry() or not self.flush()):
                self._buffer(records)
                return
            try:
                self._upsert(records)
            except SQLAlchemyError as exc:
                if not is_outage(exc):
                    raise
                self._mark_down(exc)
                self._buffer(records)

    def flush(self) -> bool:
        """Write every buffered record. True when nothing is left pending."""
        with self._lock:
            self._last_try = time.monotonic()
            with self._spool_lock():
                records = self._spooled()
                records.update(self.buffer)  # normally a subset of the spool; newest wins
                if not records:
                    return True
                try:
                    self._upsert(records.values())
                except SQLAlchemyError as exc:
                    if not is_outage(exc):
                        raise
                    self._mark_down(exc)
                    return False
                self._truncate_spool()
                self.buffer.clear()
            if self._down_since is not None:
                log.info("database is back; flushed %d buffered call records", len(records))
            self._down_since = None
            return True

    def pending(self) -> int:
        with self._lock:
            return max(len(self.buffer), self._spool_count())

    # -- internals --------------------------------------------------------------------
    def _may_retry(self) -> bool:
        return time.monotonic() - self._last_try >= self.retry_s

    def _mark_down(self, exc: Exception) -> None:
        self._last_try = time.monotonic()
        if self._down_since is None:
            self._down_since = time.time()
            log.warning("database unreachable; buffering call records (%s)", exc.__class__.__name__)

    def _upsert(self, records: Iterable[dict[str, Any]]) -> None:
        records = list(records)
        try:
            self._upsert_once(records)
        except IntegrityError:
            # another writer inserted one of these call_ids meanwhile: the retry finds and updates it
            self._upsert_once(records)

    def _upsert_once(self, records: list[dict[str, Any]]) -> None:
        with self.sessions() as session:
            upsert_calls(session, records)
            # the after-call work, in the same transaction as its record (records/after_call.py)
            add_pending(session, [r["call_id"] for r in records])
            session.commit()

    def _buffer(self, records: list[dict[str, Any]]) -> None:
        with self._spool_lock() as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in records))
            fh.flush()
            os.fsync(fh.fileno())
        for record in records:
            self.buffer.pop(record["call_id"], None)
            self.buffer[record["call_id"]] = record
        while len(self.buffer) > self.max_buffer:
            self.buffer.popitem(last=False)   # still in the spool file; nothing is lost

    def _spool_lock(self):
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        return _Locked(self.spool)

    def _spooled(self) -> "OrderedDict[str, dict[str, Any]]":
        out: OrderedDict[str, dict[str, Any]] = OrderedDict()
        if not self.spool.exists():
            return out
        with open(self.spool, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    log.error("skipping a torn line in %s", self.spool.name)
                    continue
                out.pop(record["call_id"], None)
                out[record["call_id"]] = record
        return out

    def _spool_count(self) -> int:
        if not self.spool.exists():
            return 0
        with open(self.spool, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())

    def _truncate_spool(self) -> None:
        if self.spool.exists():
            with open(self.spool, "r+", encoding="utf-8") as fh:
                fh.truncate(0)


class _Locked:
    """An exclusive flock on the spool file, so several processes can share one spool."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fh = open(self.path, "a", encoding="utf-8")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self.fh

    def __exit__(self, *exc):
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()
        return False
