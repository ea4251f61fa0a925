"""Real headless Chromium: the Callbacks page follows the `wallboard` stream and its Cancel button
asks the controllers (``callback_cancel`` on the control channel)."""
from __future__ import annotations

import json
import time

from control.store.publisher import RedisPublisher
from tests.web_fixtures import live_server, redis_web_app, sqlite_url  # noqa: F401

from tests.browser import MARKS, browser  # noqa: F401,E402

pytestmark = MARKS


def test_callbacks_page_is_live_and_cancel_publishes(browser, live_server, redis_client, redis_prefix):
    from control.domain.models import Call, CallState
    from control.store.redis_state import RedisState

    store = RedisState(redis_client, redis_prefix)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/supervisor/")
    page.click('header nav a[href="/callbacks/"]')
    page.wait_for_url(f"{live_server.url}/callbacks/")
    page.wait_for_selector("#conn-status.on", timeout=10000)      # the SSE stream is open
    assert page.text_content("#count-waiting") == "(0)"

    # a caller asks for a callback: the controller stores the call and publishes on the wallboard
    store.put_call(Call(id="cb-orig-7", caller="+14155550177", did="+18005550100", queue="support",
                        kind="callback", state=CallState.QUEUED, entered_at=time.time() - 20,
                        vars={"callback": {"number": "+14155550177", "original_call_id": "orig-7", "attempts": 0}}))
    RedisPublisher(redis_client, redis_prefix).publish(
        "wallboard", {"type": "queued", "call_id": "cb-orig-7", "queue": "support", "kind": "callback"})
    row = '#cb-waiting tr[data-call-id="cb-orig-7"]'
    page.wait_for_selector(row, timeout=10000)                    # no reload
    assert "+14155550177" in page.text_content(row)
    page.screenshot(path="docs/screens/callbacks.png", full_page=True)

    page.click(f"{row} button")
    page.wait_for_selector("#action-status.ok", timeout=10000)
    entries = redis_client.xrange(f"{redis_prefix}:stream:control")
    messages = [json.loads(fields[b"data"]) for _id, fields in entries]
    assert [(m["type"], m["call_id"], m["by"]) for m in messages if m["type"] == "callback_cancel"] == \
        [("callback_cancel", "cb-orig-7", "supervisor")]
    assert errors == []
