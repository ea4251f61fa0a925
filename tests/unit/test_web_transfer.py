"""Attended transfer from the console: complete and cancel go to the controller like the other call
actions (own call or supervisor, audited); the console page carries the consult controls."""
from __future__ import annotations

import pytest

from tests.unit.test_web_console import control_messages, live_call, rows
from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


@pytest.mark.parametrize("step", ["complete", "cancel"])
def test_consult_steps_publish_on_the_control_channel_and_are_audited(web_app, client_for, step):
    from records.models import AuditLog

    live_call(web_app)
    response = client_for("alice").post(f"/api/calls/c-live/transfer/{step}", json={})
    assert response.status_code == 202
    [message] = control_messages(web_app)
    assert (message["action"], message["call_id"], message["by"]) == (f"transfer_{step}", "c-live", "alice")
    assert [a.target for a in rows(web_app, AuditLog, AuditLog.action == f"call.transfer_{step}")] == ["call:c-live"]


def test_consult_steps_follow_the_call_action_rules(web_app, client_for):
    live_call(web_app, agent="bob")
    assert client_for("alice").post("/api/calls/c-live/transfer/complete", json={}).status_code == 403
    assert client_for("alice").post("/api/calls/gone/transfer/cancel", json={}).status_code == 409
    assert client_for("alice").post("/api/calls/c-live/transfer/cancel", data="[1]",
                                    content_type="application/json").status_code == 400
    assert client_for("supervisor").post("/api/calls/c-live/transfer/cancel").status_code == 202
    assert [m["action"] for m in control_messages(web_app)] == ["transfer_cancel"]


def test_the_console_has_the_consult_controls(web_app, client_for):
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    for element in ('id="consult"', 'id="btn-consult-complete"', 'id="btn-consult-cancel"'):
        assert element in page


def test_the_consult_controls_are_translated(web_app, client_for):
    page = client_for("dave").get("/agent/").get_data(as_text=True)   # dave's locale is zh
    assert "完成转接" in page and "正在与 {target} 协商" in page
