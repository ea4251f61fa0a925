"""``rebuild``: recompute every rollup member, and then the rollup rows, from the raw records.

PostgreSQL: one INSERT ... SELECT (repeat calls by a LAG over each caller's calls, as the raw
report does). Other databases: the same definitions in Python (reports/rollup.member_values).
The caller has already chosen ``since`` on a 15-minute boundary; members from it are replaced.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, text, update

from records.models import Call
from records.rollup_models import DIMS, CallRollup, RollupMember
from records.wrapup_models import CallFacts, CsatResponse
from reports.kpis import REPEAT_WINDOW, repeat_ids, rows_from_records
from reports.rollup import Thresholds, bucket_of, configured_thresholds, insert_rollup, member_values, utc

PG_MEMBERS = """
INSERT INTO call_rollup_members (call_id, caller, entered_at, bucket, queue, agent, did, sl_s, short_s, answered,
  abandoned, short_abandoned, within_sl, wait_s, handle_s, transferred, is_repeat, csat)
SELECT b.call_id, b.caller, b.entered_at, date_bin('15 minutes', b.entered_at, TIMESTAMPTZ '2001-01-01 00:00:00+00'),
  b.queue, COALESCE(b.agent_id, ''), COALESCE(b.did, ''), {sl}, :short,
  CASE WHEN b.answered_at IS NOT NULL THEN 1 ELSE 0 END,
  CASE WHEN b.answered_at IS NULL AND b.outcome = 'abandoned' AND b.wait_s >= :short THEN 1 ELSE 0 END,
  CASE WHEN b.answered_at IS NULL AND b.outcome = 'abandoned' AND b.wait_s < :short THEN 1 ELSE 0 END,
  CASE WHEN b.answered_at IS NOT NULL AND b.wait_s <= {sl} THEN 1 ELSE 0 END,
  b.wait_s, b.talk_s + COALESCE(f.hold_s, 0) + COALESCE(f.wrap_s, 0),
  CASE WHEN b.answered_at IS NOT NULL AND (COALESCE(f.transferred, false) OR b.outcome = 'transferred')
       THEN 1 ELSE 0 END,
  CASE WHEN b.prev_at IS NOT NULL AND b.entered_at - b.prev_at <= interval '24 hours' THEN 1 ELSE 0 END,
  r.score
FROM (
  SELECT c.call_id, c.caller, c.entered_at, c.queue, c.agent_id, c.did, c.answered_at, c.outcome,
         COALESCE(c.wait_s, 0) AS wait_s, COALESCE(c.talk_s, 0) AS talk_s,
         CASE WHEN c.caller IS NOT NULL THEN
           LAG(c.entered_at) OVER (PARTITION BY c.caller COLLATE "C" ORDER BY c.entered_at, c.call_id COLLATE "C")
         END AS prev_at
  FROM calls c WHERE c.entered_at IS NOT NULL {lookback}
) b
LEFT JOIN call_facts f ON f.call_id = b.call_id LEFT JOIN csat_responses r ON r.call_id = b.call_id
WHERE b.queue IS NOT NULL {since}
"""


def lookback(since):
    return since - REPEAT_WINDOW if since else None


def rebuild_pg(session, since, th: Thresholds, work_mem_mb: int = 256) -> None:
    from sqlalchemy import DateTime, bindparam, text

    clear(session, since)
    params, cases = {"short": float(th.short_s), "sl_default": float(th.default_sl_s)}, []
    for i, (queue, seconds) in enumerate(sorted(th.sl.items())):
        params[f"slq{i}"], params[f"slt{i}"] = queue, float(seconds)
        cases.append(f"WHEN :slq{i} THEN :slt{i}")
    sl = f"(CASE b.queue {' '.join(cases)} ELSE :sl_default END)" if cases else ":sl_default"
    sql = PG_MEMBERS.format(sl=sl, lookback="AND c.entered_at >= :lookback" if since else "",
                            since="AND b.entered_at >= :since" if since else "")
    stmt = text(sql)
    if since:
        stmt = stmt.bindparams(*(bindparam(n, type_=DateTime(timezone=True)) for n in ("lookback", "since")))
        params.update(since=since, lookback=lookback(since))
    session.execute(text(f"SET LOCAL work_mem = '{int(work_mem_mb)}MB'"))
    session.execute(stmt, params)


def rebuild_python(session, since, th: Thresholds, batch: int = 5000) -> None:
    clear(session, since)
    query = select(Call).where(Call.entered_at.is_not(None))
    if since:
        query = query.where(Call.entered_at >= lookback(since))
    calls = session.scalars(query).all()
    facts = {f.call_id: f for f in session.scalars(select(CallFacts))}
    csat = dict(session.execute(select(CsatResponse.call_id, CsatResponse.score)).all())
    rows = rows_from_records(calls, facts, csat)
    for r in rows:
        r.entered_at = utc(r.entered_at)
    repeats = repeat_ids(rows)
    members = []
    for call in calls:
        if call.queue is None or (since and utc(call.entered_at) < since):
            continue
        f = facts.get(call.call_id)
        members.append(member_values(call, getattr(f, "hold_s", 0.0), getattr(f, "wrap_s", 0.0),
                                     getattr(f, "transferred", False), csat.get(call.call_id),
                                     call.call_id in repeats, th))
    for i in range(0, len(members), batch):
        session.execute(insert(RollupMember), members[i:i + batch])


def clear(session, since: datetime | None) -> None:
    M, R = RollupMember, CallRollup
    session.execute(delete(M).where(M.bucket >= since) if since else delete(M))
    session.execute(delete(R).where(R.bucket >= since) if since else delete(R))


def finish_rebuild(session, since: datetime | None) -> int:
    where = [RollupMember.bucket >= since] if since else []
    for dim in DIMS:
        insert_rollup(session, dim, *where)
    marked = update(Call).where(Call.rolled_up == False)  # noqa: E712
    if since:
        marked = marked.where(Call.entered_at >= since)
    session.execute(marked.values(rolled_up=True))
    return session.scalar(select(func.count()).select_from(RollupMember).where(*where))


def rebuild(sessions, since: datetime | None = None, thresholds: Thresholds | None = None) -> int:
    """Recompute members and rollup rows for calls entered from ``since`` (all when None).

    Returns the number of calls rolled up. PostgreSQL does it in SQL; other databases in Python.
    """
    th = thresholds or configured_thresholds()
    since = bucket_of(since) if since else None
    with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            # finalize jobs wait (their member writes block) rather than interleave with the rebuild
            session.execute(text("LOCK TABLE call_rollup_members IN EXCLUSIVE MODE"))
            rebuild_pg(session, since, th)
        else:
            rebuild_python(session, since, th)
        return finish_rebuild(session, since)
