"""Which skills a call needs right now, and whether an agent has them.

A call needs the union of: its queue's requirements, the skill for its language
(``language_skills``) and the requirements the IVR put on the call; the highest
minimum wins. Relax steps then loosen that set as the call waits.

Widened or moved by overflow (docs/routing.md, Overflow and requirements), a call needs in
the target queue what a call of that queue needs: the target's requirements and its skill for
the caller's language, else the language skill of the queue the call came from. Neither the
original queue's requirements nor the IVR's skills follow the call; the target's relax steps
apply, by the call's whole wait.
"""
from __future__ import annotations

from typing import Mapping

from control.domain.models import Agent, Call
from control.domain.queue_config import QueueConfig

Reqs = tuple[tuple[str, int], ...]   # sorted (skill, minimum) pairs: hashable, cheap to compare


def base_requirements(call: Call, queue: QueueConfig) -> Reqs:
    need = dict(_language_need(call.language, queue, queue))
    for req in call.requirements:
        need[req.skill] = max(need.get(req.skill, 0), req.min_level)
    return tuple(sorted(need.items()))


def overflow_requirements(language: str | None, source: QueueConfig, target: QueueConfig) -> Reqs:
    """What a call of ``source`` in ``language`` needs once widened or moved to ``target``."""
    return tuple(sorted(_language_need(language, target, source).items()))


def language_skill(language: str | None, queue: QueueConfig, speaks_for: QueueConfig) -> tuple[str, int] | None:
    """(skill, minimum) for ``language`` in ``queue``: its own mapping, else the one of ``speaks_for``
    (the queue a widened or moved call came from: its language goes with it)."""
    if language is None:
        return None
    mapper = queue if language in queue.language_skills else speaks_for
    skill = mapper.language_skills.get(language)
    return (skill, mapper.language_min_level) if skill else None


def _language_need(language: str | None, queue: QueueConfig, speaks_for: QueueConfig) -> dict[str, int]:
    need: dict[str, int] = dict(queue.requirements)
    lang = language_skill(language, queue, speaks_for)
    if lang:
        need[lang[0]] = max(need.get(lang[0], 0), lang[1])
    return need


def relax_stage(queue: QueueConfig, wait_s: float) -> int:
    """How many relax steps apply after ``wait_s`` seconds (0 = none)."""
    stage = 0
    for step in queue.relax:
        if wait_s >= step.after_s:
            stage += 1
        else:
            break
    return stage


def relaxed(reqs: Reqs, queue: QueueConfig, stage: int) -> Reqs:
    if stage == 0:
        return reqs
    need = dict(reqs)
    for step in queue.relax[:stage]:
        for skill in step.drop:
            need.pop(skill, None)
        if step.max_min_level is not None:
            need = {s: min(lvl, step.max_min_level) for s, lvl in need.items()}
    return tuple(sorted(need.items()))


def effective_requirements(call: Call, queue: QueueConfig, now: float) -> Reqs:
    return relaxed(base_requirements(call, queue), queue, relax_stage(queue, call.wait_s(now)))


def serving_requirements(call: Call, routing: QueueConfig, queues: Mapping[str, QueueConfig],
                         now: float) -> dict[str, Reqs]:
    """Per queue whose agents serve the call (its routing queue, the queues it was widened to):
    what they must meet now."""
    out = {routing.name: effective_requirements(call, routing, now)}
    for name in call.extra_queues:
        target = queues.get(name)
        if name in out or target is None:
            out.setdefault(name, out[routing.name])
            continue
        out[name] = relaxed(overflow_requirements(call.language, routing, target), target,
                            relax_stage(target, call.wait_s(now)))
    return out


def qualifies(agent: Agent, reqs: Reqs) -> bool:
    skills = agent.skills
    return all(skills.get(skill, 0) >= minimum for skill, minimum in reqs)


def proficiency(agent: Agent, reqs: Reqs) -> int:
    """Sum of the agent's levels in the required skills (all its skills when none are required)."""
    if not reqs:
        return sum(agent.skills.values())
    skills = agent.skills
    return sum(skills.get(skill, 0) for skill, _ in reqs)
