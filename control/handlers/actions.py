"""Side effects on the switch that are not tied to the caller's socket (inbound Event Socket)."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from control.esl import commands
from control.esl.inbound import SwitchUnavailable

log = logging.getLogger(__name__)

LEG_NAMESPACE = uuid.UUID("6f1c9a52-3b7e-4d6a-9c1e-0c7d2f1b5a00")


def agent_leg_uuid(call_id: str, agent_id: str, attempt: int) -> str:
    """Deterministic, so any controller can find (and kill) the leg it did not start."""
    return str(uuid.uuid5(LEG_NAMESPACE, f"{call_id}/{agent_id}/{attempt}"))


def dial_string(template: str, extension: str, domain: str) -> str:
    return commands.user_dial(template, extension, domain)


# The queue's auto_answer in the INVITE's Alert-Info (the browser phone reads it; softphone.js):
# info=alert-autoanswer is the convention desk phones know too, the ring URN is Hotline's own.
ALERT_INFO = {True: "<urn:x-hotline:auto-answer>;info=alert-autoanswer", False: "<urn:x-hotline:ring>"}


def originate_agent(switch, leg: str, call, agent, dial: str, ring_timeout_s: float,
                    auto_answer: bool | None = None):
    """Ring the agent's phone; the AsyncResult gets '+OK <uuid>' on answer or '-ERR CAUSE'.
    ``auto_answer``: the queue's setting (None: the agent's own, and no Alert-Info)."""
    return switch.bgapi(commands.originate({
        "origination_uuid": leg,
        "hotline_call": call.id,
        "hotline_agent": agent.id,
        "originate_timeout": int(ring_timeout_s),
        "ignore_early_media": True,
        "origination_caller_id_number": call.caller,
        "origination_caller_id_name": call.vars.get("customer_name") or call.caller,
        "alert_info": ALERT_INFO.get(auto_answer) if auto_answer is not None else None,
    }, dial))


def connect(switch, caller_uuid: str, leg: str, recording_path: str | None) -> bool:
    """Stop hold music, start recording, bridge. False when either leg is gone."""
    try:
        switch.api(commands.uuid_break(caller_uuid))
        if recording_path:
            switch.api(commands.uuid_setvar(caller_uuid, "RECORD_STEREO", "true"))
            switch.api(commands.uuid_record(caller_uuid, "start", recording_path))
        reply = switch.api(commands.uuid_bridge(caller_uuid, leg))
    except SwitchUnavailable:
        return False
    return reply.startswith("+OK")


def exists(switch, uuid: str) -> bool:
    try:
        return switch.api(commands.uuid_exists(uuid)).strip() == "true"
    except SwitchUnavailable:
        return False


def hold_again(switch, caller_uuid: str, moh: str, recording_path: str | None) -> None:
    """After a bridge that failed on the agent's side: stop the recording it started, music again."""
    try:
        if recording_path:
            switch.api(commands.uuid_record(caller_uuid, "stop", recording_path))
        switch.api(commands.uuid_broadcast(caller_uuid, moh, "aleg"))
    except SwitchUnavailable:
        log.warning("could not put %s back on hold music: no Event Socket connection", caller_uuid)


def kill(switch, leg: str, cause: str = "ORIGINATOR_CANCEL") -> None:
    try:
        switch.api(commands.uuid_kill(leg, cause))
    except SwitchUnavailable:
        log.warning("could not kill %s: no Event Socket connection", leg)


def recording_path(template: str, recordings_dir: str, call_id: str, now: float) -> str:
    return template.format(recordings_dir=recordings_dir, call_id=call_id,
                           date=datetime.fromtimestamp(now, timezone.utc))
