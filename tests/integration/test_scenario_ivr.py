"""IVR scenarios through the switch simulator (issue 5): invalid digits, timeouts, max retries,
business hours, callback, voicemail, and bad input (garbage DTMF, no input, 50 digits at once, a
caller who hangs up mid-prompt).

tests/scenarios/ivr.yaml runs once through ``simulator/runner.py``: the real controller, Redis,
PostgreSQL and TCP to the simulator. Each test checks one call (by its name in the scenario): the
path it took (``ivr_path``), its record in PostgreSQL, and the prompts the caller heard (``played``).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from control.config import load_config
from control.ivr.prompts import prompt_path

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).parent.parent / "scenarios" / "ivr.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory, pg_database_url):
    """Runs tests/scenarios/ivr.yaml once; returns ({case: report entry}, config, scenario data)."""
    from simulator.runner import run as run_scenario

    data = yaml.safe_load(SCENARIO.read_text())
    table = data["flows"]["hours_holiday"]
    today = datetime.now(ZoneInfo(table["timezone"])).date()
    # yesterday to tomorrow: a run that crosses midnight in that zone still falls on a holiday
    table["hours"]["biz"]["holidays"] = [str(today + timedelta(days=d)) for d in (-1, 0, 1)]
    tmp = tmp_path_factory.mktemp("ivr")
    path = tmp / "ivr.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    config = load_config(env={}).replace(
        database_url=pg_database_url, recordings_dir=str(tmp / "recordings"), prompts_dir=str(tmp / "prompts"),
        redis_url=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    report = run_scenario(str(path), config, timeout_s=60)
    by_caller = {c["caller"]: c for c in report["calls"]}
    assert len(by_caller) == len(data["calls"])
    return {c["name"]: by_caller[c["caller"]] for c in data["calls"]}, config, data


def call(run, case: str) -> dict:
    return run[0][case]


def record(run, case: str):
    """The call's row in PostgreSQL."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    config = run[1]
    with session_factory(config.database_url)() as session:
        return session.scalars(select(Call).where(Call.call_id == call(run, case)["call_id"])).one()


def heard(run, case: str) -> list[str]:
    """The prompts the caller heard, by name (silence between tries left out)."""
    prompts = {name: item for flow in run[2]["flows"].values() if "prompts" in flow
               for name, spec in flow["prompts"].items() for item in spec.values()}
    names = {prompt_path(item if isinstance(item, dict) else {"kind": "text", "text": item, "language": "en"},
                         "en", run[1].prompts_dir): name for name, item in prompts.items()}
    return [names.get(p, p) for p in call(run, case)["played"] if not p.startswith("silence_stream://")]


def ended(run, case: str, outcome: str, path: list[str]):
    """The report and the stored record agree on the outcome and the exact path."""
    got = call(run, case)
    assert (got["outcome"], got["ivr_path"]) == (outcome, path)
    row = record(run, case)
    assert (row.outcome, row.ivr_path) == (outcome, path)
    assert row.hangup_cause == "NORMAL_CLEARING" and row.queue is None and row.agent_id is None
    return row


# -- menus ---------------------------------------------------------------------------------
def test_an_invalid_digit_is_refused_and_the_caller_chooses_again(run):
    ended(run, "invalid_digits", "self_service",
          ["menu main: invalid input '7'", "menu main: pressed 1", "sales", "hangup"])
    assert heard(run, "invalid_digits") == ["menu", "invalid", "menu", "sales", "goodbye"]


def test_timeouts_play_the_timeout_prompt_then_go_to_the_default(run):
    ended(run, "timeouts", "self_service",
          ["menu main: no input"] * 3 + ["menu main: no valid choice after 3 tries", "to fallback", "hangup"])
    assert heard(run, "timeouts") == ["menu", "no_input", "menu", "no_input", "menu", "sorry"]


def test_a_timeout_is_retried_and_a_later_choice_counts(run):
    ended(run, "timeout_then_choice", "self_service",
          ["menu main: no input", "menu main: pressed 2", "billing", "hangup"])
    assert heard(run, "timeout_then_choice") == ["menu", "no_input", "menu", "billing", "goodbye"]


