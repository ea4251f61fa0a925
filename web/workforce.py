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
from web.workforce_pages import PAGE

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


def _args(queues: dict) -> tuple[str, date, int, float]:
    tz = current_app.config["HOTLINE"].timezone
    queue = request.args.get("queue") or (sorted(queues)[0] if queues else "")
    try:
        first = date.fromisoformat(request.args.get("start") or str(datetime.now(zone(tz)).date() + timedelta(days=1)))
        days = int(request.args.get("days", "7"))
        shrinkage = float(request.args.get("shrinkage", "30")) / 100
    except ValueError:
        abort(400, "start is YYYY-MM-DD, days a whole number, shrinkage a percentage")
    if queue not in queues or not 1 <= days <= MAX_DAYS or not 0 <= shrinkage < 0.95:
        abort(400, f"a known queue, 1 to {MAX_DAYS} days, shrinkage 0 to 94%")
    return queue, first, days, shrinkage


@bp.get("/")
@role_required("supervisor")
def index():
    from reports.workforce import history

    queues = _queues()
    if not queues:
        abort(503, "no queue definitions could be read")
    queue, first, days, shrinkage = _args(queues)
    q = queues[queue]
    tz = current_app.config["HOTLINE"].timezone
    # history ends yesterday (today is not over) or before the first day planned, whichever is earlier
    yesterday = datetime.now(zone(tz)).date() - timedelta(days=1)
    past = history(db.session, queue, min(first - timedelta(days=1), yesterday), HISTORY_DAYS, tz)
    intervals = forecast(past, first, days, default_aht_s=q.aht_s)
    target = Target(q.service_level_s, q.service_level_target, shrinkage)
    needs = plan(intervals, target)
    summary = []
    for d in range(days):
        part, req = intervals[d * SLOTS:(d + 1) * SLOTS], needs[d * SLOTS:(d + 1) * SLOTS]
        sim = simulate([i.offered for i in part], [i.aht_s for i in part], [r.agents for r in req],
                       q.service_level_s, seed=d + 1)
        summary.append({"day": first + timedelta(days=d), "calls": round(sum(i.offered for i in part)),
                        "peak": max(r.scheduled for r in req), "hours": sum(r.scheduled for r in req) / 4,
                        "simulated": sim.service_level if sim.calls else None, "sim_calls": sim.calls})
    open_slots = [i for i, r in enumerate(needs) if r.offered > 0]
    chart = {"labels": [needs[i].label for i in open_slots], "offered": [needs[i].offered for i in open_slots],
             "agents": [needs[i].agents for i in open_slots], "scheduled": [needs[i].scheduled for i in open_slots]}
    audit("workforce.view", f"queue:{queue}", start=str(first), days=days, shrinkage=shrinkage)
    db.session.commit()
    return render_template_string(PAGE, queues=sorted(queues), queue=queue, first=first, days=days,
                                  shrinkage=shrinkage, target=target, accuracy=accuracy(past), summary=summary,
                                  rows=[needs[i] for i in open_slots if needs[i].label.startswith(str(first))],
                                  chart=chart, history_days=HISTORY_DAYS)
