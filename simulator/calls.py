"""Callers ringing in: ``place_call`` and its ``CallHandle``, and the dialplan's ``socket`` application that
connects each call to the controller, run again after a lost connection as dialplan/hotline.xml does."""
from __future__ import annotations

import time
import uuid as uuidlib

import gevent

from simulator.channels import Channel
from simulator.outbound import OutboundSession
from simulator.people import CallerScript

SOCKET_DATA = "127.0.0.1:8084 async full"


class CallHandle:
    def __init__(self, channel: Channel, script: CallerScript):
        self.channel, self.script = channel, script
        self.uuid = channel.uuid
        self.done = channel.gone
        self.answered_by_agent: str | None = None
        self.bridged_at: float | None = None
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
        ch.socket_running = True
        ch.socket_app_uuid = str(uuidlib.uuid4())
        ch.vars.update({"current_application_data": SOCKET_DATA, "current_application": "socket",
                        "socket_host": self.switch.controller[0], "socket_data": SOCKET_DATA})
        ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                          ("Application-UUID", ch.socket_app_uuid)])
        ch.start()
        ch.script.start()
        ch.socket_runs = 1                                   # connections to a controller (tests)
        self.switch.spawn(self.socket_app, ch, tuple(controller) if controller else self.switch.controller)
        return handle

    def socket_app(self, ch: Channel, controller) -> None:
        """``socket`` and what the dialplan does after it returns with the caller still up."""
        switch = self.switch
        attempts = 1 + (max(0, switch.reconnect_attempts) if switch.reconnect else 0)
        for attempt in range(attempts):
            if attempt:
                gevent.sleep(switch.reconnect_delay_s)      # the dialplan's `sleep 1000`
                if not ch.alive or ch.bridged:
                    return
                ch.socket_running = True
                ch.socket_runs += 1
                ch.socket_app_uuid = str(uuidlib.uuid4())
                ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                                  ("Application-UUID", ch.socket_app_uuid)])
            result = OutboundSession(switch, ch).run(controller)
            # Like FreeSWITCH, `socket` returns only once the application the controller started
            # ends (endless hold music: at uuid_break); a lost connection alone changes nothing.
            gevent.wait([ch.app_done, ch.gone], count=1)
            if not (ch.alive and ch.socket_running):
                return                                       # hung up, bridged or transferred
            if not switch.reconnect:
                ch.socket_running = False
                ch.hangup("DESTINATION_OUT_OF_ORDER" if result == "refused" else "NORMAL_CLEARING", by="switch")
                return
            ch.end_socket_app()
        ch.hangup("NORMAL_TEMPORARY_FAILURE", by="switch")  # hotline_unavailable: no controller answered
