"""Creating and editing agents: one set of rules for the admin pages, the REST API and the CLI.

``AgentForm`` is what an admin submits; ``check`` names every problem by field, and
``save`` writes nothing unless there is none. A form carries the ``version`` of the agent it
was opened on (a digest of the stored values): when someone else saved in between, ``save``
refuses with "changed since you opened it" instead of overwriting. A new agent gets a SIP
password, shown once; ``new_sip_password`` replaces it.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from records.accounts import DbSession

from records.models import Agent, AgentSkill, Skill

AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
EXTENSION = re.compile(r"^[0-9]{2,10}$")
LEVELS = range(1, 11)
SIP_PASSWORD_BYTES = 18


class Conflict(Exception):
    """The agent changed since the form was opened."""


class Invalid(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass
class AgentForm:
    id: str
    name: str = ""
    extension: str = ""
    skills: dict[str, int] = field(default_factory=dict)
    queues: list[str] = field(default_factory=list)      # offer order
    wrap_up_s: float | None = None                       # None: the queue's, else the default
    version: str | None = None                           # of the agent as opened; None for a new one

    @classmethod
    def from_agent(cls, agent: Agent) -> "AgentForm":
        return cls(id=agent.id, name=agent.name, extension=agent.extension,
                   skills={s.skill.name: s.proficiency for s in agent.skills}, queues=list(agent.queues or []),
                   wrap_up_s=agent.wrap_up_s, version=version_of(agent))

    def values(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "extension": self.extension, "skills": dict(sorted(self.skills.items())),
                "queues": list(self.queues), "wrap_up_s": self.wrap_up_s}


def version_of(agent: Agent) -> str:
    values = AgentForm(id=agent.id, name=agent.name, extension=agent.extension,
                       skills={s.skill.name: s.proficiency for s in agent.skills}, queues=list(agent.queues or []),
                       wrap_up_s=agent.wrap_up_s).values()
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def get(session: DbSession, agent_id: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.id == agent_id)
                          .options(selectinload(Agent.skills).selectinload(AgentSkill.skill)))


def list_agents(session: DbSession) -> list[Agent]:
    return list(session.scalars(select(Agent).options(selectinload(Agent.skills).selectinload(AgentSkill.skill))
                                .order_by(Agent.position, Agent.id)))


def check(session: DbSession, form: AgentForm, known_queues: set[str], new: bool,
          known_skills: set[str] | None = None) -> dict[str, str]:
    """Every problem with the form, by field; empty when it can be saved. ``known_skills``: the
    deployment's (queues/skills.yaml, the source of truth); None: the skills the database holds."""
    problems: dict[str, str] = {}
    if not AGENT_ID.match(form.id or ""):
        problems["id"] = "an id is 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    elif new and session.get(Agent, form.id) is not None:
        problems["id"] = f"agent {form.id} already exists"
    if not (form.name or "").strip():
        problems["name"] = "a name is required"
    if not EXTENSION.match(form.extension or ""):
        problems["extension"] = "an extension is 2-10 digits"
    else:
        owner = session.scalar(select(Agent.id).where(Agent.extension == form.extension))
        if owner is not None and owner != form.id:
            problems["extension"] = f"extension {form.extension} is already agent {owner}'s"
    if known_skills is None:
        known_skills = set(session.scalars(select(Skill.name)))
    unknown = sorted(set(form.skills) - known_skills)
    if unknown:
        problems["skills"] = f"unknown skill(s) {', '.join(unknown)}; known: {', '.join(sorted(known_skills))}"
    else:
        bad = sorted(name for name, level in form.skills.items() if level not in LEVELS)
        if bad:
            problems["skills"] = f"a level is 1 to 10 ({', '.join(bad)})"
    unknown_queues = [q for q in form.queues if q not in known_queues]
    if unknown_queues:
        problems["queues"] = f"unknown queue(s) {', '.join(unknown_queues)}; known: {', '.join(sorted(known_queues))}"
    elif len(set(form.queues)) != len(form.queues):
        problems["queues"] = "a queue is listed twice"
    if form.wrap_up_s is not None and not 0 <= form.wrap_up_s <= 3600:
        problems["wrap_up_s"] = "wrap-up is 0 to 3600 seconds (empty: the queue's)"
    return problems


