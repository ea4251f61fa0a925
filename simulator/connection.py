"""One Event Socket TCP connection as FreeSWITCH runs it: commands in, frames out in order."""
from __future__ import annotations

import socket

import gevent
from gevent.queue import Queue

from control.esl import frames as F

MAX_COMMAND_BYTES = 1 << 20
CLOSE = object()


class Command:
    """A client command: ``sendmsg <uuid>`` with its headers, ``api status``, ..."""

    def __init__(self, line: str, headers: dict[str, str]):
        self.line, self.headers = line, headers
        self.verb, _, self.arg = line.partition(" ")


def split_commands(buf: bytearray) -> list[Command]:
    """Take whole commands (blocks ended by a blank line) off the front of ``buf``."""
    out = []
    while True:
        end = buf.find(b"\n\n")
        if end < 0:
            if len(buf) > MAX_COMMAND_BYTES:
                raise ValueError("command too long")
            return out
        block = bytes(buf[:end]).decode("utf-8", "replace").replace("\r", "")
        del buf[:end + 2]
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        out.append(Command(lines[0].strip(), headers))


class Connection:
    """Frames are queued and written by one greenlet, so concurrent emitters never interleave bytes."""

    def __init__(self, sock):
        self.sock = sock
        # as mod_event_socket does (listener_run): without it Nagle holds a reply back until the
        # controller's delayed ACK, ~40 ms per call set-up (docs/benchmarks.md, Calls)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:   # not TCP (a socket pair in a test)
            pass
        self.out: Queue = Queue()
        self.closed = False
        self.event_format: str | None = None     # "plain" | "json" once subscribed
        self.event_names: set[str] = set()
        self.nixed: set[str] = set()             # types left out by ``nixevent``
        self._writer = gevent.spawn(self._write)

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.out.put(data)

    def close_after_flush(self) -> None:
        if not self.closed:
            self.closed = True
            self.out.put(CLOSE)

    def join(self, timeout: float | None = 5.0) -> None:
        """Wait until queued frames are written and the socket closed (servers close on return)."""
        self._writer.join(timeout)

    def _write(self) -> None:
        closing = False
        while not closing:
            data = self.out.get()
            if data is CLOSE:
                break
            if self.out.qsize():
                # frames queued meanwhile go in the same write: the same bytes, fewer system calls
                chunks = [data]
                while self.out.qsize():
                    item = self.out.get_nowait()
                    if item is CLOSE:
                        closing = True
                        break
                    chunks.append(item)
                data = b"".join(chunks)
            try:
                self.sock.sendall(data)
            except OSError:
                break
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def reply(self, text: str, extra=()) -> None:
        self.send(F.encode_command_reply(text, tuple(extra)))

    def api_response(self, body: str) -> None:
        self.send(F.encode_api_response(body))

    def wants(self, name: str) -> bool:
        return self.event_format is not None and name not in self.nixed and (
            "ALL" in self.event_names or name in self.event_names)

    def nixevent(self, names) -> None:
        """``nixevent``: ALL forgets every subscription; a name is left out even under ``event ALL``."""
        if "ALL" in names:
            self.event_names, self.nixed = set(), set()
        else:
            self.event_names -= set(names)
            self.nixed |= set(names)

    def send_out(self, event) -> None:
        """An emitted event (encoding.OutEvent) in this connection's format."""
        self.send(event.json() if self.event_format == "json" else event.plain())

    def subscribe(self, arg: str) -> None:
        fmt, _, names = arg.partition(" ")
        self.event_format = fmt if fmt in ("plain", "json") else "plain"
        self.event_names |= set(names.split())
        self.nixed -= set(names.split())
        self.reply(f"+OK event listener enabled {self.event_format}")

    def read_commands(self):
        """Yield commands until the peer closes."""
        buf = bytearray()
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            try:
                commands = split_commands(buf)
            except ValueError:
                return
            yield from commands
