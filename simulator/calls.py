"""Callers ringing in: ``place_call`` and its ``CallHandle``, and the dialplan's ``socket`` application that
connects each call to the controller, run again after a lost connection as dialplan/hotline.xml does."""
from __future__ import annotations

import re
import time
import uuid as uuidlib

import gevent

from simulator.channels import Channel
from simulator.outbound import OutboundSession
from simulator.people import CallerScript

SOCKET_DATA = "127.0.0.1:8084 async full"
# dialplan/hotline.xml, extension hotline_queue: a console's transfer of a caller to a queue
QUEUE_EXTENSION = re.compile(r"^hotline_queue_([A-Za-z0-9_.+-]{1,64})$")


class CallHandle:
    def __init__(self, channel: Channel, script: CallerScript):
        self.channel, self.script = channel, script
        self.uuid = channel.uuid
        self.done = channel.gone
        self.answered_by_agent: str | None = None
        self.bridged_at: float | None = None
        self.offered_us: int | None = None    # when the first agent leg for this caller was created
        self.ended_at: float | None = None

    def finished(self) -> None:
        self.ended_at = time.time()
        self.script.stop()

    @property
    def result(self) -> dict:
        return {"hangup_cause": self.channel.hangup_cause, "hangup_by": self.channel.hangup_by,
                "answered_by_agent": self.answered_by_agent, "bridged_at": self.bridged_at,
                "ended_at": self.ended_at, "patience_expired": self.script.patience_expired}


class Calls:
    def __init__(self, switch):
        self.switch = switch

    def place_call(self, caller: str, did: str, inputs=(), patience: float | None = None,
                   caller_name: str | None = None, message_s: float = 2.0, controller=None) -> CallHandle:
        """``controller``: this call's (host, port) instead of the switch's (a balancer over several)."""
        uuid = str(uuidlib.uuid4())
        ch = Channel(self.switch, uuid, "inbound", f"sofia/internal/{caller}@127.0.0.1:5070", caller=caller,
                     caller_name=caller_name or caller, destination=did)
        ch.script = CallerScript(ch, list(inputs or []), patience, message_s)
        handle = CallHandle(ch, ch.script)
        self.switch.registry.add_handle(handle)
        self.switch.registry.register(ch)
        ch.emit("CHANNEL_CREATE")
        ch.set_state("CS_EXECUTE", emit=False)
        ch.controller = tuple(controller) if controller else self.switch.controller
        ch.socket_generation = 0   # a transfer into the dialplan runs `socket` afresh (queue_transfer)
        ch.socket_runs = 0         # connections to a controller (tests)
        ch.vars.update({"hotline_attempts": "x", "hotline_reenter": f"{did} XML public"})   # dialplan/public.xml
        self._start_socket(ch)
        ch.start()
        ch.script.start()
        return handle

    def _start_socket(self, ch: Channel) -> None:
        ch.socket_running = True
        ch.parked_at = time.monotonic()
        ch.socket_app_uuid = str(uuidlib.uuid4())
        ch.vars.update({"current_application_data": SOCKET_DATA, "current_application": "socket",
                        "socket_host": ch.controller[0], "socket_data": SOCKET_DATA})
        ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                          ("Application-UUID", ch.socket_app_uuid)])
        ch.socket_runs += 1
        self.switch.spawn(self.socket_app, ch, ch.controller)

    def queue_transfer(self, ch: Channel, destination: str, context: str) -> bool:
        """``uuid_transfer <uuid> hotline_queue_<name> XML hotline`` as dialplan/hotline.xml runs it: set
        hotline_queue, unset last_bridge_to, count the attempt and run ``socket`` again (the controller
        that answers skips the IVR). False for any other XML destination (the simulator has no others)."""
        match = QUEUE_EXTENSION.match(destination)
        if context != "hotline" or match is None or not ch.alive:
            return False
        self.switch.leave_bridge(ch)
        ch.vars.pop("last_bridge_to", None)
        ch.vars.update({"hotline_queue": match.group(1), "hotline_attempts": ch.vars.get("hotline_attempts", "") + "x",
                        "hotline_reenter": f"{destination} XML hotline"})
        ch.socket_generation += 1          # the running socket loop returns instead of reconnecting
        self.switch.run_inline(ch, [])     # the current application stops; the socket app returns
        self._start_socket(ch)
        return True

    def socket_app(self, ch: Channel, controller) -> None:
        """``socket`` and what the dialplan does after it returns with the caller still up."""
        switch = self.switch
        generation = ch.socket_generation
        attempts = 1 + (max(0, switch.reconnect_attempts) if switch.reconnect else 0)
        for attempt in range(attempts):
            if attempt:
                gevent.sleep(switch.reconnect_delay_s)      # the dialplan's `sleep 1000`
                if not ch.alive or ch.bridged:
                    return
                ch.socket_running = True
                ch.parked_at = time.monotonic()
                ch.vars["hotline_attempts"] = ch.vars.get("hotline_attempts", "") + "x"   # the extension again
                ch.socket_runs += 1
                ch.socket_app_uuid = str(uuidlib.uuid4())
                ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                                  ("Application-UUID", ch.socket_app_uuid)])
            result = OutboundSession(switch, ch).run(controller)
            # Like FreeSWITCH, `socket` returns only once the application the controller started
            # ends (endless hold music: at uuid_break); a lost connection alone changes nothing.
            gevent.wait([ch.app_done, ch.gone], count=1)
            if ch.socket_generation != generation or not (ch.alive and ch.socket_running):
                return                                       # hung up, bridged or transferred
            if not switch.reconnect:
                ch.socket_running = False
                ch.hangup("DESTINATION_OUT_OF_ORDER" if result == "refused" else "NORMAL_CLEARING", by="switch")
                return
            ch.end_socket_app()
        ch.hangup("NORMAL_TEMPORARY_FAILURE", by="switch")  # hotline_unavailable: no controller answered
