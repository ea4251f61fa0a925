"""/metrics for Prometheus (control/metrics.py declares every metric; docs/operations.md).

Served to loopback clients (a Prometheus or agent on the same host), or to anyone presenting
``Authorization: Bearer <metrics_token>`` when that token is configured. The live gauges (queue
depth, longest wait, agents by state) are read from live state at scrape time.
"""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from control.metrics import LiveCollector
from web.live import config, live_state

bp = Blueprint("metrics", __name__)


def _allowed() -> bool:
    token = config().metrics_token
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    if not _allowed():
        abort(403, "metrics are served to loopback clients or with the configured metrics_token")
    live = CollectorRegistry()
    store = live_state()
    if store is not None:
        live.register(LiveCollector(store.waiting_calls, store.agents))
    return Response(generate_latest(REGISTRY) + generate_latest(live), mimetype=CONTENT_TYPE_LATEST)
