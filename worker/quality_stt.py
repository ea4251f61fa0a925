"""Speech-to-text engines (the port: control/domain/quality/transcripts.py). Part 2 adds PocketSphinx."""
from __future__ import annotations

from control.domain.quality.transcripts import Transcriber


def engines() -> list[Transcriber]:
    return []
