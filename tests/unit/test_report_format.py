"""Report numbers as a manager reads them: percent, mm:ss, thousands separators; the chart's data."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.web_fixtures import sqlite_url, web_app  # noqa: F401
from web.report_format import cell, chart_data, clock, mmss, number, percent


def test_units():
    assert percent(0.8) == "80.0 %" and percent(None) == ""
    assert mmss(19.999) == "0:20" and mmss(125) == "2:05" and mmss(3725) == "1:02:05"
    assert number(12345) == "12,345" and number(4.35) == "4.3" and number(2.0) == "2"
    assert cell("service_level", 0.8) == "80.0 %" and cell("aht_s", 19.999) == "0:20"
    assert cell("offered", 1234) == "1,234" and cell("breaks", {"lunch": 1800, "rest": 65}) == "lunch 30:00, rest 1:05"
    assert cell("csat_avg", None) == ""
    assert clock(1772442065.0) == "2026-03-02 09:01:05" and clock(None) == ""


def test_chart_data_sums_keys_and_weights_the_service_level(web_app):
    day = datetime(2026, 3, 2, tzinfo=timezone.utc)
    rows = [{"bucket": day, "offered": 3, "answered": 3, "service_level": 1.0},
            {"bucket": day, "offered": 1, "answered": 0, "service_level": 0.0}]
    with web_app.test_request_context():
        data = chart_data(rows, "day")
    assert (data["labels"], data["offered"], data["answered"], data["service_level"]) == \
        (["2026-03-02"], [4], [3], [75.0])


def test_agent_chart_data_sums_minutes_per_state(web_app):
    from web.report_format import agent_chart_data

    rows = [{"agent_id": "bob", "idle_s": 600, "on_call_s": 1200, "wrap_up_s": 60, "break_s": 0, "not_ready_s": None},
            {"agent_id": "bob", "idle_s": 600, "on_call_s": 0, "wrap_up_s": 0, "break_s": 900, "not_ready_s": 30}]
    with web_app.test_request_context():
        data = agent_chart_data(rows)
    assert data["labels"] == ["bob"]
    assert [(d["label"], d["data"]) for d in data["datasets"]] == [
        ("Idle", [20.0]), ("On call", [20.0]), ("Wrap-up", [1.0]), ("Break", [15.0]), ("Not ready", [0.5])]


def test_explanations_in_plain_words(web_app):
    from web.report_format import explain

    with web_app.test_request_context():
        route = explain({"kind": "route", "queue": "billing", "wait_s": 42.2, "strategy": "longest-idle-agent",
                         "requirements": {"billing": 7}, "chosen": ["bob"]})
        refused = explain({"kind": "transfer_refused", "target": "sales", "to": "queue", "result": "-ERR No such channel!"})
        other = explain({"kind": "exit_key", "queue": "billing", "digit": "0", "at": 1.0})
    assert route == "waited 0:42 in billing; offered to bob (longest idle agent, billing 7)"
    assert refused == "transfer to sales refused by the switch: No such channel!"
    assert other == "exit key: queue billing; digit 0"
