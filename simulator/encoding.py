"""Writing the simulator's events: the same bytes as control.esl.frames' encode_event_plain and
encode_event_json, for less CPU. The simulator runs beside the controller it measures in
``hotline bench calls``, so its cost is taken from the controller.

An emitted event is encoded once per format, however many sessions it goes to, and header values
(UUIDs, names, constants and timestamps that recur event after event) are url-encoded once and
remembered.
"""
from __future__ import annotations

from control.esl import frames as F


class Remembered:
    """A bounded memo that keeps what was used lately: when ``young`` is full it becomes ``old``
    (the one before is dropped), and what is found in ``old`` moves back into ``young``."""

    def __init__(self, size: int):
        self.size = size
        self.young: dict = {}
        self.old: dict = {}

    def get(self, key):
        value = self.young.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key, value) -> None:
        if len(self.young) >= self.size:
            self.old, self.young = self.young, {}
        self.young[key] = value


# ~150 distinct header lines per live channel; what a channel reuses between its events stays
_VALUES = Remembered(50_000)
_LINES = Remembered(100_000)
_EVERY_TIME_NEW = frozenset(("Event-Sequence", "Event-Date-Timestamp"))


def url_encode(value) -> str:
    """``frames.url_encode(str(value))``; strings are remembered (not ints: ``1 == True``)."""
    if type(value) is not str:
        return F.url_encode(str(value))
    encoded = _VALUES.get(value)
    if encoded is None:
        encoded = F.url_encode(value)
        _VALUES.put(value, encoded)
    return encoded


def _lines(headers) -> list[str]:
    """Each header's line, remembered by its (name, value) pair, but for the headers new in every event."""
    items = headers.items() if isinstance(headers, dict) else headers
    young = _LINES.young.get
    lines = []
    append = lines.append
    try:
        for pair in items:
            line = young(pair)
            if line is None:
                line = _LINES.get(pair)
                if line is None:
                    k, v = pair
                    line = f"{k}: {url_encode(v)}\n"
                    if type(v) is str and k not in _EVERY_TIME_NEW:     # not ints: ("X", 1) == ("X", True)
                        _LINES.put(pair, line)
            append(line)
    except TypeError:       # a pair that is a list, or a value that cannot be hashed
        return [f"{k}: {url_encode(v)}\n" for k, v in items]
    return lines


def encode_event_plain(headers, body: str | None = None) -> bytes:
    """Byte for byte ``frames.encode_event_plain(headers, body)``."""
    lines = _lines(headers)
    append = lines.append
    if body is not None:
        append(f"Content-Length: {len(body.encode())}\n\n{body}")
    else:
        append("\n")
    data = "".join(lines).encode()
    return f"Content-Length: {len(data)}\nContent-Type: text/event-plain\n\n".encode() + data


def encode_channel_data_reply(headers) -> bytes:
    """Byte for byte ``frames.encode_channel_data_reply(headers)``."""
    lines = _lines(headers)
    lines.append("Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
    return "".join(lines).encode()


class OutEvent:
    """One emitted event, encoded on first need in each format and shared by the sessions it goes to."""

    __slots__ = ("name", "pairs", "body", "_plain", "_json")

    def __init__(self, name: str, pairs, body: str | None = None):
        self.name, self.pairs, self.body = name, pairs, body
        self._plain: bytes | None = None
        self._json: bytes | None = None

    def plain(self) -> bytes:
        if self._plain is None:
            self._plain = encode_event_plain(self.pairs, self.body)
        return self._plain

    def json(self) -> bytes:
        if self._json is None:
            self._json = F.encode_event_json(self.pairs, self.body)
        return self._json
