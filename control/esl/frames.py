"""Event Socket frames, and encoders that write them byte for byte as FreeSWITCH 1.10/1.11 does.

Shared by the controller (reading) and the simulator (writing). Header order
matters to FreeSWITCH's own clients and to our recorded-session tests:
events put Content-Length first, replies put Content-Type first.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import unquote

DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

# FreeSWITCH's switch_url_encode: these are escaped, everything else passes through; a "%" that already
# starts an upper-case %XX escape is left alone. One regex pass: most values have nothing to escape.
_URL_UNSAFE = re.compile(r'%(?![0-9A-F]{2})|[\r\n #&+:;<=>?@\[\\\]^`{|}"]|[^\x20-\x7e]')


def url_encode(value: str) -> str:
    return _URL_UNSAFE.sub(_escape, value)


def _escape(match: re.Match) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8"))


class Frame:
    """One Event Socket frame: ordered headers plus an optional body."""

    __slots__ = ("headers", "body")

    def __init__(self, headers: dict[str, str], body: str = ""):
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def event_name(self) -> str | None:
        if self.content_type.startswith("text/event-"):
            return self.event().get("Event-Name")
        return self.headers.get("Event-Name")

    def event(self) -> dict[str, str]:
        """The event's own headers, decoded; an inner body is under ``_body``."""
        if self.content_type == "text/event-json":
            data = json.loads(self.body)
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        if self.content_type == "text/event-plain":
            return parse_plain_event(self.body)
        return dict(self.headers)

    def __repr__(self) -> str:
        return f"Frame({self.content_type or '?'}, {self.event_name or ''}, {len(self.body)} bytes)"


def event_pairs(body: str) -> list[tuple[str, str]]:
    """Headers of a plain event in order, duplicates kept (CHANNEL_HANGUP_COMPLETE repeats
    Hangup-Cause), url-decoded; an inner body comes last as ``("_body", text)``."""
    head, sep, rest = body.partition("\n\n")
    pairs: list[tuple[str, str]] = []
    length = None
    for line in head.split("\n"):
        if not line:
            continue
        name, _, value = line.partition(": ")
        if name == "Content-Length" and value.isdigit():
            length = int(value)
            continue
        pairs.append((name, unquote(value)))
    if sep and length is not None:
        pairs.append(("_body", rest[:length]))
    return pairs


def parse_plain_event(body: str) -> dict[str, str]:
    """The same as a dict: the first of duplicated headers wins."""
    headers: dict[str, str] = {}
    for name, value in event_pairs(body):
        headers.setdefault(name, value)
    return headers


def plain_header(body: str, name: str) -> str | None:
    """One header's raw (still url-encoded) value from a plain event's text, without parsing the
    others; the first of duplicated headers, never a line of an inner body."""
    prefix = name + ": "
    if body.startswith(prefix):
        start = 0
    else:
        start = body.find("\n" + prefix) + 1
        if start == 0:
            return None
        head_end = body.find("\n\n")
        if head_end != -1 and start > head_end:
            return None
    start += len(prefix)
    end = body.find("\n", start)
    return body[start:end if end != -1 else len(body)]


