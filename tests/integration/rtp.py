"""A phone's media for the real-switch tests: a UDP socket that speaks RTP (PCMU, RFC 2833
telephone-events) the way a SIP phone or a trunk does, sends a tone of its own as its "voice",
and keeps what it hears so a test can ask who was heard (Goertzel power at each voice's
frequency). SIPp carries the signalling and points its SDP at this socket; see
control/bench/sipp.py."""
from __future__ import annotations

import math
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

RATE = 8000
FRAME = 160                 # 20 ms of PCMU
PCMU, TELEPHONE_EVENT = 0, 101
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}


def _ulaw_encode(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample


ULAW_TO_LINEAR = [_ulaw_decode(b) for b in range(256)]


def tone_frames(hz: float | None, level: float = 6000.0) -> list[bytes]:
    """One second of PCMU frames of a sine (silence when hz is None), to loop."""
    samples = [int(level * math.sin(2 * math.pi * hz * n / RATE)) if hz else 0 for n in range(RATE)]
    encoded = bytes(_ulaw_encode(s) for s in samples)
    return [encoded[i:i + FRAME] for i in range(0, RATE, FRAME)]


def power_at(samples: list[int], hz: float) -> float:
    """Goertzel: the share of the window's energy at ``hz`` (0..~1)."""
    if not samples:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * hz / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    tone = s1 * s1 + s2 * s2 - coeff * s1 * s2
    total = sum(x * x for x in samples) * len(samples) / 2
    return tone / total if total else 0.0


@dataclass
class Received:
    at: float
    payload_type: int
    payload: bytes


@dataclass
class RtpPeer:
    """Sends its tone every 20 ms to where the switch's RTP comes from (symmetric RTP, as phones
    behind the switch's own comedia), and records every packet it receives."""
    ip: str = "127.0.0.1"
    hz: float | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.ip, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.remote: tuple[str, int] | None = None
        self._frames = tone_frames(self.hz)
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._dtmf: list[str] = []
        self._muted = False
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._receive, daemon=True),
                         threading.Thread(target=self._send, daemon=True)]
        for thread in self._threads:
            thread.start()

    # -- what a test does -----------------------------------------------------------------
    def press(self, digits: str) -> None:
        """RFC 2833 events, each held 100 ms with 60 ms between (as a phone's keypad sends)."""
        self._dtmf.extend(digits)

    def mute(self, muted: bool = True) -> None:
        self._muted = muted

    def first_audio_at(self, after: float = 0.0) -> float | None:
        for packet in self.received:
            if packet.at >= after and packet.payload_type == PCMU:
                return packet.at
        return None

    def audio(self, since: float, until: float | None = None) -> list[int]:
        until = until if until is not None else time.time()
        return [ULAW_TO_LINEAR[b] for p in list(self.received)
                if p.payload_type == PCMU and since <= p.at <= until for b in p.payload]

    def hears(self, hz: float, since: float, until: float | None = None, share: float = 0.05) -> bool:
        """Whether a voice at ``hz`` is a real part of what arrived in the window."""
        return power_at(self.audio(since, until), hz) >= share

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self.sock.close()

    # -- the socket -----------------------------------------------------------------------
    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            self.remote = source
            self.received.append(Received(time.time(), data[1] & 0x7F, data[12:]))

    def _packet(self, payload_type: int, payload: bytes, marker: bool = False, advance: bool = True) -> bytes:
        self._seq = (self._seq + 1) & 0xFFFF
        if advance:
            self._ts = (self._ts + FRAME) & 0xFFFFFFFF
        return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, self._seq, self._ts,
                           self._ssrc) + payload

    def _send(self) -> None:
        tick, n = time.time(), 0
        while not self._stop.is_set():
            if self.remote is not None:
                if self._dtmf:
                    self._send_event(self._dtmf.pop(0))
                    tick = time.time()
                    continue
                frame = self._frames[n % len(self._frames)] if not self._muted else tone_frames(None)[0]
                self._sendto(self._packet(PCMU, frame))
                n += 1
            tick += FRAME / RATE
            time.sleep(max(0.0, tick - time.time()))

    def _send_event(self, digit: str) -> None:
        """RFC 4733: one timestamp for the whole event, growing duration, the end packet three times."""
        event = DTMF_EVENTS[digit.upper()]
        self._ts = (self._ts + FRAME) & 0xFFFFFFFF
        steps = 5      # 100 ms
        for step in range(1, steps + 1):
            payload = struct.pack("!BBH", event, 10, step * FRAME)
            self._sendto(self._packet(TELEPHONE_EVENT, payload, marker=step == 1, advance=False))
            time.sleep(FRAME / RATE)
        end = struct.pack("!BBH", event, 0x80 | 10, steps * FRAME)
        for _ in range(3):
            self._sendto(self._packet(TELEPHONE_EVENT, end, advance=False))
        self._ts = (self._ts + steps * FRAME) & 0xFFFFFFFF
        silence = tone_frames(None)[0]
        for _ in range(3):     # 60 ms between keys
            self._sendto(self._packet(PCMU, silence))
            time.sleep(FRAME / RATE)

    def _sendto(self, packet: bytes) -> None:
        try:
            if self.remote is not None:
                self.sock.sendto(packet, self.remote)
        except OSError:
            pass
