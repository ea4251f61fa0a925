"""`make demo`'s supervisor listens for real: the demo scenario's supervisor phone (scenarios/demo.yaml,
phones) on the simulator answers the controller's eavesdrop originate for the extension control/demo.py
registers, so Listen from the demo wallboard connects (before: no such phone, and no extension: 409)."""
from __future__ import annotations

import uuid

import pytest

from control.app import build
from control.config import load_config
from control.demo import DEMO_MONITOR_EXTENSION, DEMO_SCENARIO
from control.domain.models import Agent, AgentState
from control.ivr.loader import flows_from_data
from control.queues import queues_from_data
from simulator.runner import Static
from simulator.scenario import load_scenario
from simulator.switch import Switch
from tests.integration.faultkit import wait_for
from tests.integration.test_scenario_blind_transfer import FLOWS, QUEUES, _port

pytestmark = pytest.mark.integration


def test_the_demo_supervisor_phone_answers_a_listen(pg_database_url, redis_url, redis_client, tmp_path):
    from records.migrate import ensure_schema

    prefix = f"hldemo-{uuid.uuid4().hex[:8]}"
    config = load_config(env={}).replace(
        database_url=pg_database_url, redis_url=redis_url, redis_prefix=prefix, rq_queue=f"{prefix}-wrapup",
        outbound_port=_port(), esl_port=_port(), recordings_dir=str(tmp_path),
        records_spool=str(tmp_path / "spool.jsonl"))
    ensure_schema(pg_database_url)
    switch = Switch(controller=("127.0.0.1", config.outbound_port), esl_listen=("127.0.0.1", config.esl_port),
                    password=config.esl_password)
    switch.start()
    controller = build(config, flows=Static(flows_from_data(FLOWS, "test")),
                       queues=Static(queues_from_data(QUEUES, "test")))
    try:
        controller.deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"], name="alice"))
        switch.add_phone("1001", answer_after=0.2, talk_time=None)
        [phone] = load_scenario(DEMO_SCENARIO).phones            # as `hotline simulate` adds it for the demo
        supervisor_phone = switch.add_phone(str(phone["extension"]), answer_after=phone.get("answer_after", 1.0))
        controller.start()
        controller.switch.wait_ready(10)
        controller.manager.agents.change("alice", AgentState.AVAILABLE)
        handle = switch.place_call(caller="+14155550100", did="+18005550100")
        wait_for(lambda: handle.answered_by_agent == "1001", 15, what="alice answering")

        # what POST /api/supervisor/agents/alice/supervise publishes for the demo supervisor
        controller.deps.publisher.publish("control", {"type": "supervise", "agent_id": "alice", "mode": "listen",
                                                      "extension": DEMO_MONITOR_EXTENSION,
                                                      "supervisor": "supervisor", "supervisor_agent": None})
        wait_for(lambda: any(r["answered"] for r in supervisor_phone.ring_log), 15,
                 what="the supervisor's phone answering the listen")
        assert supervisor_phone.ring_log[0]["answered"]
    finally:
        controller.stop()
        switch.stop()
        keys = list(redis_client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            redis_client.delete(*keys)
