"""The SSE generator: ready event, replay after an id, heartbeat on a quiet stream, masking."""
from __future__ import annotations

import json

from web import sse


class FakeStreams:
    """XADD/XREAD/XREVRANGE over a list, enough for web.sse."""

    def __init__(self):
        self.entries: list[tuple[bytes, dict]] = []
        self.blocks: list[int] = []

    def add(self, message: dict) -> str:
        sid = f"{len(self.entries) + 1}-0"
        self.entries.append((sid.encode(), {b"data": json.dumps(message).encode()}))
        return sid

    def xrevrange(self, key, count=None):
        return list(reversed(self.entries))[:count]

    def xread(self, streams, count=None, block=None):
        (key, last), = streams.items()
        major = int(last.split("-")[0])
        newer = [e for e in self.entries if int(e[0].split(b"-")[0]) > major][:count]
        if not newer:
            self.blocks.append(block)
            return []
        return [(key.encode(), newer)]


def parse(chunk: str) -> dict:
    out = {}
    for line in chunk.strip().splitlines():
        if line.startswith(":"):
            out["comment"] = line[1:].strip()
        else:
            k, _, v = line.partition(": ")
            out[k] = v
    return out


def test_fresh_connection_starts_at_the_newest_entry_and_says_where():
    r = FakeStreams()
    r.add({"type": "offer", "call_id": "old"})
    gen = sse.events(r, "k", None, heartbeat_s=15)
    assert next(gen).startswith("retry:")
    ready = parse(next(gen))
    assert ready["event"] == "ready" and ready["id"] == "1-0"
    assert parse(next(gen)) == {"comment": "heartbeat"}       # the old pop is not replayed
    assert r.blocks == [15000]
    r.add({"type": "offer", "call_id": "new"})
    got = parse(next(gen))
    assert got["id"] == "2-0" and json.loads(got["data"])["call_id"] == "new"


def test_last_event_id_replays_what_was_missed():
    r = FakeStreams()
    for i in range(3):
        r.add({"type": "offer", "call_id": f"c{i}"})
    gen = sse.events(r, "k", "1-0", heartbeat_s=15)
    next(gen)
    assert "resumed_from" in parse(next(gen))["data"]
    replayed = [json.loads(parse(next(gen))["data"]) for _ in range(2)]
    assert [m["call_id"] for m in replayed] == ["c1", "c2"]
    assert replayed[0]["stream_id"] == "2-0"


def test_transform_masks_and_frames_stay_single_line():
    r = FakeStreams()
    r.add({"type": "offer", "customer": {"name": "a\n\ndata: evil", "fields": {"ssn": "123456789"}}})
    from web.masking import mask_message

    gen = sse.events(r, "k", "0-0", 15, transform=lambda m: mask_message(m, "agent"))
    next(gen), next(gen)
    chunk = next(gen)
    assert chunk.count("\n\n") == 1 and chunk.endswith("\n\n")
    data = json.loads(parse(chunk)["data"])
    assert data["customer"]["name"] == "a\n\ndata: evil"
    assert data["customer"]["fields"]["ssn"] == "•••••6789"


def test_invalid_last_event_ids_are_ignored():
    assert sse.valid_id("1700000000000-3") == "1700000000000-3"
    for bad in ("", None, "$", "0", "1-2-3", "1-0\r\nx", "abc-1"):
        assert sse.valid_id(bad) is None
