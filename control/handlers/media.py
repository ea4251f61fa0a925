"""Side effects on the caller's own channel: turn IVR commands into dialplan applications."""
from __future__ import annotations

import logging
import re
from typing import Any

from control.esl.outbound import OutboundChannel

log = logging.getLogger(__name__)

_SAFE_VAR = re.compile(r"^[A-Za-z0-9_]+$")


class Media:
    def __init__(self, channel: OutboundChannel, prompts_dir: str, language: str = "en"):
        self.channel = channel
        self.prompts_dir = prompts_dir
        self.language = language

    # -- prompts -----------------------------------------------------------
    def prompt_target(self, prompt: Any) -> tuple[str, str]:
        """(application, argument) that plays one prompt."""
        kind = _get(prompt, "kind")
        if kind == "say" or _get(prompt, "say_type"):
            lang = _get(prompt, "language") or self.language
            module = "en" if lang.startswith("en") else lang
            say_type = _get(prompt, "say_type") or "NUMBER"
            method = _get(prompt, "method") or "pronounced"
            return "say", f"{module} {say_type} {method} {_get(prompt, 'text')}"
        from control.ivr.prompts import prompt_path

        return "playback", prompt_path(prompt, self.language, self.prompts_dir)

    def play(self, prompts) -> None:
        for prompt in prompts or ():
            app, arg = self.prompt_target(prompt)
            self.channel.execute(app, arg)

    def collect(self, cmd) -> str:
        """One play_and_get_digits attempt; '' when nothing valid was entered."""
        var = cmd.var if _SAFE_VAR.match(cmd.var or "") else "hotline_digits"
        prompt = self._file_arg(cmd.prompt) or "silence_stream://250"
        invalid = self._file_arg(cmd.invalid_prompt) or "silence_stream://150"
        regex = cmd.regex or r"\d+"
        terminators = cmd.terminators or "none"
        args = (f"{cmd.min_digits} {cmd.max_digits} 1 {cmd.timeout_ms} {terminators} "
                f"{prompt} {invalid} {var} {regex} {cmd.digit_timeout_ms}")
        done = self.channel.execute("play_and_get_digits", args)
        return (done or {}).get(f"variable_{var}", "")

    def _file_arg(self, prompt) -> str | None:
        if prompt is None:
            return None
        app, arg = self.prompt_target(prompt)
        if app == "say":  # play_and_get_digits takes a file; speak numbers with say:
            return f"say:{arg}"
        return arg

    # -- call endings --------------------------------------------------------
    def voicemail(self, box: str, path: str, prompt=None, max_s: int = 120) -> None:
        if prompt is not None:
            self.play([prompt])
        self.channel.execute("set", "playback_terminators=#")
        self.channel.execute("record", f"{path} {max_s} 200 3")

    def transfer(self, target: str, kind: str, context: str = "internal") -> None:
        if kind == "external":
            self.channel.execute("transfer", f"{target} XML public-outbound")
        else:
            self.channel.execute("transfer", f"{target} XML {context}")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self.channel.execute("hangup", cause)

    def set_vars(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if _SAFE_VAR.match(str(key)):
                self.channel.execute("set", f"{key}={value}")


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
