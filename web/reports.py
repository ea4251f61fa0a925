"""Reports in the console: KPI report with a chart and CSV export, drill-down to the calls and to
one call's timeline with its recording player, agent figures, and the failed wrap-up jobs with a retry button.

The ``reports`` blueprint (supervisor+; failed jobs: admin). The chart is Chart.js
(web/static/reports.js) fed from a JSON block (the console's CSP allows no inline script).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template_string, request,
                   send_file, url_for)
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from reports.intervals import INTERVALS, next_bucket, zone
from reports.kpis import BY, COLUMNS
from web.audit import audit
from web.report_format import (PERCENT, agent_chart_data, cell, chart_data, clock, explain, label, mmss,
                                outcome)
from web.reports_pages import AGENTS, CALLS, FAILED, MISSING, PAGE, TIMELINE
from web.roles import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
LIST_LIMIT = 500


@bp.context_processor
def _formatting() -> dict:
    return {"cell": cell, "label": label, "mmss": mmss, "clock": clock, "explain": explain, "outcome": outcome}


def _sessions():
    from web.extensions import db

    return sessionmaker(bind=db.engine, expire_on_commit=False)


def _config():
    return current_app.config["HOTLINE"]


def _thresholds() -> dict[str, float]:
    try:
        from control.queues import load_queues

        return {name: q.service_level_s for name, q in load_queues(_config().queues_dir).items()}
    except Exception:   # noqa: BLE001 - a broken queue file must not take the reports down; default SL applies
        current_app.logger.warning("queue files unreadable; service level uses the default threshold")
        return {}


def _params() -> dict:
    tz = _config().timezone
    today = datetime.now(zone(tz)).date()
    try:
        first = date.fromisoformat(request.args.get("start") or str(today - timedelta(days=6)))
        last = date.fromisoformat(request.args.get("end") or str(today))
    except ValueError:
        abort(400, "dates are YYYY-MM-DD")
    interval = request.args.get("interval", "day")
    by = request.args.get("by", "queue")
    if interval not in INTERVALS or by not in BY or last < first:
        abort(400, "bad interval, grouping or date range")
    start = datetime.combine(first, time(), zone(tz))
    end = datetime.combine(last + timedelta(days=1), time(), zone(tz))
    return {"start": start, "end": end, "interval": interval, "by": by, "tz": tz, "first": first, "last": last}


def _report(p: dict) -> list[dict]:
    from reports.queries import call_report

    return call_report(_sessions(), p["start"], p["end"], p["interval"], p["by"], p["tz"], _thresholds())


def _args(p: dict) -> dict:
    return {"start": str(p["first"]), "end": str(p["last"]), "interval": p["interval"], "by": p["by"]}


@bp.get("/")
@role_required("supervisor")
def index():
    p = _params()
    rows = _report(p)
    return render_template_string(PAGE, p=p, rows=rows, columns=COLUMNS, chart=chart_data(rows, p["interval"]), intervals=INTERVALS,
                                  bys=sorted(BY), args=_args(p))


def _missing(p: dict) -> tuple[list, list[str]]:
    from records.models import Call
    from web.queue_rules import queue_rules

    required = sorted(name for name, rule in queue_rules().items() if rule.get("required"))
    query = select(Call).where(Call.entered_at >= p["start"], Call.entered_at < p["end"], Call.queue.in_(required),
                               Call.answered_at.is_not(None), (Call.disposition.is_(None)) | (Call.disposition == ""))
    with _sessions()() as session:
        return session.scalars(query.order_by(Call.entered_at).limit(LIST_LIMIT)).all(), required


@bp.get("/missing-dispositions")
@role_required("supervisor")
def missing_dispositions():
    """Answered calls in queues whose YAML sets ``disposition_required`` that have none (the wrap-up
    timer ran out before the agent saved one): for the supervisor to follow up."""
    p = _params()
    rows, required = _missing(p)
    _audited("report.missing_dispositions", "report:dispositions", count=len(rows), **_args(p))
    return render_template_string(MISSING, calls=rows, p=p, required=required, limit=LIST_LIMIT, args=_args(p))


@bp.get("/missing-dispositions/export.<any(csv, xlsx):fmt>")
@role_required("supervisor")
def missing_export(fmt: str):
    p = _params()
    rows, _required = _missing(p)
    _audited("report.export", "report:dispositions", format=fmt, count=len(rows), **_args(p))
    return _export(fmt, [_call_row(c) for c in rows], CALL_LIST, f"missing-dispositions-{p['first']}-{p['last']}",
                   "Missing dispositions")


def _call_row(call) -> dict:
    return {c: getattr(call, c, None) for c in CALL_LIST}


EXPORTS = {"csv": ("text/csv", "csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}
CALL_LIST = ("call_id", "entered_at", "caller", "queue", "agent_id", "outcome", "disposition", "wait_s", "talk_s")


def _export(fmt: str, rows: list[dict], columns, name: str, sheet: str) -> Response:
    """The rows as a download: CSV (raw values) or an Excel workbook (typed cells, plain headers)."""
    from reports.export import to_csv, to_xlsx

    if fmt not in EXPORTS:
        abort(404)
    mimetype, suffix = EXPORTS[fmt]
    if fmt == "csv":
        body: str | bytes = to_csv(rows, columns)
    else:
        body = to_xlsx(rows, columns, headers={c: label(c) for c in columns}, percent=PERCENT, sheet=sheet)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


@bp.get("/export.csv", defaults={"fmt": "csv"})
@role_required("supervisor")
def export_csv(fmt: str):
    return _report_export(fmt)


@bp.get("/export.xlsx", defaults={"fmt": "xlsx"})
@role_required("supervisor")
def export_xlsx(fmt: str):
    return _report_export(fmt)


def _report_export(fmt: str) -> Response:
    p = _params()
    _audited("report.export", f"report:{p['by']}", format=fmt, **_args(p))
    return _export(fmt, _report(p), COLUMNS, f"calls-{p['first']}-{p['last']}-{p['interval']}-{p['by']}",
                   "Calls")


def _call_list() -> tuple[list, dict]:
    """The calls of one report row: ``bucket`` (its start), ``interval``, ``by`` and ``key``."""
    from records.models import Call

    interval, by = request.args.get("interval", "day"), request.args.get("by", "queue")
    if interval not in INTERVALS or by not in BY:
        abort(400)
    try:
        start = datetime.fromisoformat(request.args["bucket"])
    except (KeyError, ValueError):
        abort(400, "bucket must be an ISO date-time")
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone(_config().timezone))
    end = next_bucket(start, interval)
    key = request.args.get("key") or None
    column = getattr(Call, BY[by])
    query = select(Call).where(Call.entered_at >= start, Call.entered_at < end, Call.queue.is_not(None))
    query = query.where(column.is_(None) if key is None else column == key)
    with _sessions()() as session:
        rows = session.scalars(query.order_by(Call.entered_at).limit(LIST_LIMIT)).all()
    args = {"bucket": start.isoformat(), "interval": interval, "by": by, "key": key or ""}
    return rows, {"by": by, "key": key, "start": start, "end": end, "interval": interval, "args": args}


@bp.get("/calls")
@role_required("supervisor")
def calls():
    rows, q = _call_list()
    _audited("report.calls", f"{q['by']}:{q['key'] or '-'}", bucket=q["start"].isoformat(), interval=q["interval"],
             count=len(rows))
    return render_template_string(CALLS, calls=rows, limit=LIST_LIMIT, **q)


@bp.get("/calls/export.<any(csv, xlsx):fmt>")
@role_required("supervisor")
def calls_export(fmt: str):
    rows, q = _call_list()
    _audited("report.export", f"{q['by']}:{q['key'] or '-'}", format=fmt, bucket=q["start"].isoformat(),
             interval=q["interval"], count=len(rows))
    return _export(fmt, [_call_row(c) for c in rows], CALL_LIST,
                   f"calls-{q['by']}-{q['key'] or 'none'}-{q['start']:%Y%m%d-%H%M}", "Calls")


def _events(call) -> list[tuple]:
    """The call's life in plain words, in time order: its record's moments and routing explanations."""
    from flask_babel import gettext as _

    wait = f" ({_('after %(wait)s', wait=mmss(call.wait_s))})" if call.wait_s and call.answered_at else ""
    ended = ", ".join(p for p in (outcome(call.outcome), call.hangup_cause or "") if p)
    events = [(call.entered_at, _("called %(did)s", did=call.did) if call.did else _("call started")),
              (call.offered_at, _("first offered in %(queue)s", queue=call.queue) if call.queue else None),
              (call.answered_at, (_("answered by %(agent)s", agent=call.agent_id) if call.agent_id
                                  else _("answered")) + wait),
              (call.ended_at, _("ended: %(how)s", how=ended) if ended else _("ended"))]
    for e in call.explanations or []:
        if isinstance(e, dict) and e.get("at") is not None:
            try:
                at = datetime.fromtimestamp(float(e["at"]), tz=call.entered_at.tzinfo if call.entered_at else None)
            except (TypeError, ValueError):
                continue
            events.append((at, explain(e)))
    return sorted(((at, what) for at, what in events if at is not None and what),
                  key=lambda ev: ev[0].timestamp())


def _audited(action: str, target: str, **details) -> None:
    from web.extensions import db

    audit(action, target, **details)
    db.session.commit()


def recording_roots() -> list[Path]:
    return [Path(_config().recordings_dir).resolve(), Path(_config().archive_dir).resolve()]


def confined(path: Path | None) -> Path | None:
    """``path`` resolved (symbolic links too) when it lies inside the recordings or archive folder, else None:
    the database row is not trusted to name a file the console may serve."""
    if path is None:
        return None
    resolved = path.resolve()
    return resolved if any(resolved.is_relative_to(root) for root in recording_roots()) else None


def _recording_path(session, call) -> tuple[Path | None, object]:
    from records.wrapup_models import Recording

    rec = session.scalar(select(Recording).where(Recording.call_id == call.call_id))
    path = Path(rec.path) if rec is not None else Path(call.recording_path) if call.recording_path else None
    return path, rec


@bp.get("/calls/<call_id>")
@role_required("supervisor")
def timeline(call_id: str):
    from records.models import Call
    from records.wrapup_models import Effect

    with _sessions()() as session:
        call = session.scalar(select(Call).where(Call.call_id == call_id))
        if call is None:
            abort(404)
        effects = session.scalars(select(Effect).where(Effect.call_id == call_id).order_by(Effect.key)).all()
        path, rec = _recording_path(session, call)
    _audited("call.timeline", f"call:{call_id}")
    return render_template_string(TIMELINE, call=call, events=_events(call), effects=effects, recording=rec,
                                  has_recording=confined(path) is not None)


@bp.get("/calls/<call_id>/recording")
@role_required("supervisor")
def recording(call_id: str):
    from records.models import Call

    with _sessions()() as session:
        call = session.scalar(select(Call).where(Call.call_id == call_id))
        if call is None:
            abort(404)
        path, _ = _recording_path(session, call)
    path = confined(path)
    if path is None or not path.is_file():
        abort(404)
    if request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):   # once per play, not per chunk
        _audited("recording.play", f"call:{call_id}")
    return send_file(path, mimetype="audio/wav" if path.suffix == ".wav" else None, conditional=True)


def _agent_rows(p: dict) -> list[dict]:
    from records import state_log
    from reports.agents import StateChange, agent_kpis

    changes = [StateChange(r.agent_id, r.state, r.reason, r.at) for r in state_log.read(_sessions(), p["start"], p["end"])]
    end = min(p["end"], datetime.now(zone(p["tz"])))
    return agent_kpis(changes, p["start"], end, p["interval"], p["tz"]) if end > p["start"] else []


@bp.get("/agents")
@role_required("supervisor")
def agents():
    from reports.agents import COLUMNS as AGENT_COLUMNS

    p = _params()
    rows = _agent_rows(p)
    return render_template_string(AGENTS, p=p, rows=rows, columns=AGENT_COLUMNS, chart=agent_chart_data(rows),
                                  args=_args(p))


@bp.get("/agents/export.<any(csv, xlsx):fmt>")
@role_required("supervisor")
def agents_export(fmt: str):
    from reports.agents import COLUMNS as AGENT_COLUMNS

    p = _params()
    _audited("report.export", "report:agents", format=fmt, **_args(p))
    return _export(fmt, _agent_rows(p), AGENT_COLUMNS, f"agents-{p['first']}-{p['last']}-{p['interval']}", "Agents")


def _registry():
    from rq.registry import FailedJobRegistry

    from web.live import redis_client
    from worker.queues import job_queue

    return FailedJobRegistry(queue=job_queue(_config().rq_queue, redis_client()))


@bp.get("/failed-jobs")
@role_required("admin")
def failed_jobs():
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from records.wrapup_models import Effect

    import redis

    registry = _registry()
    try:
        job_ids = registry.get_job_ids()[:LIST_LIMIT]
    except redis.RedisError:
        abort(503, "Redis is not answering, so failed jobs cannot be listed; try again when it is back.")
    jobs = []
    for job_id in job_ids:
        try:
            job = Job.fetch(job_id, connection=registry.connection, serializer=registry.serializer)
        except NoSuchJobError:
            continue
        error = (job.latest_result().exc_string if job.latest_result() else "") or ""
        jobs.append({"id": job_id, "func": job.func_name, "error": error.strip().splitlines()[-1:] and
                     error.strip().splitlines()[-1]})
    with _sessions()() as session:
        effects = session.scalars(select(Effect).where(Effect.status.in_(("failed", "unknown")))
                                  .order_by(Effect.updated_at.desc()).limit(LIST_LIMIT)).all()
    return render_template_string(FAILED, jobs=jobs, effects=effects, queue=registry.name)


@bp.post("/failed-jobs/<job_id>/retry")
@role_required("admin")
def retry_job(job_id: str):
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    import redis

    try:
        _registry().requeue(job_id)
        _audited("job.retry", f"job:{job_id[:150]}")
        flash(f"Job {job_id} queued again.", "ok")
    except redis.RedisError:
        abort(503, "Redis is not answering; the job was not retried.")
    except (NoSuchJobError, InvalidJobOperation):
        flash(f"Job {job_id} is no longer in the failed registry.", "error")
    return redirect(url_for("reports.failed_jobs"))
