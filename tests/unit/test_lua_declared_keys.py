"""Every Redis Lua script declares every key it touches (KEYS), never builds one from KEYS or ARGV,
so it runs on Redis Cluster: with the hash-tagged prefix all of a script's keys share one slot.

Reads the scripts in control/store/lua/ and the ones kept in Python modules, as text (no Redis).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from control.handlers import dispatch_lease
from control.store import redis_state
from control.store.keys import Keys

LUA_DIR = Path(redis_state.__file__).parent / "lua"
SCRIPTS = {**{p.name: p.read_text() for p in sorted(LUA_DIR.glob("*.lua"))},
           "dispatch_lease.ACQUIRE": dispatch_lease.ACQUIRE, "dispatch_lease.RELEASE": dispatch_lease.RELEASE,
           "redis_state._HAND_OVER": redis_state._HAND_OVER}
# commands whose first argument is not a key
NOT_KEYED = {"PUBLISH"}
CALL = re.compile(r"redis\.(?:p?call)\(\s*'([A-Za-z]+)'\s*,\s*")
NAME = r"[A-Za-z_]\w*"


def code(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def first_argument(text: str, start: int) -> str:
    """The expression from ``start`` to the next top-level comma or closing parenthesis."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        i += 1
    return text[start:i].strip()


def assignments(text: str, name: str) -> list[str]:
    """Right-hand sides assigned to ``name`` (or to ``name[...]``), including multiple assignment."""
    found = []
    statements = re.split(r"\n|\b(?:do|then|else|end)\b", text)
    for line in statements:
        m = re.search(rf"(?:local\s+)?((?:{NAME}(?:\[[^\]]*\])?\s*,\s*)*{NAME}(?:\[[^\]]*(?:\[[^\]]*\])?[^\]]*\])?)"
                      rf"\s*=(?!=)\s*(.+)$", line)
        if not m:
            continue
        targets = [t.strip() for t in m.group(1).split(",")]
        values = [v.strip() for v in re.split(r",(?![^\[]*\])", m.group(2))]
        for target, value in zip(targets, values):
            if target == name or target.startswith(name + "["):
                found.append(value.strip())
    return found


def declared(expr: str, text: str, seen: frozenset = frozenset()) -> bool:
    """True when ``expr`` is a KEYS element, or a variable (or table) only ever holding KEYS elements."""
    if re.fullmatch(r"KEYS\[[^\]]+\]", expr) or expr == "{}":   # {}: an empty table, filled with keys later
        return True
    m = re.fullmatch(rf"({NAME})(\[[^\]]+\])?", expr)
    if not m or m.group(1) in seen or m.group(1) in ("KEYS", "ARGV"):
        return False
    name = m.group(1)
    params = re.search(rf"function\s+({NAME})\s*\(([^)]*)\)", text)
    if params and f"param:{name}" not in seen and name in [p.strip() for p in params.group(2).split(",")]:
        # a function's parameter: every call of that function passes a declared key (the caller's
        # variable of the same name is resolved from its own assignments)
        passed = [a.strip() for a in re.findall(rf"(?<!function ){params.group(1)}\(([^)]*)\)", text)]
        return bool(passed) and all(declared(a, text, seen | {f"param:{name}"}) for a in passed)
    values = assignments(text, name)
    return bool(values) and all(declared(v, text, seen | {name}) for v in values)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_no_key_is_built_from_keys_or_argv(name):
    text = code(SCRIPTS[name])
    assert not re.search(r"string\.\w+\(\s*KEYS", text), f"{name} parses a key out of KEYS"
    assert not re.search(r"KEYS\[[^\]]+\]\s*\.\.|\.\.\s*KEYS\[", text), f"{name} concatenates onto a KEYS entry"
    for m in CALL.finditer(text):
        command, key = m.group(1).upper(), first_argument(text, m.end())
        if command in NOT_KEYED:
            continue
        assert ".." not in key and "ARGV" not in key, f"{name}: {command} on a built key {key!r}"
        assert declared(key, text), f"{name}: {command} on {key!r}, which is not a declared key (KEYS)"


def test_the_checker_refuses_a_key_built_from_another():
    built = code("local prefix = string.match(KEYS[1], '^(.*):agent:')\n"
                 "redis.call('ZREM', prefix .. ':agents:available', ARGV[2])")
    key = first_argument(built, CALL.search(built).end())
    assert ".." in key
    derived = code("local index = ARGV[3]\nredis.call('ZADD', index, 1, 'a')")
    assert not declared(first_argument(derived, CALL.search(derived).end()), derived)


def test_every_key_of_a_tagged_prefix_shares_one_slot():
    from redis.crc import key_slot

    keys = Keys("{hotline}")
    names = [keys.agent("alice"), keys.available(), keys.call("c1"), keys.waiting(), keys.leases(), keys.seq(),
             keys.deferred_callbacks(), keys.dispatch_lease(), keys.dispatch_dirty(), keys.stream("control"),
             keys.records_outbox(), keys.call_log("c1", "offers"), keys.claim("live-epoch")]
    assert len({key_slot(k.encode()) for k in names}) == 1


def test_the_default_prefix_is_a_hash_tag():
    from control.config import DEFAULTS

    assert re.fullmatch(r"\{[^{}]+\}", DEFAULTS["redis_prefix"])
