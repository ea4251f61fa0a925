"""Post a finished call to one webhook target (``deliver(call_id, target_id)``).

At least once: a timeout, connection error, HTTP error or DingTalk/WeCom errcode raises, so RQ
retries with backoff; the ``webhook:<call>:<target>`` row in wrapup_effects shows the attempts
and the last error, and stays ``failed`` once the retries are spent (the job also lands in
RQ's failed registry, where the console can retry it). ``X-Hotline-Delivery`` is the same on
every attempt, so a receiver can drop the duplicate a crash after the send may cause.
"""
from __future__ import annotations

import logging
import time

import requests
from sqlalchemy import select

from records.wrapup_models import WebhookTarget
from worker import effects
from worker.payload import call_payload
from worker.runtime import final_attempt, load_call, sessions_from_config, settings_from_env
from worker.webhook_formats import accepted, render

log = logging.getLogger(__name__)


class DeliveryFailed(RuntimeError):
    pass


_ACTIVE = select(WebhookTarget.id).where(WebhookTarget.active.is_(True)).order_by(WebhookTarget.id)


def active_target_ids(session) -> list[int]:
    return list(session.scalars(_ACTIVE))


def deliver(call_id: str, target_id: int, sessions=None, settings=None) -> str:
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()
    key = f"webhook:{call_id}:{target_id}"
    with sessions() as session:
        call = load_call(session, call_id)
        target = session.get(WebhookTarget, target_id)
    if target is None or not target.active:
        effects.skip(sessions, key, call_id, "webhook", "target removed or inactive")
        return "skipped"
    state = effects.claim(sessions, key, call_id, "webhook", {"target": target.name, "format": target.format},
                          resend_in_doubt=True)
    if state != effects.GO:
        return state
    url, body, headers = render(target.format, target.secret, target.url, call_payload(call), key, time.time())
    try:
        reply = requests.post(url, data=body, headers=headers, timeout=settings.http_timeout_s)
        problem = accepted(target.format, reply.status_code, reply.content)
        if problem:
            raise DeliveryFailed(problem)
    except (requests.RequestException, DeliveryFailed) as exc:
        gave_up = final_attempt()
        effects.settle(sessions, key, "failed", {"gave_up": gave_up}, error=f"{type(exc).__name__}: {exc}"[:2000])
        log.warning("webhook %s for %s failed (%s)%s", target.name, call_id, exc, "; giving up" if gave_up else "")
        raise
    effects.settle(sessions, key, "done", {"status": reply.status_code, "gave_up": False})
    return "delivered"
