"""The REST API's OpenAPI description, generated from the running app: /api/openapi.json.

Paths, methods and path parameters come from Flask's URL map (apispec's FlaskPlugin converts
``<int:row_id>`` to ``{row_id}``; the parameter's type comes from the rule's converter). What the URL map cannot know is said once per
endpoint in ``OPERATIONS``: a summary, the roles that may call it, and its JSON body as a JSON
Schema. ``tests/unit/test_openapi.py`` fails when an /api route has no entry here, and the
fuzz run (tests/integration/test_api_fuzz.py) drives every operation from this description.
"""
from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import IntegerConverter

from records.models import CHANNELS, ROLES
from web.json_api import AGENT_STATES
from web.api_calls import TRANSFER_KINDS, TRANSFER_TO
from web.api_supervisor import MODES

bp = Blueprint("openapi", __name__)

TEXT = {"type": "string", "minLength": 1}
CALL_ID = {"type": "string", "maxLength": 64}
STATES = list(AGENT_STATES)


def body(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


AGENT_BODY = body(
    ["id", "name", "extension"], id={"type": "string", "maxLength": 64}, name={"type": "string", "maxLength": 200},
    extension={"type": "string", "maxLength": 10},
    skills={"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10}},
    queues={"type": "array", "items": {"type": "string"}},
    wrap_up_s={"type": ["number", "null"], "minimum": 0}, version={"type": "string"})

# endpoint -> (summary, roles, JSON body schema or None)
OPERATIONS: dict[str, tuple[str, tuple[str, ...], dict[str, Any] | None]] = {
    "api.get_customer": ("The customer with this phone number, with history", ("agent",), None),
    "api.create_customer": ("Create a customer", ("agent",), body(
        ["name", "number"], name={**TEXT, "maxLength": 300}, number={**TEXT, "maxLength": 40},
        tier={"type": "string", "maxLength": 20}, tags={"type": "array", "items": {"type": "string"}},
        fields={"type": "object"}, language={"type": "string", "maxLength": 16})),
    "api.create_interaction": ("Log a chat, email or other interaction", ("agent",), body(
        ["customer_id", "channel"], customer_id={"type": "integer"},
        channel={"type": "string", "enum": list(CHANNELS)},
        summary={"type": "string"})),
    "api.create_ticket": ("Open a ticket for a customer", ("agent",), body(
        ["customer_id", "subject"], customer_id={"type": "integer"}, subject={**TEXT, "maxLength": 300},
        call_id=CALL_ID)),
    "api.create_note": ("Add a note to a customer or a call", ("agent",), body(
        ["text"], text=TEXT, call_id=CALL_ID, customer_id={"type": "integer"})),
    "api.set_disposition": ("Set the disposition of a call the agent handled", ("agent",), body(
        ["disposition"], disposition={**TEXT, "maxLength": 64}, queue={"type": "string", "maxLength": 64},
        note={"type": "string"})),
    "api.get_agent_state": ("The signed-in agent's own state now (live state)", ("agent",), None),
    "api.set_agent_state": ("Change the signed-in agent's own state", ("agent",), body(
        ["state"], state={"type": "string", "enum": STATES}, reason={"type": "string", "maxLength": 40})),
    "softphone.credentials": ("The signed-in agent's own SIP account for the browser phone", ("agent",), None),
    "softphone.save_settings": ("The signed-in agent's phone (sip or browser) and auto-answer", ("agent",), body(
        [], phone={"type": "string", "enum": ["sip", "browser"]}, auto_answer={"type": "boolean"})),
    "api.call_hold": ("Hold the agent's call", ("agent",), body([])),
    "api.call_unhold": ("Take the agent's call off hold", ("agent",), body([])),
    "api.call_hangup": ("Hang up the agent's call", ("agent",), body([])),
    "api.call_transfer": ("Transfer the call (blind, or attended with complete/cancel)", ("agent",), body(
        ["to", "target"], to={"type": "string", "enum": list(TRANSFER_TO)},
        kind={"type": "string", "enum": list(TRANSFER_KINDS)}, target={**TEXT, "maxLength": 64})),
    "api.call_transfer_complete": ("Complete an attended transfer", ("agent",), body([])),
    "api.call_transfer_cancel": ("Cancel an attended transfer", ("agent",), body([])),
    "api.call_follow_up": ("Mark a handled call for follow-up (opens a ticket)", ("agent",), body(
        [], subject={"type": "string", "maxLength": 300})),
    "api.schedule_callback": ("Schedule a callback to a number", ("agent",), body(
        ["number", "due_at"], number={**TEXT, "maxLength": 40},
        due_at={"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]},
        customer_id={"type": "integer"}, queue={"type": "string", "maxLength": 64}, call_id=CALL_ID,
        note={"type": "string"})),
    "api.kb_suggest": ("Knowledge-base articles for the current call", ("agent",), None),
    "api.kb_article": ("One knowledge-base article", ("agent",), None),
    "callbacks.cancel_scheduled": ("Cancel a scheduled callback", ("agent", "supervisor"), None),
    "callbacks.cancel_waiting": ("Cancel a callback call waiting in a queue", ("agent", "supervisor"), None),
    "api_supervisor.supervise": ("Listen, whisper or barge from the supervisor's own extension",
                                 ("supervisor",), body(
        ["mode"], mode={"type": "string", "enum": list(MODES)},
        extension={"type": "string", "maxLength": 32})),
    "api_supervisor.force_state": ("Set an agent's state", ("supervisor",), body(
        ["state"], state={"type": "string", "enum": STATES}, reason={"type": "string", "maxLength": 40})),
    "api_supervisor.move_call": ("Move a waiting call to another queue (keeps its place in line)",
                                 ("supervisor",), body(["queue"], queue={**TEXT, "maxLength": 64})),
    "api_supervisor.call_priority": ("Change a waiting call's priority", ("supervisor",), body(
        ["priority"], priority={"type": "integer"})),
    "account.api_password": ("Change the signed-in user's password", ("agent", "supervisor", "admin"), body(
        ["current_password", "new_password"], current_password={"type": "string"},
        new_password={"type": "string"})),
    "account.api_force_reset": ("Make a user set a new password at next login", ("admin",), None),
    "pops.ack": ("The console has drawn this call's card: its phone may ring", ("agent",), body(
        ["call_id"], call_id={**CALL_ID, "minLength": 1})),
    "admin_agents.api_create": ("Create an agent (its SIP password is in the reply, once)", ("admin",), AGENT_BODY),
    "admin_agents.api_update": ("Change an agent; version is the one read, or the save is refused with 409",
                                ("admin",), {**AGENT_BODY, "required": ["version"]}),
    "admin_users.api_create": ("Create a user; the temporary password is in the reply, once", ("admin",), body(
        ["username"], username={"type": "string", "maxLength": 80}, role={"type": "string", "enum": list(ROLES)},
        agent_id={"type": ["string", "null"]})),
    "admin_users.api_act": ("disable, enable, reset (a temporary password, once) or role (role, agent_id)",
                            ("admin",), body([], role={"type": "string", "enum": list(ROLES)},
                                             agent_id={"type": ["string", "null"]})),
    "openapi.spec": ("This description", (), None),
}


def api_rules(app: Flask):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(title="Hotline console API", version="1", openapi_version="3.0.3",
                   plugins=[FlaskPlugin()],
                   info={"description": "JSON over HTTPS with the console's session cookie; POSTs "
                                        "need the X-CSRFToken header outside tests (docs/console.md)."})
    with app.test_request_context():
        for rule in sorted(api_rules(app), key=lambda r: r.rule):
            if rule.endpoint not in OPERATIONS:
                continue   # test_openapi.py names it
            summary, roles, schema = OPERATIONS[rule.endpoint]
            operations = {method.lower(): {**_operation(summary, roles, schema), "parameters": _path_parameters(rule)}
                          for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}
            spec.path(view=app.view_functions[rule.endpoint], operations=operations, app=app)
    return spec.to_dict()


def _path_parameters(rule) -> list[dict[str, Any]]:
    """FlaskPlugin writes the path; its parameters and their types come from the rule's converters."""
    kinds = {IntegerConverter: {"type": "integer"}}
    return [{"name": name, "in": "path", "required": True,
             "schema": kinds.get(type(rule._converters[name]), {"type": "string"})}
            for name in sorted(rule.arguments)]


def _operation(summary: str, roles: tuple[str, ...], schema: dict[str, Any] | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "x-roles": list(roles),
        "responses": {"200": {"description": "done"}, "400": {"description": "malformed input, with a message"},
                      "401": {"description": "not signed in"}, "403": {"description": "role or object refused"},
                      "404": {"description": "no such object"}, "409": {"description": "refused in this state"}},
    }
    if schema is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


@bp.get("/api/openapi.json")
def spec():
    cached = current_app.extensions.get("hotline.openapi")
    if cached is None:
        cached = current_app.extensions["hotline.openapi"] = build_spec(current_app)
    return jsonify(cached)
