"""Callers ride out a Redis outage (a restart, a failover) instead of being dropped.

``through_outage`` runs a live-state operation; while Redis is unreachable the caller waits (ringing
before the answer, hold music after) and the operation is tried again every second, up to
``redis_outage_hold_s``; a caller who hangs up meanwhile ends the call as usual (ChannelGone), and
its record is written (CallSession.finish does not need Redis for it). Bridged calls are the
switch's and need nothing.
"""
from __future__ import annotations

import logging
import time

from control.errors import RedisError
from control.esl.outbound import ChannelGone

log = logging.getLogger(__name__)

RETRY_S = 1.0


def through_outage(session, op, *args, music: bool = False, **kwargs):
    deps = session.deps
    limit, started = float(deps.config.redis_outage_hold_s), None
    while True:
        try:
            return op(*args, **kwargs)
        except RedisError:
            now = time.monotonic()
            if started is None:
                started = now
                log.warning("call %s: live state (Redis) unreachable; the caller waits for it", session.call.id)
                if music:
                    session.channel.execute("playback", deps.config.moh, wait=False)
            if now - started >= limit:
                raise
            if session.channel.hungup.wait(timeout=RETRY_S):
                raise ChannelGone("the caller hung up while live state was unreachable") from None
