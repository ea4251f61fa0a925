"""Queue definitions: queues/*.yaml -> QueueConfig, validated, with file:line errors.

Format (docs/routing.md): a file holds ``queues: {name: {...}}``; ``skills.yaml``
in the same folder lists the known skills. Every problem found is reported at
once (ConfigErrors). ``QueueRegistry`` keeps the last good configuration when a
reload fails.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from control.cycles import find_cycles
from control.domain.models import Agent
from control.domain.queue_config import (OVERFLOW_ACTIONS, AlertLimits, QUEUE_TARGET_ACTIONS, STRATEGIES, ExitKey,
                                         OverflowRule, QueueConfig, RelaxStep)
from control.domain.skills import language_skill, overflow_requirements, qualifies, relaxed
from control.yamlfile import ConfigError, ConfigErrors, Locator, load, loads, schema_errors

log = logging.getLogger(__name__)

SKILLS_FILE = "skills.yaml"
_num = {"type": "number", "minimum": 0}
_level = {"type": "integer", "minimum": 1, "maximum": 10}
_name = {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}

QUEUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "strategy": {"enum": list(STRATEGIES)},
        "requirements": {"type": "object", "additionalProperties": _level},
        "language_skills": {"type": "object", "additionalProperties": _name},
        "language_min_level": _level,
        "relax": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["after_s"],
            "properties": {"after_s": _num, "max_min_level": _level,
                           "drop": {"type": "array", "items": _name}}}},
        "priority": {"type": "integer"},
        "tier_boost": {"type": "object", "additionalProperties": {"type": "integer"}},
        "vip_tiers": {"type": "array", "items": {"type": "string"}},
        "vip_queue": _name,
        "vip_agents": {"type": "array", "items": {"type": "string"}},
        "aging_every_s": _num,
        "aging_step": {"type": "integer", "minimum": 1},
        "wrap_up_s": _num,
        "ring_timeout_s": {"type": "number", "exclusiveMinimum": 0},
        "auto_answer": {"type": "boolean"},
        "ring_group_size": {"type": "integer", "minimum": 1},
        "ring_progressively_delay_s": {"type": "number", "exclusiveMinimum": 0},
        "service_level_s": _num,
        "service_level_target": {"type": "number", "minimum": 0, "maximum": 1},
        "aht_s": {"type": "number", "exclusiveMinimum": 0},
        "announce_every_s": _num,
        "record": {"type": "boolean"},
        "dispositions": {"type": "array", "items": {"type": "string"}},
        "disposition_required": {"type": "boolean"},
        "outbound_allow": {"type": "array", "items": {"type": "string"}},
        "overflow": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["action"],
            "anyOf": [{"required": [c]} for c in ("after_s", "no_agents", "queue_length", "estimated_wait_s")],
            "properties": {"name": {"type": "string"}, "action": {"enum": list(OVERFLOW_ACTIONS)},
                           "target": {"type": "string"}, "after_s": _num, "no_agents": {"const": True},
                           "queue_length": {"type": "integer", "minimum": 1},
                           "estimated_wait_s": _num}}},
        "exit_keys": {"type": "object", "propertyNames": {"pattern": "^[0-9*#]$"},
                      "additionalProperties": {
                          "type": "object", "additionalProperties": False, "required": ["action"],
                          "properties": {"action": {"enum": list(OVERFLOW_ACTIONS)},
                                         "target": {"type": "string"}}}},
        "alerts": {"type": "object", "additionalProperties": False, "properties": {
            "service_level_below": {"type": "number", "minimum": 0, "maximum": 1},
            "longest_wait_s": {"type": "number", "exclusiveMinimum": 0},
            "abandon_rate_above": {"type": "number", "minimum": 0, "maximum": 1}}},
    },
}
FILE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["queues"], "additionalProperties": False,
    "properties": {"queues": {"type": "object", "propertyNames": _name,
                              "additionalProperties": QUEUE_SCHEMA}},
}


def _build(name: str, d: dict, file: str, line: int | None) -> QueueConfig:
    relax = sorted((RelaxStep(float(r["after_s"]), r.get("max_min_level"), tuple(r.get("drop", ())))
                    for r in d.get("relax", [])), key=lambda r: r.after_s)
    rules = [OverflowRule(name=r.get("name") or f"{name}#{i + 1}:{r['action']}", action=r["action"],
                          target=r.get("target"), after_s=r.get("after_s"), no_agents=bool(r.get("no_agents")),
                          queue_length=r.get("queue_length"), estimated_wait_s=r.get("estimated_wait_s"))
             for i, r in enumerate(d.get("overflow", []))]
    keys = {str(k): ExitKey(v["action"], v.get("target")) for k, v in d.get("exit_keys", {}).items()}
    plain = {k: v for k, v in d.items() if k not in ("relax", "overflow", "exit_keys", "alerts")}
    return QueueConfig(name=name, relax=relax, overflow=rules, exit_keys=keys, alerts=AlertLimits(**d.get("alerts", {})),
                       file=file, line=line, **plain)


def _parse(data: Any, locator: Locator) -> tuple[dict[str, QueueConfig], list[ConfigError]]:
    errors = schema_errors(data, FILE_SCHEMA, locator)
    if errors:
        return {}, errors
    out = {}
    for name, d in data["queues"].items():
        out[name] = _build(name, d, locator.file, locator.line(["queues", name]))
    return out, []


def _where(q: QueueConfig, *path: Any) -> list[Any]:
    return ["queues", q.name, *path]


def check(queues: dict[str, QueueConfig], locators: dict[str, Locator], skills: set[str] | None,
          agents: list[Agent] | None) -> list[ConfigError]:
    """Cross-checks: skills exist, targets exist, no overflow cycle, requirements can be met."""
    errors: list[ConfigError] = []

    def err(q: QueueConfig, path: list[Any], message: str, fix: str) -> None:
        errors.append(locators[q.name].error(_where(q, *path), f"queue {q.name}: {message}", fix))

    for q in queues.values():
        if skills is not None:
            used: list[tuple[list[str | int], str]] = [(["requirements", s], s) for s in q.requirements]
            used += [(["language_skills", lang], s) for lang, s in q.language_skills.items()]
            used += [(["relax", i, "drop"], s) for i, r in enumerate(q.relax) for s in r.drop]
            for path, s in used:
                if s not in skills:
                    err(q, path, f"unknown skill {s!r}", f"add it to {SKILLS_FILE} or use one of "
                                                         f"{sorted(skills)[:12]}")
        if q.vip_queue is not None and q.vip_queue not in queues:
            err(q, ["vip_queue"], f"vip_queue {q.vip_queue!r} is not a queue", "name a defined queue")
        for i, rule in enumerate(q.overflow):
            if rule.action in QUEUE_TARGET_ACTIONS:
                if not rule.target:
                    err(q, ["overflow", i], f"overflow rule {rule.name!r} ({rule.action}) needs a target queue",
                        "add target: <queue>")
                elif rule.target not in queues:
                    err(q, ["overflow", i, "target"], f"overflow target {rule.target!r} is not a queue",
                        "name a defined queue")
                elif rule.target == q.name:
                    err(q, ["overflow", i, "target"], "an overflow rule targets its own queue",
                        "target another queue")
        for digit, key in q.exit_keys.items():
            if key.action in QUEUE_TARGET_ACTIONS and key.target not in queues:
                err(q, ["exit_keys", digit], f"exit key {digit} targets unknown queue {key.target!r}",
                    "name a defined queue")
        for i, pattern in enumerate(q.outbound_allow):
            try:
                re.compile(pattern)
            except re.error as exc:
                err(q, ["outbound_allow", i], f"outbound_allow pattern {pattern!r} is not a regular expression ({exc})",
                    "write a Python/PCRE regular expression, e.g. ^\\+44[0-9]{10}$")
        if q.strategy == "most-skilled" and not q.requirements and not q.language_skills:
            pass  # allowed: ranks by total proficiency
    errors += _cycles(queues, locators)
    if agents is not None:
        for q in queues.values():
            final = relaxed(tuple(sorted(q.requirements.items())), q, len(q.relax))
            if final and not any(qualifies(a, final) for a in _members(q, agents)):
                err(q, ["requirements"], f"no agent could ever meet {dict(final)} (even after every relax step)",
                    "lower the minimums, add a relax step, or give an agent the skill")
        errors += _overflow_targets(queues, locators, agents)
    return errors


def _members(q: QueueConfig, agents: list[Agent]) -> list[Agent]:
    return [a for a in agents if q.name in a.queues] or list(agents)


def _overflow_targets(queues: dict[str, QueueConfig], locators: dict[str, Locator],
                      agents: list[Agent]) -> list[ConfigError]:
    """A widen or move must reach an agent: some agent of the target meets what the call needs there
    (skills.overflow_requirements: the target's requirements and the caller's language skill), for a
    call without a language and for every language the source queue maps, after every relax step.
    A language no agent speaks at all is left out: no rule can help those callers."""
    errors = []
    spoken = {skill for a in agents for skill in a.skills}
    for q in queues.values():
        for i, rule in enumerate(q.overflow):
            target = queues.get(rule.target or "")
            if rule.action not in QUEUE_TARGET_ACTIONS or target is None or target is q:
                continue
            for language in [None, *q.language_skills]:
                lang = language_skill(language, target, q)
                if lang is not None and lang[0] not in spoken:
                    continue
                need = overflow_requirements(language, q, target)
                final = relaxed(need, target, len(target.relax))
                if final and not any(qualifies(a, final) for a in _members(target, agents)):
                    who = f"a caller speaking {language!r}" if language else "a call"
                    errors.append(locators[q.name].error(
                        _where(q, "overflow", i, "target"),
                        f"queue {q.name}: overflow rule {rule.name!r} ({rule.action} to {target.name}) reaches "
                        f"nobody: in {target.name} {who} needs {dict(need)} and no agent of {target.name} has it "
                        f"(even after its relax steps)",
                        f"give an agent of {target.name} {dict(final)}, lower {target.name}'s "
                        f"requirements, or target a queue whose agents can take these calls"))
                    break
    return errors


def _cycles(queues: dict[str, QueueConfig], locators: dict[str, Locator]) -> list[ConfigError]:
    edges = {name: [(i, r.target) for i, r in enumerate(q.overflow)
                    if r.action in QUEUE_TARGET_ACTIONS and r.target in queues and r.target != name]
             for name, q in queues.items()}
    return [locators[node].error(
        _where(queues[node], "overflow", index, "target"),
        f"overflow targets form a cycle: {' -> '.join(cycle)}",
        "remove one of the widen/move rules so calls cannot overflow back")
        for node, index, cycle in find_cycles(edges)]


def skill_names(queues_dir: str | Path) -> set[str] | None:
    """The skills the deployment declares (``skills.yaml`` beside the queues), None without the file."""
    path = Path(queues_dir) / SKILLS_FILE
    return _load_skills(path) if path.is_file() else None


def _load_skills(path: Path) -> set[str]:
    data, locator = load(path)
    items = data.get("skills") if isinstance(data, dict) else None
    if isinstance(items, dict):
        return {str(k) for k in items}
    if isinstance(items, list) and all(isinstance(s, str) for s in items):
        return set(items)
    raise ConfigErrors([ConfigError(str(path), 1, "skills.yaml must hold `skills:` as a list of names "
                                                  "or a mapping name -> description")])


def _merge(parts: list[tuple[Any, Locator]], skills: set[str] | None,
           agents: list[Agent] | None) -> dict[str, QueueConfig]:
    queues: dict[str, QueueConfig] = {}
    locators: dict[str, Locator] = {}
    errors: list[ConfigError] = []
    for data, locator in parts:
        got, errs = _parse(data, locator)
        errors += errs
        for name, q in got.items():
            if name in queues:
                errors.append(locator.error(["queues", name], f"queue {name!r} is already defined in "
                                                              f"{queues[name].file}", "rename one of them"))
                continue
            queues[name], locators[name] = q, locator
    if not errors:
        errors = check(queues, locators, skills, agents)
    if errors:
        raise ConfigErrors(errors)
    return queues


def load_queues(path_or_dir: str | Path, skills: set[str] | None = None,
                agents: list[Agent] | None = None) -> dict[str, QueueConfig]:
    """Load one file or every *.yaml in a folder (skills.yaml there supplies ``skills`` when not given)."""
    path = Path(path_or_dir)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.yaml") if p.name != SKILLS_FILE)
        skills_path = path / SKILLS_FILE
    else:
        files = [path]
        skills_path = path.parent / SKILLS_FILE
    if skills is None and skills_path.exists():
        skills = _load_skills(skills_path)
    parts, errors = [], []
    for f in files:
        try:
            parts.append(load(f))
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    if not files:
        raise ConfigErrors([ConfigError(str(path), None, "no queue files found", "add queues/<name>.yaml")])
    return _merge(parts, skills, agents)


def queues_from_data(data: dict, file: str, skills: set[str] | None = None,
                     agents: list[Agent] | None = None, text: str | None = None) -> dict[str, QueueConfig]:
    """Queues from already-parsed data (e.g. a scenario file). Pass the YAML ``text`` for line numbers."""
    locator = loads(text, file)[1] if text is not None else Locator(file, None)
    return _merge([(data, locator)], skills, agents)


class QueueRegistry:
    """The queue configuration in force. A failed reload keeps the previous one."""

    def __init__(self, path: str | Path, skills: set[str] | None = None, agents: list[Agent] | None = None):
        self.path, self.skills, self.agents = Path(path), skills, agents
        self._queues = load_queues(self.path, skills, agents)
        self.last_errors: list[ConfigError] = []

    def current(self) -> dict[str, QueueConfig]:
        return self._queues

    def get(self, name: str) -> QueueConfig | None:
        return self._queues.get(name)

    def reload(self, agents: list[Agent] | None = None) -> bool:
        """True when the new files are in force; False (and ``last_errors`` set) when they were rejected."""
        try:
            self._queues = load_queues(self.path, self.skills, agents if agents is not None else self.agents)
        except ConfigErrors as exc:
            self.last_errors = exc.errors
            log.error("queue reload rejected, keeping the previous configuration:\n%s", exc)
            return False
        self.last_errors = []
        return True
