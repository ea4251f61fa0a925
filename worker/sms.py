"""Send the post-call SMS survey to the caller of an answered call, at most once.

See worker/effects.py: the ``sms:<call id>`` row is committed as ``pending`` before the send.
A rerun that finds it still ``pending`` (a crash after the send) marks it ``unknown`` and sends
nothing; so does a provider timeout. Only a failure that surely sent nothing is retried.

The survey is sent by the call's wrap-up job itself (worker/wrapup.py: the claim commits with the
wrap-up, the send follows): no job of its own unless that send surely failed, when ``send_survey``
is enqueued to retry it with RQ's retries and failed-jobs page.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from worker import effects
from worker.runtime import final_attempt, load_call, sessions_from_config, settings_from_env
from worker.sms_providers import InDoubt, NotSent, provider_for

log = logging.getLogger(__name__)


def survey_key(call_id: str) -> str:
    return f"sms:{call_id}"


@dataclass
class Sent:
    status: str                      # the effect row's: done, unknown (in doubt) or failed (surely not sent)
    detail: dict
    error: str | None = None
    failure: NotSent | None = None   # failed: the provider's error, to raise so RQ retries


def claim_survey(session, call, provider) -> str:
    """In the caller's transaction: "skipped" when no survey applies, else the claim; on effects.GO
    send (``send_claimed``) once that transaction has committed."""
    key = survey_key(call.call_id)
    why_not = ("no SMS provider" if provider is None else "no caller number" if not call.caller
               else "not answered" if call.answered_at is None else None)
    if why_not:
        effects.skip_in(session, key, call.call_id, "sms", why_not)
        return "skipped"
    return effects.claim_in(session, key, call.call_id, "sms", {"to": call.caller}, resend_in_doubt=False)


def send_claimed(call, settings, provider) -> Sent:
    key = survey_key(call.call_id)
    text = settings.survey_text.format(call_id=call.call_id, queue=call.queue or "")
    try:
        message_id = provider.send(call.caller, text, key)
    except InDoubt as exc:
        log.warning("SMS for %s may or may not have gone out (%s); not resending", call.call_id, exc)
        return Sent("unknown", {}, f"in doubt: {exc}"[:2000])
    except NotSent as exc:
        return Sent("failed", {}, str(exc)[:2000], exc)
    return Sent("done", {"message_id": message_id})


def send_survey(call_id: str, sessions=None, settings=None, provider=None) -> str:
    """The job: a retry of a send that failed in the wrap-up (or a rerun; the effect row decides)."""
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()
    provider = provider or provider_for(settings)
    try:
        with sessions() as session, session.begin():
            call = load_call(session, call_id)
            state = claim_survey(session, call, provider)
    except IntegrityError:
        return effects.BUSY   # a concurrent run claimed it first
    if state != effects.GO:
        return state
    sent = send_claimed(call, settings, provider)
    if sent.failure is not None:
        sent.detail["gave_up"] = final_attempt()
    effects.settle(sessions, survey_key(call_id), sent.status, sent.detail, sent.error)
    if sent.failure is not None:
        raise sent.failure
    return "sent" if sent.status == "done" else "in doubt"
