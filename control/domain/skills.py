"""Which skills a call needs right now, and whether an agent has them.

A call needs the union of: its queue's requirements, the skill for its language
(``language_skills``) and the requirements the IVR put on the call; the highest
minimum wins. Relax steps then loosen that set as the call waits.
"""
from __future__ import annotations

from control.domain.models import Agent, Call
from control.domain.queue_config import QueueConfig

Reqs = tuple[tuple[str, int], ...]   # sorted (skill, minimum) pairs: hashable, cheap to compare


def base_requirements(call: Call, queue: QueueConfig) -> Reqs:
    need: dict[str, int] = dict(queue.requirements)
    lang_skill = queue.language_skills.get(call.language)
    if lang_skill:
        need[lang_skill] = max(need.get(lang_skill, 0), queue.language_min_level)
    for req in call.requirements:
        need[req.skill] = max(need.get(req.skill, 0), req.min_level)
    return tuple(sorted(need.items()))


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


def qualifies(agent: Agent, reqs: Reqs) -> bool:
    skills = agent.skills
    return all(skills.get(skill, 0) >= minimum for skill, minimum in reqs)


def proficiency(agent: Agent, reqs: Reqs) -> int:
    """Sum of the agent's levels in the required skills (all its skills when none are required)."""
    if not reqs:
        return sum(agent.skills.values())
    skills = agent.skills
    return sum(skills.get(skill, 0) for skill, _ in reqs)
