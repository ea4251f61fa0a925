"""Each agent's phone on the wallboard: the kind they chose (``agents.phone``: ``sip``, a desk phone
or their own SIP softphone; ``browser``, the console's) and whether FreeSWITCH has it registered.

One ``show registrations as json`` (the switch's core list of every sofia profile's registrations;
each ``url`` is ``sofia/<profile>/...``, sofia_reg.c) per few seconds, whatever the number of open
wallboards. A browser phone counts on the ``webrtc`` profile, a desk phone on any other.
``registered`` is None when the switch cannot say.
"""
from __future__ import annotations

import json
import logging
import time

from flask import current_app

from control.fsconf import esl_api
from web.live import config

log = logging.getLogger(__name__)

WEBRTC = "webrtc"
CACHE_S = 5.0
TIMEOUT_S = 1.0        # the wallboard must not wait for a switch that does not answer


def registered_profiles(reply: str) -> dict[str, set[str]]:
    """extension → the sofia profiles it is registered on, from ``show registrations as json``."""
    data = json.loads(reply or "{}")
    found: dict[str, set[str]] = {}
    for row in data.get("rows") or []:
        parts = str(row.get("url") or "").split("/")
        profile = parts[1] if len(parts) > 2 and parts[0] == "sofia" else ""
        found.setdefault(str(row.get("reg_user") or ""), set()).add(profile)
    return found


def phone_of(kind: str | None, profiles: set[str] | None, known: bool) -> dict:
    """The wallboard's phone of one agent. ``known``: the switch answered (``profiles`` may be None:
    nothing registered for that extension)."""
    kind = kind or "sip"
    if not known:
        registered = None
    elif kind == "browser":
        registered = WEBRTC in (profiles or set())
    else:
        registered = any(p != WEBRTC for p in profiles or set())
    return {"phone": kind, "registered": registered}


def registrations() -> dict[str, set[str]] | None:
    """The switch's registrations now (cached CACHE_S); None when it cannot be asked."""
    cached = current_app.extensions.get("hotline.registrations")
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    cfg = config()
    try:
        found: dict[str, set[str]] | None = registered_profiles(
            esl_api(cfg.esl_host, cfg.esl_port, cfg.esl_password, "show registrations as json", timeout=TIMEOUT_S))
    except (OSError, ValueError, RuntimeError):
        log.info("the switch's registrations are unavailable", exc_info=True)
        found = None
    current_app.extensions["hotline.registrations"] = (time.monotonic(), found)
    return found
