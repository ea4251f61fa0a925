"""What the interpreter asks the controller to do, one command at a time.

The controller executes a command over the Event Socket and feeds the result
back with ``FlowRun.resume(result, now)``. Every command is a frozen dataclass.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def wav_name(language: str, text: str) -> str:
    """File name `make prompts` renders a text prompt to (inside prompts_dir)."""
    return f"{language}-{text_hash(text)}.wav"


@dataclass(frozen=True)
class Prompt:
    """One thing to play: an audio ``file``, a ``text`` rendered to WAV, or a ``say`` item.

    For ``say`` the controller runs FreeSWITCH's ``say`` application:
    ``say <language> <say_type> <method> <text>``.
    """
    kind: str                       # "file" | "text" | "say"
    text: str = ""
    file: str = ""
    say_type: str = ""              # NUMBER, CURRENCY, TELEPHONE_NUMBER, ... (DIGITS = NUMBER iterated)
    method: str = ""                # pronounced | iterated | counted
    language: str = "en"

    @property
    def wav(self) -> str:
        """The rendered WAV name for a text prompt ('' for other kinds)."""
        return wav_name(self.language, self.text) if self.kind == "text" else ""


@dataclass(frozen=True)
class Play:
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class Collect:
    """One attempt at reading DTMF. Result: the digits (terminator stripped) or "" for no input.

    ``prompts`` is the whole prompt, played as one list by the same application that reads the
    digits, so a key pressed during its first word is kept. The interpreter asks for
    1..max_digits with a permissive regex and judges the entry itself, so an invalid entry and a
    timeout can be told apart.
    """
    prompts: tuple[Prompt, ...]
    invalid_prompt: Prompt | None
    min_digits: int
    max_digits: int
    timeout_ms: int
    terminators: str
    regex: str
    digit_timeout_ms: int
    var: str
    sensitive: bool = False         # card numbers and the like: the recording is masked meanwhile


@dataclass(frozen=True)
class Lookup:
    by: str                         # "caller" | "account"
    value: str                      # result: customer dict or None


@dataclass(frozen=True)
class QueryQueue:
    queue: str                      # result: {agents_available, agents_logged_in, waiting, estimated_wait_s}


@dataclass(frozen=True)
class EnterQueue:
    """Result when the caller leaves the queue: {"left": "answered"} ends the flow;
    {"left": "exit_key"|"overflow", "goto": target, "digit": d, "action": a} continues."""
    queue: str
    requirements: tuple[tuple[str, int], ...] = ()
    priority: int = 0
    language: str = "en"


@dataclass(frozen=True)
class SetChannelVars:
    vars: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.vars.items())))


@dataclass(frozen=True)
class Voicemail:
    box: str
    prompt: Prompt | None = None


@dataclass(frozen=True)
class Callback:
    number: str
    prompt: Prompt | None = None    # confirmation played after the request is recorded


@dataclass(frozen=True)
class Transfer:
    target: str
    kind: str = "extension"         # "extension" | "external"


@dataclass(frozen=True)
class Hangup:
    """Terminal: hang up with this cause. ``reason`` says why, for logs and the path."""
    cause: str = "NORMAL_CLEARING"
    reason: str = ""


@dataclass(frozen=True)
class Finished:
    """Terminal: the flow ended without hanging up (answered, voicemail left, transferred, ...)."""
    outcome: str = "self_service"


TERMINAL = (Hangup, Finished)
Command = Any  # one of the dataclasses above
