"""Customer API: masking by role, audit entries, hostile and odd input."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from records.models import AuditLog
from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401
from web.masking import mask_customer, mask_message, mask_value

ANN = "/api/customers/+14155550100"


def audit_rows(app):
    from web.extensions import db

    with app.app_context():
        return [(a.who, a.action, a.target, a.ip, a.details) for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_agent_sees_sensitive_fields_masked_supervisor_sees_them(client_for):
    agent_view = client_for("alice").get(ANN).json["customer"]
    sup_view = client_for("supervisor").get(ANN).json["customer"]
    assert agent_view["fields"]["card_number"] == "••••••••••••1111"
    assert agent_view["fields"]["company"] == "Lee Logistics"
    assert sup_view["fields"]["card_number"] == "4111111111111111"
    assert agent_view["tier"] == "vip" and agent_view["name"] == "Ann Lee"
    assert [t["subject"] for t in agent_view["open_tickets"]] == ["Upgrade to 20 seats", "Invoice 2291 charged twice"]


def test_masking_helpers():
    assert mask_value("12") == "••••"
    card = {"fields": {"SSN": "123-45-6789", "plan": "x"}}
    assert mask_customer(card, "agent")["fields"] == {"SSN": "•••••••6789", "plan": "x"}
    assert card["fields"]["SSN"] == "123-45-6789"          # the input is not changed
    assert mask_customer(card, "admin") is card
    msg = mask_message({"type": "offer", "customer": card}, "agent")
    assert msg["customer"]["fields"]["SSN"].endswith("6789") and msg["customer"]["fields"]["SSN"] != "123-45-6789"


def test_every_view_and_change_is_audited(web_app, client_for):
    alice = client_for("alice")
    alice.get(ANN)
    alice.get("/api/customers/+14155550199")   # unknown numbers are audited too
    created = alice.post("/api/customers", json={"name": "Neu", "number": "+14155550777"}).json["customer"]
    alice.post("/api/tickets", json={"customer_id": created["id"], "subject": "s"})
    alice.post("/api/notes", json={"customer_id": created["id"], "text": "n"})
    alice.post("/api/interactions", json={"customer_id": created["id"], "channel": "email", "summary": "x"})
    alice.post("/api/calls/call-9/disposition", json={"disposition": "resolved", "note": "ok"})
    rows = [r for r in audit_rows(web_app) if r[1] != "login"]
    assert [r[1] for r in rows] == ["customer.view", "customer.view", "customer.create", "ticket.create",
                                    "note.create", "interaction.create", "call.disposition"]
    assert all(r[0] == "alice" and r[3] == "127.0.0.1" for r in rows)
    assert rows[0][2] == "number:+14155550100" and rows[0][4] == {"found": True}
    assert rows[1][4] == {"found": False}


def test_card_for_customer_created_by_api_round_trips(client_for):
    sup = client_for("supervisor")
    body = {"name": "Vee", "number": "(415) 555-0188", "tier": "vip", "tags": ["a"], "fields": {"ssn": "999887777"},
            "language": "zh"}
    created = sup.post("/api/customers", json=body)
    assert created.status_code == 201
    assert created.json["customer"]["numbers"] == ["+14155550188"]     # normalised to E.164
    assert client_for("alice").get("/api/customers/+14155550188").json["customer"]["fields"]["ssn"] == "•••••7777"
    assert sup.post("/api/customers", json=body).status_code == 409     # the number is taken
    assert client_for("alice").post("/api/customers", json={**body, "number": "+14155550189"}).status_code == 403


HOSTILE = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "Ann\n\ndata: {\"type\":\"offer\"}\n\n",      # would break SSE framing if not JSON-encoded
    "王小明 😀 Ñandú",
    "x" * 300,
]


@pytest.mark.parametrize("name", HOSTILE, ids=["script", "attr", "sse-newlines", "unicode", "long-300"])
def test_hostile_names_round_trip_unchanged_as_json(client_for, name):
    alice = client_for("alice")
    response = alice.post("/api/customers", json={"name": name, "number": "+14155550166"})
    assert response.status_code == 201
    got = alice.get("/api/customers/+14155550166")
    assert got.mimetype == "application/json"
    assert got.json["customer"]["name"] == name.strip()
    assert got.headers["X-Content-Type-Options"] == "nosniff"     # never sniffed as HTML
    assert "script-src 'self'" in got.headers["Content-Security-Policy"]


def test_too_long_and_wrong_types_are_refused(client_for):
    alice = client_for("alice")
    assert alice.post("/api/customers", json={"name": "x" * 301, "number": "+14155550166"}).status_code == 400
    assert alice.post("/api/customers", json={"name": ["x"], "number": "+14155550166"}).status_code == 400
    assert alice.post("/api/customers", data="not json", content_type="application/json").status_code == 400
    assert alice.post("/api/customers", json=[1, 2]).status_code == 400
    assert alice.post("/api/tickets", json={"customer_id": "1", "subject": "s"}).status_code == 400
    assert alice.post("/api/tickets", json={"customer_id": 999, "subject": "s"}).status_code == 404
    assert alice.post("/api/interactions", json={"customer_id": 1, "channel": "fax", "summary": "s"}).status_code == 400


@pytest.mark.parametrize("number", ["anonymous", "unknown", "12", "abc", "%3Cscript%3E", "+"])
def test_anonymous_and_malformed_numbers(client_for, number):
    response = client_for("alice").get(f"/api/customers/{number}")
    assert response.status_code == 400
    assert response.json["error"]


def test_console_script_never_uses_innerhtml():
    from pathlib import Path

    import web

    script = (Path(web.__file__).parent / "static" / "console.js").read_text()
    assert "innerHTML" not in script.replace("never innerHTML", "") and "outerHTML" not in script
    assert "insertAdjacentHTML" not in script and "document.write" not in script


def test_console_page_embeds_strings_as_escaped_json(client_for):
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    raw = page.split('<script type="application/json" id="strings">')[1].split("</script>")[0]
    assert json.loads(raw)["incoming"] == "Incoming call"
