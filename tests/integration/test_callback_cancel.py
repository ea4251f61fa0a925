"""Cancelling waiting callbacks through the real controller, Redis, PostgreSQL and the simulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.faultkit import wait_for
from tests.integration.test_scenario_callback import make_rig  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def cancel(rig, call_id: str, request_id: str) -> None:
    rig.controller.deps.publisher.publish("control", {"type": "callback_cancel", "call_id": call_id,
                                                      "request_id": request_id, "by": "supervisor"})


def test_a_callers_callback_waiting_in_the_queue_is_cancelled(make_rig):
    rig = make_rig()                     # alice is not available: the callback call waits
    first = rig.call_and_ask_for_callback()
    cb_id = f"cb-{first.uuid}"
    cancel(rig, cb_id, "req-1")
    record = rig.records(cb_id)[cb_id]
    assert record.outcome == "failed" and record.hangup_cause == "CANCELLED"
    assert any(e.get("kind") == "callback_cancelled" and e.get("by") == "supervisor" for e in record.explanations)
    assert rig.store.get_call(cb_id) is None
    assert cb_id not in [c.id for c in rig.store.waiting_calls()]


def test_the_call_of_a_scheduled_row_is_cancelled_and_the_row_marked(make_rig):
    from records.card_models import Callback
    from records.db import session_factory

    rig = make_rig()
    cb_id = rig.schedule(datetime.now(timezone.utc) - timedelta(seconds=1))
    row_id = int(cb_id.removeprefix("cb-row-"))
    wait_for(lambda: rig.store.get_call(cb_id), 10, what="the scheduled callback in the queue")
    cancel(rig, cb_id, "req-2")
    assert rig.records(cb_id)[cb_id].hangup_cause == "CANCELLED"

    def cancelled():
        with session_factory(rig.config.database_url)() as session:
            item = session.get(Callback, row_id)
            return item if item.status == "cancelled" else None

    item = wait_for(lambda: rig.controller.deps.offload(cancelled), 10, what="the row cancelled")
    assert item.details["result"] == "cancelled" and item.details["cancelled_by"] == "supervisor"
    assert item.details["call_id"] == cb_id          # what the controller marked when it queued the row


def test_the_page_lists_a_deferred_retry_from_redis(tmp_path, redis_client, redis_prefix):
    """The retry time comes from the deferred zset in Redis (web/callbacks.py deferred_retries)."""
    import time

    from control.domain.models import AgentState, Call, CallState
    from control.store.publisher import MemoryPublisher
    from control.store.redis_state import RedisState
    from tests.web_fixtures import build_app, login

    store = RedisState(redis_client, redis_prefix)
    call = Call(id="cb-orig-5", caller="+14155550100", did="+18005550100", queue="support", kind="callback",
                state=CallState.QUEUED, entered_at=time.time() - 30,
                vars={"callback": {"number": "+14155550100", "original_call_id": "orig-5", "attempts": 1}})
    store.put_call(call)
    retry_at = time.time() + 240
    store.defer(store.get_call(call.id), retry_at, None, AgentState.AVAILABLE, time.time())
    app = build_app(f"sqlite:///{tmp_path / 'web.db'}", LIVE_STATE=store, PUBLISHER=MemoryPublisher())
    client = login(app.test_client(), "supervisor")
    [listed] = client.get("/callbacks/list.json").get_json()["waiting"]
    assert listed["call_id"] == call.id and listed["state"] == "ivr" and listed["attempts"] == 1
    assert abs(listed["retry_at"] - retry_at) < 0.01 and listed["can_cancel"] is True
