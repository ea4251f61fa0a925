"""Send the post-call SMS survey to the caller of an answered call, at most once.

See worker/effects.py: the ``sms:<call id>`` row is committed as ``pending`` before the send.
A rerun that finds it still ``pending`` (a crash after the send) marks it ``unknown`` and sends
nothing; so does a provider timeout. Only a failure that surely sent nothing is retried.
"""
from __future__ import annotations

import logging

from worker import effects
from worker.runtime import final_attempt, load_call, sessions_from_config, settings_from_env
from worker.sms_providers import InDoubt, NotSent, provider_for

log = logging.getLogger(__name__)


def send_survey(call_id: str, sessions=None, settings=None, provider=None) -> str:
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()
    key = f"sms:{call_id}"
    with sessions() as session:
        call = load_call(session, call_id)
    provider = provider or provider_for(settings)
    why_not = ("no SMS provider" if provider is None else "no caller number" if not call.caller
               else "not answered" if call.answered_at is None else None)
    if why_not:
        effects.skip(sessions, key, call_id, "sms", why_not)
        return "skipped"
    state = effects.claim(sessions, key, call_id, "sms", {"to": call.caller}, resend_in_doubt=False)
    if state != effects.GO:
        return state
    text = settings.survey_text.format(call_id=call_id, queue=call.queue or "")
    try:
        message_id = provider.send(call.caller, text, key)
    except InDoubt as exc:
        effects.settle(sessions, key, "unknown", error=f"in doubt: {exc}"[:2000])
        log.warning("SMS for %s may or may not have gone out (%s); not resending", call_id, exc)
        return "in doubt"
    except NotSent as exc:
        effects.settle(sessions, key, "failed", {"gave_up": final_attempt()}, error=str(exc)[:2000])
        raise
    effects.settle(sessions, key, "done", {"message_id": message_id})
    return "sent"
