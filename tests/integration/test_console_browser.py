"""Real headless Chromium: an agent logs in, a pop is published, the card appears (as text)."""
from __future__ import annotations

import time

import pytest

from control.store.publisher import RedisPublisher
from tests.web_fixtures import live_server, redis_web_app, sqlite_url  # noqa: F401

from tests.browser import MARKS, browser  # noqa: F401,E402

pytestmark = MARKS


def offer(customer: dict | None, caller="+14155550100", call_id="call-1") -> dict:
    return {"type": "offer", "call_id": call_id, "caller": caller, "did": "+18005550100", "queue": "billing",
            "wait_s": 12.3, "language": "en", "ivr_path": ["menu:2", "billing"], "customer": customer,
            "partial": False, "agent_id": "alice", "ts": time.time()}


def console_page(browser, server, username="alice"):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("#login-button")
    page.wait_for_url(f"{server.url}/agent/")
    page.wait_for_selector("#conn-status.on", timeout=10000)   # the SSE stream is open
    return page, errors


def test_pop_shows_the_vip_card_with_ivr_path(browser, live_server, redis_client, redis_prefix):
    page, errors = console_page(browser, live_server)
    RedisPublisher(redis_client, redis_prefix).publish("agent:alice", offer(
        {"id": 1, "name": "Ann Lee", "tier": "vip", "tags": ["vip"], "fields": {}}))
    page.wait_for_selector("#card:not([hidden])", timeout=10000)
    assert page.text_content("#card-name") == "Ann Lee"
    assert page.is_visible("#card-vip")
    assert page.text_content("#card-ivr") == "menu:2 → billing"
    assert page.text_content("#card-queue") == "billing"
    # the full card (tickets, masked fields) is fetched from the API
    page.wait_for_selector("#card-tickets li:nth-child(2)", timeout=10000)   # wait_for_function polls with eval: CSP
    assert "Invoice 2291 charged twice" in page.text_content("#card-tickets")
    assert "4111111111111111" not in page.text_content("#card-fields")
    assert errors == []


def test_hostile_name_is_shown_as_text(browser, live_server, redis_client, redis_prefix):
    page, errors = console_page(browser, live_server)
    page.evaluate("window.__pwned = false")
    hostile = "<script>window.__pwned = true</script><img src=x onerror=\"window.__pwned=true\">"
    RedisPublisher(redis_client, redis_prefix).publish("agent:alice", offer(
        {"id": 99, "name": hostile, "tier": "gold", "tags": ["<b>x</b>"], "fields": {"<i>k</i>": "<u>v</u>"}},
        caller="+14155550177", call_id="call-2"))
    page.wait_for_selector("#card:not([hidden])", timeout=10000)
    page.wait_for_selector("#card-name:not(:empty)", timeout=10000)
    assert page.text_content("#card-name") == hostile
    assert page.eval_on_selector("#card", "el => el.querySelectorAll('script, img, b, i, u').length") == 0
    assert page.evaluate("window.__pwned") is False
    assert not page.is_visible("#card-vip")
    assert errors == []


def test_unknown_caller_gets_a_prefilled_quick_create_form(browser, live_server, redis_client, redis_prefix):
    page, _ = console_page(browser, live_server)
    RedisPublisher(redis_client, redis_prefix).publish("agent:alice", offer(None, caller="+14155550123",
                                                                           call_id="call-3"))
    page.wait_for_selector("#quick-create:not([hidden])", timeout=10000)
    assert page.input_value("#qc-number") == "+14155550123"
    page.fill("#qc-name", "New Person")
    page.click("#quick-create button[type=submit]")
    page.wait_for_selector("#quick-create[hidden]", state="attached", timeout=10000)
    assert page.text_content("#card-name") == "New Person"


