"""The dialplan ``socket 127.0.0.1:8084 async full`` application: FreeSWITCH dials the controller."""
from __future__ import annotations

import time

from gevent import socket

from control.esl import frames as F
from control.esl.outbound import MYEVENTS
from simulator.connection import Connection
from simulator.encoding import encode_channel_data_reply

# What ``myevents`` delivers: only this channel's events, of the types in MYEVENTS (less those nixed).


class OutboundSession:
    def __init__(self, switch, channel):
        self.switch, self.channel = switch, channel
        self.conn: Connection | None = None
        self.myevents: set[str] = set()     # the event types ``myevents`` (less ``nixevent``) delivers
        self.linger: int | None = None      # None: no linger; -1: until exit; else seconds
        self.connected = False

    def run(self, controller: tuple[str, int]) -> str:
        """Serve one connection to the controller; "refused" or "closed" (the socket app returned)."""
        ch = self.channel
        self.connect_at = time.monotonic()
        try:
            sock = socket.create_connection(controller, timeout=5)
            sock.settimeout(None)
        except OSError:
            return "refused"
        self.conn = Connection(sock)
        ch.session = self
        for cmd in self.conn.read_commands():
            self.handle(cmd)
        self.conn.close_after_flush()
        return "closed"

    def deliver(self, event) -> None:
        if self.conn is None:
            return
        if event.name in self.myevents or self.conn.wants(event.name):
            self.conn.send_out(event)

    def handle(self, cmd) -> None:
        conn, ch = self.conn, self.channel
        if cmd.verb == "connect":
            self.connected = True
            conn.send(encode_channel_data_reply(ch.channel_data()))
        elif cmd.verb == "myevents":
            self.myevents = set(MYEVENTS)
            conn.reply("+OK Events Enabled")
            if ch.alive and ch.socket_running:
                ch.emit("CHANNEL_PARK")
        elif cmd.verb == "linger":
            self.linger = int(cmd.arg) if cmd.arg.strip().lstrip("-").isdigit() else -1
            conn.reply("+OK will linger" if self.linger < 0 else f"+OK will linger {self.linger} seconds")
        elif cmd.verb == "nolinger":
            self.linger = None
            conn.reply("+OK will not linger")
        elif cmd.verb == "event":
            conn.subscribe(cmd.arg)
        elif cmd.verb == "nixevent":
            self.nixevent(cmd.arg.split())
        elif cmd.verb in ("filter", "noevents", "divert_events", "resume"):
            conn.reply("+OK")
        elif cmd.verb == "sendmsg":
            self.sendmsg(cmd)
        elif cmd.verb == "getvar":
            value = ch.vars.get(cmd.arg.strip())
            conn.reply(value if value is not None else "-ERR command not found")
        elif cmd.verb == "api":
            conn.api_response(self.switch.api.run_now(cmd.arg))
        elif cmd.verb == "bgapi":
            self.switch.api.background(conn, cmd.arg)
        elif cmd.verb == "exit":
            # FreeSWITCH only ends the connection: a caller still up goes on in the dialplan
            # (ours connects it to a controller again), so a controller must hang up first.
            conn.reply("+OK bye")
            self.close()
        else:
            conn.reply("-ERR command not found")

    def nixevent(self, names: list[str]) -> None:
        if not names:
            self.conn.reply("-ERR no keywords supplied")
            return
        if "ALL" in names:
            self.myevents.clear()
        self.myevents.difference_update(names)
        self.conn.nixevent(names)
        self.conn.reply("+OK events nixed")

    def sendmsg(self, cmd) -> None:
        target = self.channel if not cmd.arg.strip() or cmd.arg.strip() == self.channel.uuid \
            else self.switch.channel(cmd.arg.strip())
        if target is None and cmd.arg.strip() != self.channel.uuid:
            self.conn.reply(f"-ERR invalid session id [{cmd.arg.strip()}]")
            return
        self.conn.reply("+OK")
        self.switch.sendmsg(target, cmd.headers)

    def channel_gone(self) -> None:
        """After CHANNEL_HANGUP_COMPLETE: the linger notice, or the disconnect notice at once."""
        if self.conn is None or self.conn.closed:
            return
        ch = self.channel
        if self.linger is None:
            self.switch.spawn_later(0.003, self.close)
            return
        self.conn.send(F.encode_linger_notice(ch.uuid, ch.name, self.linger))
        if self.linger >= 0:
            self.switch.spawn_later(self.linger + 0.2, self.close)

    def close(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.send(F.encode_disconnect_notice(self.channel.uuid))
            self.conn.close_after_flush()