def test_max_retries_of_invalid_digits_go_to_the_default(run):
    # retries: 2 -> three tries; no invalid prompt after the last one
    ended(run, "max_retries", "self_service",
          ["menu main: invalid input '7'", "menu main: invalid input '8'", "menu main: invalid input '9'",
           "menu main: no valid choice after 3 tries", "to fallback", "hangup"])
    assert heard(run, "max_retries") == ["menu", "invalid", "menu", "invalid", "menu", "sorry"]


# -- business hours --------------------------------------------------------------------------
def test_a_calendar_open_all_day_takes_the_open_branch(run):
    ended(run, "hours_open", "self_service", ["check: open", "hangup"])
    assert heard(run, "hours_open") == ["open", "goodbye"]


def test_a_holiday_today_takes_the_holiday_branch(run):
    ended(run, "hours_holiday", "self_service", ["check: holiday", "hangup"])
    assert heard(run, "hours_holiday") == ["holiday", "goodbye"]


def test_outside_business_hours_takes_the_default_branch(run):
    ended(run, "hours_closed", "self_service", ["check: otherwise", "hangup"])
    assert heard(run, "hours_closed") == ["closed", "goodbye"]


# -- callback and voicemail ------------------------------------------------------------------------
def test_callback_to_the_callers_own_number(run):
    caller = call(run, "callback_own")["caller"]
    row = ended(run, "callback_own", "callback",
                ["callback: caller confirmed own number", f"callback requested to {caller}"])
    [asked] = [e for e in row.explanations if e.get("kind") == "callback_requested"]
    assert (asked["number"], asked["callback_call_id"]) == (caller, f"cb-{row.call_id}")
    assert heard(run, "callback_own") == ["confirm", "cb_done"]   # no goodbye after the confirmation


def test_callback_to_another_number(run):
    row = ended(run, "callback_other", "callback",
                ["callback: caller gives another number", "callback: entered number 4155550199",
                 "callback requested to 4155550199"])
    [asked] = [e for e in row.explanations if e.get("kind") == "callback_requested"]
    assert asked["number"] == "+14155550199"
    assert heard(run, "callback_other") == ["confirm", "enter_number", "cb_done"]


def test_voicemail_records_to_a_file_named_in_the_call_record(run):
    row = ended(run, "voicemail", "voicemail", ["voicemail sales"])
    assert row.recording_path.startswith(run[1].recordings_dir + os.sep)
    assert row.recording_path.endswith(f"vm-sales-{row.call_id}.wav")
    assert heard(run, "voicemail") == ["leave_message", "goodbye"]


# -- bad input ----------------------------------------------------------------------------------
def test_garbage_dtmf_is_refused_and_ends_in_the_on_fail_branch(run):
    ended(run, "garbage", "self_service",
          ["account: invalid entry '**9*' (want 4-10 digits)", "account: invalid entry '*0*0' (want 4-10 digits)",
           "account: gave up after 2 tries", "to fallback", "hangup"])
    assert heard(run, "garbage") == ["enter_account", "invalid", "enter_account", "sorry"]


def test_no_input_ends_in_the_on_fail_branch(run):
    ended(run, "no_input", "self_service",
          ["account: no input", "account: no input", "account: gave up after 2 tries", "to fallback", "hangup"])
    assert heard(run, "no_input") == ["enter_account", "no_input", "enter_account", "sorry"]


def test_fifty_digits_at_once_are_refused(run):
    [fifty] = [c["dtmf"][0] for c in run[2]["calls"] if c["name"] == "fifty_digits"]
    assert len(fifty) == 50
    # the switch is asked for max_digits + 1 (11): the eleventh digit shows the entry is too long
    ended(run, "fifty_digits", "self_service",
          [f"account: invalid entry {fifty[:11]!r} (want 4-10 digits)", "account: no input",
           "account: gave up after 2 tries", "to fallback", "hangup"])
    assert heard(run, "fifty_digits") == ["enter_account", "invalid", "enter_account", "sorry"]


def test_a_caller_who_hangs_up_mid_prompt_is_abandoned_at_that_node(run):
    ended(run, "hangs_up", "abandoned", ["caller hung up during menu main"])
    assert heard(run, "hangs_up") == ["long"]   # nothing played after the hangup
