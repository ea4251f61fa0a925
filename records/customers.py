"""The built-in customer store: the caller's card for the screen pop and the IVR."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select

from records.models import Call, Customer, CustomerNumber, Note, Ticket

LAST_CALLS = 5


def _unix(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:       # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def card(session, customer: Customer) -> dict[str, Any]:
    tickets = session.scalars(select(Ticket).where(Ticket.customer_id == customer.id, Ticket.status == "open")
                              .order_by(Ticket.created_at.desc(), Ticket.id.desc())).all()
    calls = session.scalars(select(Call).where(Call.customer_id == customer.id)
                            .order_by(Call.entered_at.desc().nulls_last(), Call.id.desc()).limit(LAST_CALLS)).all()
    notes: dict[str, str] = {}
    call_ids = [c.call_id for c in calls]
    if call_ids:
        for note in session.scalars(select(Note).where(Note.call_id.in_(call_ids)).order_by(Note.id)):
            notes[note.call_id] = note.text   # the latest note per call wins
    return {
        "id": customer.id,
        "account": customer.account,
        "name": customer.name,
        "tier": customer.tier,
        "tags": list(customer.tags or []),
        "fields": dict(customer.fields or {}),
        "language": customer.language,
        "numbers": [n.e164 for n in customer.numbers],
        "open_tickets": [{"id": t.id, "subject": t.subject, "status": t.status, "call_id": t.call_id,
                          "created": _unix(t.created_at)} for t in tickets],
        "last_calls": [{"call_id": c.call_id, "at": _unix(c.entered_at or c.ended_at), "outcome": c.outcome,
                        "disposition": c.disposition, "note": notes.get(c.call_id)} for c in calls],
    }


def find_by_number(session, e164: str) -> Customer | None:
    return session.scalar(select(Customer).join(CustomerNumber).where(CustomerNumber.e164 == e164))


class CustomerStore:
    """ports.CustomerLookup on the records database."""

    def __init__(self, session_factory):
        self.sessions = session_factory

    def by_number(self, e164: str) -> dict[str, Any] | None:
        if not e164:
            return None
        with self.sessions() as session:
            customer = find_by_number(session, e164)
            return card(session, customer) if customer else None

    def by_account(self, account: str) -> dict[str, Any] | None:
        account = str(account or "").strip()
        if not account:
            return None
        with self.sessions() as session:
            customer = session.scalar(select(Customer).where(Customer.account == account))
            if customer is None and account.isdigit() and len(account) < 10:
                customer = session.get(Customer, int(account))
            return card(session, customer) if customer else None


def upsert_customer(session, number: str | None, name: str, tier: str = "standard",
                    tags: Iterable[str] = (), fields: dict | None = None, language: str | None = None,
                    account: str | None = None) -> Customer:
    """Create or update the customer owning ``number`` (or ``account``)."""
    customer = find_by_number(session, number) if number else None
    if customer is None and account:
        customer = session.scalar(select(Customer).where(Customer.account == account))
    if customer is None:
        customer = Customer(name=name)
        session.add(customer)
    customer.name, customer.tier = name, tier or "standard"
    customer.tags, customer.fields = list(tags), dict(fields or {})
    customer.language = language
    if account:
        customer.account = account
    if number and not any(n.e164 == number for n in customer.numbers):
        customer.numbers.append(CustomerNumber(e164=number))
    session.flush()
    return customer


def upsert_customers(session_factory, customers: Iterable[dict[str, Any]]) -> int:
    """Scenario/seed helper: dicts with number, name, tier, tags, fields, language."""
    count = 0
    with session_factory() as session:
        for c in customers:
            upsert_customer(session, c.get("number"), c.get("name") or c.get("number") or "?",
                            c.get("tier") or "standard", c.get("tags") or (), c.get("fields"),
                            c.get("language"), c.get("account"))
            count += 1
        session.commit()
    return count
