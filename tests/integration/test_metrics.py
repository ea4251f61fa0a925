"""Every /metrics endpoint scraped over HTTP: controller (its own port), worker (its own port) and
console (loopback or token), with the figures a call leaves behind."""
from __future__ import annotations

import re
import urllib.request

import pytest

from control.domain.models import Agent, AgentState, Call, CallState
from tests.conftest import free_port
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401
from tests.web_fixtures import sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        assert reply.status == 200
        return reply.read().decode()


def value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.M)
    assert found, f"{name} {labels} not in:\n{text[:3000]}"
    return float(found.group(1))


def test_controller_exports_calls_dispatch_and_live_gauges(rig):
    port = free_port()
    rig.db.add_agents([("alice", "1001")])
    rig.switch.add_phone("1001", answer_after=0.2, talk_time=0.3)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller(HOTLINE_METRICS_PORT=str(port))
    wait_for(lambda: [a.state for a in store.agents()] == [AgentState.AVAILABLE], 5, what="alice available")

    call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
    assert call.done.wait(15), rig.logs()
    text = wait_for(lambda: (t := scrape(port)) and 'hotline_calls_total{outcome="answered"}' in t and t, 10,
                    what="the call counted")
    assert value(text, "hotline_calls_total", outcome="answered") == 1.0
    assert value(text, "hotline_dispatch_pass_seconds_count") >= 1
    assert value(text, "hotline_queue_to_ring_seconds_count") == 1
    agents = dict(re.findall(r'^hotline_agents\{state="(\w+)"\} (\S+)$', text, re.M))
    assert {state: float(n) for state, n in agents.items()} in ({"wrap_up": 1.0}, {"available": 1.0})


def test_worker_counts_failed_jobs_and_serves_them(redis_client, redis_prefix):
    from rq import Queue, SimpleWorker

    from control.metrics import count_job_failure, serve

    queue = Queue(f"{redis_prefix}-jobs", connection=redis_client)
    queue.enqueue("tests.integration.test_metrics.failing_job", job_id=f"{redis_prefix}-fail")
    SimpleWorker([queue], connection=redis_client, exception_handlers=[count_job_failure]).work(burst=True)
    port = free_port()
    serve(port)
    text = scrape(port)
    assert value(text, "hotline_job_failures_total", job="tests.integration.test_metrics.failing_job",
                 retry="no") >= 1
    for key in redis_client.scan_iter(match=f"rq:*{redis_prefix}*"):
        redis_client.delete(key)


def failing_job():
    raise RuntimeError("this job fails on purpose")


@pytest.fixture
def console(sqlite_url, redis_url, redis_prefix):
    from tests.web_fixtures import build_app

    return build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix, metrics_token="s3cret")


def test_console_serves_live_gauges_to_loopback_and_token_only(console, redis_client, redis_prefix):
    from control.store.redis_state import RedisState

    store = RedisState(redis_client, redis_prefix)
    store.put_agent(Agent(id="alice", extension="1001", state=AgentState.AVAILABLE))
    store.put_call(Call(id="c1", caller="+14155550100", did="+18005550100", queue="support",
                        state=CallState.QUEUED, entered_at=1.0, created_at=1.0))
    client = console.test_client()

    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert value(text, "hotline_queue_depth", queue="support") == 1
    assert value(text, "hotline_queue_longest_wait_seconds", queue="support") > 1000
    assert value(text, "hotline_agents", state="available") == 1

    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 403
    with_token = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"},
                            headers={"Authorization": "Bearer s3cret"})
    assert with_token.status_code == 200
