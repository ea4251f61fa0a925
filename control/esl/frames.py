"""Event Socket frames, and encoders that write them byte for byte as FreeSWITCH 1.10/1.11 does.

Shared by the controller (reading) and the simulator (writing). Header order
matters to FreeSWITCH's own clients and to our recorded-session tests:
events put Content-Length first, replies put Content-Type first.
"""
from __future__ import annotations

import json
from urllib.parse import unquote

DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

# FreeSWITCH's switch_url_encode: these are escaped, everything else passes through.
_URL_UNSAFE = set("\r\n #%&+:;<=>?@[\\]^`{|}\"")


def url_encode(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch == "%" and len(value) >= i + 3 and _is_upper_hex(value[i + 1:i + 3]):
            out.append(ch)  # already encoded: FreeSWITCH leaves %XX alone
        elif ch in _URL_UNSAFE or ord(ch) < 32 or ord(ch) > 126:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _is_upper_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789ABCDEF" for c in text)


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
    pairs = [("Content-Type", "text/disconnect-notice")]
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
