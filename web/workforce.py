"""Workforce planning in the console (docs/workforce.md): a queue's forecast per 15-minute interval from
the report rollup, its accuracy on held-out history beside it, the agents needed for the queue's
service-level target with Erlang C and shrinkage, and each day of the plan replayed in the queue
simulation (control/domain/workforce/simulate.py). Supervisors and admins; every view is audited."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, render_template_string, request

from control.domain.workforce.forecast import SLOTS, accuracy, forecast
from control.domain.workforce.simulate import simulate
from control.domain.workforce.staffing import Target, plan
from reports.intervals import zone
from web.audit import audit
from web.extensions import db
from web.roles import role_required
from web.workforce_pages import ADHERENCE, PAGE, SHIFT_ERRORS, SHIFTS

bp = Blueprint("workforce", __name__, url_prefix="/workforce")
HISTORY_DAYS = 56
MAX_DAYS = 7


def _queues() -> dict:
    from control.queues import load_queues

    try:
        return load_queues(current_app.config["HOTLINE"].queues_dir)
    except Exception:   # noqa: BLE001 - a broken queue file: the page says so rather than failing
        current_app.logger.warning("queue files unreadable; workforce page without queue targets")
        return {}


def _args(queues: dict) -> tuple[str, date, int, float, float | None]:
    tz = current_app.config["HOTLINE"].timezone
    queue = request.args.get("queue") or (sorted(queues)[0] if queues else "")
    try:
        first = date.fromisoformat(request.args.get("start") or str(datetime.now(zone(tz)).date() + timedelta(days=1)))
        days = int(request.args.get("days", "7"))
        shrinkage = float(request.args.get("shrinkage", "30")) / 100
        patience = float(request.args["patience"]) if request.args.get("patience") else None
    except ValueError:
        abort(400, "start is YYYY-MM-DD, days a whole number, shrinkage a percentage, patience seconds")
    if queue not in queues or not 1 <= days <= MAX_DAYS or not 0 <= shrinkage < 0.95 or (
            patience is not None and not 1 <= patience <= 3600):
        abort(400, f"a known queue, 1 to {MAX_DAYS} days, shrinkage 0 to 94%, patience 1 to 3600 s")
    return queue, first, days, shrinkage, patience


def _coverage(first: date, days: int) -> list[float]:
    """Agents on the phones per interval from the shifts (coverage against the requirement)."""
    from control.domain.workforce.schedule import coverage
    from records.shifts import between

    start = datetime.combine(first, datetime.min.time(), zone(current_app.config["HOTLINE"].timezone))
    plan = [s for _, s in between(db.session, start, start + timedelta(days=days))]
    return coverage(plan, start, days * SLOTS) if plan else [0.0] * (days * SLOTS)


@bp.get("/")
@role_required("supervisor")
def index():
    from reports.workforce import history

    queues = _queues()
    if not queues:
        abort(503, "no queue definitions could be read")
    queue, first, days, shrinkage, patience = _args(queues)
    q = queues[queue]
    tz = current_app.config["HOTLINE"].timezone
    # history ends yesterday (today is not over) or before the first day planned, whichever is earlier
    yesterday = datetime.now(zone(tz)).date() - timedelta(days=1)
    past = history(db.session, queue, min(first - timedelta(days=1), yesterday), HISTORY_DAYS, tz)
    intervals = forecast(past, first, days, default_aht_s=q.aht_s)
    target = Target(q.service_level_s, q.service_level_target, shrinkage, patience)
    needs = plan(intervals, target)
    summary = []
    for d in range(days):
        part, req = intervals[d * SLOTS:(d + 1) * SLOTS], needs[d * SLOTS:(d + 1) * SLOTS]
        sim = simulate([i.offered for i in part], [i.aht_s for i in part], [r.agents for r in req],
                       q.service_level_s, seed=d + 1, patience_s=patience)
        summary.append({"day": first + timedelta(days=d), "calls": round(sum(i.offered for i in part)),
                        "peak": max(r.scheduled for r in req), "hours": sum(r.scheduled for r in req) / 4,
                        "simulated": sim.service_level if sim.calls else None, "sim_calls": sim.calls,
                        "sim_abandoned": sim.abandoned / sim.calls if sim.calls and patience else None})
    cover = _coverage(first, days)
    open_slots = [i for i, r in enumerate(needs) if r.offered > 0 or cover[i] > 0]
    chart = {"labels": [needs[i].label for i in open_slots], "offered": [needs[i].offered for i in open_slots],
             "agents": [needs[i].agents for i in open_slots], "scheduled": [needs[i].scheduled for i in open_slots],
             "coverage": [cover[i] for i in open_slots] if any(cover) else [],
             "model": "Erlang A" if patience else "Erlang C"}
    for d, row in enumerate(summary):
        gaps = [i for i in range(d * SLOTS, (d + 1) * SLOTS) if needs[i].agents and cover[i] < needs[i].agents]
        row["short"] = len(gaps) if any(cover) else None
    audit("workforce.view", f"queue:{queue}", start=str(first), days=days, shrinkage=shrinkage, patience=patience)
    db.session.commit()
    return render_template_string(PAGE, queues=sorted(queues), queue=queue, first=first, days=days,
                                  shrinkage=shrinkage, target=target, patience=patience, accuracy=accuracy(past), summary=summary,
                                  rows=[needs[i] for i in open_slots if needs[i].label.startswith(str(first))],
                                  chart=chart, history_days=HISTORY_DAYS, covered=bool(chart["coverage"]))


# -- schedules and adherence -------------------------------------------------------------------------

GRACE_MIN = 5.0     # live adherence: minutes out of the scheduled activity before an agent is flagged


def _tz():
    return zone(current_app.config["HOTLINE"].timezone)


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date") or request.form.get("date")
                                  or str(datetime.now(_tz()).date()))
    except ValueError:
        abort(400, "date is YYYY-MM-DD")


def _agent_ids() -> set[str]:
    from sqlalchemy import select

    from records.models import Agent

    return set(db.session.scalars(select(Agent.id)))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), _tz())
    return start, start + timedelta(days=1)


@bp.get("/shifts")
@role_required("supervisor")
def shifts():
    from records.shifts import between

    day = _day()
    rows = between(db.session, *_day_bounds(day))
    audit("workforce.shifts", f"date:{day}", count=len(rows))
    db.session.commit()
    return render_template_string(SHIFTS, day=day, rows=rows, agents=sorted(_agent_ids()), tz=_tz(),
                                  errors=request.args.getlist("error"))


def _back(day: date, errors: list[str] | None = None):
    from flask import redirect, url_for

    return redirect(url_for("workforce.shifts", date=str(day), error=errors or []))


@bp.post("/shifts")
@role_required("supervisor")
def add_shift():
    from records.shifts import build, save

    day = _day()
    agent = request.form.get("agent", "")
    if agent not in _agent_ids():
        abort(400, f"unknown agent {agent!r}")
    try:
        shift = build(agent, day, request.form.get("start", ""), request.form.get("end", ""),
                      request.form.get("breaks", ""), _tz())
    except ValueError as exc:
        abort(400, str(exc))
    save(db.session, [shift], current_user_name())
    audit("workforce.shift_add", f"agent:{agent}", start=shift.start.isoformat(), end=shift.end.isoformat(),
          breaks=len(shift.breaks))
    db.session.commit()
    return _back(day)


@bp.post("/shifts/import")
@role_required("supervisor")
def import_shifts():
    from records.shifts import ShiftErrors, parse_csv, save

    day = _day()
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", "replace") if upload else request.form.get("csv", "")
    try:
        parsed = parse_csv(text, _tz(), _agent_ids())
    except ShiftErrors as exc:
        return render_template_string(SHIFT_ERRORS, errors=exc.errors, day=day), 400
    n = save(db.session, parsed, current_user_name())
    audit("workforce.shift_import", f"date:{day}", shifts=n)
    db.session.commit()
    return _back(day)


@bp.post("/shifts/<int:shift_id>/delete")
@role_required("supervisor")
def delete_shift(shift_id: int):
    from records.workforce_models import AgentShift

    row = db.session.get(AgentShift, shift_id)
    if row is None:
        abort(404)
    day = row.start_at.astimezone(_tz()).date() if row.start_at.tzinfo else row.start_at.date()
    audit("workforce.shift_delete", f"agent:{row.agent_id}", start=str(row.start_at))
    db.session.delete(row)
    db.session.commit()
    return _back(day)


def current_user_name() -> str | None:
    from flask_login import current_user

    return getattr(current_user, "username", None)


def _state_changes(start: datetime, end: datetime):
    from sqlalchemy.orm import sessionmaker

    from control.domain.workforce.schedule import StateChange
    from records import state_log

    rows = state_log.read(sessionmaker(bind=db.engine), start, end)
    return [StateChange(r.agent_id, r.state, r.at) for r in rows]


@bp.get("/adherence")
@role_required("supervisor")
def adherence_report():
    from control.domain.workforce.schedule import adherence
    from records.shifts import between

    day = _day()
    start, end = _day_bounds(day)
    end = min(end, datetime.now(_tz()))
    plan = [s for _, s in between(db.session, start, end)]
    changes = _state_changes(start, end) if end > start else []
    agents = sorted({s.agent_id for s in plan})
    rows = [adherence(a, plan, changes, start, end) for a in agents] if end > start else []
    audit("workforce.adherence", f"date:{day}", agents=len(rows))
    db.session.commit()
    return render_template_string(ADHERENCE, day=day, rows=rows)


@bp.get("/adherence.json")
@role_required("supervisor")
def adherence_live():
    """The wallboard's live adherence (polled; like the wallboard's own data, not audited per poll)."""
    from flask import jsonify

    from control.domain.workforce.schedule import live_flags
    from records.shifts import between

    try:
        grace = float(request.args.get("grace", GRACE_MIN))
    except ValueError:
        abort(400, "grace is minutes")
    now = datetime.now(_tz())
    plan = [s for _, s in between(db.session, now - timedelta(days=1), now + timedelta(minutes=1))]
    by_agent: dict[str, list] = {}
    for c in _state_changes(now - timedelta(days=1), now + timedelta(seconds=1)):
        by_agent.setdefault(c.agent_id, []).append(c)
    flags = live_flags(plan, by_agent, now, grace)
    return jsonify(grace_min=grace, flags=[{"agent": f.agent_id, "scheduled": f.scheduled, "actual": f.actual,
                                             "since": f.since.isoformat(), "minutes": f.minutes} for f in flags])
