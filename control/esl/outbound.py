"""Outbound Event Socket: FreeSWITCH connects to us once per call (``socket ... async full``).

``OutboundServer`` accepts with gevent's StreamServer (event-driven accept, a
large backlog and a connection pool sized from config) instead of greenswitch's
polling accept loop capped at 100 connections. Each connection becomes an
``OutboundChannel`` handed to the application callable.
"""
from __future__ import annotations

import logging
import socket
import uuid
from typing import Callable

import gevent
import gevent.event
from gevent.pool import Pool
from gevent.server import StreamServer
from greenswitch import esl as gs

from control.esl import commands
from control.esl.frames import Decoded, plain_header
from control.esl.protocol import FramedProtocol

log = logging.getLogger(__name__)

HANGUP_GRACE_S = 1.0

# The event types ``myevents`` subscribes to (mod_event_socket.c, parse_command). FreeSWITCH
# serializes each of them with every channel variable and the controller reads each off the socket,
# so those no call handler listens to are nixed (``connect(take_over=True)``).
MYEVENTS = frozenset({
    "CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA",
    "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK",
    "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK",
    "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK"})
LISTENED = frozenset({"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_BRIDGE",
                      "DTMF"})
NOT_LISTENED = tuple(sorted(MYEVENTS - LISTENED))
TAKE_OVER = ("myevents", "nixevent " + " ".join(NOT_LISTENED), "linger")


class ChannelGone(Exception):
    """The caller's channel hung up or the socket closed while we waited."""


class AppTimeout(Exception):
    """An application did not complete within the timeout we gave it."""


