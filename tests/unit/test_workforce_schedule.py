"""Shifts, coverage, adherence, conformance and live adherence flags (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from control.domain.workforce.schedule import Shift, StateChange, adherence, coverage, live_flags, scheduled

D = datetime(2026, 12, 7, tzinfo=timezone.utc)


def at(h: float) -> datetime:
    return D + timedelta(hours=h)


ALICE = Shift("alice", at(9), at(17), ((at(12), at(12.5)),))
BOB = Shift("bob", at(12), at(20))


def test_scheduled_activity_and_coverage():
    assert scheduled([ALICE], "alice", at(10)) == "phone"
    assert scheduled([ALICE], "alice", at(12.25)) == "break"
    assert scheduled([ALICE], "alice", at(17)) == "off"
    cover = coverage([ALICE, BOB], at(8.75), slots=16)      # 08:45 .. 12:45
    assert cover[0] == 0 and cover[1] == 1                  # 08:45-09:00, 09:00-09:15
    assert cover[13] == 1 and cover[14] == 1 and cover[15] == 2   # 12:00-12:30 alice on break, bob on


def test_adherence_and_conformance():
    log = [StateChange("alice", "available", at(9.25)),        # 15 min late
           StateChange("alice", "break", at(12)),
           StateChange("alice", "available", at(12.75)),       # 15 min long break
           StateChange("alice", "logged_out", at(17))]
    a = adherence("alice", [ALICE], log, at(0), at(24))
    assert a.scheduled_s == 8 * 3600
    assert a.adherent_s == 8 * 3600 - 15 * 60 - 15 * 60
    assert a.adherence == pytest.approx(1 - 0.5 / 8, abs=1e-4)
    assert a.scheduled_phone_s == 7.5 * 3600 and a.phone_s == 7.0 * 3600
    assert a.conformance == pytest.approx(7 / 7.5, abs=1e-4)


def test_live_flags_after_the_grace_minutes():
    log = {"alice": [StateChange("alice", "available", at(9)), StateChange("alice", "not_ready", at(10))],
           "bob": [StateChange("bob", "available", at(11.9))],
           "carol": [StateChange("carol", "logged_out", at(8))]}
    assert live_flags([ALICE, BOB], log, at(10.05), grace_min=5) == []              # 3 minutes: within grace
    flags = live_flags([ALICE, BOB], log, at(10.2), grace_min=5)
    assert [(f.agent_id, f.scheduled, f.actual, f.minutes) for f in flags] == [("alice", "phone", "other", 12.0)]
    # bob logs in before his shift: working unscheduled, flagged after the grace
    flags = live_flags([ALICE, BOB], log, at(11.99), grace_min=5)
    assert [f.agent_id for f in flags] == ["alice", "bob"] and flags[1].scheduled == "off"