def test_ticket_from_the_card_and_disposition_in_the_wrap_up_panel(browser, live_server, redis_client, redis_prefix,
                                                                   redis_web_app):
    from sqlalchemy import select

    from records.models import Call, Ticket
    from web.extensions import db

    store = _live_agent(redis_client, redis_prefix, "on_call", call_id="call-wrap")
    page, errors = console_page(browser, live_server)
    publisher = RedisPublisher(redis_client, redis_prefix)
    publisher.publish("agent:alice", offer({"id": 1, "name": "Ann Lee", "tier": "vip", "tags": [], "fields": {}},
                                           call_id="call-wrap"))
    page.wait_for_selector("#call-actions:not([hidden])", timeout=10000)
    # (selectors, not wait_for_function: polling a string predicate is eval, which the page's CSP forbids)
    page.wait_for_selector("#card-tickets li:nth-child(2)", timeout=10000)
    # knowledge-base suggestions from the queue, the IVR path and the open tickets
    page.wait_for_selector("#card-kb li button", timeout=10000)
    assert page.text_content("#card-kb li button") == "Refund a double charge"
    page.fill("#ticket-subject", "Refund the <b>second</b> charge")
    page.click("#btn-ticket")
    page.wait_for_selector("#card-tickets li:nth-child(3)", timeout=10000)
    assert "Refund the <b>second</b> charge" in page.text_content("#card-tickets li.new")

    _live_agent(redis_client, redis_prefix, "wrap_up")   # as the controller's release leaves the agent
    publisher.publish("agent:alice", {"type": "ended", "call_id": "call-wrap", "wrap_up_s": 30, "ts": time.time()})
    page.wait_for_selector("#wrapup:not([hidden])", timeout=10000)
    assert "30" in page.text_content("#wrapup-countdown") or "29" in page.text_content("#wrapup-countdown")
    assert page.is_hidden("#call-actions")
    options = page.eval_on_selector_all("#wrapup-disposition option", "els => els.map(e => e.value)")
    assert options == ["", "refund", "payment_plan", "explained"]
    page.click("#wrapup-save")                       # billing requires a disposition
    page.wait_for_selector("#wrapup-error:not([hidden])", timeout=5000)
    page.select_option("#wrapup-disposition", "refund")
    page.fill("#wrapup-note", "refunded 42.00")
    page.click("#wrapup-save")
    page.wait_for_selector("#wrapup[hidden]", state="attached", timeout=10000)

    with redis_web_app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.call_id == "call-wrap"))
        assert ticket is not None and ticket.subject == "Refund the <b>second</b> charge" and ticket.customer_id == 1
        assert db.session.scalar(select(Call).where(Call.call_id == "call-wrap")).disposition == "refund"
    assert store.get_agent("alice").state.value == "available"   # "save and finish" ended the wrap-up
    assert errors == []


def test_card_layout_hides_and_orders_fields(browser, live_server, redis_client, redis_prefix, redis_web_app):
    from web.card_layout import save
    from web.extensions import db

    with redis_web_app.app_context():
        save(db.session, "agent", "billing", ["tickets", "ivr"], "admin")
        db.session.commit()
    page, errors = console_page(browser, live_server)
    RedisPublisher(redis_client, redis_prefix).publish("agent:alice", offer(
        {"id": 1, "name": "Ann Lee", "tier": "vip", "tags": [], "fields": {}}, call_id="call-layout"))
    page.wait_for_selector("#card:not([hidden])", timeout=10000)
    shown = page.eval_on_selector_all("#card-items .item:not([hidden])", "els => els.map(e => e.dataset.field)")
    assert shown == ["tickets", "ivr"]
    assert errors == []


def test_attended_transfer_shows_complete_and_cancel_from_the_consult_events(browser, live_server, redis_client,
                                                                             redis_prefix):
    import json

    from control.domain.models import Call as LiveCall
    from control.store.redis_state import RedisState
    from tests.integration.faultkit import wait_for

    RedisState(redis_client, redis_prefix).put_call(LiveCall(id="call-xfer", caller="+14155550100",
                                                             did="+18005550100", queue="billing", agent_id="alice"))
    page, errors = console_page(browser, live_server)
    publisher = RedisPublisher(redis_client, redis_prefix)
    publisher.publish("agent:alice", offer({"id": 1, "name": "Ann Lee", "tier": "vip", "tags": [], "fields": {}},
                                           call_id="call-xfer"))
    page.wait_for_selector("#call-actions:not([hidden])", timeout=10000)
    assert page.is_hidden("#consult")
    page.select_option("#transfer-to", "agent")
    page.fill("#transfer-target", "bob")
    page.select_option("#transfer-kind", "attended")
    page.click("#btn-transfer")

    def control(action):
        stream = f"{redis_prefix}:stream:control"
        messages = [json.loads(f[b"data"]) for _, f in redis_client.xrange(stream)]
        return [m for m in messages if m.get("action") == action]

    consult = {"type": "consult", "call_id": "call-xfer", "agent_id": "alice", "to": "agent", "target": "bob",
               "target_agent": "bob"}
    publisher.publish("agent:alice", {**consult, "state": "talking"})   # what the controller says on answer
    page.wait_for_selector("#btn-consult-complete:not([hidden])", timeout=10000)
    [transfer] = wait_for(lambda: control("transfer"), 10, what="the transfer request")
    assert (transfer["kind"], transfer["to"], transfer["target"]) == ("attended", "agent", "bob")
    assert page.text_content("#consult-text") == "Consulting bob"
    assert page.is_visible("#btn-consult-cancel") and page.is_hidden("#transfer-form")
    page.click("#btn-consult-cancel")
    assert [m["call_id"] for m in wait_for(lambda: control("transfer_cancel"), 10, what="the cancel")] == ["call-xfer"]
    publisher.publish("agent:alice", {**consult, "state": "cancelled"})
    page.wait_for_selector("#transfer-form:not([hidden])", timeout=10000)
    assert page.is_hidden("#btn-consult-cancel") and page.is_hidden("#btn-consult-complete")
    assert "back with the caller" in page.text_content("#consult-text")
    assert errors == []


