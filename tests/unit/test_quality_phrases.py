"""Phrase spotting on transcripts (pure): tolerant for required phrases, exact for forbidden ones."""
from __future__ import annotations

from control.domain.quality.phrases import PhraseRule, Word, spot, tokens
from control.domain.quality.transcripts import pick, unavailable


def words(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [Word(t, start + i * step) for i, t in enumerate(tokens(text))]


GREETING = PhraseRule("greeting", ("thank you for calling",), within_s=10)
FORBIDDEN = PhraseRule("forbidden", ("stupid", "shut up"), kind="forbidden")


def test_a_greeting_with_one_word_misheard_is_found():
    hit = spot([GREETING], {"agent": words("and you for calling hotline my name is alice")})["greeting"]
    assert hit["found"] and hit["ok"] and hit["side"] == "agent" and hit["at_s"] == 0.3   # from "you"


def test_a_greeting_too_late_or_by_the_caller_does_not_count():
    late = spot([GREETING], {"agent": words("thank you for calling", start=30)})
    assert late["greeting"]["found"] is False and late["greeting"]["ok"] is False
    caller = spot([GREETING], {"caller": words("thank you for calling")})
    assert caller["greeting"]["ok"] is False


def test_forbidden_words_need_every_word_and_a_clean_call_raises_nothing():
    assert spot([FORBIDDEN], {"agent": words("that is a stupid question")})["forbidden"]["ok"] is False
    assert spot([FORBIDDEN], {"agent": words("please shut the door up")})["forbidden"]["ok"] is True
    assert spot([FORBIDDEN], {"agent": words("how can i help you today")})["forbidden"]["ok"] is True


def test_engines_are_picked_by_language():
    class En:
        languages = ("en",)

        def transcribe(self, samples, rate, segments):
            return []

    assert pick([En()], "en-US") is not None and pick([En()], "zh") is None
    assert unavailable("zh") == "not available for zh"
