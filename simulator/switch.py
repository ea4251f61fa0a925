"""The simulated switch: channels, phones, the inbound Event Socket, and calls to the controller."""
from __future__ import annotations

import time
import uuid as uuidlib
from email.utils import formatdate

import gevent
from gevent.event import Event
from gevent.server import StreamServer

from simulator.api import Api, split_vars
from simulator.channels import CALLING, Channel, now_us
from simulator.inbound import InboundSession
from simulator.outbound import OutboundSession
from simulator.people import CallerScript, Phone

CORE_UUID = "5f2d1a0e-8f7c-4b7e-9d55-0c1b2a3f4e5d"
SOCKET_DATA = "127.0.0.1:8084 async full"


class CallHandle:
    def __init__(self, channel: Channel, script: CallerScript):
        self.channel, self.script = channel, script
        self.uuid = channel.uuid
        self.done = channel.gone
        self.answered_by_agent: str | None = None
        self.bridged_at: float | None = None
        self.ended_at: float | None = None

    @property
    def result(self) -> dict:
        return {"hangup_cause": self.channel.hangup_cause, "hangup_by": self.channel.hangup_by,
                "answered_by_agent": self.answered_by_agent, "bridged_at": self.bridged_at,
                "ended_at": self.ended_at, "patience_expired": self.script.patience_expired}


