"""kamailio/kamailio.cfg, Kamailio's dispatcher in front of the media nodes, with Debian's kamailio
(`make test` installs it where missing; skipped without it):

- `kamailio -c` accepts the configuration;
- SIP through a real Kamailio on a loopback port of its own reaches two nodes (small SIP responders
  here in the test, standing in for FreeSWITCH): INVITEs are spread over both, and a node that stops
  answering its OPTIONS pings is taken out of the rotation; an INVITE that found it silent is tried
  on the other node.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port

# Debian puts it in /usr/sbin, which a non-root PATH may lack
KAMAILIO = shutil.which("kamailio") or next((p for p in ("/usr/sbin/kamailio",) if Path(p).exists()), None)
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (apt-get install kamailio)")]
ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "kamailio" / "kamailio.cfg"


def udp_port() -> int:
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class Node:
    """A media node as the dispatcher sees it: answers OPTIONS with 200 while healthy, answers an
    INVITE with 100 then 486 (the test needs no call), and counts the INVITEs it got."""

    def __init__(self):
        self.port = udp_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.settimeout(0.2)
        self.healthy, self.running = True, True
        self.invites: list[str] = []
        self.pings = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            text = data.decode(errors="replace")
            method = text.split(" ", 1)[0]
            if not self.healthy:
                continue                      # a dead node: no answer at all
            if method == "OPTIONS":
                self.pings += 1
                self.sock.sendto(reply(text, "200 OK"), peer)
            elif method == "INVITE":
                self.invites.append(header(text, "Call-ID"))
                self.sock.sendto(reply(text, "100 Trying"), peer)
                self.sock.sendto(reply(text, "486 Busy Here", tag=True), peer)

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


def header(message: str, name: str) -> str:
    for line in message.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def reply(request: str, status: str, tag: bool = False) -> bytes:
    lines = request.split("\r\n")
    keep = [line for line in lines if line.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq")]
    to = next(line for line in lines if line.lower().startswith("to:"))
    if tag and ";tag=" not in to:
        to += f";tag={uuid.uuid4().hex[:8]}"
    return ("\r\n".join([f"SIP/2.0 {status}", *keep, to, "Content-Length: 0", "", ""])).encode()


class Phone:
    """Sends INVITEs to Kamailio and reads the final answers."""

    def __init__(self, kamailio_port: int):
        self.target = ("127.0.0.1", kamailio_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def invite(self, timeout: float = 8.0) -> str:
        call_id, branch = uuid.uuid4().hex, f"z9hG4bK{uuid.uuid4().hex[:12]}"
        message = "\r\n".join([
            f"INVITE sip:5000@127.0.0.1:{self.target[1]} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
            "Max-Forwards: 70", f"From: <sip:+14155550100@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
            "To: <sip:5000@127.0.0.1>", f"Call-ID: {call_id}", "CSeq: 1 INVITE",
            f"Contact: <sip:+14155550100@127.0.0.1:{self.port}>", "Content-Length: 0", "", ""])
        self.sock.sendto(message.encode(), self.target)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            text = data.decode(errors="replace")
            code = text.split(" ", 2)[1] if text.startswith("SIP/2.0") else ""
            if header(text, "Call-ID") == call_id and code >= "200":
                return code
        return "timeout"

    def close(self) -> None:
        self.sock.close()


def test_kamailio_accepts_the_configuration(tmp_path):
    (tmp_path / "dispatcher.list").write_text("1 sip:127.0.0.1:5080\n1 sip:127.0.0.1:5081\n")
    done = subprocess.run([str(KAMAILIO), "-c", "-f", str(CONFIG), "-A", f'DS_LIST="{tmp_path / "dispatcher.list"}"'],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    shipped = subprocess.run([str(KAMAILIO), "-c", "-f", str(CONFIG)], capture_output=True, text=True, timeout=30)
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr   # with its defaults


@pytest.fixture
def kamailio(tmp_path):
    nodes = [Node(), Node()]
    (tmp_path / "dispatcher.list").write_text("".join(f"1 sip:127.0.0.1:{n.port}\n" for n in nodes))
    port = udp_port()
    log = open(tmp_path / "kamailio.log", "wb")
    proc = subprocess.Popen([str(KAMAILIO), "-DD", "-E", "-f", str(CONFIG), "-Y", str(tmp_path), "-m", "32", "-M", "8",
                             "-A", f"LISTEN=udp:127.0.0.1:{port}", "-A", f'DS_LIST="{tmp_path / "dispatcher.list"}"',
                             "-A", "DS_PING_INTERVAL=1"], stdout=log, stderr=subprocess.STDOUT)
    phone = Phone(port)
    try:
        deadline = time.monotonic() + 15
        while not all(n.pings for n in nodes):   # both nodes pinged: Kamailio is up
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("kamailio did not start:\n" + (tmp_path / "kamailio.log").read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        yield phone, nodes, tmp_path / "kamailio.log"
    finally:
        phone.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        for node in nodes:
            node.close()


def test_calls_are_spread_over_the_nodes_and_a_dead_node_is_skipped(kamailio):
    phone, (first, second), log = kamailio
    answers = [phone.invite() for _ in range(6)]
    assert answers == ["486"] * 6, log.read_text(errors="replace")[-3000:]
    assert len(first.invites) == 3 and len(second.invites) == 3          # round-robin

    second.healthy = False                                               # stops answering anything
    before = len(first.invites)
    answers = [phone.invite() for _ in range(4)]
    assert answers == ["486"] * 4, log.read_text(errors="replace")[-3000:]   # every call still reaches a node
    assert len(first.invites) - before == 4                              # all on the live node
    assert len(second.invites) == 3                                      # (the silent one logged none)

    second.healthy = True                                                # back: pinged, then in the rotation again
    time.sleep(2.5)
    answers = [phone.invite() for _ in range(4)]
    assert answers == ["486"] * 4
    assert len(second.invites) >= 4