def save(session: DbSession, form: AgentForm, known_queues: set[str],
         known_skills: set[str] | None = None) -> tuple[Agent, str | None, dict]:
    """Create or update; returns (agent, the new SIP password when one was made, the before values).
    Raises Invalid or Conflict; the caller commits."""
    existing = get(session, form.id) if form.version is not None else None
    new = form.version is None
    if not new and existing is None:
        raise Conflict(f"agent {form.id} was deleted since you opened it")
    if existing is not None and version_of(existing) != form.version:
        raise Conflict(f"agent {form.id} changed since you opened it: reload to see the other change")
    problems = check(session, form, known_queues, new=new, known_skills=known_skills)
    if problems:
        raise Invalid(problems)
    before = AgentForm.from_agent(existing).values() if existing is not None else {}
    password = None
    if existing is None:
        password = new_password()
        existing = Agent(id=form.id, sip_password=password, position=_next_position(session))
        session.add(existing)
    existing.name, existing.extension = form.name.strip(), form.extension
    existing.queues, existing.wrap_up_s = list(form.queues), form.wrap_up_s
    _set_skills(session, existing, form.skills)
    session.flush()
    return existing, password, before


def _set_skills(session: DbSession, agent: Agent, levels: dict[str, int]) -> None:
    """In place: a skill kept keeps its row (same key), a dropped one is deleted, a new one added."""
    held = {s.skill.name: s for s in agent.skills}
    for name in set(held) - set(levels):
        agent.skills.remove(held[name])
    skills = {s.name: s for s in session.scalars(select(Skill).where(Skill.name.in_(list(levels))))}
    for name, level in levels.items():
        if name in held:
            held[name].proficiency = level
        else:   # a skill declared in skills.yaml since the database was seeded gets its row now
            skill = skills.get(name) or Skill(name=name)
            agent.skills.append(AgentSkill(skill=skill, proficiency=level))


def upsert(session: DbSession, form: AgentForm, known_queues: set[str],
           known_skills: set[str] | None = None) -> tuple[Agent, str | None, dict]:
    """``save`` as a create when the id is new, else as an update of what is stored now (imports, CLI)."""
    existing = get(session, form.id)
    form.version = version_of(existing) if existing is not None else None
    return save(session, form, known_queues, known_skills)


# -- CSV (console and CLI) -------------------------------------------------------------------------------
CSV_FIELDS = ("id", "name", "extension", "skills", "queues", "wrap_up_s")


def write_csv(session: DbSession, out) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for agent in list_agents(session):
        values = AgentForm.from_agent(agent).values()
        writer.writerow({**values, "skills": " ".join(f"{k}:{v}" for k, v in values["skills"].items()),
                         "queues": " ".join(values["queues"]),
                         "wrap_up_s": "" if values["wrap_up_s"] is None else values["wrap_up_s"]})


def form_from_csv(row: dict) -> AgentForm:
    skills = {}
    for item in (row.get("skills") or "").split():
        name, _sep, level = item.partition(":")
        if not level.isdigit():
            raise ValueError(f"skills: write name:level, e.g. english:7 (got {item!r})")
        skills[name] = int(level)
    return AgentForm(id=(row.get("id") or "").strip(), name=(row.get("name") or "").strip(),
                     extension=(row.get("extension") or "").strip(), skills=skills,
                     queues=(row.get("queues") or "").replace(",", " ").split(),
                     wrap_up_s=seconds(row.get("wrap_up_s") or ""))


def seconds(text: str) -> float | None:
    """A wrap-up field: empty is None (the queue's); text that is not a number is refused by check()."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return -1.0


def new_sip_password(session: DbSession, agent_id: str) -> str:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise Invalid({"id": f"no agent {agent_id}"})
    agent.sip_password = new_password()
    return agent.sip_password


def new_password() -> str:
    return secrets.token_urlsafe(SIP_PASSWORD_BYTES)


def _next_position(session: DbSession) -> int:
    positions = list(session.scalars(select(Agent.position)))
    return max(positions, default=-1) + 1