def _live_agent(redis_client, redis_prefix, state, call_id=None):
    from control.domain.models import Agent, AgentState
    from control.store.redis_state import RedisState

    store = RedisState(redis_client, redis_prefix)
    store.put_agent(Agent(id="alice", extension="1001", skills={"billing": 5}, queues=["billing"],
                          state=AgentState(state), state_since=time.time() - 65, call_id=call_id))
    return store


def _state_text(page, expected: str) -> str:
    page.wait_for_selector(f"#state-pill[data-state={expected}]", timeout=10000)
    return page.text_content("#agent-state")


def _controller(redis_client, redis_prefix, refuse_transfers: bool):
    """The controller's own code for call actions (Manager.on_control, AgentStates) on the test's Redis,
    with a switch that refuses every uuid_transfer (as FreeSWITCH does for a channel that is gone)."""
    from control.domain.queue_config import QueueConfig
    from control.handlers.manager import Manager
    from control.store.redis_state import RedisState
    from tests.handler_fakes import FakeSwitch, make_deps

    class Switch(FakeSwitch):
        def api(self, command: str) -> str:
            reply = super().api(command)
            return "-ERR No such channel!\n" if refuse_transfers and command.startswith("uuid_transfer") else reply

    deps = make_deps({"billing": QueueConfig(name="billing", wrap_up_s=300, dispositions=["refund"],
                                             disposition_required=True)}, switch=Switch())
    deps.store, deps.publisher = RedisState(redis_client, redis_prefix), RedisPublisher(redis_client, redis_prefix)
    deps.now = time.time
    return deps, Manager(deps)


def _requests(redis_client, redis_prefix, action: str) -> list[dict]:
    """What the console asked the controllers for on the control stream."""
    import json

    entries = redis_client.xrange(f"{redis_prefix}:stream:control")
    return [m for m in (json.loads(fields[b"data"]) for _id, fields in entries)
            if m.get("type") == "call_action" and m.get("action") == action]


