"""Voice-activity frames -> speech segments, and segment arithmetic (union, intersection, gaps).

A segment is ``(start_s, end_s)`` with ``start_s < end_s``; lists are sorted and do not overlap.
"""
from __future__ import annotations

from typing import Iterable, Sequence

Segment = tuple[float, float]


def from_frames(flags: Iterable[bool], frame_s: float, merge_gap_s: float = 0.3,
                min_speech_s: float = 0.12, hangover_s: float = 0.0) -> list[Segment]:
    """Speech frames (one flag per ``frame_s``) as segments: pauses shorter than ``merge_gap_s`` inside
    a turn are bridged (the pause between words is not silence), bursts shorter than ``min_speech_s``
    (a click, a breath) are dropped, and ``hangover_s`` is taken off each end (a detector that keeps
    saying "speech" for a few frames after the speech stops: WebRTC's does)."""
    raw: list[Segment] = []
    start: float | None = None
    i = -1
    for i, speech in enumerate(flags):
        if speech and start is None:
            start = i * frame_s
        elif not speech and start is not None:
            raw.append((start, i * frame_s))
            start = None
    if start is not None:
        raw.append((start, (i + 1) * frame_s))
    merged: list[Segment] = []
    for seg in raw:
        if merged and seg[0] - merged[-1][1] < merge_gap_s:
            merged[-1] = (merged[-1][0], seg[1])
        else:
            merged.append(seg)
    trimmed = [(a, max(a, b - hangover_s)) for a, b in merged]
    return [(round(a, 3), round(b, 3)) for a, b in trimmed if b - a >= min_speech_s]


def total(segments: Sequence[Segment]) -> float:
    return sum(b - a for a, b in segments)


def union(*lists: Sequence[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for a, b in sorted(seg for segs in lists for seg in segs):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def intersection(left: Sequence[Segment], right: Sequence[Segment]) -> list[Segment]:
    out: list[Segment] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a < b:
            out.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def gaps(segments: Sequence[Segment], start: float, end: float) -> list[Segment]:
    """The parts of ``[start, end]`` no segment covers."""
    out: list[Segment] = []
    at = start
    for a, b in union(segments):
        if a > at:
            out.append((at, min(a, end)))
        at = max(at, b)
        if at >= end:
            break
    if at < end:
        out.append((at, end))
    return [(a, b) for a, b in out if b > a]
