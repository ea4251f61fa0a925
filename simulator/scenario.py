"""Scenario files for ``hotline simulate``: customers, agents and timed calls in one YAML file.

Errors name the file and line (control/yamlfile.py). ``queues`` and ``flows`` are passed
through as data; the controller validates them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from control.yamlfile import ConfigErrors, load, loads, schema_errors
from simulator import durations
from simulator.durations import Duration

_NUMBER = {"type": "number", "minimum": 0}
_DIGITS = {"anyOf": [{"type": "string"}, {"type": "null"},
                     {"type": "object", "required": ["digits"], "additionalProperties": False,
                      "properties": {"after": _NUMBER, "digits": {"type": "string"}}}]}

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "seed": {"type": "integer"},      # phones' random durations draw the same on every run
        "defaults": {"type": "object", "properties": {"did": {"type": "string"}, "patience": _NUMBER}},
        "customers": {"type": "array", "items": {
            "type": "object", "required": ["number"], "additionalProperties": False,
            "properties": {"number": {"type": "string"}, "name": {"type": "string"}, "tier": {"type": "string"},
                           "tags": {"type": "array", "items": {"type": "string"}}, "fields": {"type": "object"},
                           "language": {"type": "string"}}}},
        "skills": {"type": "array", "items": {"type": "string"}},
        "queues": {"type": "object"},
        "flows": {"type": "object"},
        "agents": {"type": "array", "items": {
            "type": "object", "required": ["id", "extension"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "extension": {"type": ["string", "integer"]},
                           "skills": {"type": "object", "additionalProperties": {"type": "integer",
                                                                                 "minimum": 1, "maximum": 10}},
                           "queues": {"type": "array", "items": {"type": "string"}},
                           "answer_after": {}, "talk_time": {},   # durations: checked in _duration_errors
                           "wrap_up": _NUMBER, "name": {"type": "string"}}}},
        "phones": {"type": "array", "items": {    # other phones on the switch: a supervisor's monitoring phone
            "type": "object", "required": ["extension"], "additionalProperties": False,
            "properties": {"extension": {"type": ["string", "integer"]}, "answer_after": {}}}},
        "outside": {"type": "array", "items": {   # numbers beyond the trunk (customers called back)
            "type": "object", "required": ["number"], "additionalProperties": False,
            "properties": {"number": {"type": "string"}, "answer_after": {}, "talk_time": {},
                           "busy": {"type": "boolean"}}}},
        "calls": {"type": "array", "items": {
            "type": "object", "required": ["at", "caller"], "additionalProperties": False,
            "properties": {"at": _NUMBER, "caller": {"type": "string"}, "did": {"type": "string"},
                           "name": {"type": "string"}, "dtmf": {"type": "array", "items": _DIGITS},
                           "patience": {"anyOf": [_NUMBER, {"type": "null"}]}, "message_s": _NUMBER}}},
        "arrivals": {   # generated calls: a Poisson process (docs/simulator.md, "Arrivals")
            "type": "object", "required": ["rate_per_s", "count"], "additionalProperties": False,
            "properties": {"rate_per_s": {"type": "number", "exclusiveMinimum": 0},
                           "count": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                           "seed": {"type": "integer"}, "start_s": _NUMBER,
                           "caller": {"type": "string", "pattern": r"^\+?[0-9]+$"}, "did": {"type": "string"},
                           "dtmf": {"type": "array", "items": _DIGITS},
                           "patience": {"anyOf": [_NUMBER, {"type": "null"}]}}},
    },
}
FIRST_CALLER = "+15550000000"   # generated callers: this number, then one higher for each arrival


@dataclass
class AgentSpec:
    id: str
    extension: str
    skills: dict[str, int] = field(default_factory=dict)
    queues: list[str] | None = None
    answer_after: Any = 1.0     # seconds or a distribution (durations.py); "never": the phone rings forever
    talk_time: Any = None       # seconds or a distribution; None: talks until the caller hangs up
    wrap_up: float | None = None
    name: str = ""


@dataclass
class CallSpec:
    at: float
    caller: str
    did: str
    dtmf: list = field(default_factory=list)
    patience: float | None = None
    name: str | None = None
    message_s: float = 2.0


@dataclass
class Scenario:
    name: str
    file: str
    defaults: dict[str, Any] = field(default_factory=dict)
    customers: list[dict[str, Any]] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    queues: dict[str, Any] = field(default_factory=dict)
    flows: dict[str, Any] = field(default_factory=dict)
    agents: list[AgentSpec] = field(default_factory=list)
    calls: list[CallSpec] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)   # not agents': extension, answer_after
    seed: int | None = None


def phone_durations(owner: str, answer_after: Any, talk_time: Any,
                    seed: int | None) -> tuple[Duration | None, Duration | None]:
    """A phone's (answer_after, talk_time) as Durations; each draws from its own generator, seeded
    from the scenario's ``seed`` and the owner, so adding an agent does not change the others' draws."""
    answer = None if answer_after in (None, "never") else durations.from_spec(answer_after,
                                                                              _rng(seed, owner, "answer"))
    talk = None if talk_time is None else durations.from_spec(talk_time, _rng(seed, owner, "talk"))
    return answer, talk


def _rng(seed: int | None, owner: str, what: str) -> random.Random:
    return random.Random(f"{seed}:{owner}:{what}") if seed is not None else random.Random()


def arrival_times(rate_per_s: float, count: int, rng: random.Random, start_s: float = 0.0) -> list[float]:
    """``count`` arrival times of a Poisson process of ``rate_per_s``: exponential gaps of mean
    1/rate, the first gap counted from ``start_s``."""
    times, t = [], start_s
    for _ in range(count):
        t += rng.expovariate(rate_per_s)
        times.append(t)
    return times


def poisson_calls(arrivals: dict[str, Any], defaults: dict[str, Any], seed: int | None) -> list[CallSpec]:
    """The calls of a checked ``arrivals:`` section; its own ``seed``, else the scenario's, else random."""
    own = arrivals.get("seed", seed)
    rng = random.Random(f"{own}:arrivals") if own is not None else random.Random()
    first = arrivals.get("caller", FIRST_CALLER)
    plus, number = ("+", first[1:]) if first.startswith("+") else ("", first)
    patience = arrivals.get("patience", defaults.get("patience"))
    times = arrival_times(float(arrivals["rate_per_s"]), int(arrivals["count"]), rng,
                          float(arrivals.get("start_s", 0.0)))
    return [CallSpec(at=round(at, 6), caller=f"{plus}{int(number) + i:0{len(number)}d}",
                     did=arrivals.get("did") or defaults["did"], dtmf=list(arrivals.get("dtmf") or []),
                     patience=patience)
            for i, at in enumerate(times)]


