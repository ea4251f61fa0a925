"""A customer whose name holds quotes, a comma, braces and a trailing backslash reaches the agent:
real controller, Redis and TCP Event Sockets; the simulator reads originate as FreeSWITCH does
(simulator/fs_strings.py). Before control/esl/commands.py the name ending in a backslash broke the
agent's originate, and the agent whose phone was never rung was sent to not-ready."""
from __future__ import annotations

import socket
import uuid

import pytest

from control.app import build  # noqa: I001  (patches gevent first)
from control.config import load_config
from control.domain.models import Agent, AgentState
from control.ivr.loader import flows_from_data
from control.queues import queues_from_data
from simulator.runner import Static
from simulator.switch import Switch
from tests.integration.faultkit import wait_for

FLOWS = {"dids": {"default": "f"}, "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}
QUEUES = {"queues": {"support": {"ring_timeout_s": 3}}}
NAMES = ["O'Brien, \"Bob\" {x} \\", "张伟 José", "line\nbreak"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Customers:
    """The CustomerLookup port: every caller is the customer named ``name``."""

    def __init__(self):
        self.name = ""

    def by_number(self, e164: str) -> dict:
        return {"id": None, "name": self.name, "tier": "standard"}

    def by_account(self, account: str) -> dict | None:
        return None


@pytest.fixture
def rig(pg_database_url, redis_url, tmp_path):
    from records.migrate import ensure_schema

    config = load_config(env={}).replace(
        database_url=pg_database_url, redis_url=redis_url, redis_prefix=f"hlname-{uuid.uuid4().hex[:8]}",
        outbound_port=_port(), esl_port=_port(), wrap_up_s=0, recordings_dir=str(tmp_path),
        records_spool=str(tmp_path / "spool.jsonl"))
    ensure_schema(pg_database_url)
    switch = Switch(controller=("127.0.0.1", config.outbound_port), esl_listen=("127.0.0.1", config.esl_port),
                    password=config.esl_password)
    switch.start()
    controller = build(config, flows=Static(flows_from_data(FLOWS, "test")), queues=Static(queues_from_data(QUEUES, "test")))
    customers = Customers()
    controller.deps.customers = customers
    controller.deps.store.put_agent(Agent(id="alice", extension="1001", queues=["support"], name="alice"))
    phone = switch.add_phone("1001", answer_after=0.2, talk_time=0.3)
    controller.start()
    controller.switch.wait_ready(10)
    try:
        yield switch, controller, customers, phone
    finally:
        controller.stop()
        switch.stop()
        keys = list(controller.redis.scan_iter(match=f"{config.redis_prefix}:*", count=1000))
        if keys:
            controller.redis.delete(*keys)


def test_an_awkward_customer_name_reaches_the_agent_and_nobody_goes_not_ready(rig):
    switch, controller, customers, phone = rig
    store = controller.deps.store
    for i, name in enumerate(NAMES):
        wait_for(lambda: store.get_agent("alice").state != AgentState.ON_CALL, 10, what="alice free")
        controller.manager.agents.change("alice", AgentState.AVAILABLE)
        customers.name = name
        handle = switch.place_call(caller=f"+1415555010{i}", did="+18005550100")
        wait_for(lambda: handle.answered_by_agent == "1001", 15, what=f"alice answering the call from {name!r}")
        assert phone.ring_log[-1]["caller_id_name"] == name       # the agent's phone shows the name as written
        assert [entry["answered"] for entry in phone.ring_log] == [True] * (i + 1)
        assert store.get_agent("alice").state != AgentState.NOT_READY
