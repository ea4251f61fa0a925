"""Incremental Event Socket framing: bytes in, Frames out. No sockets here.

A frame is a block of ``Name: value`` lines ended by an empty line, followed by
exactly Content-Length bytes of body when that header is present.
"""
from __future__ import annotations

from control.esl.frames import Frame

MAX_HEADER_BYTES = 1 << 20
MAX_BODY_BYTES = 64 << 20


class ProtocolError(ValueError):
    """The peer sent something that is not Event Socket framing."""


class FrameParser:
    def __init__(self) -> None:
        self._buf = bytearray()
        self._headers: dict[str, str] | None = None
        self._need = 0

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        pos = 0   # consumed so far; the buffer is cut once per feed, not once per frame
        frames: list[Frame] = []
        try:
            while True:
                if self._headers is None:
                    end = buf.find(b"\n\n", pos)
                    if end < 0:
                        if len(buf) - pos > MAX_HEADER_BYTES:
                            raise ProtocolError(f"header block longer than {MAX_HEADER_BYTES} bytes")
                        return frames
                    block = bytes(buf[pos:end])
                    pos = end + 2
                    if not block.strip(b"\n"):
                        continue  # stray blank lines between frames
                    self._headers = self._parse_headers(block)
                    self._need = self._content_length(self._headers)
                if len(buf) - pos < self._need:
                    return frames
                body = bytes(buf[pos:pos + self._need])
                pos += self._need
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ProtocolError(f"body is not UTF-8: {exc}") from None
                frames.append(Frame(self._headers, text))
                self._headers, self._need = None, 0
        finally:
            del buf[:pos]

    @staticmethod
    def _parse_headers(block: bytes) -> dict[str, str]:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"header block is not UTF-8: {exc}") from None
        headers: dict[str, str] = {}
        for line in text.lstrip("\n").split("\n"):
            name, sep, value = line.partition(": ")
            if not sep:
                name, sep, value = line.partition(":")
            if not sep or not name or not name.isprintable() or " " in name or "\t" in name or "\r" in name:
                raise ProtocolError(f"not an Event Socket header line: {line[:80]!r}")
            headers[name] = value
        return headers

    @staticmethod
    def _content_length(headers: dict[str, str]) -> int:
        raw = headers.get("Content-Length")
        if raw is None:
            return 0
        if not raw.strip().isdigit():
            raise ProtocolError(f"bad Content-Length {raw!r}")
        length = int(raw)
        if length > MAX_BODY_BYTES:
            raise ProtocolError(f"Content-Length {length} over the {MAX_BODY_BYTES}-byte limit")
        return length

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame (for truncation checks)."""
        return len(self._buf)