def load_scenario(path: str | Path) -> Scenario:
    data, locator = load(path)
    return _build(data, locator)


def loads_scenario(text: str, file: str = "<scenario>") -> Scenario:
    data, locator = loads(text, file)
    return _build(data, locator)


def _build(data, locator) -> Scenario:
    if not isinstance(data, dict):
        raise ConfigErrors([locator.error([], "a scenario is a mapping with name, agents and calls")])
    errors = schema_errors(data, SCHEMA, locator)
    defaults = data.get("defaults") or {}
    skills = set(data.get("skills") or [])
    seen: dict[str, int] = {}
    for i, agent in enumerate(data.get("agents") or []):
        if not isinstance(agent, dict):
            continue
        ext = str(agent.get("extension"))
        if ext in seen:
            errors.append(locator.error(["agents", i, "extension"], f"extension {ext} is used twice",
                                        "give every agent its own extension"))
        seen[ext] = i
        for skill in (agent.get("skills") or {}) if skills else ():
            if skill not in skills:
                errors.append(locator.error(["agents", i, "skills", skill], f"unknown skill {skill!r}",
                                            f"add it to skills: or use one of {sorted(skills)}"))
    errors += _duration_errors(data, locator)
    if "calls" not in data and "arrivals" not in data:
        errors.append(locator.error([], "a scenario needs calls: or arrivals:",
                                    "list calls: [{at: ..., caller: ...}] or add arrivals: {rate_per_s: 1, count: 100}"))
    arrivals = data.get("arrivals")
    if isinstance(arrivals, dict) and not arrivals.get("did") and not defaults.get("did"):
        errors.append(locator.error(["arrivals"], "arrivals has no did and there is no defaults.did",
                                    "add did: to arrivals or defaults: {did: ...}"))
    for i, call in enumerate(data.get("calls") or []):
        if isinstance(call, dict) and not call.get("did") and not defaults.get("did"):
            errors.append(locator.error(["calls", i], "call has no did and there is no defaults.did",
                                        "add did: to the call or defaults: {did: ...}"))
    if errors:
        raise ConfigErrors(errors)
    agents = [AgentSpec(id=a["id"], extension=str(a["extension"]), skills=dict(a.get("skills") or {}),
                        queues=a.get("queues"), answer_after=a.get("answer_after", 1.0),
                        talk_time=a.get("talk_time"), wrap_up=a.get("wrap_up"), name=a.get("name", a["id"]))
              for a in data.get("agents") or []]
    calls = [CallSpec(at=float(c["at"]), caller=c["caller"], did=c.get("did") or defaults["did"],
                      dtmf=list(c.get("dtmf") or []), patience=c.get("patience", defaults.get("patience")),
                      name=c.get("name"), message_s=float(c.get("message_s", 2.0)))
             for c in data.get("calls") or []]
    if data.get("arrivals"):
        calls += poisson_calls(data["arrivals"], defaults, data.get("seed"))
    return Scenario(name=data["name"], file=locator.file, defaults=defaults, customers=data.get("customers") or [],
                    skills=data.get("skills") or [], queues=data.get("queues") or {}, flows=data.get("flows") or {},
                    agents=agents, calls=sorted(calls, key=lambda c: c.at), outside=data.get("outside") or [],
                    phones=data.get("phones") or [], seed=data.get("seed"))


def _duration_errors(data: dict, locator) -> list:
    """answer_after and talk_time of agents and outside numbers: seconds or a distribution."""
    errors = []
    for section in ("agents", "outside", "phones"):
        for i, item in enumerate(data.get(section) or []):
            if not isinstance(item, dict):
                continue
            for key, absent in (("answer_after", "never"), ("talk_time", None)):
                if key not in item or item[key] == absent:
                    continue
                wrong = durations.problem(item[key])
                if wrong:
                    errors.append(locator.error([section, i, key], f"{section}[{i}].{key}: {wrong}",
                                                f"write {durations.SYNTAX}"
                                                + (' or "never"' if key == "answer_after" else "")))
    return errors
