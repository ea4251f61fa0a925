"""A scripted SIP-over-WebSocket peer for the browser phone's tests (RFC 7118 on RFC 6455): a small
stdlib WebSocket server on 127.0.0.1 that answers REGISTER (a digest challenge, then 200 OK) and lets
the test send an INVITE, ACK and BYE the way FreeSWITCH's webrtc profile does."""
from __future__ import annotations

import base64
import hashlib
import queue
import re
import socket
import struct
import threading
import uuid

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# An offer as FreeSWITCH sends it to a browser (media_webrtc): ICE, DTLS-SRTP, Opus and PCMU.
OFFER_SDP = """v=0
o=FreeSWITCH 1700000000 1700000001 IN IP4 127.0.0.1
s=FreeSWITCH
c=IN IP4 127.0.0.1
t=0 0
a=msid-semantic: WMS hotline
m=audio 20000 UDP/TLS/RTP/SAVPF 111 0 101
a=rtpmap:111 opus/48000/2
a=fmtp:111 useinbandfec=1; minptime=10
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=fingerprint:sha-256 2C:2F:6C:6F:E9:9F:92:54:73:5B:1F:3D:12:8D:8D:BD:9D:2C:74:69:E8:69:3C:5C:9E:47:1A:A0:A2:33:37:F8
a=setup:actpass
a=rtcp-mux
a=mid:0
a=sendrecv
a=ice-ufrag:hotlineufrag0001
a=ice-pwd:hotlineicepassword0000001
a=candidate:1 1 udp 2130706431 127.0.0.1 20000 typ host generation 0
a=ssrc:1234567 cname:hotline
a=ssrc:1234567 msid:hotline a0
""".replace("\n", "\r\n")


def header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*?)\r?$", message, re.M | re.I)
    return found.group(1) if found else ""


class SipWsPeer:
    def __init__(self, realm: str = "hotline.test", expires: int = 120):
        self.realm, self.expires = realm, expires
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.received: queue.Queue[str] = queue.Queue()
        self.conn: socket.socket | None = None
        self.registrations = 0
        self.refuse = False          # answer REGISTER with 403
        self.challenge: str | None = None   # a WWW-Authenticate header line to send (e.g. FreeSWITCH's, captured)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # -- WebSocket -------------------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = header(request.decode(), "Sec-WebSocket-Key")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: sip\r\n\r\n").encode())
        self.conn = conn
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while True:
                frame, buffer = self._frame(buffer)
                if frame is None:
                    break
                opcode, payload = frame
                if opcode == 8:
                    return
                if opcode == 1:
                    self._on_message(payload.decode())

    @staticmethod
    def _frame(data: bytes):
        if len(data) < 2:
            return None, data
        opcode, length, pos = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None, data
            length, pos = struct.unpack(">H", data[2:4])[0], 4
        elif length == 127:
            if len(data) < 10:
                return None, data
            length, pos = struct.unpack(">Q", data[2:10])[0], 10
        masked = data[1] & 0x80
        mask = data[pos:pos + 4] if masked else b""
        pos += 4 if masked else 0
        if len(data) < pos + length:
            return None, data
        payload = data[pos:pos + length]
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return (opcode, payload), data[pos + length:]

    def send(self, text: str) -> None:
        payload = text.encode()
        head = bytes([0x81]) + (bytes([len(payload)]) if len(payload) < 126 else
                                 bytes([126]) + struct.pack(">H", len(payload)))
        with self.lock:
            assert self.conn is not None, "no browser connected"
            self.conn.sendall(head + payload)

    def drop(self) -> None:
        """The network goes away: the connection closes without a word."""
        if self.conn is not None:
            self.conn.shutdown(socket.SHUT_RDWR)
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        self.drop()
        self.server.close()

    # -- SIP -------------------------------------------------------------------------------
    def _on_message(self, message: str) -> None:
        self.received.put(message)
        if message.startswith("REGISTER "):
            if self.refuse:
                self.send(self.response(message, "403 Forbidden"))
            elif "Authorization:" not in message:
                self.send(self.response(message, "401 Unauthorized", [self.challenge or
                    f'WWW-Authenticate: Digest realm="{self.realm}", nonce="{uuid.uuid4().hex}", algorithm=MD5, qop="auth"']))
            else:
                self.registrations += 1
                expires = self.expires if header(message, "Expires") != "0" else 0
                self.send(self.response(message, "200 OK", [f"Contact: {header(message, 'Contact')};expires={expires}"]))

    @staticmethod
    def response(request: str, status: str, extra: list[str] | None = None, body: str = "") -> str:
        lines = [f"SIP/2.0 {status}"]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            value = header(request, name)
            if name == "To" and ";tag=" not in value:
                value += ";tag=" + uuid.uuid4().hex[:10]
            lines.append(f"{name}: {value}")
        lines += extra or []
        lines += ["Server: Hotline test peer", f"Content-Length: {len(body.encode())}", "", body]
        return "\r\n".join(lines)

    def wait_for(self, start: str, timeout: float = 10.0) -> str:
        while True:
            message = self.received.get(timeout=timeout)
            if message.startswith(start):
                return message


