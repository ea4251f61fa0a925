"""Node kinds that read DTMF: menu, collect, callback. The interpreter counts the tries itself,
so an invalid entry and a timeout get their own prompts and path notes."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from control.ivr.commands import Callback, Collect, Finished, Hangup
from control.ivr.model import Flow
from control.ivr.steps_basic import Steps, play_then

if TYPE_CHECKING:
    from control.ivr.interpreter import FlowRun

DTMF = re.compile(r"^[0-9*#A-Da-d]+$")
DIALABLE = re.compile(r"^\+?[0-9]{3,15}$")
# Ask FreeSWITCH for any DTMF (RFC 2833 A-D arrive upper-case); the entry is judged here. Its
# play_and_get_digits unsets the variable when this regex does not match, which would look like no input.
ANY_DIGITS = "^[0-9*#A-D]+$"


def show(digits: str) -> str:
    return repr(digits) if len(digits) <= 12 else f"'{digits[:8]}...' ({len(digits)} digits)"


def read(run: FlowRun, flow: Flow, spec: Any, max_digits: int, timeout_s: float, var: str,
         terminator: str = "", digit_timeout_s: float = 3.0, sensitive: bool = False,
         entry: bool = False, lead: Any = None) -> Steps:
    """One Collect attempt; returns (status, digits), status ok | none | invalid.

    The whole prompt, after ``lead`` (the retry prompt of a failed try), goes with the Collect: a
    key pressed during any of it counts. A single key (menu, confirmation) is read as soon as it is
    pressed; an ``entry`` (collect, phone number) listens for one digit more than ``max_digits``, so
    a longer entry is seen and refused."""
    asked = max_digits + 1 if entry else max_digits
    prompts = run.prompts(flow, lead) + run.prompts(flow, spec)
    raw = yield Collect(prompts=prompts, invalid_prompt=None, min_digits=1, max_digits=asked,
                        timeout_ms=int(timeout_s * 1000), terminators=terminator, regex=ANY_DIGITS,
                        digit_timeout_ms=int(digit_timeout_s * 1000), var=var, sensitive=sensitive)
    digits = raw.strip() if isinstance(raw, str) else ""
    if terminator and digits.endswith(terminator):
        digits = digits[:-1]
    if not digits:
        return "none", ""
    if not DTMF.match(digits) or len(digits) > max_digits:   # the controller may not have bounded it
        return "invalid", digits
    return "ok", digits


def retry_prompt(node: dict, status: str) -> Any:
    """What the next try says first: the timeout prompt after no input, else the invalid prompt."""
    spec = node.get("timeout_prompt") if status == "none" else None
    return spec or node.get("invalid_prompt")


def menu(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    tries = 1 + node.get("retries", 2)
    status = "none"
    var = "menu_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
    lead = None
    for _ in range(tries):
        status, digits = yield from read(run, flow, node["prompt"], 1, node.get("timeout_s", 5.0), var, lead=lead)
        option = node["options"].get(digits) if status == "ok" else None
        if option is not None:
            note = f"menu {name}: pressed {digits}"
            if isinstance(option, dict) and option.get("language"):
                run.state.language, run.state.language_chosen = option["language"], True
                note += f" (language {option['language']})"
            run.path.append(note)
            return option if isinstance(option, str) else option["next"]
        if status == "none":
            run.path.append(f"menu {name}: no input")
        else:
            status = "invalid"
            run.path.append(f"menu {name}: invalid input {show(digits)}")
        lead = retry_prompt(node, status)
    run.path.append(f"menu {name}: no valid choice after {tries} tries")
    if status == "none" and node.get("no_input"):
        return node["no_input"]
    return node.get("default") or Hangup("NORMAL_CLEARING", reason=f"menu {name}: no valid choice")


def collect(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    lo, hi = node.get("min_digits", 1), node.get("max_digits", 32)
    pattern, var = node.get("pattern"), node["var"]
    tries = 1 + node.get("retries", 2)
    lead = None
    for _ in range(tries):
        sensitive = node.get("sensitive", False)
        status, digits = yield from read(run, flow, node["prompt"], hi, node.get("timeout_s", 8.0), var,
                                         node.get("terminator", "#"), node.get("digit_timeout_s", 3.0), sensitive,
                                         entry=True, lead=lead)
        shown = "(hidden)" if sensitive else digits
        if status == "ok" and (not lo <= len(digits) <= hi or (pattern and not re.fullmatch(pattern, digits))):
            status = "invalid"
        if status == "ok":
            run.state.vars[var] = digits
            run.path.append(f"entered {var} {shown}")
            return node["next"]
        run.path.append(f"{var}: no input" if status == "none" else
                        f"{var}: invalid entry {'(hidden)' if sensitive else show(digits)} (want {lo}-{hi} digits)")
        lead = retry_prompt(node, status)
    run.path.append(f"{var}: gave up after {tries} tries")
    return node.get("on_fail") or Hangup("NORMAL_CLEARING", reason=f"collect {name}: no valid entry")


def _confirm(run: FlowRun, flow: Flow, node: dict, tries: int) -> Steps:
    """Caller's own number? Returns "1" (yes), "2" (another number) or None (no answer)."""
    lead = None
    for _ in range(tries):
        status, digit = yield from read(run, flow, node["confirm_prompt"], 1, node.get("timeout_s", 6.0),
                                        "callback_confirm", lead=lead)
        if digit in ("1", "2"):
            run.path.append("callback: caller confirmed own number" if digit == "1"
                            else "callback: caller gives another number")
            return digit
        run.path.append("callback: no input" if status == "none" else f"callback: invalid input {show(digit)}")
        lead = retry_prompt(node, status)
    run.path.append("callback: no confirmation")
    return None


def _other_number(run: FlowRun, flow: Flow, node: dict, tries: int) -> Steps:
    lo, hi = node.get("min_digits", 7), node.get("max_digits", 15)
    lead = None
    for _ in range(tries):
        status, digits = yield from read(run, flow, node.get("number_prompt"), hi, node.get("timeout_s", 10.0),
                                         "callback_number", "#", entry=True, lead=lead)
        if status == "ok" and digits.isdigit() and lo <= len(digits) <= hi:
            run.path.append(f"callback: entered number {digits}")
            return digits
        run.path.append("callback: no number entered" if status == "none" else f"callback: invalid number {show(digits)}")
        lead = retry_prompt(node, status)
    return None


def callback(run: FlowRun, flow: Flow, name: str, node: dict) -> Steps:
    """Confirm the caller's number (or, for an anonymous caller, ask for one), then request the callback."""
    tries = 1 + node.get("retries", 2)
    caller = run.ctx.caller or ""
    number = None
    if DIALABLE.match(caller):
        if node.get("confirm_prompt"):
            answer = yield from _confirm(run, flow, node, tries)
            if answer is None:
                return node.get("on_fail") or Hangup("NORMAL_CLEARING", reason="callback not confirmed")
            number = caller if answer == "1" else None
        elif not node.get("number_prompt"):
            number = caller
    if number is None:
        number = yield from _other_number(run, flow, node, tries)
        if number is None:
            return node.get("on_fail") or Hangup("NORMAL_CLEARING", reason="no callback number")
    prompt = yield from play_then(run, flow, node.get("done_prompt"))
    run.path.append(f"callback requested to {number}")
    run.state.outcome = "callback"
    yield Callback(number=number, prompt=prompt)
    return node.get("next") or Finished("callback")
