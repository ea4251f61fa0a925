"""The console's quality pages: evaluate, calibrate, the agent's acknowledge / dispute, and the gates
(transcripts and recordings for supervisors; an agent answers only their own evaluations). Every view
and change is audited."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

TRANSCRIPT = "thank you for calling hotline my name is alice"


def seed(app) -> None:
    from records.models import Call
    from records.quality_models import CallQuality
    from web.extensions import db

    with app.app_context():
        db.session.add(Call(call_id="c-q", agent_id="alice", queue="support", ivr_path=[], offers=[], explanations=[],
                            ended_at=datetime.now(timezone.utc)))
        db.session.add(CallQuality(
            call_id="c-q", queue="support", agent_id="alice", ended_at=datetime.now(timezone.utc), duration_s=30.0,
            caller_talk_s=8.0, agent_talk_s=12.0, agent_talk_ratio=0.6, silence_s=10.0, longest_silence_s=4.0,
            long_silences=0, talk_over_s=1.0, hold_s=0.0, first_agent_word_s=1.0, last_speaker="caller",
            metrics={"duration_s": 30.0, "agent": [[1.0, 5.0], [10.0, 18.0]], "caller": [[6.0, 9.0], [17.0, 22.0]],
                     "first_agent_word_s": 1.0, "agent_talk_ratio": 0.6, "longest_silence_s": 4.0,
                     "talk_over_s": 1.0, "end_crosstalk": False},
            language="en", transcript_status="done",
            transcript={"agent": {"text": TRANSCRIPT, "words": []}, "caller": {"text": "hello", "words": []}},
            phrases={"greeting": {"found": True, "ok": True, "phrase": "thank you for calling", "side": "agent",
                                  "at_s": 1.0, "kind": "required"},
                     "disclosure": {"found": False, "ok": False, "phrase": None, "side": None, "at_s": None,
                                    "kind": "required"},
                     "forbidden": {"found": False, "ok": True, "phrase": None, "side": None, "at_s": None,
                                   "kind": "forbidden"}},
            auto_score=80.0, auto_passed=True, auto_results=[]))
        db.session.commit()


def audits(app, action: str) -> int:
    from records.models import AuditLog
    from web.extensions import db

    with app.app_context():
        return len(db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all())


def evaluations(app):
    from records.quality_models import Evaluation
    from web.extensions import db

    with app.app_context():
        return {e.evaluator: (e.id, e.score, e.status) for e in db.session.scalars(select(Evaluation))}


def test_evaluate_calibrate_and_the_agent_answers(web_app, client_for):
    seed(web_app)
    supervisor = client_for("supervisor")
    page = supervisor.get("/quality/calls/c-q")
    assert page.status_code == 200 and TRANSCRIPT in page.get_data(as_text=True)
    assert 'id="speech-timeline"' in page.get_data(as_text=True)
    assert audits(web_app, "quality.view") == 1

    assert supervisor.post("/quality/calls/c-q/evaluate", data={"answer-empathy": "5", "answer-resolved": "1",
                                                                 "comment": "Good"}).status_code == 302
    assert client_for("admin").post("/quality/calls/c-q/evaluate",
                                    data={"answer-empathy": "2", "answer-resolved": "0"}).status_code == 302
    rows = evaluations(web_app)
    assert set(rows) == {"supervisor", "admin"} and rows["supervisor"][1] > rows["admin"][1]
    assert audits(web_app, "quality.evaluate") == 2
    calibrated = supervisor.get("/quality/calls/c-q").get_data(as_text=True)
    assert 'id="calibration-summary"' in calibrated
    report = supervisor.get("/quality/?by=agent").get_data(as_text=True)
    assert 'data-key="alice"' in report and 'data-call="c-q"' in report
    assert audits(web_app, "quality.report") == 1

    # the agent sees the evaluations of her call, without the transcript, and answers them
    alice = client_for("alice")
    mine = alice.get("/quality/mine").get_data(as_text=True)
    assert "c-q" in mine and TRANSCRIPT not in mine and "Good" in mine
    first, second = rows["supervisor"][0], rows["admin"][0]
    assert alice.post(f"/quality/evaluations/{first}/respond", data={"action": "acknowledge"}).status_code == 302
    assert alice.post(f"/quality/evaluations/{second}/respond", data={"action": "dispute"}).status_code == 400
    assert alice.post(f"/quality/evaluations/{second}/respond",
                      data={"action": "dispute", "comment": "The customer said it was resolved"}).status_code == 302
    rows = evaluations(web_app)
    assert rows["supervisor"][2] == "acknowledged" and rows["admin"][2] == "disputed"
    assert audits(web_app, "quality.acknowledge") == 1 and audits(web_app, "quality.dispute") == 1


def test_gates_transcripts_and_other_agents_evaluations(web_app, client_for):
    seed(web_app)
    client_for("supervisor").post("/quality/calls/c-q/evaluate", data={"answer-empathy": "3"})
    evaluation_id = evaluations(web_app)["supervisor"][0]
    alice, bob = client_for("alice"), client_for("bob")
    assert alice.get("/quality/calls/c-q").status_code == 403          # transcripts: supervisors
    assert alice.post("/quality/calls/c-q/evaluate", data={}).status_code == 403
    assert alice.get("/quality/").status_code == 403
    assert bob.post(f"/quality/evaluations/{evaluation_id}/respond", data={"action": "acknowledge"}).status_code == 403
    assert "c-q" not in bob.get("/quality/mine").get_data(as_text=True)
    # a supervisor is not the evaluated agent either
    assert client_for("supervisor").post(f"/quality/evaluations/{evaluation_id}/respond",
                                         data={"action": "acknowledge"}).status_code == 403
    assert evaluations(web_app)["supervisor"][2] == "submitted"


def test_an_answer_out_of_the_scale_is_refused(web_app, client_for):
    seed(web_app)
    assert client_for("supervisor").post("/quality/calls/c-q/evaluate",
                                         data={"answer-empathy": "9"}).status_code == 400
    assert evaluations(web_app) == {}
