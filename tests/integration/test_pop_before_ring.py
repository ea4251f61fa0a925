"""The card before the ring: a real controller process, the simulator's phones, and the agent's
console over HTTP (its live stream and its acknowledgement). The phone rings only once the open
console has drawn the card, or after the budget; a closed console costs no wait."""
from __future__ import annotations

import json
import time

import gevent
import pytest
import requests

from control.domain.models import AgentState
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401
from tests.web_fixtures import LiveServer, build_app

pytestmark = pytest.mark.integration


class Console:
    """alice's console: follows /agent/events and acknowledges each pop after ``draw_s``
    (None: never)."""

    def __init__(self, url: str, draw_s: float | None):
        self.url, self.draw_s = url, draw_s
        self.http = requests.Session()
        reply = self.http.post(f"{url}/login", data={"username": "alice", "password": "alice"},
                               allow_redirects=False)
        assert reply.status_code == 302, reply.text[:300]
        self.offers: list[tuple[dict, float]] = []
        self.acked_at: float | None = None
        self.greenlet = gevent.spawn(self._follow)

    def _follow(self) -> None:
        with self.http.get(f"{self.url}/agent/events", stream=True, timeout=30) as stream:
            for line in stream.iter_lines():
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("type") == "offer":
                    self.offers.append((message, time.time()))
                    if self.draw_s is not None:
                        gevent.sleep(self.draw_s)
                        self.acked_at = time.time()
                        self.http.post(f"{self.url}/api/agent/pop-ack", json={"call_id": message["call_id"]})

    def close(self) -> None:
        self.greenlet.kill()


def _setup(rig, tmp_path, budget_ms: int):
    rig.db.add_agents([("alice", "1001")])
    phone = rig.switch.add_phone("1001", answer_after=0.2, talk_time=0.3)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller(HOTLINE_POP_ACK_BUDGET_MS=str(budget_ms))
    wait_for(lambda: [a.state for a in store.agents()] == [AgentState.AVAILABLE], 5, what="alice available")
    app = build_app(f"sqlite:///{tmp_path / 'console.db'}", redis_url=rig.redis_url, redis_prefix=rig.prefix)
    return phone, app, store


def _pop_explanation(rig, call_id: str) -> dict | None:
    records = wait_for(lambda: (r := rig.db.records()) and call_id in r and r, 10, what="the record")
    return next((e for e in records[call_id].explanations if e.get("kind") == "pop"), None)


def _console_open(rig) -> bool:
    import redis

    return bool(redis.Redis.from_url(rig.redis_url).exists(f"{rig.prefix}:console:alice"))


def test_phone_rings_only_after_the_console_drew_the_card(rig, tmp_path):
    phone, app, _store = _setup(rig, tmp_path, budget_ms=3000)
    with LiveServer(app) as server:
        console = Console(server.url, draw_s=0.4)
        wait_for(lambda: _console_open(rig), 5, what="the console marked open")
        call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
        assert call.done.wait(20), rig.logs()
        console.close()
    assert console.acked_at is not None and phone.ring_log, rig.logs()
    assert phone.ring_log[0]["start"] >= console.acked_at - 0.01   # the ring waited for the card
    pop = _pop_explanation(rig, call.uuid)
    assert pop["card_first"] is True and pop["console"] == "acknowledged"
    assert 400 <= pop["waited_ms"] < 3000


def test_a_silent_console_delays_the_ring_by_the_budget_only(rig, tmp_path):
    phone, app, _store = _setup(rig, tmp_path, budget_ms=600)
    with LiveServer(app) as server:
        console = Console(server.url, draw_s=None)
        wait_for(lambda: _console_open(rig), 5, what="the console marked open")
        call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
        assert call.done.wait(20), rig.logs()
        console.close()
    _offer, seen = console.offers[0]
    assert 0.5 <= phone.ring_log[0]["start"] - seen < 2.0
    pop = _pop_explanation(rig, call.uuid)
    assert pop["card_first"] is False and pop["console"] == "no acknowledgement in time"


def test_no_console_no_wait(rig, tmp_path):
    _phone, _app, _store = _setup(rig, tmp_path, budget_ms=3000)
    call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
    assert call.done.wait(20), rig.logs()
    assert _pop_explanation(rig, call.uuid) is None   # no card to race: nothing held, nothing noted
