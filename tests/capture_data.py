"""Load the recorded Event Socket sessions in tests/captures/."""
from __future__ import annotations

import json
from pathlib import Path

CAPTURES = Path(__file__).parent / "captures"


def names() -> list[str]:
    return sorted(p.stem for p in CAPTURES.glob("*.jsonl"))


def entries(name: str) -> list[dict]:
    with open(CAPTURES / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def from_fs(name: str) -> list[str]:
    return [e["data"] for e in entries(name) if e["dir"] == "from_fs"]


def to_fs(name: str) -> list[str]:
    return [e["data"] for e in entries(name) if e["dir"] == "to_fs"]


def index() -> dict:
    return json.loads((CAPTURES / "index.json").read_text())
