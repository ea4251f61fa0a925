"""Play FreeSWITCH's side of a recorded outbound session against a live controller socket.

The replayer connects like FreeSWITCH's ``socket`` application would, then walks
the capture: for each command the controller sent in the recording it reads the
controller's real command and checks it has the same verb and application; for
each frame FreeSWITCH sent it sends the recorded bytes, with the recorded
Event-UUIDs replaced by the ones our controller chose (same length, so every
Content-Length stays true).
"""
from __future__ import annotations

import re

import gevent
from gevent import socket

from tests.capture_data import entries

EVENT_UUID = re.compile(r"^Event-UUID: (\S+)$", re.M)


def _verb(command: str) -> tuple[str, str | None]:
    first = command.split("\n", 1)[0].split(" ")[0]
    app = re.search(r"^execute-app-name: (\S+)$", command, re.M)
    return first, app.group(1) if app else None


def replay_outbound(name: str, port: int, timeout: float = 10.0) -> list[str]:
    """Connect as FreeSWITCH's socket application; returns the commands our controller sent."""
    return replay(name, socket.create_connection(("127.0.0.1", port)), timeout)


def serve_inbound(name: str, timeout: float = 10.0):
    """Listen as FreeSWITCH's port 8021; returns (port, greenlet giving the commands sent)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run():
        conn, _ = listener.accept()
        listener.close()
        return replay(name, conn, timeout)

    return listener.getsockname()[1], gevent.spawn(run)


def replay(name: str, sock, timeout: float = 10.0) -> list[str]:
    buf, sent, mapping = b"", [], {}
    try:
        with gevent.Timeout(timeout):
            for entry in entries(name):
                if entry["dir"] == "to_fs":
                    while b"\n\n" not in buf:
                        chunk = sock.recv(65536)
                        if not chunk:
                            raise AssertionError(f"controller closed before sending {entry['data']!r}")
                        buf += chunk
                    raw, buf = buf.split(b"\n\n", 1)
                    ours = raw.decode() + "\n\n"
                    sent.append(ours)
                    if _verb(ours) != _verb(entry["data"]):
                        raise AssertionError(f"expected {_verb(entry['data'])}, controller sent {ours!r}")
                    recorded, actual = EVENT_UUID.search(entry["data"]), EVENT_UUID.search(ours)
                    if recorded and actual:
                        mapping[recorded.group(1)] = actual.group(1)
                else:
                    data = entry["data"]
                    for old, new in mapping.items():
                        data = data.replace(old, new)
                    sock.sendall(data.encode())
    finally:
        sock.close()
    return sent