def test_one_agent_ring_answer_hold_refused_transfer_wrap_up_finish(browser, live_server, redis_client,
                                                                    redis_prefix, redis_web_app):
    """The state bar follows the agent's real state through a whole call; actions are pending until
    the switch answers; a transfer the switch refused leaves the call with the agent (the controller's
    own code carries the request out); the wrap-up's required disposition is enforced by the server."""
    import re

    from sqlalchemy import select

    from control.domain.models import AgentState, Call as LiveCall, CallState
    from records.models import Call
    from tests.integration.faultkit import wait_for
    from web.extensions import db

    store = _live_agent(redis_client, redis_prefix, "available")
    page, errors = console_page(browser, live_server)
    # the first paint comes from live state (the stream only carries changes), with the time in it
    assert _state_text(page, "available") == "Available"
    assert re.fullmatch(r"1:0\d", page.text_content("#state-time"))
    publisher = RedisPublisher(redis_client, redis_prefix)
    publisher.publish("agent:alice", offer({"id": 1, "name": "Ann Lee", "tier": "vip", "tags": [], "fields": {}},
                                           call_id="call-j"))
    assert _state_text(page, "reserved") == "Ringing"
    answered_at = time.time()
    _live_agent(redis_client, redis_prefix, "on_call", call_id="call-j")   # the controller confirmed the answer
    store.put_call(LiveCall(id="call-j", caller="+14155550100", did="+18005550100", queue="billing",
                            state=CallState.CONNECTED, agent_id="alice", answered_at=answered_at,
                            controller_id="test-ctl"), create=True)
    publisher.publish("agent:alice", {"type": "answered", "call_id": "call-j", "agent_id": "alice", "ts": answered_at})
    assert _state_text(page, "on_call") == "On call"
    assert page.is_visible("#talk-time") and page.is_hidden("#hold-box")
    first = page.text_content("#talk-time")
    page.wait_for_function(f"() => document.getElementById('talk-time').textContent !== '{first}'", timeout=10000)
    page.screenshot(path="docs/screens/console-on-call.png", full_page=True)

    page.click("#btn-hold")                                  # pending until the switch confirms
    page.wait_for_selector("#action-status[data-phase=pending]", timeout=10000)
    assert page.text_content("#agent-state") == "On call"
    publisher.publish("agent:alice", {"type": "call_action", "action": "hold", "call_id": "call-j", "by": "alice",
                                      "result": "+OK Success", "ok": True})
    assert _state_text(page, "on_hold") == "On hold"
    assert page.is_visible("#hold-time")
    assert page.get_attribute("#action-status", "data-phase") == "done"
    page.click("#btn-unhold")
    page.wait_for_selector("#action-status[data-phase=pending]", timeout=10000)
    publisher.publish("agent:alice", {"type": "call_action", "action": "unhold", "call_id": "call-j", "by": "alice",
                                      "result": "+OK Success", "ok": True})
    assert _state_text(page, "on_call") == "On call"

    deps, manager = _controller(redis_client, redis_prefix, refuse_transfers=True)
    try:
        page.select_option("#transfer-to", "queue")          # the switch refuses the transfer
        page.fill("#transfer-target", "billing")
        page.click("#btn-transfer")
        page.wait_for_selector("#action-status[data-phase=pending]", timeout=10000)
        [request] = wait_for(lambda: _requests(redis_client, redis_prefix, "transfer"), 10, what="the transfer")
        manager.on_control(request)                          # the owning controller carries it out
        page.wait_for_selector("#action-status[data-phase=failed]", timeout=10000)
        assert "the call is no longer on the switch" in page.text_content("#action-status")
        page.wait_for_timeout(500)                           # nothing else arrives: no wrap-up
        assert page.text_content("#agent-state") == "On call" and page.is_hidden("#wrapup")
        alice, live = store.get_agent("alice"), store.get_call("call-j")
        assert (alice.state, alice.call_id) == (AgentState.ON_CALL, "call-j")
        assert (live.state, live.agent_id) == (CallState.CONNECTED, "alice")
        assert [e["kind"] for e in deps.call_log.read("call-j", "explanations")] == ["transfer_refused"]
        assert [r for r in deps.history if r[1] == "wrap_up"] == []
        page.screenshot(path="docs/screens/console-action-failed.png", full_page=True)

        page.once("dialog", lambda dialog: dialog.accept())   # "Hang up this call?"
        page.click("#btn-hangup")                            # the agent hangs up
        [request] = wait_for(lambda: _requests(redis_client, redis_prefix, "hangup"), 10, what="the hang-up")
        manager.on_control(request)
        page.wait_for_selector("#action-status[data-phase=done]", timeout=10000)
        assert deps.switch.commands[-1] == "uuid_kill call-j NORMAL_CLEARING"
        # the caller's leg is gone: the call's session ends the conversation through AgentStates
        manager.agents.end_conversation("alice", "call-j", "billing", answered_at)
        assert _state_text(page, "wrap_up") == "Wrap-up"
        page.wait_for_selector("#wrapup:not([hidden])", timeout=10000)
        assert re.search(r"\d+", page.text_content("#wrapup-countdown"))   # the wrap-up timer runs
        assert store.get_agent("alice").state == AgentState.WRAP_UP and store.get_call("call-j") is None
        page.click("#wrapup-finish")                         # billing requires a disposition: the server refuses
        page.wait_for_selector("#wrapup-error:not([hidden])", timeout=10000)
        assert "requires a disposition" in page.text_content("#wrapup-error")
        assert store.get_agent("alice").state == AgentState.WRAP_UP
        page.screenshot(path="docs/screens/console-wrap-up.png", full_page=True)
        page.select_option("#wrapup-disposition", "refund")
        page.click("#wrapup-save")                           # save and finish now
        assert _state_text(page, "available") == "Available"
        page.wait_for_selector("#wrapup[hidden]", state="attached", timeout=10000)
        assert store.get_agent("alice").state == AgentState.AVAILABLE
        with redis_web_app.app_context():
            assert db.session.scalar(select(Call).where(Call.call_id == "call-j")).disposition == "refund"
    finally:
        manager.stop()

    page.select_option("#not-ready-reason", "technical")     # not ready, with a configured reason
    page.click("#btn-not-ready")
    assert _state_text(page, "not_ready") == "Not ready · technical"
    page.click("#btn-log-out")
    assert _state_text(page, "logged_out") == "Logged out"
    assert errors == []


