"""Agent phones and outside numbers, and dialling them: the legs that originate and bridge create."""
from __future__ import annotations

import uuid as uuidlib

from gevent.event import Event

from simulator.channels import Channel, now_us
from simulator.durations import Duration
from simulator.people import Phone


class Dialer:
    def __init__(self, switch):
        self.switch = switch
        self.phones: dict[str, Phone] = {}
        self.outside: dict[str, Phone] = {}     # outside numbers, dialled through the trunk

    def add_phone(self, extension: str, answer_after: float | Duration | None = 1.0,
                  talk_time: float | Duration | None = None) -> Phone:
        phone = Phone(str(extension), answer_after, talk_time)
        phone.talk_from_bridge = True
        self.phones[phone.extension] = phone
        return phone

    def add_outside_number(self, number: str, answer_after: float | None = 1.0, talk_time: float | None = None,
                           busy: bool = False) -> Phone:
        """A number beyond the trunk (a customer called back): answers after ``answer_after`` seconds,
        never (None), or is busy. Reached as loopback/NUMBER/public-outbound or sofia/gateway/GW/NUMBER."""
        phone = Phone(str(number), answer_after, talk_time, busy=busy)
        self.outside[phone.extension] = phone
        return phone

    def find_phone(self, target: str) -> Phone | None:
        """user/EXT[@domain] or sofia/<profile>/EXT@host; "agent1001" also finds phone 1001."""
        if target.startswith(("loopback/", "sofia/gateway/")):
            parts = target.split("/")
            return self.outside.get(parts[1] if parts[0] == "loopback" else parts[-1])
        if target.startswith("user/"):
            user = target[5:].split("@")[0]
        elif target.startswith("sofia/"):
            user = target.split("/", 2)[-1].split("@")[0]
        else:
            return None
        if user in self.phones:
            return self.phones[user]
        return self.phones.get(user.lstrip("abcdefghijklmnopqrstuvwxyz"))

    def dial(self, variables: dict, target: str, timeout: float, timeout_cause: str, cancel: Event | None = None):
        """Create and ring a leg; (answered leg, "SUCCESS") or (None, cause)."""
        network = getattr(self.switch, "network", None)
        phone = (network.trunk(self.switch, target) if network is not None else None) or self.find_phone(target)
        if phone is None:
            return None, "NO_ROUTE_DESTINATION" if target.startswith("loopback/") else "USER_NOT_REGISTERED"
        phone.rings += 1
        if phone.busy:
            return None, "USER_BUSY"
        user = phone.extension if phone in self.outside.values() else target.split("/")[-1].split("@")[0]
        name = target if target.startswith(("sofia/", "loopback/")) else f"sofia/internal/{user}@127.0.0.1:5090"
        # as switch_ivr_originate: the new leg's caller ID comes from origination_caller_id_*
        leg = Channel(self.switch, variables.get("origination_uuid") or str(uuidlib.uuid4()), "outbound", name,
                      caller=variables.get("origination_caller_id_number", "0000000000"),
                      caller_name=variables.get("origination_caller_id_name", "Outbound Call"),
                      destination=user, user=user, extra_vars=variables)
        leg.phone = phone
        self.switch.registry.register(leg)
        leg.start()
        leg.emit("CHANNEL_CREATE")
        leg.progress_us = now_us()
        leg.set_state("CS_CONSUME_MEDIA", emit=False)
        if not phone.ring(leg, timeout, cancel):
            if not leg.alive:  # killed while ringing: the originate fails with the kill's cause
                return None, leg.hangup_cause or "ORIGINATOR_CANCEL"
            leg.hangup(timeout_cause if cancel is None or not cancel.is_set() else "ORIGINATOR_CANCEL")
            return None, timeout_cause
        leg.answer()
        phone.talk(leg)
        return leg, "SUCCESS"