class Dialog:
    """One call from the peer to the browser: INVITE, then ACK of its 200, DTMF and BYE."""

    def __init__(self, peer: SipWsPeer, user: str, caller: str = "+14155550100"):
        self.peer, self.user, self.caller = peer, user, caller
        self.call_id, self.tag, self.branch = uuid.uuid4().hex, uuid.uuid4().hex[:8], 0
        self.to = f"<sip:{user}@{peer.realm}>"
        self.cseq = 1

    def _via(self) -> str:
        self.branch += 1
        return f"Via: SIP/2.0/WSS 127.0.0.1:{self.peer.port};branch=z9hG4bK{self.call_id[:8]}{self.branch}"

    def _request(self, method: str, cseq: int, body: str = "", extra: list[str] | None = None) -> str:
        lines = [f"{method} sip:{self.user}@df7jal23ls0d.invalid;transport=ws SIP/2.0", self._via(), "Max-Forwards: 70",
                 f'From: "{self.caller}" <sip:{self.caller}@{self.peer.realm}>;tag={self.tag}', f"To: {self.to}",
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:mod_sofia@127.0.0.1:{self.peer.port};transport=ws>"]
        lines += extra or []
        if body:
            lines.append("Content-Type: application/sdp")
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        return "\r\n".join(lines)

    def invite(self, extra: list[str] | None = None) -> None:
        self.peer.send(self._request("INVITE", 1, OFFER_SDP, ["Allow: INVITE, ACK, BYE, CANCEL, INFO", *(extra or [])]))

    def answered(self, timeout: float = 10.0) -> str:
        while True:
            message = self.peer.wait_for("SIP/2.0 ", timeout)
            if header(message, "Call-ID") == self.call_id and message.startswith("SIP/2.0 200"):
                self.to = header(message, "To")
                return message

    def ack(self) -> None:
        self.peer.send(self._request("ACK", 1))

    def bye(self) -> None:
        self.cseq += 1
        self.peer.send(self._request("BYE", self.cseq))


def captured(path) -> list[tuple[str, str]]:
    """tests/captures/*.sip: (who, message) pairs, CRLFs as they went over the WebSocket."""
    text = open(path, encoding="utf-8", newline="").read()
    parts = re.split(r"^=== (browser|freeswitch) ===\n", text, flags=re.M)
    return [(parts[i], parts[i + 1][:-1]) for i in range(1, len(parts) - 1, 2)]


def retarget(message: str, uri: str, **headers: str) -> str:
    """A captured request sent again: its Request-URI and some headers replaced."""
    first, rest = message.split("\r\n", 1)
    method, _, version = first.split(" ")
    for name, value in headers.items():
        rest = re.sub(rf"^{name}:[^\r\n]*", lambda _: f"{name}: {value}", rest, count=1, flags=re.M | re.I)
    return f"{method} {uri} {version}\r\n{rest}"
