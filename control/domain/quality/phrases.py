"""Phrase spotting on a call's transcript: the greeting said, the required disclosure said, forbidden
words not said (docs/quality.md, Phrases).

Speech-to-text makes mistakes, so a required phrase is found when at least ``min_match`` of its
words appear in order within a window a little longer than the phrase ("and you for calling" finds
"thank you for calling" at 0.75). Forbidden phrases need every word, side by side (``min_match`` 1.0 by
default), so a clean call raises no false alarm.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

SIDES = ("agent", "caller", "any")
KINDS = ("required", "forbidden")
SLACK_WORDS = 2     # a phrase may be spread over this many extra words


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float = 0.0


@dataclass(frozen=True)
class PhraseRule:
    name: str
    phrases: tuple[str, ...]
    kind: str = "required"
    side: str = "agent"
    within_s: float | None = None      # required within this many seconds of the start of the call
    min_match: float | None = None     # None: 0.75 for required, 1.0 for forbidden

    @property
    def threshold(self) -> float:
        if self.min_match is not None:
            return self.min_match
        return 0.75 if self.kind == "required" else 1.0


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _match_at(words: Sequence[Word], i: int, wanted: Sequence[str], slack: int) -> int:
    """How many of ``wanted`` appear in order in the window starting at word ``i`` (whose word must be one
    of the first two wanted: a match starts at the phrase's start)."""
    window = [w.text for w in words[i:i + len(wanted) + slack]]
    if not window or window[0] not in wanted[:2]:
        return 0
    found, at = 0, 0
    for token in wanted:
        try:
            at = window.index(token, at) + 1
            found += 1
        except ValueError:
            continue
    return found


def find(words: Sequence[Word], phrase: str, threshold: float) -> Word | None:
    wanted = tokens(phrase)
    if not wanted:
        return None
    need = max(1, -(-int(threshold * 1000) * len(wanted) // 1000))   # ceil(threshold * len)
    slack = SLACK_WORDS if threshold < 1 else 0      # an exact phrase is its words, side by side
    for i in range(len(words)):
        if _match_at(words, i, wanted, slack) >= need:
            return words[i]
    return None


def spot_rule(rule: PhraseRule, transcript: Mapping[str, Sequence[Word]]) -> dict[str, Any]:
    sides = ("agent", "caller") if rule.side == "any" else (rule.side,)
    for side in sides:
        words = [w for w in transcript.get(side, ()) if rule.within_s is None or w.start_s <= rule.within_s]
        for phrase in rule.phrases:
            hit = find(words, phrase, rule.threshold)
            if hit is not None:
                return {"found": True, "ok": rule.kind == "required", "phrase": phrase, "side": side,
                        "at_s": round(hit.start_s, 2), "kind": rule.kind}
    return {"found": False, "ok": rule.kind == "forbidden", "phrase": None, "side": None, "at_s": None,
            "kind": rule.kind}


def spot(rules: Sequence[PhraseRule], transcript: Mapping[str, Sequence[Word]]) -> dict[str, dict[str, Any]]:
    return {rule.name: spot_rule(rule, transcript) for rule in rules}
