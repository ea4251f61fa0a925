"""Scorecards (pure): automatic criteria from metrics and phrases, manual answers, weights, critical
criteria, the automatic score every call gets, and calibration between two evaluators."""
from __future__ import annotations

import pytest

from control.domain.quality.scorecard import Criterion, Scorecard, auto_score, calibrate, score
from records.quality_config import load_quality, parse

CARD = Scorecard((
    Criterion("greeting", "Greeting", phrase="greeting", weight=2),
    Criterion("no_forbidden", "No forbidden words", phrase="forbidden", weight=3, critical=True),
    Criterion("first_word", "First word within 3 s", metric="first_agent_word_s", max=3),
    Criterion("ratio", "Agent talk ratio 30-70%", metric="agent_talk_ratio", min=0.3, max=0.7),
    Criterion("empathy", "Empathy", kind="manual", scale=5, pass_at=3, weight=2),
), pass_score=80)
METRICS = {"first_agent_word_s": 1.2, "agent_talk_ratio": 0.8}
PHRASES = {"greeting": {"ok": True, "phrase": "thank you for calling"}, "forbidden": {"ok": True, "phrase": None}}


def test_the_automatic_score_leaves_manual_criteria_out():
    s = auto_score(CARD, METRICS, PHRASES)
    # greeting 2 + forbidden 3 + first word 1 pass, ratio 1 fails: 6 / 7
    assert s.score == pytest.approx(85.7) and s.passed and s.complete
    assert [r.id for r in s.results] == ["greeting", "no_forbidden", "first_word", "ratio"]


def test_manual_answers_complete_the_card():
    pending = score(CARD, METRICS, PHRASES)
    assert pending.complete is False and pending.passed is False
    done = score(CARD, METRICS, PHRASES, {"empathy": 4})
    # + empathy 2 * 0.8 = 1.6: (6 + 1.6) / 9
    assert done.complete and done.score == pytest.approx(84.4) and done.passed
    low = score(CARD, METRICS, PHRASES, {"empathy": 1})
    assert low.score == pytest.approx(71.1) and not low.passed


def test_a_failed_critical_criterion_fails_the_call_whatever_the_score():
    rude = dict(PHRASES, forbidden={"ok": False, "phrase": "stupid"})
    s = score(CARD, {"first_agent_word_s": 1, "agent_talk_ratio": 0.5}, rude, {"empathy": 5})
    assert s.score == pytest.approx(66.7) and not s.passed
    lenient = Scorecard(CARD.criteria, pass_score=50)
    assert not score(lenient, {"first_agent_word_s": 1, "agent_talk_ratio": 0.5}, rude, {"empathy": 5}).passed


def test_phrase_criteria_without_a_transcript_are_not_scored():
    s = auto_score(CARD, METRICS, {})
    assert {r.id: r.points for r in s.results}["greeting"] is None
    assert s.score == 50.0      # first word passes, ratio fails


def test_calibration_reports_each_difference():
    a = score(CARD, METRICS, PHRASES, {"empathy": 5})
    b = score(CARD, METRICS, PHRASES, {"empathy": 2})
    report = calibrate(a.results_dicts(), b.results_dicts(), a.score, b.score)
    empathy = next(r for r in report["criteria"] if r["id"] == "empathy")
    assert empathy["difference"] == pytest.approx(0.6) and empathy["agree"] is False
    assert report["disagreements"] == 1 and report["score_difference"] == pytest.approx(round(a.score - b.score, 1))


def test_the_shipped_file_loads_and_a_bad_criterion_is_named():
    card = load_quality("queues").for_queue("billing").scorecard
    assert {c.id for c in card.criteria} >= {"greeting", "no_forbidden", "empathy"}
    with pytest.raises(ValueError, match="nope"):
        parse({"queues": {"x": {"scorecard": {"criteria": [{"id": "nope", "kind": "auto", "phrase": "missing"}]}}}})
