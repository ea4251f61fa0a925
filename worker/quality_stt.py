"""Speech-to-text engines for the quality job (the port: control/domain/quality/transcripts.py).

English: PocketSphinx (``pocketsphinx`` from PyPI, CMU's offline recogniser), which ships its US
English acoustic model, dictionary and language model inside the wheel: it runs on the CPU and
downloads nothing. Its model is 16 kHz, so telephone audio (8 kHz) is upsampled by linear
interpolation first; narrowband audio has no energy above 4 kHz, so expect more mistakes on it than on
wideband recordings (docs/quality.md, Transcripts). Only the parts the voice-activity detector marked as
speech are decoded, each as one utterance, with 0.2 s of context either side.

No engine is configured for other languages (Chinese: PocketSphinx has no Mandarin model in its wheel);
their calls get the acoustic metrics and a transcript status "not available for <language>".
"""
from __future__ import annotations

import re
from array import array
from functools import lru_cache
from typing import Sequence

from control.domain.quality.phrases import Word
from control.domain.quality.segments import Segment
from control.domain.quality.transcripts import Transcriber

MODEL_RATE = 16000
PAD_S = 0.2
_FILLER = re.compile(r"^(<.*>|\[.*\])$")       # <s>, </s>, <sil>, [NOISE], [SPEECH]...


def upsample(samples: array, rate: int) -> array:
    """To the model's 16 kHz: linear interpolation (or nearest sample when coming down)."""
    if rate == MODEL_RATE or not samples:
        return samples
    step = rate / MODEL_RATE
    n = int(len(samples) / step)
    last = len(samples) - 1
    out = array("h", bytes(2 * n))
    for i in range(n):
        pos = i * step
        j = int(pos)
        frac = pos - j
        out[i] = samples[j] if frac == 0 or j >= last else int(samples[j] + (samples[j + 1] - samples[j]) * frac)
    return out


@lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder

    return Decoder(samprate=MODEL_RATE, loglevel="FATAL")


class PocketSphinx:
    languages: tuple[str, ...] = ("en",)

    def transcribe(self, samples: array, rate: int, segments: Sequence[Segment]) -> list[Word]:
        decoder = _decoder()
        frate = int(decoder.config["frate"])
        words: list[Word] = []
        for start, end in segments:
            lo = max(0.0, start - PAD_S)
            piece = upsample(samples[int(lo * rate):int((end + PAD_S) * rate)], rate)
            decoder.start_utt()
            decoder.process_raw(piece.tobytes(), full_utt=True)
            decoder.end_utt()
            for seg in decoder.seg() or ():
                word = seg.word.split("(")[0]
                if not _FILLER.match(word):
                    words.append(Word(word.lower(), round(lo + seg.start_frame / frate, 2)))
        return words


def engines() -> list[Transcriber]:
    return [PocketSphinx()]
