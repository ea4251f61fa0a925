"""What a waiting caller hears: "you are number 3, about 2 minutes", per language."""
from __future__ import annotations

from control.ivr.commands import Prompt

PHRASES = {
    "en": ("You are number", "in line. Your expected wait is about", "minutes."),
    "zh": ("您前面排队的位置是第", "位。预计等待时间大约", "分钟。"),
}



def fixed_texts() -> set[tuple[str, str]]:
    """Every (language, text) the controller speaks outside flows, for `hotline prompts`."""
    return {(lang, text) for lang, words in PHRASES.items() for text in words}


def announcement(position: int, minutes: int, language: str) -> list[Prompt]:
    lang = language if language in PHRASES else "en"
    before, middle, after = PHRASES[lang]
    return [
        Prompt("text", before, language=lang),
        Prompt("say", str(position), say_type="NUMBER", method="pronounced", language=lang),
        Prompt("text", middle, language=lang),
        Prompt("say", str(minutes), say_type="NUMBER", method="pronounced", language=lang),
        Prompt("text", after, language=lang),
    ]
