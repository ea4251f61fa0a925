"""While Redis is unreachable the console answers 503 with a banner (pages) or a JSON error (/api),
never 500: live state is down, the rest of the console may still work (docs/operations.md)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5
MESSAGE = "Live state (Redis) is unreachable; the console will work again once it is back."


def install(app: Flask) -> None:
    app.register_error_handler(RedisConnectionError, _unavailable)
    app.register_error_handler(RedisTimeoutError, _unavailable)


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _unavailable(error: Exception):
    log.warning("Redis unreachable while serving %s %s: %s", request.method, request.path, error)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if wants_json():
        return jsonify(error="redis_unavailable", message=MESSAGE), 503, headers
    try:
        body = render_template("unavailable.html", message=MESSAGE)
    except Exception:   # the page itself must not fail: a plain banner then
        log.exception("the unavailable page did not render")
        body = f'<!doctype html><title>Hotline</title><p class="banner" role="alert">{MESSAGE}</p>'
    return body, 503, headers
