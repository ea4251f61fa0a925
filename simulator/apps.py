"""Dialplan applications run on a channel (sendmsg execute, or originate's &app())."""
from __future__ import annotations

import logging
import re

import gevent
from gevent.queue import Empty

from simulator import people
from simulator.fs_strings import api_args

VAR = re.compile(r"\$\{([^}]+)\}")
log = logging.getLogger(__name__)


def expand(text: str, variables: dict) -> str:
    return VAR.sub(lambda m: variables.get(m.group(1), ""), text)


def media_seconds(ch, path: str) -> float | None:
    """How long a file plays; None means until broken (music on hold)."""
    if path.startswith("local_stream://"):
        return None
    if path.startswith("tone_stream://"):
        total = 0
        for on, off in re.findall(r"%\((\d+),(\d+)", path):
            total += int(on) + int(off)
        return total / 1000 if total else ch.switch.media_s
    if path.startswith("silence_stream://"):
        ms = int(re.match(r"silence_stream://(-?\d+)", path).group(1) or 0)
        return None if ms < 0 else ms / 1000
    return ch.switch.media_s


def run_app(ch, app: str, arg: str | None, app_uuid: str) -> None:
    ch.interrupt.clear()
    if app == "__uuid_bridge__":
        _uuid_bridged(ch, arg)
        return
    data = expand(arg, ch.vars) if arg else None
    ch.vars["current_application"] = app
    if data is not None:
        ch.vars["current_application_data"] = data
    tail = [("Application", app)] + ([("Application-Data", data)] if data is not None else [])
    ch.emit("CHANNEL_EXECUTE", extra=tail + [("Application-UUID", app_uuid)])
    handler = APPS.get(app, _unknown)
    response = handler(ch, data or "") or "_none_"
    ch.vars["current_application_response"] = response
    ch.emit("CHANNEL_EXECUTE_COMPLETE", extra=tail + [("Application-Response", response),
                                                      ("Application-UUID", app_uuid)])


def _uuid_bridged(ch, other_uuid: str) -> None:
    """The state walk and synthetic CHANNEL_EXECUTE that ``api uuid_bridge`` causes."""
    if ch.socket_running:
        ch.end_socket_app()
    for state in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
        ch.set_state(state)
    ch.emit("CHANNEL_EXECUTE", extra=[("Application", "uuid_bridge"), ("Application-Data", other_uuid)],
            calling="CHANNEL_EXECUTE/uuid_bridge")
    ch.switch.bridge_ready(ch, other_uuid)
    ch.wait_media(None)


def _answer(ch, _):
    ch.answer()


def _playback(ch, path):
    """switch_ivr_play_file: the channel's ``playback_delimiter`` splits the argument into parts played
    in turn (``file_string://a!b`` lists files, a ``phrase:`` part is said in the channel's language);
    a break (an agent's bridge, uuid_break) ends the whole playback, not only the part playing."""
    for part in prompt_parts(ch, path):
        spoken = _spoken(ch, part)
        if spoken is None:
            continue
        ch.played.append(spoken)
        if not ch.wait_media(media_seconds(ch, spoken)):
            break
    return "FILE PLAYED"


def _say(ch, text):
    """``say <language> <type> <method> <text>``: nothing is said in a language the configuration
    does not declare (FreeSWITCH logs "Can't find language xx.")."""
    language = text.split(" ", 1)[0]
    if not _can_say(ch, language):
        return None
    ch.played.append(f"say:{text}")
    ch.wait_media(media_seconds(ch, f"say:{text}"))
    return "FILE PLAYED"


def _can_say(ch, language: str) -> bool:
    if language in ch.switch.say_languages:
        return True
    message = f"Can't find language {language}."
    ch.switch.errors.append(message)
    log.error("%s %s", ch.uuid, message)
    return False


def _hold(ch, _):
    ch.wait_media(None)


def _sleep(ch, ms):
    ch.wait_media(int(ms or 0) / 1000)


def _set(ch, text):
    name, _, value = text.partition("=")
    if value:
        ch.vars[name] = value
    else:
        ch.vars.pop(name, None)


def _unset(ch, name):
    ch.vars.pop(name, None)


def _hangup(ch, cause):
    ch.hangup(cause or "NORMAL_CLEARING", by="switch")


def _flush_dtmf(ch, _):
    """Digits queued on the channel and not read by an application are dropped."""
    while not ch.dtmf.empty():
        ch.dtmf.get_nowait()


def _unknown(ch, _):
    return "_none_"


def _collect(ch, answer, first_timeout: float, digit_timeout: float, max_digits: int, terminators: str) -> str:
    if isinstance(answer, str):
        ch.switch.spawn(ch.press, answer)
    digits, timeout = "", first_timeout
    while len(digits) < max_digits:
        try:
            digit = ch.dtmf.get(timeout=timeout)
        except Empty:
            break
        if digit is None:      # hangup
            break
        if digit in terminators:
            break
        digits += digit
        timeout = digit_timeout
    return digits


