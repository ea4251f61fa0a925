"""The speech-to-text port: an engine turns one side's audio into words with their times. Engines are
chosen by language; a language without one gets no transcript, only the acoustic metrics
(docs/quality.md, Transcripts)."""
from __future__ import annotations

from array import array
from typing import Protocol, Sequence

from control.domain.quality.phrases import Word
from control.domain.quality.segments import Segment


class Transcriber(Protocol):
    languages: tuple[str, ...]

    def transcribe(self, samples: array, rate: int, segments: Sequence[Segment]) -> Sequence[Word]:
        """16-bit mono samples at ``rate`` Hz -> words in order, each with its start in seconds from the
        start of ``samples``. ``segments`` are where the detector heard speech: an engine may decode
        only those."""
        ...


def unavailable(language: str | None) -> str:
    return f"not available for {language or 'an unknown language'}"


def pick(engines: Sequence[Transcriber], language: str | None) -> Transcriber | None:
    """The first engine for the call's language (``en-US`` uses an ``en`` engine)."""
    base = (language or "").split("-")[0].split("_")[0].lower()
    return next((e for e in engines if base in e.languages), None)
