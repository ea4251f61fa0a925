"""Scenario files for ``hotline simulate``: customers, agents and timed calls in one YAML file.

Errors name the file and line (control/yamlfile.py). ``queues`` and ``flows`` are passed
through as data; the controller validates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from control.yamlfile import ConfigErrors, load, loads, schema_errors

_NUMBER = {"type": "number", "minimum": 0}
_DIGITS = {"anyOf": [{"type": "string"}, {"type": "null"},
                     {"type": "object", "required": ["digits"], "additionalProperties": False,
                      "properties": {"after": _NUMBER, "digits": {"type": "string"}}}]}

SCHEMA = {
    "type": "object",
    "required": ["name", "calls"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
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
                           "answer_after": {"anyOf": [_NUMBER, {"const": "never"}]},
                           "talk_time": {"anyOf": [_NUMBER, {"type": "null"}]},
                           "wrap_up": _NUMBER, "name": {"type": "string"}}}},
        "outside": {"type": "array", "items": {   # numbers beyond the trunk (customers called back)
            "type": "object", "required": ["number"], "additionalProperties": False,
            "properties": {"number": {"type": "string"}, "answer_after": {"anyOf": [_NUMBER, {"const": "never"}]},
                           "talk_time": {"anyOf": [_NUMBER, {"type": "null"}]}, "busy": {"type": "boolean"}}}},
        "calls": {"type": "array", "items": {
            "type": "object", "required": ["at", "caller"], "additionalProperties": False,
            "properties": {"at": _NUMBER, "caller": {"type": "string"}, "did": {"type": "string"},
                           "name": {"type": "string"}, "dtmf": {"type": "array", "items": _DIGITS},
                           "patience": {"anyOf": [_NUMBER, {"type": "null"}]}, "message_s": _NUMBER}}},
    },
}


@dataclass
class AgentSpec:
    id: str
    extension: str
    skills: dict[str, int] = field(default_factory=dict)
    queues: list[str] | None = None
    answer_after: float | str | None = 1.0     # "never": the phone rings forever
    talk_time: float | None = None
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
    return Scenario(name=data["name"], file=locator.file, defaults=defaults, customers=data.get("customers") or [],
                    skills=data.get("skills") or [], queues=data.get("queues") or {}, flows=data.get("flows") or {},
                    agents=agents, calls=sorted(calls, key=lambda c: c.at), outside=data.get("outside") or [])