def _play_and_get_digits(ch, text):
    a = api_args(text)   # mod_dptools splits its data with switch_separate_string, as an api command
    mn, mx, tries, timeout = int(a[0]), int(a[1]), int(a[2]), int(a[3]) / 1000
    terminators = a[4] if len(a) > 4 else "#"
    prompt = a[5] if len(a) > 5 else ""
    invalid = a[6] if len(a) > 6 else ""
    var = a[7] if len(a) > 7 else "pagd_input"
    regex = a[8] if len(a) > 8 else r"\d+"
    digit_timeout = int(a[9]) / 1000 if len(a) > 9 else timeout
    return _read_loop(ch, mn, mx, tries, timeout, digit_timeout, terminators, prompt, invalid, var, regex)


def _read(ch, text):
    # read <min> <max> <sound file> <variable name> <timeout> <terminators>
    a = api_args(text)
    return _read_loop(ch, int(a[0]), int(a[1]), 1, int(a[4]) / 1000, int(a[4]) / 1000,
                      a[5] if len(a) > 5 else "#", a[2], "", a[3], r".*")


def prompt_parts(ch, prompt: str) -> list[str]:
    """What a collecting application plays for its prompt argument, in order: the channel's
    ``playback_delimiter`` splits it (switch_ivr_play_file), and ``file_string://a!b`` lists files
    (mod_dptools' file_string format)."""
    delimiter = ch.vars.get("playback_delimiter", "")[:1]
    parts = []
    for part in prompt.split(delimiter) if delimiter else [prompt]:
        if part.startswith("file_string://"):
            parts.extend(part[len("file_string://"):].split("!"))
        else:
            parts.append(part)
    return [p for p in parts if p]


def _spoken(ch, part: str) -> str | None:
    """A prompt part as it is heard; ``phrase:hotline_say:TYPE:method:text`` (the say macro of
    freeswitch-conf/lang/*.xml) is said in the channel's ``language``, None if it cannot be."""
    if not part.startswith("phrase:hotline_say:"):
        return part
    say_type, method, text = part[len("phrase:hotline_say:"):].split(":", 2)
    language = ch.vars.get("language") or ch.vars.get("default_language") or "en"
    return f"say:{language} {say_type} {method} {text}" if _can_say(ch, language) else None


def _hear_prompt(ch, prompt: str) -> bool:
    """Play a collecting application's prompt part after part. A key pressed during any part ends
    the prompt and is kept for the read (FreeSWITCH's play_file puts it in the digit buffer).
    False if the channel was interrupted or hung up."""
    for part in prompt_parts(ch, prompt):
        spoken = _spoken(ch, part)
        if spoken is None:
            continue
        ch.key_pressed.clear()
        if not ch.dtmf.empty():
            return True
        ch.played.append(spoken)
        gevent.wait([ch.interrupt, ch.key_pressed], timeout=media_seconds(ch, spoken), count=1)
        if ch.interrupt.is_set() or not ch.alive:
            return False
        if ch.key_pressed.is_set():
            return True
    return True


def _read_loop(ch, mn, mx, tries, timeout, digit_timeout, terminators, prompt, invalid, var, regex):
    ch.vars.pop(var, None)
    ch.vars.pop(f"{var}_invalid", None)
    while not ch.dtmf.empty():
        ch.dtmf.get()
    ch.collecting = True
    script = getattr(ch, "script", None)
    answer = people.WAIT
    try:
        for _ in range(tries):
            if answer is not None:
                answer = script.take() if script else people.WAIT
            if prompt and not _hear_prompt(ch, prompt):
                break
            if answer is None:
                if not ch.wait_media(timeout):
                    break
                digits = ""
            else:
                digits = _collect(ch, answer, timeout, digit_timeout, mx, terminators)
            if not ch.alive:
                break
            if digits and mn <= len(digits) <= mx:
                if re.search(regex, digits):      # switch_regex_match: a search, not a full match
                    ch.vars[var] = digits
                    ch.vars["read_result"] = "success"
                    return "_none_"
                ch.vars[f"{var}_invalid"] = digits
            if invalid:
                ch.played.append(invalid)
            if invalid and not ch.wait_media(media_seconds(ch, invalid)):
                break
    finally:
        ch.collecting = False
    ch.vars["read_result"] = "failure"
    return "_none_"


def _record(ch, text):
    path = text.split(" ")[0]
    parts = text.split(" ")
    limit = float(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    ch.recording = path
    ch.emit("RECORD_START", extra=[("Record-File-Path", path)])
    script = getattr(ch, "script", None)
    length = script.message_s if script else ch.switch.media_s
    if limit is not None:
        length = min(length, limit)
    ch.wait_media(length)
    if ch.recording:
        ch.stop_recording()
    return "success"


def _bridge(ch, text):
    return ch.switch.bridge_app(ch, text)


APPS = {
    "answer": _answer, "pre_answer": _unknown, "ring_ready": _unknown,
    "playback": _playback, "say": _say, "speak": lambda ch, text: _playback(ch, f"speak:{text}"),
    "endless_playback": _hold, "park": _hold, "eavesdrop": _hold, "three_way": _hold,
    "sleep": _sleep, "set": _set, "export": _set, "unset": _unset, "hangup": _hangup,
    "flush_dtmf": _flush_dtmf, "play_and_get_digits": _play_and_get_digits, "read": _read, "record": _record,
    "bridge": _bridge,
}
