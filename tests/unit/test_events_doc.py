"""control/events.py against docs/events.md, and the console's scripts against both."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from control import events, requests
from control.domain.models import Call

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "events.md").read_text()
NOW = 1795439403.1


def documented(kind: str = "") -> dict[str, tuple[dict, set[str], str]]:
    """heading -> (example, optional keys, section text); ``kind`` "request": the control channel's."""
    sections = {}
    for match in re.finditer(r"^### (\w+)( \(request\))?\n(.*?)(?=^##|\Z)", DOC, re.S | re.M):
        name, body = match.group(1), match.group(3)
        if bool(match.group(2)) != (kind == "request"):
            continue
        example = re.search(r"```json\n(.*?)```", body, re.S)
        assert example, f"docs/events.md: section {name} has no JSON example"
        optional = re.search(r"^Optional: (.*)$", body, re.M)
        keys = set(re.findall(r"`(\w+)`", optional.group(1))) if optional else set()
        sections[name] = (json.loads(example.group(1)), keys, body)
    return sections


def _call() -> Call:
    call = Call(id="c1", caller="+14155550100", did="+18005550100", queue="support", entered_at=NOW - 12)
    call.vars["customer"] = {"id": 1, "name": "Ann Lee"}
    return call


# each builder: (with every optional value, with none)
BUILDERS = {
    "ready": (lambda: events.ready("1-0"), lambda: events.ready()),
    "offer": (lambda: events.offer(_call(), "alice", NOW, consult_from="bob",
                                   callback=events.callback_pop("+14155550100", "c0", 1, "note")),
              lambda: events.offer(_call(), "alice", NOW)),
    "offer_rung": (lambda: events.offer_rung("c1", "alice", "support", kind="callback", ring="ring-all"),
                   lambda: events.offer_rung("c1", "alice", "support")),
    "answered": (lambda: events.answered("c1", "alice", NOW, transferred_from="bob"),
                 lambda: events.answered("c1", "alice", NOW)),
    "missed": (lambda: events.missed("c1", "alice", "NO_ANSWER", "not_ready"),) * 2,
    "ended": (lambda: events.ended("c1", NOW, reason="transferred", wrap_up_s=30),
              lambda: events.ended("c1", NOW)),
    "state": (lambda: events.state("alice", "break", "lunch", NOW, forced_by="sue"),
              lambda: events.state("alice", "available", None, NOW)),
    "supervise": (lambda: events.supervise("listen", "alice", "c1", "sue", supervisor_leg="l1", error="busy"),
                  lambda: events.supervise("listen", "alice", "c1", "desk phone")),
    "feature": (lambda: events.feature("break", "alice", "1001", "ok"),) * 2,
    "call_started": (lambda: events.call_started("c1", "+14155550100", "+18005550100"),) * 2,
    "queued": (lambda: events.queued("c1", "support", "+14155550100", 0, kind="callback"),
               lambda: events.queued("c1", "support", "+14155550100", 0)),
    "call_ended": (lambda: events.call_ended("c1", "failed", None, kind="callback", cancelled=True, by="sue"),
                   lambda: events.call_ended("c1", "answered", "alice")),
    "call_changed": (lambda: events.call_changed("moved", "c1", "billing", 5, "sue", NOW),) * 2,
    "call_action": (lambda: events.call_action("hold", "c1", "alice", "+OK Success\n"),) * 2,
    "consult": (lambda: events.consult("failed", "c1", "alice", "agent", "bob", "bob", NOW, by="alice",
                                       cause="NO_ANSWER"),
                lambda: events.consult("ringing", "c1", "alice", "agent", "bob", "bob", NOW)),
    "callback_requested": (lambda: events.callback_requested("c1", "+14155550100", "support", NOW, 0,
                                                             [("english", 1)], "cb-c1"),) * 2,
    "callback_dialing": (lambda: events.callback_dialing("cb-c1", "+14155550100", 1),) * 2,
    "callback_cancelled": (lambda: events.callback_cancelled("cb-c1", "r1", "sue", True, "cancelled"),) * 2,
}


REQUESTS = {
    "dispatch": (lambda: requests.dispatch("ctl-1", by="sue", now=NOW), lambda: requests.dispatch()),
    "supervise": (lambda: requests.supervise("alice", "1009", "listen", "sue", None),) * 2,
    "call_action": (lambda: requests.call_action("transfer", "c1", "alice", "alice", NOW, target="billing",
                                                 to="queue", kind="attended"),
                    lambda: requests.call_action("hold", "c1", "alice", "alice", NOW)),
    "callback_scheduled": (lambda: requests.callback_scheduled(12, NOW),) * 2,
    "callback_cancel": (lambda: requests.callback_cancel("cb-c1", "r1", "sue", None, NOW),) * 2,
    "pop_ack": (lambda: requests.pop_ack("c1", "alice", NOW),) * 2,
}


def _public(module) -> set[str]:
    return {name for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and not name.startswith("_")}


def test_every_message_function_is_documented_and_tested():
    assert _public(events) - {"callback_pop"} == set(documented()) == set(BUILDERS)
    assert _public(requests) == set(documented("request")) == set(REQUESTS)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_each_request_is_the_documented_one(name):
    example, optional, _ = documented("request")[name]
    full, minimal = (build() for build in REQUESTS[name])
    assert set(full) == set(example), f"{name}: built {sorted(full)}, documented {sorted(example)}"
    assert set(minimal) == set(example) - optional
    assert full["type"] == example["type"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_shape_is_the_documented_one(name):
    example, optional, _ = documented()[name]
    full, minimal = (build() for build in BUILDERS[name])
    assert set(full) == set(example), f"{name}: built {sorted(full)}, documented {sorted(example)}"
    assert set(minimal) == set(example) - optional, f"{name}: without the optional keys"
    assert full["type"] == example["type"]
    assert json.loads(json.dumps(full)) == full     # plain JSON values only


def _keys_on(channel: str) -> set[str]:
    keys = set()
    for example, _, body in documented().values():
        if channel in body.split("\n", 1)[0] or "every SSE connection" in body.split("\n", 1)[0]:
            keys |= set(example)
    return keys


# script -> (the variable holding a message, channels it reads, keys it makes itself)
SCRIPTS = {
    "console.js": ("msg", "agent:", {"live"}),            # {type: "conn", live} is relayed between tabs
    "console_calls.js": ("msg", "agent:", set()),
    "wallboard.js": ("msg", "wallboard", set()),
    "callbacks.js": ("m", "wallboard", set()),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_console_reads_only_keys_the_messages_carry(script):
    variable, channel, own = SCRIPTS[script]
    source = (ROOT / "web" / "static" / script).read_text()
    read = set(re.findall(rf"\b{variable}\.(\w+)", source)) - {"type"}
    missing = read - _keys_on(channel) - own
    assert not missing, f"{script} reads {sorted(missing)}, which no {channel} message in docs/events.md has"


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_console_switches_only_on_types_that_exist(script):
    variable, channel, _ = SCRIPTS[script]
    source = (ROOT / "web" / "static" / script).read_text()
    types = {example["type"] for example, _, _ in documented().values()} | {"conn", "priority"}
    named = set(re.findall(rf"{variable}\.type === \"(\w+)\"", source)) | set(re.findall(r'case "(\w+)"', source))
    listed = re.search(r"EVENTS = \[(.*?)\]", source)
    if listed:
        named |= set(re.findall(r'"(\w+)"', listed.group(1)))
    assert named <= types, f"{script} expects {sorted(named - types)}, which no message in docs/events.md has"
