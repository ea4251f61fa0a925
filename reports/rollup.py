"""The 15-minute call rollup: what each call contributes, kept exact as calls are finalised.

``refresh_call`` (worker/wrapup.finalize_call; a late CSAT or call-facts write) recomputes the
call's member row (records/rollup_models.py) and the repeat flag of the caller's later calls. A call
counted for the first time is added to its rollup rows (one upsert: sums added, the longest wait
kept); a member that changed, and the later calls that became repeats, have their rows recomputed
from their members. The member row is the marker: a rerun finds it unchanged and changes nothing,
a late update replaces the old figures. ``rebuild`` (reports/rollup_rebuild.py,
``hotline db rollup --rebuild``) recomputes it all from the raw records. See docs/kpis.md, "Rollup".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast, overload

from sqlalchemy import Table, bindparam, case, delete, func, insert, literal, select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from records import call_facts
from records.models import Call
from records.rollup_models import DIMS, CallRollup, RollupMember
from records.wrapup_models import CallFacts, CsatResponse
from reports.kpis import REPEAT_WINDOW

log = logging.getLogger(__name__)

DEFAULT_SL_S = 20.0
DEFAULT_SHORT_ABANDON_S = 5.0
SUMS = ("offered", "answered", "abandoned", "short_abandoned", "within_sl", "wait_answered_s", "handle_s",
        "transferred", "repeats", "csat_sum", "csat_count")


@dataclass(frozen=True)
class Thresholds:
    sl: dict = field(default_factory=dict)      # queue -> service-level seconds
    default_sl_s: float = DEFAULT_SL_S
    short_s: float = DEFAULT_SHORT_ABANDON_S

    def sl_for(self, queue: str) -> float:
        return float(self.sl.get(queue, self.default_sl_s))


def configured_thresholds() -> Thresholds:
    """The queues' service levels from the queue files (what the console's reports ask for)."""
    from control.config import load_config
    from control.queues import load_queues

    try:
        queues = load_queues(load_config().queues_dir)
    except (OSError, ValueError) as exc:
        log.warning("queue files unreadable (%s); rollup uses the default service level", exc)
        return Thresholds()
    return Thresholds({name: float(q.service_level_s) for name, q in queues.items()})


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def bucket_of(when: datetime) -> datetime:
    when = utc(when).astimezone(timezone.utc)
    return when.replace(minute=when.minute - when.minute % 15, second=0, microsecond=0)


def member_values(call, hold_s: float, wrap_s: float, facts_transferred: bool, csat: int | None,
                  is_repeat: bool, th: Thresholds) -> dict:
    """One call's contribution, as the columns of RollupMember (docs/kpis.md definitions)."""
    wait, answered = float(call.wait_s or 0.0), call.answered_at is not None
    sl_s = th.sl_for(call.queue)
    abandon = not answered and call.outcome == "abandoned"
    short = abandon and wait < th.short_s
    return {
        "call_id": call.call_id, "caller": call.caller, "entered_at": utc(call.entered_at),
        "bucket": bucket_of(call.entered_at), "queue": call.queue, "agent": call.agent_id or "",
        "did": call.did or "", "sl_s": sl_s, "short_s": th.short_s, "answered": int(answered),
        "abandoned": int(abandon and not short), "short_abandoned": int(short),
        "within_sl": int(answered and wait <= sl_s), "wait_s": wait,
        "handle_s": float(call.talk_s or 0.0) + float(hold_s or 0.0) + float(wrap_s or 0.0),
        "transferred": int(answered and (bool(facts_transferred) or call.outcome == "transferred")),
        "is_repeat": int(bool(is_repeat)), "csat": csat,
    }


def add_member(acc: dict, m) -> None:
    """Add one member (a dict or a RollupMember) to running sums (same as the SQL aggregate)."""
    get = m.get if isinstance(m, dict) else (lambda k: getattr(m, k))
    answered = get("answered")
    for k, v in (("offered", 1), ("answered", answered), ("abandoned", get("abandoned")),
                 ("short_abandoned", get("short_abandoned")), ("within_sl", get("within_sl")),
                 ("wait_answered_s", get("wait_s") if answered else 0.0),
                 ("handle_s", get("handle_s") if answered else 0.0), ("transferred", get("transferred")),
                 ("repeats", get("is_repeat")), ("csat_sum", get("csat") or 0),
                 ("csat_count", int(get("csat") is not None))):
        acc[k] = acc.get(k, 0) + v
    acc["max_wait_s"] = max(acc.get("max_wait_s", 0.0), get("wait_s"))


def rollup_keys(m) -> set[tuple]:
    get = m.get if isinstance(m, dict) else (lambda k: getattr(m, k))
    return {(dim, utc(get("bucket")), get(col), get("queue"), get("sl_s"), get("short_s"))
            for dim, col in DIMS.items()}


