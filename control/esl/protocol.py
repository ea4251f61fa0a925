"""greenswitch's ESL protocol with Hotline's framing underneath.

greenswitch keeps the command/reply bookkeeping and event-handler dispatch we
want; its reader, though, url-decodes whole frames before splitting lines and
ignores the body of disconnect notices. We replace only the reading side with
control.esl.parser, which was tested against recorded FreeSWITCH sessions.
"""
from __future__ import annotations

import logging
from types import SimpleNamespace
from urllib.parse import unquote

import gevent
import gevent.event
from greenswitch import esl as gs

from control.esl.frames import Frame, PlainEvent, plain_header
from control.esl.parser import FrameParser, ProtocolError

log = logging.getLogger(__name__)

READ_SIZE = 65536
_STOP = object()


class EslEvent(SimpleNamespace):
    """What greenswitch's handlers receive: ``.headers`` (dict) and ``.data`` (body text)."""


class PlainEslEvent:
    """The same for a plain event, whose headers decode on demand (frames.PlainEvent)."""

    __slots__ = ("headers",)

    def __init__(self, headers: PlainEvent):
        self.headers = headers

    @property
    def data(self) -> str:
        return self.headers.get("_body", "")


class FramedProtocol(gs.ESLProtocol):
    """Mixin: read frames with FrameParser and feed greenswitch's machinery."""

    connected: bool                         # greenswitch's, set here too
    _commands_sent: list[gevent.event.AsyncResult]

    def receive_events(self):  # greenswitch spawns this in its own greenlet
        parser = FrameParser()
        while self._run:
            try:
                data = self.sock.recv(READ_SIZE)
            except OSError:
                data = b""
            if not data:
                break
            try:
                frames = parser.feed(data)
            except ProtocolError as exc:
                log.warning("closing Event Socket connection after a protocol error: %s", exc)
                break
            for frame in frames:
                self._on_frame(frame)
        self._connection_lost()

    def process_events(self):  # greenswitch spawns this too; ours blocks instead of polling
        while True:
            event = self._esl_event_queue.get()
            if event is _STOP:
                return
            if isinstance(event, Frame):
                if not self._wanted(event.body):
                    continue  # nobody listens: skip decoding its ~100 headers (most of a call's events)
                event = PlainEslEvent(PlainEvent(event.body))
            headers = event.headers
            if headers.get("Content-Type") == "text/disconnect-notice":
                handlers = self.event_handlers.get("DISCONNECT")
            elif headers.get("Event-Name") == "CUSTOM":
                handlers = self.event_handlers.get(headers.get("Event-Subclass"))
            else:
                handlers = self.event_handlers.get(headers.get("Event-Name"))
            for handler in list(handlers or ()) + list(self.event_handlers.get("*", ())):
                try:
                    handler(event)
                except Exception:  # one broken handler must not stop the call's event stream
                    log.exception("Event Socket handler %s failed on %s", handler, headers.get("Event-Name"))

    def send(self, data):
        if not self.connected:
            raise gs.NotConnectedError()
        result = gevent.event.AsyncResult()
        self._commands_sent.append(result)
        self.sock.sendall((data + "\n\n").encode("utf-8"))
        return result.get()

    def send_all(self, commands) -> list:
        """Pipelined ``send``: every command in one write, then each reply (replies come in order)."""
        if not self.connected:
            raise gs.NotConnectedError()
        results = [gevent.event.AsyncResult() for _ in commands]
        self._commands_sent.extend(results)
        self.sock.sendall("".join(c + "\n\n" for c in commands).encode("utf-8"))
        return [result.get() for result in results]

    def _close_socket(self) -> None:
        # greenswitch's OutboundSession holds a makefile() of the socket: while it is open, closing
        # the socket does not close the descriptor, and the peer never sees the connection end.
        for closable in (getattr(self, "sock_file", None), self.sock):
            try:
                if closable is not None:
                    closable.close()
            except OSError:
                pass

    def _connection_lost(self) -> None:
        was_connected = self.connected
        self._run = False
        self.connected = False
        pending, self._commands_sent = self._commands_sent, []
        for result in pending:
            result.set_exception(gs.NotConnectedError("Event Socket connection closed"))
        self._auth_request_event.set()
        self._close_socket()
        if was_connected:
            self._esl_event_queue.put(EslEvent(headers={"Content-Type": "text/disconnect-notice",
                                                        "Content-Disposition": "disconnect"}, data=""))
        self._esl_event_queue.put(_STOP)

    def _on_frame(self, frame) -> None:
        ctype = frame.content_type
        if ctype == "auth/request":
            self._auth_request_event.set()
        elif ctype in ("command/reply", "api/response"):
            reply = EslEvent(headers=dict(frame.headers), data=(
                frame.headers.get("Reply-Text", "") if ctype == "command/reply" else frame.body))
            if self._commands_sent:
                self._commands_sent.pop(0).set(reply)
            else:
                log.warning("reply without a pending command: %r", reply.data[:80])
        elif ctype == "text/disconnect-notice":
            if frame.headers.get("Content-Disposition") == "linger":
                self._lingering = True
            self._esl_event_queue.put(EslEvent(headers=dict(frame.headers), data=frame.body))
        elif ctype == "text/event-plain":
            self._esl_event_queue.put(frame)   # decoded in process_events, only if someone listens
        elif ctype == "text/event-json":
            headers = frame.event()
            self._esl_event_queue.put(EslEvent(headers=headers, data=headers.get("_body", "")))
        elif ctype == "text/rude-rejection":
            self.connected = False
            self._auth_request_event.set()
        else:
            log.debug("ignoring frame of type %r", ctype)

    def _wanted(self, body: str) -> bool:
        """Whether a plain event has a handler, from its Event-Name (and Event-Subclass) alone."""
        handlers = self.event_handlers
        if "*" in handlers:
            return True
        name = plain_header(body, "Event-Name")
        if name == "CUSTOM":
            name = unquote(plain_header(body, "Event-Subclass") or "")
        return name is None or name in handlers

    def stop(self):
        if self.connected:
            try:
                self.send("exit")
            except (gs.NotConnectedError, OSError, gs.OutboundSessionHasGoneAway):
                pass
        self._run = False
        self._close_socket()
        current = gevent.getcurrent()
        for greenlet in (self._receive_events_greenlet, self._process_events_greenlet):
            if greenlet is not None and greenlet is not current:
                greenlet.join(timeout=2)
