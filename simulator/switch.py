"""The simulated switch: a thin composition of the channel registry, event emission, dialling,
bridging, callers with their socket application, and the inbound Event Socket server."""
from __future__ import annotations

import uuid as uuidlib

import gevent
from gevent.event import Event
from gevent.server import StreamServer

from simulator.api import Api
from simulator.bridging import Bridges
from simulator.calls import SOCKET_DATA, CallHandle, Calls
from simulator.channels import Channel
from simulator.dialing import Dialer
from simulator.events import CORE_UUID, SWITCHNAME, Events, host_headers
from simulator.inbound import InboundSession
from simulator.latency import DEFAULT_LATENCY, CommandLatency
from simulator.people import Phone
from simulator.registry import ChannelRegistry

__all__ = ["CORE_UUID", "SOCKET_DATA", "CallHandle", "Switch"]


class Switch:
    def __init__(self, controller=("127.0.0.1", 8084), esl_listen=("127.0.0.1", 0), password: str = "ClueCon",
                 media_s: float = 0.2, reconnect: bool = True, reconnect_attempts: int = 4,
                 reconnect_delay_s: float = 1.0, say_languages: set[str] | None = None,
                 command_latency: CommandLatency = DEFAULT_LATENCY, name: str = SWITCHNAME,
                 sip: tuple[str, int] = ("127.0.0.1", 5060)):
        """``name``: the switchname (FreeSWITCH-Switchname); ``sip``: its SIP address, by which other nodes
        of a ``simulator.nodes.Network`` reach it."""
        from simulator.languages import say_languages as configured

        self.controller, self.esl_listen, self.password, self.media_s = tuple(controller), esl_listen, password, media_s
        # `say` works in these languages only (freeswitch-conf/lang/*.xml with their say modules loaded)
        self.say_languages = configured() if say_languages is None else set(say_languages)
        self.errors: list[str] = []      # what FreeSWITCH would log at ERR level (a say in an unknown language)
        # dialplan/hotline.xml: while the caller is up and unbridged, `socket` runs again (5 connections in all)
        self.reconnect, self.reconnect_attempts = reconnect, reconnect_attempts
        self.reconnect_delay_s = reconnect_delay_s
        self.command_latency = command_latency   # per-command run time (simulator/latency.py)
        self.api = Api(self)
        self.inbound_sessions: set = set()
        self.registry = ChannelRegistry(self)
        self.name, self.sip = name, (sip[0], int(sip[1]))
        self.network = None   # simulator.nodes.Network: the other nodes it can call by SIP
        self.dead = False     # kill(): the process is gone
        self.events = Events(self.inbound_sessions, host_headers(name, sip[0]))
        self.dialer = Dialer(self)
        self.bridges = Bridges(self)
        self.calls = Calls(self)
        self.phones: dict[str, Phone] = self.dialer.phones
        self.outside: dict[str, Phone] = self.dialer.outside     # outside numbers, dialled through the trunk
        self._server: StreamServer | None = None
        self._greenlets: set = set()     # running or scheduled; each removes itself when it ends
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

    def kill(self, host_gone: bool = False) -> None:
        """The node's process dies (SIGKILL): its Event Socket and every controller's outbound socket close
        at once, with no hangup event and no disconnect notice; its channels are gone (each caller's handle
        finishes with NODE_KILLED, for the test's bookkeeping). Other nodes get no BYE (simulator.nodes).

        ``host_gone``: the whole host went away (power, network) instead: no FIN reaches the controllers,
        so their outbound sockets stay open and silent, and everything on the node stops where it is; the
        Event Socket connections are found broken (TCP keepalive) and closed."""
        self.dead = self.events.dead = True
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in list(self.inbound_sessions):
            session.conn.sock.close()
        for ch in self.registry.channels():
            if ch.session is not None and ch.session.conn is not None:
                ch.session.conn.closed = True   # nothing more is sent on it
                if not host_gone:
                    ch.session.conn.sock.close()
        if host_gone:
            gevent.killall([g for g in self._greenlets if not g.dead], block=False)
            gevent.killall([ch._runner for ch in self.registry.channels() if ch._runner is not None], block=False)
        else:
            for ch in self.registry.channels():
                ch.hangup("NODE_KILLED", by="switch")
        if self.network is not None:
            self.network.node_died(self)

    def stop(self) -> None:
        for ch in self.registry.channels():
            ch.hangup("SYSTEM_SHUTDOWN", by="switch")
        if self._server is not None:
            self._server.stop(timeout=1)
        gevent.killall([g for g in self._greenlets if not g.dead], block=False)

    def spawn(self, func, *args):
        return self._track(gevent.spawn(func, *args))

    def spawn_later(self, seconds, func, *args):
        return self._track(gevent.spawn_later(seconds, func, *args))

    def _track(self, g):
        self._greenlets.add(g)
        g.link(self._greenlets.discard)
        return g

    def sendmsg(self, ch: Channel, headers: dict) -> None:
        if ch is None or not ch.alive:
            return
        command = headers.get("call-command", "execute")
        if command == "execute":
            ch.execute(headers.get("execute-app-name", ""), headers.get("execute-app-arg"),
                       headers.get("Event-UUID") or str(uuidlib.uuid4()))
        elif command == "hangup":
            ch.hangup(headers.get("hangup-cause", "NORMAL_CLEARING"), by="switch")

    # --- people and calls (simulator.dialing, simulator.calls) ---------------------------------
    def add_phone(self, extension: str, answer_after: float | None = 1.0, talk_time: float | None = None) -> Phone:
        return self.dialer.add_phone(extension, answer_after, talk_time)

    def add_outside_number(self, number: str, answer_after: float | None = 1.0, talk_time: float | None = None,
                           busy: bool = False) -> Phone:
        return self.dialer.add_outside_number(number, answer_after, talk_time, busy)

    def place_call(self, caller: str, did: str, inputs=(), patience: float | None = None,
                   caller_name: str | None = None, message_s: float = 2.0, controller=None) -> CallHandle:
        return self.calls.place_call(caller, did, inputs, patience, caller_name, message_s, controller)

    def find_phone(self, target: str) -> Phone | None:
        return self.dialer.find_phone(target)

    def dial(self, variables: dict, target: str, timeout: float, timeout_cause: str, cancel: Event | None = None):
        return self.dialer.dial(variables, target, timeout, timeout_cause, cancel)

    # --- channels (simulator.registry) ---------------------------------------------------------
    @property
    def sessions_since_startup(self) -> int:
        return self.registry.sessions_since_startup

    def channels(self) -> list[Channel]:
        return self.registry.channels()

    def channel(self, uuid: str) -> Channel | None:
        return self.registry.channel(uuid)

    def channel_gone(self, ch: Channel) -> None:
        self.registry.channel_gone(ch)

    # --- events (simulator.events) -------------------------------------------------------------
    def standard_headers(self, event_name: str, calling: str | None = None) -> list[tuple[str, str]]:
        return self.events.standard_headers(event_name, calling)

    def emit(self, ch: Channel, pairs) -> None:
        self.events.emit(ch, pairs)

    def emit_global(self, event_name: str, extra, body: str | None = None) -> None:
        self.events.emit_global(event_name, extra, body)

    # --- bridging (simulator.bridging) ---------------------------------------------------------
    def uuid_bridge(self, a: Channel, b: Channel) -> None:
        self.bridges.uuid_bridge(a, b)

    def bridge_ready(self, ch: Channel, other_uuid: str) -> None:
        self.bridges.bridge_ready(ch, other_uuid)

    def unbridge(self, gone: Channel) -> None:
        self.bridges.unbridge(gone)

    def leave_bridge(self, ch: Channel, keep=()) -> None:
        self.bridges.leave_bridge(ch, keep)

    def park(self, ch: Channel) -> None:
        self.bridges.park(ch)

    def run_inline(self, ch: Channel, apps) -> None:
        self.bridges.run_inline(ch, apps)

    def bridge_app(self, ch: Channel, arg: str) -> str:
        return self.bridges.bridge_app(ch, arg)
