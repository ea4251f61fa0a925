"""`make demo`: the seeded supervisor can listen from the wallboard (a phone the simulator answers)."""
from __future__ import annotations

from sqlalchemy import select

from control.demo import DEMO_MONITOR_EXTENSION, DEMO_SCENARIO, give_supervisor_a_phone
from records.db import session_factory
from records.models import User
from simulator.scenario import load_scenario
from tests.web_fixtures import seeded_sqlite


def _extension(url: str) -> str | None:
    with session_factory(url)() as session:
        return session.scalar(select(User).where(User.username == "supervisor")).monitor_extension


def test_the_demo_supervisor_gets_the_simulators_phone_and_keeps_a_registered_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    seeded_sqlite(url)
    assert _extension(url) is None
    give_supervisor_a_phone(url)
    assert _extension(url) == DEMO_MONITOR_EXTENSION
    give_supervisor_a_phone(url, "2001")          # run again: what is registered stays
    assert _extension(url) == DEMO_MONITOR_EXTENSION


def test_the_demo_scenario_has_that_phone_and_it_is_no_agents():
    scenario = load_scenario(DEMO_SCENARIO)
    assert [str(p["extension"]) for p in scenario.phones] == [DEMO_MONITOR_EXTENSION]
    assert DEMO_MONITOR_EXTENSION not in {a.extension for a in scenario.agents}