def aggregate_select(dim: str):
    """Members -> CallRollup rows of one dimension (the columns of insert_rollup)."""
    M, col = RollupMember, getattr(RollupMember, DIMS[dim])
    return select(
        literal(dim), M.bucket, col, M.queue, M.sl_s, M.short_s, func.count(), func.sum(M.answered),
        func.sum(M.abandoned), func.sum(M.short_abandoned), func.sum(M.within_sl),
        func.sum(case((M.answered == 1, M.wait_s), else_=0.0)), func.sum(case((M.answered == 1, M.handle_s),
                                                                              else_=0.0)),
        func.max(M.wait_s), func.sum(M.transferred), func.sum(M.is_repeat), func.coalesce(func.sum(M.csat), 0),
        func.count(M.csat)).group_by(M.bucket, col, M.queue, M.sl_s, M.short_s)


INSERT_COLUMNS = ("dim", "bucket", "dim_key", "queue", "sl_s", "short_s", "offered", "answered", "abandoned",
                  "short_abandoned", "within_sl", "wait_answered_s", "handle_s", "max_wait_s", "transferred",
                  "repeats", "csat_sum", "csat_count")


def insert_rollup(session, dim: str, *where) -> None:
    query = aggregate_select(dim).where(*where)
    session.execute(insert(CallRollup).from_select(INSERT_COLUMNS, query))


_BUCKET_LOCK = text("SELECT pg_advisory_xact_lock(2, :n)")


def lock_buckets(session, buckets) -> None:
    """PostgreSQL: the per-bucket locks every writer of a bucket's rollup rows takes, in order."""
    if session.get_bind().dialect.name == "postgresql":
        for bucket in sorted(buckets):
            session.execute(_BUCKET_LOCK, {"n": int(bucket.timestamp()) // 900})


def recompute(session, keys: set[tuple], locked: bool = False) -> None:
    """Rewrite the given rollup rows from their members (under the per-bucket locks)."""
    if not locked:
        lock_buckets(session, {k[1] for k in keys})
    M, R = RollupMember, CallRollup
    for dim, bucket, key, queue, sl_s, short_s in sorted(keys, key=lambda k: (k[1], k[0], k[2], k[3], k[4], k[5])):
        session.execute(delete(R).where(R.dim == dim, R.bucket == bucket, R.dim_key == key, R.queue == queue,
                                        R.sl_s == sl_s, R.short_s == short_s))
        insert_rollup(session, dim, M.bucket == bucket, getattr(M, DIMS[dim]) == key, M.queue == queue,
                      M.sl_s == sl_s, M.short_s == short_s)


KEY_COLUMNS = INSERT_COLUMNS[:6]
_ADD: dict[str, object] = {}


def _add_statement(dialect: str):
    """INSERT one row per dimension, or add to the rows already there (sums added, the longest wait
    kept): one statement with a VALUES list (an executemany would be a round trip per row). SQLAlchemy
    does not cache a multi-row VALUES statement, so it is compiled here once, to text with typed
    parameters."""
    if dialect not in _ADD:
        from sqlalchemy.dialects import postgresql, sqlite
        from sqlalchemy.dialects.postgresql import psycopg2
        from sqlalchemy.dialects.sqlite import pysqlite

        dml: Any = postgresql if dialect == "postgresql" else sqlite
        driver: Any = psycopg2 if dialect == "postgresql" else pysqlite   # the drivers the project ships
        longest: Any = func.greatest if dialect == "postgresql" else func.max   # SQLite's max(a, b) of two values
        table = cast(Table, CallRollup.__table__)
        rows = [{c: bindparam(f"{c}_{n}", type_=table.c[c].type) for c in INSERT_COLUMNS} for n in range(len(DIMS))]
        stmt = dml.insert(table).values(rows)
        R, new = table.c, stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=list(KEY_COLUMNS),
            set_={**{c: R[c] + new[c] for c in SUMS}, "max_wait_s": longest(R.max_wait_s, new.max_wait_s)})
        sql = str(stmt.compile(dialect=driver.dialect(paramstyle="named")))
        _ADD[dialect] = text(sql).bindparams(*(p for row in rows for p in row.values()))
    return _ADD[dialect]


def add_to_rollup(session, member: dict) -> None:
    """A new member's figures added to its rollup rows (one per dimension) in one statement; the
    same figures as recomputing the rows from their members. Under the member's bucket lock."""
    sums: dict = {}
    add_member(sums, member)
    params = {}
    for n, key in enumerate(sorted(rollup_keys(member))):
        params.update({f"{c}_{n}": v for c, v in {**dict(zip(KEY_COLUMNS, key)), **sums}.items()})
    session.connection().execute(_add_statement(session.get_bind().dialect.name), params)


# Built once: a finalize job runs these for every call, and building a statement costs more than running it.
_CALL = select(Call).where(Call.call_id == bindparam("call_id"))
_CALLS_BEFORE = select(Call.entered_at, Call.call_id).where(
    Call.caller == bindparam("caller"), Call.entered_at >= bindparam("since"), Call.entered_at <= bindparam("at"))
_NOT_REPEATS_AFTER = select(RollupMember).where(
    RollupMember.caller == bindparam("caller"), RollupMember.entered_at >= bindparam("at"),
    RollupMember.entered_at <= bindparam("until"), RollupMember.is_repeat == 0)
_FACTS = CallFacts.__table__.c


def _of_call(column):
    return select(column).where(column.table.c.call_id == bindparam("call_id")).scalar_subquery()


# the call's hold, wrap-up and transfer facts and its CSAT score (None where there is none), in one query
_HANDLING = select(_of_call(_FACTS.hold_s), _of_call(_FACTS.wrap_s), _of_call(_FACTS.transferred),
                   _of_call(CsatResponse.__table__.c.score))
_CALLER_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:c))")
_ADD_MEMBER = insert(cast(Table, RollupMember.__table__))
_CALLS = cast(Table, Call.__table__)
_ROLLED_UP = update(_CALLS).where(_CALLS.c.call_id == bindparam("b_call_id")).values(rolled_up=True)


