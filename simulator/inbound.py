"""The inbound Event Socket (FreeSWITCH's port 8021): auth, event subscriptions, api, bgapi, sendmsg."""
from __future__ import annotations

import gevent

from control.esl import frames as F
from simulator.connection import Connection


class InboundSession:
    def __init__(self, switch, sock):
        self.switch = switch
        self.conn = Connection(sock)
        self.authed = False

    def run(self) -> None:
        conn = self.conn
        conn.send(F.encode_auth_request())
        self.switch.inbound_sessions.add(self)
        try:
            for cmd in conn.read_commands():
                if not self.handle(cmd):
                    break
        finally:
            self.switch.inbound_sessions.discard(self)
            conn.close_after_flush()
            conn.join()

    def deliver(self, event) -> None:
        if self.authed and self.conn.wants(event.name):
            self.conn.send_out(event)

    def handle(self, cmd) -> bool:
        conn = self.conn
        if not self.authed:
            if cmd.verb != "auth":
                conn.reply("-ERR command not found")
                return True
            if cmd.arg.strip() == self.switch.password:
                self.authed = True
                conn.reply("+OK accepted")
                return True
            conn.reply("-ERR invalid")
            conn.send(F.encode_disconnect_notice())
            return False
        if cmd.verb == "event":
            conn.subscribe(cmd.arg)
        elif cmd.verb == "api":
            delay = self.switch.command_latency.of(cmd.arg)
            if delay:   # this connection reads nothing more meanwhile (simulator/latency.py)
                gevent.sleep(delay)
            conn.api_response(self.switch.api.run_now(cmd.arg))
        elif cmd.verb == "bgapi":
            if self.switch.command_latency.bgapi_accept:
                gevent.sleep(self.switch.command_latency.bgapi_accept)
            self.switch.api.background(conn, cmd.arg)
        elif cmd.verb == "sendmsg":
            target = self.switch.channel(cmd.arg.strip())
            if target is None:
                conn.reply(f"-ERR invalid session id [{cmd.arg.strip()}]")
            else:
                conn.reply("+OK")
                self.switch.sendmsg(target, cmd.headers)
        elif cmd.verb == "nixevent":
            names = cmd.arg.split()
            if names:
                conn.nixevent(names)
            conn.reply("+OK events nixed" if names else "-ERR no keywords supplied")
        elif cmd.verb in ("noevents", "filter"):
            if cmd.verb == "noevents":
                conn.event_format, conn.event_names = None, set()
            conn.reply("+OK")
        elif cmd.verb == "exit":
            conn.reply("+OK bye")
            conn.send(F.encode_disconnect_notice())
            return False
        else:
            conn.reply("-ERR command not found")
        return True