class PlainEvent(Mapping):
    """A plain event's headers, decoded on demand: a handler reads a few of an event's ~100
    headers, and decoding them all was a tenth of the controller's CPU under load
    (docs/benchmarks.md, Calls). Single lookups scan the text; iterating, ``len`` and the inner
    body (``_body``) decode everything once, with the same result as ``parse_plain_event``."""

    __slots__ = ("_text", "_all")
    _WHOLE = frozenset(("_body", "Content-Length"))   # need the full parse's rules

    def __init__(self, text: str):
        self._text = text
        self._all: dict[str, str] | None = None

    def _decoded(self) -> dict[str, str]:
        if self._all is None:
            self._all = parse_plain_event(self._text)
        return self._all

    def __getitem__(self, name: str) -> str:
        if self._all is not None or name in self._WHOLE:
            return self._decoded()[name]
        raw = plain_header(self._text, name)
        if raw is None:
            raise KeyError(name)
        return unquote(raw)

    def get(self, name: str, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        return self.get(name) is not None

    def __iter__(self):
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return f"PlainEvent({self.get('Event-Name')!r}, {len(self._text)} bytes)"


class Decoded(Mapping):
    """Headers already split (a ``connect`` reply's channel data), url-decoded on access."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, str]):
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        return unquote(self._raw[name])

    def get(self, name: str, default=None):
        raw = self._raw.get(name)
        return default if raw is None else unquote(raw)

    def __contains__(self, name) -> bool:
        return name in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _block(pairs) -> str:
    return "".join(f"{k}: {v}\n" for k, v in pairs) + "\n"


def encode_auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def encode_command_reply(text: str, extra_headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    return _block((("Content-Type", "command/reply"), ("Reply-Text", text), *extra_headers)).encode()


def encode_api_response(body: str) -> bytes:
    data = body.encode()
    return _block((("Content-Type", "api/response"), ("Content-Length", len(data)))).encode() + data


def _items(headers) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


def encode_event_plain(headers, body: str | None = None) -> bytes:
    """An event from a dict or (name, value) pairs: url-encoded headers; a job or other
    body after its own Content-Length."""
    text = "".join(f"{k}: {url_encode(str(v))}\n" for k, v in _items(headers))
    if body is not None:
        text += f"Content-Length: {len(body.encode())}\n\n{body}"
    else:
        text += "\n"
    data = text.encode()
    return _block((("Content-Length", len(data)), ("Content-Type", "text/event-plain"))).encode() + data


def encode_event_json(headers, body: str | None = None) -> bytes:
    """JSON event; written pair by pair because FreeSWITCH repeats some keys (Hangup-Cause)."""
    pairs = [(k, str(v)) for k, v in _items(headers)]
    if body is not None:
        pairs += [("Content-Length", str(len(body.encode()))), ("_body", body)]
    text = "{" + ",".join(f"{_json(k)}:{_json(v)}" for k, v in pairs) + "}"
    data = text.encode()
    return _block((("Content-Length", len(data)), ("Content-Type", "text/event-json"))).encode() + data


def _json(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_event_pairs(body: str) -> list[tuple[str, str]]:
    return json.loads(body, object_pairs_hook=lambda pairs: pairs)


def encode_channel_data_reply(headers) -> bytes:
    """The reply to ``connect`` on an outbound socket: CHANNEL_DATA headers, then the reply headers."""
    text = "".join(f"{k}: {url_encode(str(v))}\n" for k, v in _items(headers))
    text += "Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
    return text.encode()


def encode_linger_notice(uuid: str, channel_name: str, linger_time: int) -> bytes:
    return _block((("Content-Type", "text/disconnect-notice"), ("Controlled-Session-UUID", uuid),
                   ("Content-Disposition", "linger"), ("Channel-Name", channel_name),
                   ("Linger-Time", linger_time), ("Content-Length", 0))).encode()


def encode_disconnect_notice(uuid: str | None = None) -> bytes:
    pairs: list[tuple[str, str | int]] = [("Content-Type", "text/disconnect-notice")]
    if uuid:
        pairs += [("Controlled-Session-UUID", uuid), ("Content-Disposition", "disconnect")]
    pairs.append(("Content-Length", len(DISCONNECT_BODY)))
    return _block(pairs).encode() + DISCONNECT_BODY.encode()


def encode_sendmsg(uuid: str | None, app: str, arg: str | None = None, event_uuid: str | None = None) -> bytes:
    """``sendmsg [uuid]`` executing ``app``, as a controller sends it."""
    lines = [f"sendmsg {uuid}" if uuid else "sendmsg", "call-command: execute", f"execute-app-name: {app}"]
    if arg:
        lines.append(f"execute-app-arg: {arg}")
    if event_uuid:
        lines.append(f"Event-UUID: {event_uuid}")
    return ("\n".join(lines) + "\n\n").encode()


def encode_client_command(command: str, headers=()) -> bytes:
    """A controller command (``auth ClueCon``, ``api status``, ``linger 3``) with optional header lines."""
    return (command + "\n" + "".join(f"{k}: {v}\n" for k, v in _items(headers)) + "\n").encode()
