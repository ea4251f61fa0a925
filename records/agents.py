"""Agents from the database as domain objects for the live state."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from control.domain.models import Agent as LiveAgent
from records.models import Agent, AgentSkill


def load_agents(session_factory) -> list[LiveAgent]:
    with session_factory() as session:
        rows = session.scalars(select(Agent).options(selectinload(Agent.skills).selectinload(AgentSkill.skill))
                               .order_by(Agent.position, Agent.id)).all()
        return [to_live(a) for a in rows]


def to_live(a: Agent) -> LiveAgent:
    """The live-state agent of a row (its live fields, state and call, are the store's to keep)."""
    return LiveAgent(id=a.id, extension=a.extension, name=a.name or a.id,
                     skills={s.skill.name: s.proficiency for s in a.skills},
                     queues=list(a.queues or []), order=a.position, wrap_up_s=a.wrap_up_s)
