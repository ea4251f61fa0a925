"""The OpenAPI description covers every /api route and is a valid OpenAPI 3 document."""
from __future__ import annotations

from tests.web_fixtures import client_for, web_app, sqlite_url  # noqa: F401


def test_every_api_route_is_described(web_app):
    from web.openapi import OPERATIONS, api_rules

    missing = sorted(rule.endpoint for rule in api_rules(web_app) if rule.endpoint not in OPERATIONS)
    assert not missing, f"describe these in web/openapi.py OPERATIONS: {missing}"
    stale = sorted(set(OPERATIONS) - {rule.endpoint for rule in api_rules(web_app)})
    assert not stale, f"OPERATIONS names endpoints that no longer exist: {stale}"


def test_served_description_is_valid_openapi(client_for):
    import schemathesis

    spec = client_for(None).get("/api/openapi.json").get_json()
    operations = [op.ok() for op in schemathesis.openapi.from_dict(spec).get_all_operations()]
    assert len(operations) == sum(len(methods) for methods in spec["paths"].values())
    assert "/api/calls/{call_id}/transfer" in spec["paths"]
    transfer = spec["paths"]["/api/calls/{call_id}/transfer"]["post"]
    assert transfer["requestBody"]["content"]["application/json"]["schema"]["required"] == ["to", "target"]
    assert spec["paths"]["/api/callbacks/{row_id}/cancel"]["post"]["parameters"][0]["schema"]["type"] == "integer"
