"""Bridges between legs: uuid_bridge, the ``bridge`` application, unbridging when a leg leaves or hangs
up, park_after_bridge, and replacing what a channel runs (uuid_transfer inline, park)."""
from __future__ import annotations

import time
import uuid as uuidlib

import gevent

from simulator.fs_strings import brackets
from simulator.channels import Channel, now_us


class Bridges:
    def __init__(self, switch):
        self.switch = switch

    def uuid_bridge(self, a: Channel, b: Channel) -> None:
        for leg in (a, b):
            self.leave_bridge(leg, keep=(a, b))
        for leg, other in ((a, b), (b, a)):
            while not leg.queue.empty():
                leg.queue.get()
            leg.pending_bridge = other
            leg.interrupt.set()
            leg.execute("__uuid_bridge__", other.uuid, "")
        a.is_a_leg, b.is_a_leg = True, False

    def bridge_ready(self, ch: Channel, other_uuid: str) -> None:
        """Both legs of a uuid_bridge reached CS_SOFT_EXECUTE: the A leg announces CHANNEL_BRIDGE."""
        other = self.switch.channel(other_uuid)
        if other is None or not ch.is_a_leg:
            return
        self._bridge(ch, other, mode="uuid")

    def _bridge(self, a: Channel, b: Channel, mode: str) -> None:
        a.other, b.other, a.is_a_leg, b.is_a_leg = b, a, True, False
        a.bridged = b.bridged = True
        a.bridge_mode = b.bridge_mode = mode
        a.bridged_us = b.bridged_us = now_us()
        a.on_bridge.set()
        b.on_bridge.set()
        handle = self.switch.registry.handle(a.uuid)
        if handle is not None and getattr(b, "phone", None) is not None:
            handle.answered_by_agent, handle.bridged_at = b.phone.extension, time.time()
        a.emit("CHANNEL_BRIDGE", prefix=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])

    def unbridge(self, gone: Channel) -> None:
        """``gone`` hung up: CHANNEL_UNBRIDGE on the A leg; after uuid_bridge the survivor is hung up too."""
        a, b = (gone, gone.other) if gone.is_a_leg else (gone.other, gone)
        survivor = gone.other
        a.bridged = b.bridged = False
        a.on_bridge.clear()
        b.on_bridge.clear()
        if a.alive:
            a.emit("CHANNEL_UNBRIDGE", prefix=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        if survivor.alive and survivor.vars.get("park_after_bridge") == "true":
            self.park(survivor)
        elif survivor.alive and getattr(survivor, "bridge_mode", "") == "uuid":
            survivor.set_state("CS_EXECUTE")
            by = "agent" if gone.hangup_by == "agent" else "caller" if gone.hangup_by == "caller" else "switch"
            survivor.hangup(gone.hangup_cause or "NORMAL_CLEARING", by=by, remote=False)   # the switch's BYE
        elif survivor.alive:
            survivor.interrupt.set()

    def leave_bridge(self, ch: Channel, keep=()) -> None:
        """``ch`` is taken out of its bridge (uuid_bridge with another leg, uuid_transfer):
        CHANNEL_UNBRIDGE, and the partner is parked if it has park_after_bridge=true, else hung up."""
        other = ch.other
        if not ch.bridged or other is None or other in keep or other.other is not ch:
            return
        a, b = (ch, other) if ch.is_a_leg else (other, ch)
        a.bridged = b.bridged = False
        a.on_bridge.clear()
        b.on_bridge.clear()
        if a.alive:
            a.emit("CHANNEL_UNBRIDGE", prefix=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        if not other.alive:
            return
        if other.vars.get("park_after_bridge") == "true":
            self.park(other)
        elif other.bridge_mode == "uuid":
            other.set_state("CS_EXECUTE")
            other.hangup("NORMAL_CLEARING", by="switch")
        else:
            other.interrupt.set()

    def park(self, ch: Channel) -> None:
        """park_after_bridge: when its bridge ends the leg stays up, parked, until told otherwise."""
        self.run_inline(ch, [("park", None)])

    def run_inline(self, ch: Channel, apps) -> None:
        """Replace what the channel runs (uuid_transfer ... inline, park): stop the current app, queue ``apps``."""
        if not ch.alive:
            return
        if ch.socket_running:
            ch.end_socket_app()
        while not ch.queue.empty():
            ch.queue.get()
        for app, arg in apps:
            ch.execute(app, arg, str(uuidlib.uuid4()))
        ch.interrupt.set()

    def bridge_app(self, ch: Channel, arg: str) -> str:
        """The ``bridge`` application on a caller leg; the result is in the channel variables."""
        variables, target = brackets(arg)
        continue_on_fail = ch.vars.get("continue_on_fail", "false") in ("true", "1", "yes")
        if "leg_timeout" in variables:
            timeout, cause = float(variables["leg_timeout"]), "ALLOTTED_TIMEOUT"
        else:
            timeout, cause = float(variables.get("originate_timeout", ch.vars.get("call_timeout", 60))), "NO_ANSWER"
        b, result = self.switch.dial({k: v for k, v in variables.items() if k not in ("leg_timeout",)}, target,
                                     timeout, cause, cancel=ch.interrupt)
        if b is None:
            if not ch.alive:
                return "_none_"
            dialstatus = {"NO_ANSWER": "NOANSWER"}.get(result, result)
            ch.vars.update({"originate_disposition": result, "DIALSTATUS": dialstatus,
                            "originate_failed_cause": result, "last_bridge_hangup_cause": result})
            if not continue_on_fail and result != "NO_ANSWER":
                ch.hangup(result, by="switch")
            return "_none_"
        self._bridge(ch, b, mode="app")
        gevent.wait([b.gone, ch.interrupt], count=1)
        if b.alive:
            b.hangup("NORMAL_CLEARING", by="switch")
            b.gone.wait()
        ch.vars.update({"originate_disposition": "SUCCESS", "DIALSTATUS": "SUCCESS",
                        "bridge_hangup_cause": "NORMAL_CLEARING", "last_bridge_hangup_cause": "NORMAL_CLEARING",
                        "last_bridge_proto_specific_hangup_cause": "sip:200", "bridge_uuid": b.uuid,
                        "last_bridge_to": b.uuid, "signal_bond": b.uuid, "originate_causes": f"{b.uuid};NONE",
                        "originated_legs": f"{b.uuid};Outbound Call;{b.destination}"})
        return "_none_"
