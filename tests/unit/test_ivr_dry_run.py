"""The pure walk behind "test this flow": a scripted caller through the shipped main flow."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from control.ivr.dry_run import dry_run
from control.ivr.loader import load_flows

FLOWS = load_flows(Path(__file__).resolve().parents[2] / "ivr_flows")
OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)   # a Wednesday, 10:00 in New York


def test_keys_take_the_caller_to_the_queue_they_chose():
    run = dry_run(FLOWS, "main", ["1", "2"], OPEN)
    assert (run.queue, run.outcome) == ("billing", "answered")
    assert run.path[:1] == ["menu language: pressed 1 (language en)"] and "queue billing" in run.path


def test_no_keys_is_no_input_every_time_then_the_fallback():
    run = dry_run(FLOWS, "main", [], OPEN)
    assert run.path[0] == "menu language: no input" and run.queue == "support"
    assert any("pressed nothing" in step for step in run.steps)


def test_an_invalid_key_is_named():
    run = dry_run(FLOWS, "main", ["7", "1", "9"], OPEN)
    assert any("invalid" in entry for entry in run.path), run.path
