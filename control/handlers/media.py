"""Side effects on the caller's own channel: turn IVR commands into dialplan applications."""
from __future__ import annotations

import logging
import re
from typing import Any

from control.esl import commands
from control.esl.outbound import OutboundChannel

log = logging.getLogger(__name__)

_SAFE_VAR = re.compile(r"^[A-Za-z0-9_]+$")
SAY_MACRO = "hotline_say"   # the phrase macro in each freeswitch-conf/lang/*.xml that says TYPE:method:text


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
            module = self.say_language(prompt)
            say_type = _get(prompt, "say_type") or "NUMBER"
            method = _get(prompt, "method") or "pronounced"
            return "say", f"{module} {say_type} {method} {_get(prompt, 'text')}"
        from control.ivr.prompts import prompt_path

        return "playback", prompt_path(prompt, self.language, self.prompts_dir)

    def play(self, prompts) -> None:
        for prompt in prompts or ():
            app, arg = self.prompt_target(prompt)
            self.channel.execute(app, arg)

    def play_as_one(self, prompts) -> None:
        """Every prompt in one ``playback`` (``prompt_list``): whatever takes the channel meanwhile
        (an agent's bridge) ends all of it. Part by part, the parts left would be played after the
        bridge, taking the caller out of it (seen on the real switch: a position announcement)."""
        target = self.prompt_list(prompts)
        if target:
            self.channel.execute("playback", target)

    def collect(self, cmd) -> str:
        """One play_and_get_digits attempt over the whole prompt; '' when nothing was entered.

        An entry the switch's regex refused is in ``<var>_invalid``: it is returned too, so the
        interpreter calls it invalid rather than no input."""
        var = cmd.var if _SAFE_VAR.match(cmd.var or "") else "hotline_digits"
        prompt = self.prompt_list(cmd.prompts) or "silence_stream://250"
        invalid = self._file_arg(cmd.invalid_prompt) or "silence_stream://150"
        args = commands.play_and_get_digits(cmd.min_digits, cmd.max_digits, cmd.timeout_ms, cmd.terminators,
                                            prompt, invalid, var, cmd.regex or r"\d+", cmd.digit_timeout_ms)
        done = self.channel.execute("play_and_get_digits", args) or {}
        return done.get(f"variable_{var}") or done.get(f"variable_{var}_invalid") or ""

    def prompt_list(self, prompts) -> str | None:
        """One file argument that plays every prompt in turn, for an application that reads keys
        meanwhile (play_and_get_digits keeps a key pressed during any part; playback drops it).

        Files only: ``file_string://a.wav!b.wav`` (mod_dptools' file_string format). With a ``say``
        item: the parts joined by ``!`` with the channel's ``playback_delimiter`` set to ``!``, and
        each say item as ``phrase:hotline_say:TYPE:method:text``, a phrase macro of the language
        (freeswitch-conf/lang/*.xml) that runs its say module; ``language`` names that language."""
        prompts = [p for p in prompts or () if p is not None]
        if not prompts:
            return None
        says = [p for p in prompts if self.prompt_target(p)[0] == "say"]
        if not says:
            paths = [self.prompt_target(p)[1] for p in prompts]
            return paths[0] if len(paths) == 1 else "file_string://" + "!".join(paths)
        self.channel.execute("set", "playback_delimiter=!")
        self.channel.execute("set", f"language={self.say_language(says[0])}")
        return "!".join(self._phrase_part(p) for p in prompts)

    def say_language(self, prompt: Any) -> str:
        """The language section (and say module) FreeSWITCH speaks a say item with."""
        lang = _get(prompt, "language") or self.language
        return "en" if lang.startswith("en") else lang

    def _phrase_part(self, prompt: Any) -> str:
        app, arg = self.prompt_target(prompt)
        if app != "say":
            return arg
        say_type = _get(prompt, "say_type") or "NUMBER"
        method = _get(prompt, "method") or "pronounced"
        text = "".join(str(_get(prompt, "text")).split())   # play_and_get_digits splits its arguments on spaces
        return f"phrase:{SAY_MACRO}:{say_type}:{method}:{text}"

    def _file_arg(self, prompt) -> str | None:
        if prompt is None:
            return None
        return self.prompt_list([prompt])

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
