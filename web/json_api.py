"""The console's JSON API: its blueprint (``/api``) and what every route of it reads and answers.

The routes are in web/api.py (customers, notes, tickets, agent state), web/api_calls.py (call
actions, transfers, callbacks) and web/api_console.py (knowledge base); create_app imports them
before it registers ``bp``. Session-cookie auth, so POSTs carry the CSRF token (X-CSRFToken).
"""
from __future__ import annotations

import re
from typing import Any, Literal, overload

from flask import Blueprint, Response, abort, jsonify, request

bp = Blueprint("api", __name__, url_prefix="/api")

AGENT_STATES = ("available", "break", "not_ready", "logged_out")
MAX_TEXT = 5000
E164 = re.compile(r"^\+[1-9]\d{5,14}$")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(_error("a JSON object body is required", 400))
    return data


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


@overload
def _text(data: dict, key: str, max_len: int, required: Literal[True] = True) -> str: ...
@overload
def _text(data: dict, key: str, max_len: int, required: bool) -> str | None: ...
def _text(data: dict, key: str, max_len: int, required: bool = True) -> str | None:
    """``data[key]`` stripped; a 400 answer when it is missing (and ``required``), not a string, or longer."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            abort(_error(f"{key} is required", 400))
        return None
    if not isinstance(value, str) or len(value) > max_len:
        abort(_error(f"{key} must be a string of at most {max_len} characters", 400))
    return value.strip()