def earlier_call_exists(session, caller: str, entered_at: datetime, call_id: str) -> bool:
    """Did the caller have a call (by entered_at, then call_id) at most 24 h before this one?"""
    entered_at = utc(entered_at)
    rows = session.execute(_CALLS_BEFORE, {"caller": caller, "since": entered_at - REPEAT_WINDOW,
                                           "at": entered_at}).all()
    return any((utc(at), cid) < (entered_at, call_id) for at, cid in rows)


def refresh_call(session, call_id: str, thresholds: Thresholds | None = None, call: Call | None = None) -> bool:
    """Bring the rollup up to date for one call; in the caller's transaction. True when it changed.

    ``thresholds`` None (a late CSAT or facts update) keeps the thresholds the call was counted
    with, and does nothing for a call not rolled up yet (its finalize job will count it).
    ``call``: the call's row when the caller has loaded it in this session already.
    """
    call = call if call is not None else session.scalar(_CALL, {"call_id": call_id})
    if call is None:
        return False
    if session.get_bind().dialect.name == "postgresql":   # one caller's calls are refreshed one at a time
        session.execute(_CALLER_LOCK, {"c": call.caller or call_id})
    old = session.get(RollupMember, call_id)
    if thresholds is None and old is None:
        return False
    if thresholds is None:
        thresholds = Thresholds({old.queue: old.sl_s}, old.sl_s, old.short_s)
    keys: set[tuple] = set()
    new = added = None
    if call.queue is not None and call.entered_at is not None:
        hold_s, wrap_s, transferred, score = session.execute(_HANDLING, {"call_id": call_id}).one()
        repeat = earlier_call_exists(session, call.caller, call.entered_at, call_id) if call.caller else False
        new = member_values(call, hold_s or 0.0, wrap_s or 0.0, bool(transferred), score, repeat, thresholds)
    changed = _same(old, new) is False
    if changed:
        if old is not None:
            keys |= rollup_keys(old)
            session.delete(old)
            session.flush()
        if new is not None and old is None:   # a call counted for the first time: add it to its rows
            session.connection().execute(_ADD_MEMBER, new)
            added = new
        elif new is not None:
            session.add(RollupMember(**new))
            keys |= rollup_keys(new)
    if not call.rolled_up:
        session.connection().execute(_ROLLED_UP, {"b_call_id": call_id})
        set_committed_value(call, "rolled_up", True)
    keys |= _later_repeats(session, call)
    session.flush()
    lock_buckets(session, {k[1] for k in keys} | ({added["bucket"]} if added else set()))
    if added:
        add_to_rollup(session, added)
    if keys:   # after the addition: a row in both is rewritten from its members, the new one included
        recompute(session, keys, locked=True)
    return changed or bool(keys)


def _same(old, new) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return all(utc(getattr(old, k)) == v if isinstance(v, datetime) else getattr(old, k) == v
               for k, v in new.items())


def _later_repeats(session, call) -> set[tuple]:
    """Adding a call can only make the caller's later calls (up to 24 h after) repeats."""
    if not call.caller or call.entered_at is None:
        return set()
    at = utc(call.entered_at)
    later = session.scalars(_NOT_REPEATS_AFTER, {"caller": call.caller, "at": at, "until": at + REPEAT_WINDOW}).all()
    keys: set[tuple] = set()
    for m in later:
        if (utc(m.entered_at), m.call_id) > (at, call.call_id):
            keys |= rollup_keys(m)
            m.is_repeat = 1
    return keys


def refresh_after_update(sessions, call_id: str) -> None:
    """After a late CSAT or call-facts write: adjust the rollup if the call is already in it."""
    with sessions() as session, session.begin():
        refresh_call(session, call_id, None)


def record_handling(sessions, call_id: str, hold_s: float | None = None, wrap_s: float | None = None,
                    transferred: bool | None = None) -> None:
    """The call's hold, wrap-up or transfer facts (records/call_facts.py), then its rollup rows: a
    wrap-up that ends after finalize_call counted the call adjusts them."""
    call_facts.record_handling(sessions, call_id, hold_s=hold_s, wrap_s=wrap_s, transferred=transferred)
    refresh_after_update(sessions, call_id)
