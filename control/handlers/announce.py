"""What a waiting caller hears: "you are number 3, about 2 minutes", per language."""
from __future__ import annotations

PHRASES = {
    "en": ("You are number", "in line. Your expected wait is about", "minutes."),
    "zh": ("您前面排队的位置是第", "位。预计等待时间大约", "分钟。"),
}

# Every fixed text the controller speaks, so `hotline prompts` can render them too.
ALL_TEXTS = {lang: list(words) for lang, words in PHRASES.items()}


def announcement(position: int, minutes: int, language: str) -> list[dict]:
    lang = language if language in PHRASES else "en"
    before, middle, after = PHRASES[lang]
    return [
        {"kind": "text", "text": before, "language": lang},
        {"kind": "say", "say_type": "NUMBER", "method": "pronounced", "text": str(position), "language": lang},
        {"kind": "text", "text": middle, "language": lang},
        {"kind": "say", "say_type": "NUMBER", "method": "pronounced", "text": str(minutes), "language": lang},
        {"kind": "text", "text": after, "language": lang},
    ]
