"""Break and not-ready reasons come from configuration (agent_reasons), for the console and the API;
leaving wrap-up early is refused while the queue's required disposition is missing."""
from __future__ import annotations

import pytest

from tests.web_fixtures import client_for, login, web_app, sqlite_url  # noqa: F401
from web.reasons import parse_reasons


def _alice(web_app, state="available"):
    from control.domain.models import Agent, AgentState

    web_app.config["LIVE_STATE"].put_agent(Agent(id="alice", extension="1001", state=AgentState(state)))


def test_reasons_parse_with_their_paid_and_productive_flags():
    reasons = parse_reasons({"break": [{"code": "lunch", "paid": False}, "rest"],
                             "not_ready": [{"code": "outbound", "paid": True, "productive": True}]})
    assert [r.code for r in reasons["break"]] == ["lunch", "rest"]
    assert reasons["not_ready"][0].as_dict() == {"code": "outbound", "paid": True, "productive": True}
    from_env = parse_reasons('{"break": [{"code": "lunch"}], "not_ready": []}')   # HOTLINE_AGENT_REASONS
    assert [r.code for r in from_env["break"]] == ["lunch"] and from_env["not_ready"] == ()


@pytest.mark.parametrize("raw, problem", [
    ([], "must be a mapping"),
    ({"break": "lunch"}, "agent_reasons.break must be a list"),
    ({"break": [{"code": ""}]}, "agent_reasons.break[0]: code must be"),
    ({"break": []}, "needs at least one reason"),
])
def test_bad_reason_config_names_the_problem(raw, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_reasons(raw)


def test_the_api_accepts_the_configured_reasons_and_refuses_others(web_app, client_for):
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(
        agent_reasons={"break": [{"code": "coaching", "paid": True, "productive": True}],
                       "not_ready": [{"code": "outbound"}]})
    _alice(web_app)
    alice = client_for("alice")
    refused = alice.post("/api/agent/state", json={"state": "break", "reason": "lunch"})
    assert refused.status_code == 400 and "coaching" in refused.get_json()["error"]
    assert alice.post("/api/agent/state", json={"state": "break", "reason": "coaching"}).status_code == 200
    wrong = alice.post("/api/agent/state", json={"state": "not_ready", "reason": "nap"})
    assert wrong.status_code == 400 and "outbound" in wrong.get_json()["error"]
    answer = alice.post("/api/agent/state", json={"state": "not_ready", "reason": "outbound"})
    assert answer.status_code == 200 and answer.get_json()["reason"] == "outbound"
    page = alice.get("/agent/").get_data(as_text=True)
    assert 'value="coaching"' in page and 'value="outbound"' in page and 'value="lunch"' not in page


def test_the_console_page_starts_from_the_live_state(web_app, client_for):
    _alice(web_app, "wrap_up")
    import json
    import re

    page = client_for("alice").get("/agent/").get_data(as_text=True)
    setup = json.loads(re.search(r'<script type="application/json" id="setup">(.*?)</script>', page, re.S).group(1))
    assert setup["live"]["state"] == "wrap_up" and setup["live"]["now"] >= setup["live"]["since"]


def test_finish_now_is_refused_until_the_required_disposition_is_saved(web_app, client_for):
    _alice(web_app, "wrap_up")
    alice = client_for("alice")
    finish = {"state": "available", "call_id": "call-fin", "queue": "billing"}   # billing requires one
    refused = alice.post("/api/agent/state", json=finish)
    assert refused.status_code == 409 and "requires a disposition" in refused.get_json()["error"]
    assert web_app.config["LIVE_STATE"].get_agent("alice").state.value == "wrap_up"
    assert alice.post("/api/calls/call-fin/disposition", json={"disposition": "refund", "queue": "billing"}).status_code == 200
    assert alice.post("/api/agent/state", json=finish).status_code == 200
    assert web_app.config["LIVE_STATE"].get_agent("alice").state.value == "available"