class OutboundChannel(FramedProtocol, gs.OutboundSession):
    def __init__(self, client_address, sock):
        self._pending_apps: dict[str, gevent.event.AsyncResult] = {}
        self.hungup = gevent.event.Event()
        self.gone = gevent.event.Event()
        self.hangup_event: dict[str, str] | None = None
        self.taken_over = False
        self.gone_uuid: str | None = None   # Controlled-Session-UUID of the disconnect notice
        super().__init__(client_address, sock)
        # greenswitch listens to every event for its own helpers (expected_events), which Hotline does
        # not use; without it, events nobody handles are not even decoded (FramedProtocol._wanted)
        self.unregister_handle("*", self.on_event)
        self.register_handle("CHANNEL_EXECUTE_COMPLETE", self._on_execute_complete)
        self.register_handle("CHANNEL_HANGUP", self._on_channel_hangup)
        self.register_handle("CHANNEL_HANGUP_COMPLETE", self._on_channel_hangup)
        self.register_handle("DISCONNECT", self._on_gone)

    # -- session start -------------------------------------------------
    def connect(self, take_over: bool = False) -> Decoded:
        """The channel's data. With ``take_over``, in the same write (one round trip): this channel's
        events, only those a handler listens to, and the linger notice at its hangup."""
        commands = ["connect", *TAKE_OVER] if take_over else ["connect"]
        try:
            reply = self.send_all(commands)[0]
        except (gs.NotConnectedError, gs.OutboundSessionHasGoneAway, OSError) as exc:
            raise ChannelGone("connect") from exc
        self.session_data = Decoded(reply.headers)   # ~150 headers, of which a call reads a few
        self._outbound_connected = True
        self.taken_over = take_over
        return self.session_data

    def register_handle(self, name, handler):
        if self.taken_over and name in NOT_LISTENED:
            raise ValueError(f"{name} is nixed on a call's socket: add it to LISTENED (control/esl/outbound.py)")
        super().register_handle(name, handler)

    def answer(self) -> None:
        """Answer the caller now. ``uuid_answer`` runs in this connection's own thread on the switch;
        an ``execute answer`` would wait for the parked channel's next 20 ms tick (switch_ivr_park
        sleeps 20 ms between queued commands while the channel has no media)."""
        reply = self.api(f"uuid_answer {self.uuid}")
        if not reply.startswith("+OK"):
            raise ChannelGone(f"answer: {reply.strip()}")

    @property
    def uuid(self) -> str:
        return self.session_data.get("Unique-ID") or self.session_data.get("variable_uuid")

    def _on_frame(self, frame) -> None:
        # the one thing known of a caller who hung up before ``connect`` was answered
        if frame.content_type == "text/disconnect-notice" and self.gone_uuid is None:
            self.gone_uuid = frame.headers.get("Controlled-Session-UUID")
        super()._on_frame(frame)

    # -- applications --------------------------------------------------
    def execute(self, app: str, arg: str | None = None, wait: bool = True,
                timeout: float | None = None) -> dict[str, str] | None:
        """Run a dialplan application on this channel. With ``wait``, return its
        CHANNEL_EXECUTE_COMPLETE headers (matched by Application-UUID)."""
        if self.hungup.is_set():
            raise ChannelGone(app)
        event_uuid = str(uuid.uuid4())
        result = gevent.event.AsyncResult()
        if wait:
            self._pending_apps[event_uuid] = result
        try:
            reply = self.send(commands.execute(app, arg, event_uuid))
        except (gs.NotConnectedError, OSError) as exc:
            self._pending_apps.pop(event_uuid, None)
            raise ChannelGone(app) from exc
        if not reply.data.startswith("+OK"):
            self._pending_apps.pop(event_uuid, None)
            raise ChannelGone(f"{app}: {reply.data}")
        if not wait:
            return None
        try:
            gevent.wait([result, self.hungup], count=1, timeout=timeout)
            if not result.ready() and self.hungup.is_set():
                # FreeSWITCH sends the running app's COMPLETE right after the hangup; wait briefly.
                result.wait(timeout=HANGUP_GRACE_S)
            if not result.ready():
                raise ChannelGone(app) if self.hungup.is_set() else AppTimeout(app)
            return result.get()
        finally:
            self._pending_apps.pop(event_uuid, None)

    def api(self, command: str) -> str:
        try:
            return self.send(f"api {command}").data
        except (gs.NotConnectedError, OSError) as exc:
            raise ChannelGone(command) from exc

    def command(self, text: str) -> str:
        try:
            return self.send(text).data
        except (gs.NotConnectedError, OSError) as exc:
            raise ChannelGone(text) from exc

    def commands(self, *texts: str) -> list[str]:
        """Several commands in one write, then their replies (in order): one round trip."""
        try:
            return [reply.data for reply in self.send_all(texts)]
        except (gs.NotConnectedError, OSError) as exc:
            raise ChannelGone(" / ".join(texts)) from exc

    # -- events ----------------------------------------------------------
    def _wanted(self, body: str) -> bool:
        """Also skip the CHANNEL_EXECUTE_COMPLETE of applications nobody waits for (hold music,
        announcements started with ``wait=False``; only their Application-UUID is looked at), and
        a CHANNEL_HANGUP_COMPLETE after the CHANNEL_HANGUP."""
        if not super()._wanted(body):
            return False
        name = plain_header(body, "Event-Name")
        if name == "CHANNEL_HANGUP_COMPLETE":   # wanted only when the CHANNEL_HANGUP went missing
            return self.hangup_event is None or self.event_handlers.get(name) != [self._on_channel_hangup]
        if name != "CHANNEL_EXECUTE_COMPLETE":
            return True
        if self.event_handlers.get(name) != [self._on_execute_complete]:
            return True
        return plain_header(body, "Application-UUID") in self._pending_apps

    def _on_execute_complete(self, event) -> None:
        pending = self._pending_apps.get(event.headers.get("Application-UUID", ""))
        if pending is not None:
            pending.set(event.headers)

    def _on_channel_hangup(self, event) -> None:
        if self.hangup_event is None:
            self.hangup_event = event.headers
        self.hungup.set()

    def _on_gone(self, event) -> None:
        if event.headers.get("Content-Disposition") == "linger":
            self.hungup.set()
            return
        self.hungup.set()
        self.gone.set()
        for pending in list(self._pending_apps.values()):
            pending.set_exception(ChannelGone("socket closed"))

    # greenswitch's own hangup/disconnect handlers only log; keep ours.
    def on_hangup(self, event):
        pass

    def on_disconnect(self, event):
        for pending in self._commands_sent:
            pending.set_exception(gs.OutboundSessionHasGoneAway())


class OutboundServer:
    def __init__(self, host: str, port: int, application: Callable[[OutboundChannel], None],
                 max_connections: int = 20000, backlog: int = 4096):
        self.application = application
        self.pool = Pool(max_connections)
        self.server = StreamServer((host, port), self._handle, spawn=self.pool, backlog=backlog)

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def active(self) -> int:
        return len(self.pool)

    def start(self) -> None:
        self.server.start()
        log.info("outbound Event Socket listening on %s:%s", self.server.server_host, self.port)

    def stop(self, timeout: float | None = None) -> None:
        self.server.stop(timeout=timeout)

    def _handle(self, sock, address) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # small commands, no Nagle wait
        except OSError:
            pass
        channel = OutboundChannel(address, sock)
        try:
            self.application(channel)
        except Exception:  # a failing call must not take the server down
            log.exception("call handler failed")
        finally:
            channel.stop()
