"""Browser phones and agent state: a registration drop makes the agent not-ready, its return
makes them available again (docs/console.md, Browser phone).

FreeSWITCH fires ``sofia::register``, ``sofia::unregister`` and ``sofia::expire`` (CUSTOM events,
sofia_reg.c) with ``profile-name`` and ``username``; only the webrtc profile's count here: that is
where the console's phone registers. A drop of an available agent → not-ready with the reason
``phone_offline`` through the one owner (AgentStates.change); the registration back → available,
only for an agent this controller moved for that reason and who is still not-ready (an agent who
chose another state meanwhile keeps it). With several contacts of one user (multiple-registrations),
a drop counts only when the switch has none left (sofia_contact).

A drop while the agent is ringing, on a call or in wrap-up leaves the call and the wrap-up alone
(the media does not go over the WebSocket): the agent is remembered, and the wrap-up's end makes
them not ready (phone_offline) instead of available (AgentStates.hold_back) unless the phone
registered again meanwhile.
"""
from __future__ import annotations

import logging
from typing import Callable

import gevent

from control.domain.agent_state import InvalidTransition
from control.domain.models import AgentState
from control.handlers.agent_states import AgentStates
from control.ports import LiveState

log = logging.getLogger(__name__)

PROFILE = "webrtc"
PHONE_OFFLINE = "phone_offline"
REGISTERED = "sofia::register"
GONE = ("sofia::unregister", "sofia::expire")
BUSY = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
WATCHED = BUSY | {AgentState.AVAILABLE}
EVENTS = "CUSTOM " + " ".join((REGISTERED, *GONE))


class BrowserPhones:
    def __init__(self, store: LiveState, states: AgentStates, api: Callable[[str], str], domain: str = "",
                 settle_s: tuple[float, ...] = (0.0, 0.5, 1.0)):
        self.store, self.states, self.api, self.domain = store, states, api, domain
        # the switch fires the event before it deletes the registration: ask again after these pauses
        self.settle_s = settle_s
        self.moved: set[str] = set()   # agents this controller made not-ready for phone_offline
        self.dropped: set[str] = set()  # agents whose phone dropped while busy (a call, a wrap-up)
        states.hold_back(self.reason_after_wrap_up)

    def on_event(self, headers: dict[str, str]) -> None:
        if headers.get("Event-Name") != "CUSTOM" or headers.get("profile-name") != PROFILE:
            return
        subclass = headers.get("Event-Subclass", "")
        if subclass == REGISTERED and not self.moved and not self.dropped:
            return   # every refresh of every browser phone fires it: nothing to bring back
        extension = headers.get("username") or headers.get("from-user") or ""
        # off the event stream's greenlet: a drop asks the switch (sofia_contact) before acting
        gevent.spawn(self.handle, subclass, extension)

    def handle(self, subclass: str, extension: str) -> None:
        agent = next((a for a in self.store.agents() if a.extension == extension), None)
        if agent is None:
            return
        try:
            if subclass == REGISTERED:
                self._back(agent.id)
            elif subclass in GONE and agent.state in WATCHED and not self._still_registered(extension):
                self._offline(agent.id)
        except (InvalidTransition, KeyError):   # another controller moved them first, or they left
            log.info("browser phone of %s: state already changed elsewhere", agent.id)

    def _still_registered(self, extension: str) -> bool:
        target = f"{extension}@{self.domain}" if self.domain else extension
        for pause in self.settle_s:
            gevent.sleep(pause)
            try:
                reply = self.api(f"sofia_contact {PROFILE}/{target}")
            except Exception:
                return False
            if not reply.strip() or reply.startswith(("error/", "-ERR")):
                return False
        return True   # another contact of the user (a second device) is still there

    def _offline(self, agent_id: str) -> None:
        agent = self.store.get_agent(agent_id)
        if agent is not None and agent.state in BUSY:
            self.dropped.add(agent_id)   # the wrap-up's end decides (reason_after_wrap_up)
            log.info("browser phone of %s lost its registration during a call or wrap-up", agent_id)
            return
        if agent is None or agent.state != AgentState.AVAILABLE:
            return   # on a break, not ready: the console's gate stops the way back to available
        self.states.change(agent_id, AgentState.NOT_READY, reason=PHONE_OFFLINE, current=agent)
        self.moved.add(agent_id)
        log.info("browser phone of %s lost its registration: not ready (%s)", agent_id, PHONE_OFFLINE)

    def reason_after_wrap_up(self, agent_id: str) -> str | None:
        """AgentStates asks when the agent's wrap-up ends: not ready (phone_offline) when the phone
        dropped during the call or the wrap-up and has not registered again."""
        if agent_id not in self.dropped:
            return None
        self.dropped.discard(agent_id)
        self.moved.add(agent_id)   # its registration brings them back (_back)
        log.info("browser phone of %s still offline after the wrap-up: not ready (%s)", agent_id, PHONE_OFFLINE)
        return PHONE_OFFLINE

    def _back(self, agent_id: str) -> None:
        self.dropped.discard(agent_id)
        if agent_id not in self.moved:
            return
        self.moved.discard(agent_id)
        agent = self.store.get_agent(agent_id)
        if agent is not None and agent.state == AgentState.NOT_READY:
            self.states.change(agent_id, AgentState.AVAILABLE, current=agent)
            log.info("browser phone of %s registered again: available", agent_id)