class Switch:
    def __init__(self, controller=("127.0.0.1", 8084), esl_listen=("127.0.0.1", 0), password: str = "ClueCon",
                 media_s: float = 0.2, reconnect: bool = True, reconnect_attempts: int = 4,
                 reconnect_delay_s: float = 1.0):
        self.controller, self.esl_listen, self.password, self.media_s = tuple(controller), esl_listen, password, media_s
        # dialplan/hotline.xml: while the caller is up and unbridged, `socket` runs again (5 connections in all)
        self.reconnect, self.reconnect_attempts, self.reconnect_delay_s = reconnect, reconnect_attempts, reconnect_delay_s
        self.api = Api(self)
        self.phones: dict[str, Phone] = {}
        self.outside: dict[str, Phone] = {}     # outside numbers, dialled through the trunk
        self.inbound_sessions: set = set()
        self.sessions_since_startup = 0
        self._channels: dict[str, Channel] = {}
        self._handles: dict[str, CallHandle] = {}
        self._sequence = 0
        self._server: StreamServer | None = None
        self._greenlets = []
        self.esl_port: int | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Serve the inbound Event Socket (again on the same port after ``stop_inbound``)."""
        listen = (self.esl_listen[0], self.esl_port) if self.esl_port else self.esl_listen
        self._server = StreamServer(listen, lambda sock, _addr: InboundSession(self, sock).run())
        self._server.start()
        self.esl_port = self._server.server_port

    def stop_inbound(self) -> None:
        """The inbound Event Socket goes away (FreeSWITCH restarting it, a network cut): stop
        listening and drop every connection; channels and outbound sockets carry on."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in list(self.inbound_sessions):
            session.conn.sock.close()

    def stop(self) -> None:
        for ch in list(self._channels.values()):
            ch.hangup("SYSTEM_SHUTDOWN", by="switch")
        if self._server is not None:
            self._server.stop(timeout=1)
        gevent.killall([g for g in self._greenlets if not g.dead], block=False)

    def spawn(self, func, *args):
        g = gevent.spawn(func, *args)
        self._greenlets = [x for x in self._greenlets if not x.dead] + [g]
        return g

    def spawn_later(self, seconds, func, *args):
        g = gevent.spawn_later(seconds, func, *args)
        self._greenlets.append(g)
        return g

    # --- people --------------------------------------------------------------------------------
    def add_phone(self, extension: str, answer_after: float | None = 1.0, talk_time: float | None = None) -> Phone:
        phone = Phone(str(extension), answer_after, talk_time)
        self.phones[phone.extension] = phone
        return phone

    def add_outside_number(self, number: str, answer_after: float | None = 1.0, talk_time: float | None = None,
                           busy: bool = False) -> Phone:
        """A number beyond the trunk (a customer called back): answers after ``answer_after`` seconds,
        never (None), or is busy. Reached as loopback/NUMBER/public-outbound or sofia/gateway/GW/NUMBER."""
        phone = Phone(str(number), answer_after, talk_time, busy=busy)
        self.outside[phone.extension] = phone
        return phone

    def place_call(self, caller: str, did: str, inputs=(), patience: float | None = None,
                   caller_name: str | None = None, message_s: float = 2.0, controller=None) -> CallHandle:
        """``controller``: this call's (host, port) instead of the switch's (a balancer over several)."""
        uuid = str(uuidlib.uuid4())
        ch = Channel(self, uuid, "inbound", f"sofia/internal/{caller}@127.0.0.1:5070", caller=caller,
                     caller_name=caller_name or caller, destination=did)
        ch.script = CallerScript(ch, list(inputs or []), patience, message_s)
        handle = CallHandle(ch, ch.script)
        self._handles[uuid] = handle
        self._register(ch)
        ch.emit("CHANNEL_CREATE")
        ch.set_state("CS_EXECUTE", emit=False)
        ch.socket_running = True
        ch.socket_app_uuid = str(uuidlib.uuid4())
        ch.vars.update({"current_application_data": SOCKET_DATA, "current_application": "socket",
                        "socket_host": self.controller[0], "socket_data": SOCKET_DATA})
        ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                          ("Application-UUID", ch.socket_app_uuid)])
        ch.start()
        ch.script.start()
        ch.socket_runs = 1                                   # connections to a controller (tests)
        self.spawn(self._socket_app, ch, tuple(controller) if controller else self.controller)
        return handle

    def _socket_app(self, ch: Channel, controller) -> None:
        """``socket`` and what the dialplan does after it returns with the caller still up."""
        attempts = 1 + (max(0, self.reconnect_attempts) if self.reconnect else 0)
        for attempt in range(attempts):
            if attempt:
                gevent.sleep(self.reconnect_delay_s)        # the dialplan's `sleep 1000`
                if not ch.alive or ch.bridged:
                    return
                ch.socket_running = True
                ch.socket_runs += 1
                ch.socket_app_uuid = str(uuidlib.uuid4())
                ch.emit("CHANNEL_EXECUTE", extra=[("Application", "socket"), ("Application-Data", SOCKET_DATA),
                                                  ("Application-UUID", ch.socket_app_uuid)])
            result = OutboundSession(self, ch).run(controller)
            # Like FreeSWITCH, `socket` returns only once the application the controller started
            # ends (endless hold music: at uuid_break); a lost connection alone changes nothing.
            gevent.wait([ch.app_done, ch.gone], count=1)
            if not (ch.alive and ch.socket_running):
                return                                       # hung up, bridged or transferred
            if not self.reconnect:
                ch.socket_running = False
                ch.hangup("DESTINATION_OUT_OF_ORDER" if result == "refused" else "NORMAL_CLEARING", by="switch")
                return
            ch.end_socket_app()
        ch.hangup("NORMAL_TEMPORARY_FAILURE", by="switch")  # hotline_unavailable: no controller answered

    # --- channels ------------------------------------------------------------------------------
    def _register(self, ch: Channel) -> None:
        self._channels[ch.uuid] = ch
        self.sessions_since_startup += 1

    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def channel(self, uuid: str) -> Channel | None:
        return self._channels.get(uuid)

    def channel_gone(self, ch: Channel) -> None:
        self._channels.pop(ch.uuid, None)
        if ch.other is not None and ch.other.bridged and ch.other.other is ch:
            self.unbridge(ch)
        handle = self._handles.pop(ch.uuid, None)
        if handle is not None:
            handle.ended_at = time.time()
            handle.script.stop()

    def sendmsg(self, ch: Channel, headers: dict) -> None:
        if ch is None or not ch.alive:
            return
        command = headers.get("call-command", "execute")
        if command == "execute":
            ch.execute(headers.get("execute-app-name", ""), headers.get("execute-app-arg"),
                       headers.get("Event-UUID") or str(uuidlib.uuid4()))
        elif command == "hangup":
            ch.hangup(headers.get("hangup-cause", "NORMAL_CLEARING"), by="switch")

    # --- events --------------------------------------------------------------------------------
    def standard_headers(self, event_name: str, calling: str | None = None) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        file, func, line = CALLING.get(calling or event_name, ["switch_event.c", "switch_event_fire", 0])
        return [("Event-Name", event_name), ("Core-UUID", CORE_UUID), ("FreeSWITCH-Hostname", "fs-host"),
                ("FreeSWITCH-Switchname", "fs-host"), ("FreeSWITCH-IPv4", "127.0.0.1"), ("FreeSWITCH-IPv6", "::1"),
                ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
                ("Event-Date-GMT", formatdate(now, usegmt=True)), ("Event-Date-Timestamp", str(int(now * 1e6))),
                ("Event-Calling-File", file), ("Event-Calling-Function", func),
                ("Event-Calling-Line-Number", str(line)), ("Event-Sequence", str(self._sequence))]

    def emit(self, ch: Channel, pairs) -> None:
        name = pairs[0][1]
        if ch.session is not None:
            ch.session.deliver(name, pairs)
        for session in list(self.inbound_sessions):
            session.deliver(name, pairs)

    def emit_global(self, event_name: str, extra, body: str | None = None) -> None:
        pairs = self.standard_headers(event_name) + list(extra)
        for session in list(self.inbound_sessions):
            session.deliver(event_name, pairs, body)

    # --- dialing and bridging ------------------------------------------------------------------
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
        phone = self.find_phone(target)
        if phone is None:
            return None, "NO_ROUTE_DESTINATION" if target.startswith("loopback/") else "USER_NOT_REGISTERED"
        phone.rings += 1
        if phone.busy:
            return None, "USER_BUSY"
        user = phone.extension if phone in self.outside.values() else target.split("/")[-1].split("@")[0]
        name = target if target.startswith(("sofia/", "loopback/")) else f"sofia/internal/{user}@127.0.0.1:5090"
        leg = Channel(self, variables.get("origination_uuid") or str(uuidlib.uuid4()), "outbound", name,
                      caller="0000000000", caller_name="Outbound Call", destination=user, user=user,
                      extra_vars=variables)
        leg.phone = phone
        self._register(leg)
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
        other = self.channel(other_uuid)
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
        handle = self._handles.get(a.uuid)
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
            survivor.hangup(gone.hangup_cause or "NORMAL_CLEARING", by=by)
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
        variables, target = split_vars(arg)
        continue_on_fail = ch.vars.get("continue_on_fail", "false") in ("true", "1", "yes")
        if "leg_timeout" in variables:
            timeout, cause = float(variables["leg_timeout"]), "ALLOTTED_TIMEOUT"
        else:
            timeout, cause = float(variables.get("originate_timeout", ch.vars.get("call_timeout", 60))), "NO_ANSWER"
        b, result = self.dial({k: v for k, v in variables.items() if k not in ("leg_timeout",)}, target,
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
