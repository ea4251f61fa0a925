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
from web.report_format import agent_chart_data, cell, chart_data, clock, explain, label, mmss
from web.reports_pages import AGENTS, CALLS, FAILED, MISSING, PAGE, TIMELINE
from web.roles import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
LIST_LIMIT = 500


@bp.context_processor
def _formatting() -> dict:
    return {"cell": cell, "label": label, "mmss": mmss, "clock": clock, "explain": explain}


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


@bp.get("/missing-dispositions")
@role_required("supervisor")
def missing_dispositions():
    """Answered calls in queues whose YAML sets ``disposition_required`` that have none (the wrap-up
    timer ran out before the agent saved one): for the supervisor to follow up."""
    from records.models import Call
    from web.queue_rules import queue_rules

    p = _params()
    required = sorted(name for name, rule in queue_rules().items() if rule.get("required"))
    query = select(Call).where(Call.entered_at >= p["start"], Call.entered_at < p["end"], Call.queue.in_(required),
                               Call.answered_at.is_not(None), (Call.disposition.is_(None)) | (Call.disposition == ""))
    with _sessions()() as session:
        rows = session.scalars(query.order_by(Call.entered_at).limit(LIST_LIMIT)).all()
    _audited("report.missing_dispositions", "report:dispositions", count=len(rows), **_args(p))
    return render_template_string(MISSING, calls=rows, p=p, required=required, limit=LIST_LIMIT)


@bp.get("/export.csv")
@role_required("supervisor")
def export_csv():
    from reports.export import to_csv

    p = _params()
    name = f"calls-{p['first']}-{p['last']}-{p['interval']}-{p['by']}.csv"
    _audited("report.export", f"report:{p['by']}", **_args(p))
    return Response(to_csv(_report(p), COLUMNS), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/calls")
@role_required("supervisor")
def calls():
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
    _audited("report.calls", f"{by}:{key or '-'}", bucket=start.isoformat(), interval=interval, count=len(rows))
    return render_template_string(CALLS, calls=rows, by=by, key=key, start=start, limit=LIST_LIMIT)


def _events(call) -> list[tuple]:
    events = [(call.entered_at, "entered" + (f" via {call.did}" if call.did else "")),
              (call.offered_at, f"first offer (queue {call.queue})" if call.queue else None),
              (call.answered_at, f"answered by {call.agent_id}" if call.agent_id else "answered"),
              (call.ended_at, f"ended: {call.outcome or ''} {call.hangup_cause or ''}".strip())]
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


@bp.get("/agents")
@role_required("supervisor")
def agents():
    from records import state_log
    from reports.agents import COLUMNS as AGENT_COLUMNS, StateChange, agent_kpis

    p = _params()
    changes = [StateChange(r.agent_id, r.state, r.reason, r.at) for r in state_log.read(_sessions(), p["start"], p["end"])]
    end = min(p["end"], datetime.now(zone(p["tz"])))
    rows = agent_kpis(changes, p["start"], end, p["interval"], p["tz"]) if end > p["start"] else []
    return render_template_string(AGENTS, p=p, rows=rows, columns=AGENT_COLUMNS, chart=agent_chart_data(rows))


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
