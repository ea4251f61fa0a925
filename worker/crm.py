"""Write the call summary back to an external CRM: ``PUT <HOTLINE_CRM_WRITEBACK_URL>/calls/<id>``.

A PUT of the same document is idempotent, so an in-doubt attempt is simply repeated.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

import requests

from worker import effects
from worker.payload import call_payload
from worker.runtime import final_attempt, load_call, sessions_from_config, settings_from_env

log = logging.getLogger(__name__)


def write_summary(call_id: str, sessions=None, settings=None) -> str:
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()
    key = f"crm:{call_id}"
    with sessions() as session:
        call = load_call(session, call_id)
    if not settings.crm_writeback_url:
        effects.skip(sessions, key, call_id, "crm", "no CRM write-back URL")
        return "skipped"
    state = effects.claim(sessions, key, call_id, "crm", resend_in_doubt=True)
    if state != effects.GO:
        return state
    url = f"{settings.crm_writeback_url}/calls/{quote(call_id, safe='')}"
    try:
        reply = requests.put(url, json=call_payload(call), headers={"Idempotency-Key": key},
                             timeout=settings.http_timeout_s)
        reply.raise_for_status()
    except requests.RequestException as exc:
        effects.settle(sessions, key, "failed", {"gave_up": final_attempt()}, error=str(exc)[:2000])
        raise
    effects.settle(sessions, key, "done", {"status": reply.status_code})
    return "written"
