"""Feature codes dialled from an agent's desk phone (dialplan/internal.xml, ``hotline_feature``).

*21 log in, *22 log out, *23 break, *24 ready; *33/*34/*35<ext> listen, whisper, barge on the
agent at <ext>. Python decides; the phone hears a short high tone when it worked and a low one
when it did not.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from control import events
from control.domain.agent_state import InvalidTransition
from control.domain.models import AgentState
from control.esl.outbound import ChannelGone
from control.handlers import offers

log = logging.getLogger(__name__)

OK_TONE = "tone_stream://%(200,100,880);loops=2"
ERROR_TONE = "tone_stream://%(600,0,300)"
STATES = {"login": AgentState.AVAILABLE, "ready": AgentState.AVAILABLE,
          "logout": AgentState.LOGGED_OUT, "break": AgentState.BREAK}
MONITOR = {"listen": ("eavesdrop", None), "whisper": ("eavesdrop", "eavesdrop_whisper_bleg=true"),
           "barge": ("three_way", None)}


def _agent_by_extension(store, extension: str):
    return next((a for a in store.agents() if a.extension == extension), None)


def handle_feature(deps, manager, channel, data: Mapping[str, str]) -> str:
    feature = data.get("variable_hotline_feature", "")
    caller_ext = data.get("Caller-Caller-ID-Number", "")
    agent_id = data.get("variable_hotline_agent") or getattr(_agent_by_extension(deps.store, caller_ext), "id", None)
    try:
        channel.answer()
        result = _run(deps, manager, channel, feature, agent_id, data.get("variable_hotline_target", ""),
                      may_monitor=data.get("variable_hotline_monitor") == "true")
        channel.execute("playback", OK_TONE if result == "ok" else ERROR_TONE)
        channel.execute("hangup", "NORMAL_CLEARING")
    except ChannelGone:
        result = "caller left"
    deps.publisher.publish("wallboard", events.feature(feature, agent_id, caller_ext, result))
    return result


def _run(deps, manager, channel, feature: str, agent_id: str | None, target_ext: str, may_monitor: bool) -> str:
    if feature in STATES:
        if agent_id is None or deps.store.get_agent(agent_id) is None:
            return "unknown agent"
        try:
            manager.agents.change(agent_id, STATES[feature], reason="desk phone" if feature == "break" else None)
        except InvalidTransition as exc:
            return str(exc)
        return "ok"
    if feature in MONITOR:
        if not may_monitor:   # the directory marks supervisors' phones (hotline_monitor); the dialplan checks too
            return "this phone may not monitor: only a supervisor's phone may (docs/security.md, Monitoring)"
        target = _agent_by_extension(deps.store, target_ext)
        if target is None or not target.call_id:
            return f"extension {target_ext} is not on a call"
        leg = offers.current_leg(deps.call_log, target.call_id)
        if leg is None:
            return "no agent leg"
        app, setting = MONITOR[feature]
        deps.publisher.publish("wallboard", events.supervise(feature, target.id, target.call_id, agent_id or "desk phone"))
        if setting:
            channel.execute("set", setting)
        channel.execute(app, leg[0])
        return "ok"
    return f"unknown feature {feature!r}"
