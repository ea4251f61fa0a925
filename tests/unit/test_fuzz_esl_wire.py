"""Malformed Event Socket input over real TCP: the controller's OutboundServer and SwitchClient
must report an error and close cleanly, never hang (every wait here is bounded)."""
from __future__ import annotations

import gevent
import pytest
from gevent import socket
from gevent.server import StreamServer

from control.esl.inbound import SwitchClient
from control.esl.outbound import OutboundServer

BAD = {
    "truncated header block": b"Content-Type: command/reply\nReply-Text: +OK",
    "truncated body": b"Content-Type: api/response\nContent-Length: 50\n\nonly ten b",
    "negative length": b"Content-Type: api/response\nContent-Length: -5\n\nx",
    "non-numeric length": b"Content-Type: api/response\nContent-Length: ten\n\nx",
    "huge length": b"Content-Type: api/response\nContent-Length: 99999999999\n\n",
    "binary garbage": bytes(range(256)) * 8,
    "not a header line": b"\x00\x01\x02 no colon here\n\n",
    "invalid utf-8 headers": b"Content-Type: command/reply\nReply-Text: \xff\xfe\n\n",
    "unknown headers then close": b"X-Whatever: 1\nAnother-Header: two\n\n",
    "unknown content type then close": b"Content-Type: text/mystery\nContent-Length: 3\n\nabc",
}


@pytest.fixture
def outbound():
    outcomes: list[str] = []

    def app(channel):
        try:
            with gevent.Timeout(5, AssertionError("the application hung")):
                channel.connect()
            outcomes.append("connected")
        except AssertionError:
            outcomes.append("hung")
        except Exception as exc:  # what we want: the channel reports the broken peer
            outcomes.append(type(exc).__name__)

    server = OutboundServer("127.0.0.1", 0, app, max_connections=10)
    server.start()
    yield server, outcomes
    server.stop(timeout=1)


@pytest.mark.parametrize("name", sorted(BAD))
def test_outbound_server_errors_and_closes_on_malformed_input(outbound, name):
    server, outcomes = outbound
    client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        assert client.recv(65536).startswith(b"connect")     # the controller speaks first
        client.sendall(BAD[name])
        client.shutdown(socket.SHUT_WR)
        with gevent.Timeout(6, AssertionError("the server never closed the connection")):
            while client.recv(65536):
                pass
    finally:
        client.close()
    with gevent.Timeout(6, AssertionError("the application never returned")):
        while not outcomes:
            gevent.sleep(0.02)
    assert outcomes[0] not in ("connected", "hung"), outcomes


@pytest.mark.parametrize("name", sorted(BAD))
def test_switch_client_errors_closes_and_retries_on_malformed_input(name):
    """A bogus FreeSWITCH answers the auth request with garbage: the client gives the connection up,
    is not ready, and tries again (a second connection arrives) instead of hanging."""
    connections: list[int] = []

    def fake_switch(sock, _addr):
        connections.append(1)
        sock.sendall(b"Content-Type: auth/request\n\n")
        gevent.sleep(0.05)
        sock.sendall(BAD[name])
        try:
            sock.shutdown(socket.SHUT_WR)
            with gevent.Timeout(3, False):
                while sock.recv(65536):
                    pass
        except OSError:
            pass
        sock.close()

    server = StreamServer(("127.0.0.1", 0), fake_switch)
    server.start()
    client = SwitchClient("127.0.0.1", server.server_port, "ClueCon", reconnect_s=0.05)
    client.start()
    try:
        with gevent.Timeout(8, AssertionError("the client never retried")):
            while len(connections) < 2:
                gevent.sleep(0.02)
        assert not client.connected
    finally:
        client.stop()
        server.stop(timeout=1)
