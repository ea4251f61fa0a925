"""Quality management in the console (docs/quality.md): the evaluator's page for one call (recording
player, transcript, a speech/silence timeline per side, metrics, the automatic criteria and the manual
ones to answer), calibration between evaluators, the quality report, and the agent's own evaluations
with acknowledge / dispute.

Gates: recordings, transcripts, evaluating and the reports are for supervisors and admins; an agent
sees only the evaluations of their own calls (scores, results, the evaluator's comment; no transcript)
and answers only those. Every view and every change writes an audit row.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template_string, request, url_for
from flask_login import current_user
from sqlalchemy import select

from control.domain.quality.scorecard import calibrate, score
from records.models import Call, utcnow
from records.quality import evaluations_of, save_evaluation
from records.quality_config import QueueQuality, load_quality
from records.quality_models import CallQuality, Evaluation
from reports.intervals import zone
from web.audit import audit
from web.extensions import db
from web.quality_pages import CALL, MINE, REPORT, timeline_rows
from web.roles import role_required

bp = Blueprint("quality", __name__, url_prefix="/quality")
RESPONSES = {"acknowledge": "acknowledged", "dispute": "disputed"}


@bp.context_processor
def _formatting() -> dict:
    from web.report_format import mmss

    return {"mmss": mmss}


def _queue_quality(queue: str | None) -> QueueQuality:
    return load_quality(current_app.config["HOTLINE"].queues_dir).for_queue(queue)


def _period() -> tuple[datetime, datetime, date, date]:
    tz = current_app.config["HOTLINE"].timezone
    today = datetime.now(zone(tz)).date()
    try:
        first = date.fromisoformat(request.args.get("start") or str(today - timedelta(days=6)))
        last = date.fromisoformat(request.args.get("end") or str(today))
    except ValueError:
        abort(400, "dates are YYYY-MM-DD")
    if last < first:
        abort(400, "the end is before the start")
    return (datetime.combine(first, time(), zone(tz)), datetime.combine(last + timedelta(days=1), time(), zone(tz)),
            first, last)


def _has_recording(call: Call) -> bool:
    from web.reports import _recording_path, confined

    path, _ = _recording_path(db.session, call)
    return confined(path) is not None


@bp.get("/calls/<call_id>")
@role_required("supervisor")
def call_page(call_id: str):
    call = db.session.scalar(select(Call).where(Call.call_id == call_id))
    if call is None:
        abort(404)
    analysis = db.session.get(CallQuality, call_id)
    evaluations = evaluations_of(db.session, call_id)
    mine = next((e for e in evaluations if e.evaluator == current_user.username), None)
    card = _queue_quality(call.queue).scorecard
    compared = (calibrate(evaluations[0].results, evaluations[1].results, evaluations[0].score, evaluations[1].score)
                if len(evaluations) >= 2 else None)
    audit("quality.view", f"call:{call_id}", transcript=bool(analysis and analysis.transcript))
    db.session.commit()
    return render_template_string(CALL, call=call, q=analysis, card=card, evaluations=evaluations, mine=mine,
                                  compared=compared, has_recording=_has_recording(call),
                                  timeline=timeline_rows(analysis.metrics if analysis else None))


@bp.post("/calls/<call_id>/evaluate")
@role_required("supervisor")
def evaluate(call_id: str):
    call = db.session.scalar(select(Call).where(Call.call_id == call_id))
    if call is None:
        abort(404)
    analysis = db.session.get(CallQuality, call_id)
    card = _queue_quality(call.queue).scorecard
    answers = {}
    for c in card.manual():
        raw = request.form.get(f"answer-{c.id}", "").strip()
        if raw:
            if not raw.isdigit() or int(raw) > c.scale:
                abort(400, f"{c.label}: answer 0 to {c.scale}")
            answers[c.id] = int(raw)
    result = score(card, analysis.metrics if analysis else {}, analysis.phrases if analysis else {}, answers)
    row = save_evaluation(db.session, call_id, current_user.username, {
        "agent_id": call.agent_id, "queue": call.queue, "answers": answers, "results": result.results_dicts(),
        "score": result.score if result.score is not None else 0.0, "passed": result.passed,
        "comment": request.form.get("comment", "").strip()[:2000] or None, "created_at": utcnow()})
    audit("quality.evaluate", f"call:{call_id}", evaluation=row.id, score=row.score, passed=row.passed,
          answers=answers)
    db.session.commit()
    flash(f"Evaluation saved: {row.score:.1f}%{'' if result.complete else ' (some criteria unanswered)'}.", "ok")
    return redirect(url_for("quality.call_page", call_id=call_id))


@bp.get("/")
@role_required("supervisor")
def report():
    from reports.quality import GROUPS, calibration, criteria_failed, scores_by, worst_calls

    start, end, first, last = _period()
    by = request.args.get("by", "agent")
    if by not in GROUPS:
        abort(400, f"by is one of {GROUPS}")
    rows = scores_by(db.session, start, end, by)
    data = {"rows": rows, "criteria": criteria_failed(db.session, start, end),
            "worst": worst_calls(db.session, start, end), "calibration": calibration(db.session, start, end)}
    audit("quality.report", f"quality:{by}", start=str(first), end=str(last))
    db.session.commit()
    return render_template_string(REPORT, by=by, groups=GROUPS, first=first, last=last, **data)


@bp.get("/mine")
@role_required("agent")
def mine():
    if not current_user.agent_id:
        abort(409, "this account has no agent; evaluations are of agents' calls")
    rows = list(db.session.scalars(select(Evaluation).where(Evaluation.agent_id == current_user.agent_id)
                                   .order_by(Evaluation.created_at.desc(), Evaluation.id.desc()).limit(200)))
    audit("quality.mine", f"agent:{current_user.agent_id}", count=len(rows))
    db.session.commit()
    return render_template_string(MINE, evaluations=rows)


@bp.post("/evaluations/<int:evaluation_id>/respond")
@role_required("agent")
def respond(evaluation_id: int):
    row = db.session.get(Evaluation, evaluation_id)
    if row is None:
        abort(404)
    if not current_user.agent_id or row.agent_id != current_user.agent_id:
        abort(403)      # only the evaluated agent answers an evaluation
    action = request.form.get("action", "")
    if action not in RESPONSES:
        abort(400, "action is acknowledge or dispute")
    comment = request.form.get("comment", "").strip()[:2000] or None
    if action == "dispute" and not comment:
        abort(400, "say why you dispute the evaluation")
    row.status, row.agent_comment, row.responded_at = RESPONSES[action], comment, utcnow()
    audit(f"quality.{action}", f"evaluation:{evaluation_id}", call=row.call_id)
    db.session.commit()
    flash(f"Evaluation of call {row.call_id} {row.status}.", "ok")
    return redirect(url_for("quality.mine"))
