"""Dialplan applications run on a channel (sendmsg execute, or originate's &app())."""
from __future__ import annotations

import re
from gevent.queue import Empty

from simulator import people

VAR = re.compile(r"\$\{([^}]+)\}")


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
    ch.played.append(path)
    ch.wait_media(media_seconds(ch, path))
    return "FILE PLAYED"


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
    a = text.split(" ")
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
    a = text.split(" ")
    return _read_loop(ch, int(a[0]), int(a[1]), 1, int(a[4]) / 1000, int(a[4]) / 1000,
                      a[5] if len(a) > 5 else "#", a[2], "", a[3], r".*")


def _read_loop(ch, mn, mx, tries, timeout, digit_timeout, terminators, prompt, invalid, var, regex):
    ch.vars.pop(var, None)
    while not ch.dtmf.empty():
        ch.dtmf.get()
    ch.collecting = True
    script = getattr(ch, "script", None)
    answer = people.WAIT
    try:
        for _ in range(tries):
            if answer is not None:
                answer = script.take() if script else people.WAIT
            if prompt:
                ch.played.append(prompt)
            if prompt and not ch.wait_media(media_seconds(ch, prompt)):
                break
            if answer is None:
                if not ch.wait_media(timeout):
                    break
                digits = ""
            else:
                digits = _collect(ch, answer, timeout, digit_timeout, mx, terminators)
            if not ch.alive:
                break
            if digits and mn <= len(digits) <= mx and re.fullmatch(regex, digits):
                ch.vars[var] = digits
                ch.vars["read_result"] = "success"
                return "_none_"
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
    "playback": _playback, "say": lambda ch, text: _playback(ch, f"say:{text}"), "speak": lambda ch, text: _playback(ch, f"speak:{text}"),
    "endless_playback": _hold, "park": _hold, "eavesdrop": _hold, "three_way": _hold,
    "sleep": _sleep, "set": _set, "export": _set, "unset": _unset, "hangup": _hangup,
    "flush_dtmf": _flush_dtmf, "play_and_get_digits": _play_and_get_digits, "read": _read, "record": _record,
    "bridge": _bridge,
}
