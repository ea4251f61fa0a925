"""Demo data for `hotline db seed`: users, agents with skills, queues, customers, tickets. Idempotent."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from records.customers import upsert_customer
from records.models import Agent, AgentSkill, Queue, Skill, Ticket, User

SKILLS = {"english": "English-speaking", "billing": "Invoices and payments", "sales": "New business",
          "mandarin": "Mandarin-speaking", "vip": "Senior group for top-tier customers"}
AGENTS = [  # id, name, extension, skills, queues in offer order
    ("alice", "Alice Martin", "1001", {"english": 9, "billing": 8, "sales": 3}, ["billing", "support"]),
    ("bob", "Bob Jones", "1002", {"english": 7, "sales": 9, "billing": 3}, ["sales", "support"]),
    ("carol", "Carol Wu", "1003", {"english": 8, "mandarin": 9, "vip": 9, "billing": 6},
     ["vip", "mandarin", "billing", "support"]),
    ("dave", "Dave Chen", "1004", {"english": 6, "mandarin": 7}, ["mandarin", "support"]),
]
QUEUES = [("support", "longest-idle-agent"), ("billing", "most-skilled"), ("sales", "round-robin"),
          ("mandarin", "longest-idle-agent"), ("vip", "top-down")]
CUSTOMERS: list[dict[str, Any]] = [
    dict(number="+14155550100", name="Ann Lee", tier="vip", tags=["vip", "enterprise"], language="en",
         account="1001", fields={"company": "Lee Logistics", "plan": "Enterprise", "card_number": "4111111111111111"}),
    dict(number="+14155550101", name="王伟 (Wei Wang)", tier="gold", tags=["mandarin"], language="zh",
         account="1002", fields={"company": "Golden Gate Imports", "plan": "Business"}),
    dict(number="+14155550102", name="Sam Patel", tier="standard", tags=[], language="en",
         account="1003", fields={"plan": "Basic", "dob": "1980-04-02"}),
]
TICKETS = [("+14155550100", "Invoice 2291 charged twice"), ("+14155550100", "Upgrade to 20 seats"),
           ("+14155550101", "Shipping label in Chinese")]


def seeded_passwords() -> dict[str, str]:
    """user name -> the demo password `hotline db seed` gives it (the name itself). Outside demo
    mode no process starts while one of these still works (control/production.py)."""
    return {name: name for name in [a[0] for a in AGENTS] + ["supervisor", "admin"]}


def _user(session, username: str, role: str, agent_id: str | None = None, locale: str | None = None) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, role=role, agent_id=agent_id, locale=locale)
        user.set_password(seeded_passwords()[username])   # demo only: password = username
        session.add(user)
    return user


def seed(session_factory) -> dict[str, int]:
    counts = {"users": 0, "agents": 0, "customers": 0, "tickets": 0}
    with session_factory() as session:
        skills = {}
        for name, description in SKILLS.items():
            skill = session.scalar(select(Skill).where(Skill.name == name))
            if skill is None:
                skill = Skill(name=name, description=description)
                session.add(skill)
            skills[name] = skill
        for name, strategy in QUEUES:
            if session.scalar(select(Queue).where(Queue.name == name)) is None:
                session.add(Queue(name=name, strategy=strategy, config={}))
        session.flush()
        for position, (agent_id, name, ext, levels, queues) in enumerate(AGENTS):
            agent = session.get(Agent, agent_id)
            if agent is None:
                agent = Agent(id=agent_id, name=name, extension=ext, position=position,
                              sip_password=secrets.token_urlsafe(12), queues=queues)
                session.add(agent)
                for skill, level in levels.items():
                    agent.skills.append(AgentSkill(skill=skills[skill], proficiency=level))
                counts["agents"] += 1
            _user(session, agent_id, "agent", agent_id=agent_id, locale="zh" if agent_id == "dave" else None)
        _user(session, "supervisor", "supervisor")
        _user(session, "admin", "admin")
        session.flush()
        counts["users"] = len(session.scalars(select(User)).all())
        for c in CUSTOMERS:
            upsert_customer(session, c["number"], c["name"], c["tier"], c["tags"], c["fields"], c["language"],
                            c["account"])
            counts["customers"] += 1
        from records.customers import find_by_number

        for number, subject in TICKETS:
            customer = find_by_number(session, number)
            if customer is None:
                raise RuntimeError(f"seed: the ticket's customer {number} is not in CUSTOMERS")
            exists = session.scalar(select(Ticket).where(Ticket.customer_id == customer.id,
                                                         Ticket.subject == subject))
            if exists is None:
                session.add(Ticket(customer_id=customer.id, subject=subject, status="open"))
                counts["tickets"] += 1
        session.commit()
    return counts