def test_the_next_call_does_not_show_the_previous_wrap_up(browser, live_server, redis_client, redis_prefix):
    _live_agent(redis_client, redis_prefix, "wrap_up")
    page, errors = console_page(browser, live_server)
    assert _state_text(page, "wrap_up") == "Wrap-up"
    publisher = RedisPublisher(redis_client, redis_prefix)
    publisher.publish("agent:alice", {"type": "ended", "call_id": "call-a", "wrap_up_s": 30, "ts": time.time()})
    page.wait_for_selector("#wrapup:not([hidden])", timeout=10000)
    publisher.publish("agent:alice", {"type": "state", "agent_id": "alice", "state": "available", "reason": None,
                                      "ts": time.time()})
    publisher.publish("agent:alice", offer(None, call_id="call-b"))
    assert _state_text(page, "reserved") == "Ringing"
    page.wait_for_selector("#wrapup[hidden]", state="attached", timeout=10000)
    assert errors == []


def test_the_state_bar_in_chinese(browser, live_server, redis_client, redis_prefix):
    from control.domain.models import Call as LiveCall

    store = _live_agent(redis_client, redis_prefix, "on_call", call_id="call-zh")
    store.put_call(LiveCall(id="call-zh", caller="+8613800138000", did="+18005550100", queue="billing",
                            agent_id="alice"))
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})   # a laptop
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "alice")
    page.fill("#password", "alice")
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/agent/")
    assert _state_text(page, "on_call") == "通话中"
    assert page.text_content("#btn-not-ready") == "未就绪"
    assert page.is_visible("#btn-hold")   # a reload during a call keeps its controls
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")   # fits a laptop
    page.screenshot(path="docs/screens/console-zh.png", full_page=True)


def test_after_the_stream_drops_the_state_bar_is_marked_stale_then_catches_up(browser, live_server, redis_client,
                                                                             redis_prefix):
    from control.domain.models import Agent, AgentState

    store = _live_agent(redis_client, redis_prefix, "available")
    page, errors = console_page(browser, live_server)
    assert _state_text(page, "available") == "Available"
    # the tab holding the live stream reports the drop to the other tabs over their BroadcastChannel
    # (a connection to 127.0.0.1 cannot be cut from here without touching other tests' Redis clients)
    relay = "m => new BroadcastChannel('hotline-alice').postMessage(m)"
    page.evaluate(relay, {"type": "conn", "live": False})
    page.wait_for_selector("#state-pill.stale", timeout=5000)
    assert page.text_content("#conn-status") == "Reconnecting…"
    # meanwhile the agent went on a break (e.g. from the desk phone); its event is not seen here
    store.put_agent(Agent(id="alice", extension="1001", queues=["billing"], state=AgentState.BREAK,
                          break_reason="lunch", state_since=time.time()))
    page.evaluate(relay, {"type": "conn", "live": True})   # reconnected: the console catches up
    page.wait_for_selector("#conn-status.on", timeout=5000)
    assert _state_text(page, "break") == "Break · lunch"
    page.wait_for_selector("#state-pill:not(.stale)", timeout=5000)
    assert errors == []


def test_notes_and_follow_ups_appear_on_the_card_once_saved_and_shortcuts_work(browser, live_server, redis_client,
                                                                               redis_prefix):
    from control.domain.models import Call as LiveCall

    store = _live_agent(redis_client, redis_prefix, "available")
    store.put_call(LiveCall(id="call-notes", caller="+14155550100", did="+18005550100", queue="billing",
                            agent_id="alice"))
    page, errors = console_page(browser, live_server)
    RedisPublisher(redis_client, redis_prefix).publish(
        "agent:alice", offer({"id": 1, "name": "Ann Lee", "tier": "vip", "tags": [], "fields": {}}, call_id="call-notes"))
    page.wait_for_selector("#card:not([hidden])", timeout=10000)
    assert page.is_hidden("#call-saved")
    page.fill("#note-text", "asked about the <b>refund</b>")
    page.click("#btn-note")
    page.wait_for_selector("#card-saved li", timeout=10000)
    assert page.text_content("#card-saved li") == "Note added: asked about the <b>refund</b>"
    page.click("#btn-follow-up")
    page.wait_for_selector("#card-saved li:nth-child(2)", timeout=10000)
    assert page.text_content("#card-saved li") == "Marked for follow-up"

    _live_agent(redis_client, redis_prefix, "available")   # the call is over; keyboard: Alt+B takes a break
    page.select_option("#break-reason", "training")
    page.keyboard.press("Alt+b")
    assert _state_text(page, "break") == "Break · training"
    page.keyboard.press("Alt+a")
    assert _state_text(page, "available") == "Available"
    assert errors == []
