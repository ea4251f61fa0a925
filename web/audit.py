"""Audit trail: who saw or changed which customer data, when, from where.

Rows are only ever added (``audit``); the application has no route that edits or deletes them
(tests/unit/test_audit_trail.py walks the URL map). The admin page reads them through
``AuditFilter``: by user, action, object, date range and free-text search, a page at a time or as CSV.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator, Mapping

from flask import request
from flask_login import current_user
from sqlalchemy import Select, String, cast, or_, select

from records.models import AuditLog
from web.extensions import db

PAGE_SIZE = 50
CSV_LIMIT = 100_000
CSV_COLUMNS = ("id", "at", "who", "action", "target", "ip", "details")


def audit(action: str, target: str | None = None, **details: Any) -> AuditLog:
    """Add an entry to the current session; the caller's commit writes it with the change."""
    who = current_user.username if getattr(current_user, "is_authenticated", False) else None
    entry = AuditLog(who=who, action=action, target=target, details=details,
                     ip=request.remote_addr if request else None)
    db.session.add(entry)
    return entry


class BadFilter(ValueError):
    """A filter value the page cannot use; the message says which and how to write it."""


def _day(args: Mapping[str, str], key: str) -> date | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(f"{key} must be a date written YYYY-MM-DD, not {raw[:20]!r}") from None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""          # exact user name
    action: str = ""       # exact action, or a prefix ending in "." (e.g. "call.")
    target: str = ""       # part of the object, e.g. "call:c-1" or "customer:"
    start: date | None = None
    end: date | None = None   # inclusive
    q: str = ""            # free text in user, action, object, address and details
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "AuditFilter":
        if any("\x00" in str(v) for v in args.values()):
            raise BadFilter("a filter may not contain NUL characters")
        page = (args.get("page") or "1").strip()
        if not page.isdigit() or int(page) < 1:
            raise BadFilter("page must be a whole number from 1")
        start, end = _day(args, "start"), _day(args, "end")
        if start and end and end < start:
            raise BadFilter("end must not be before start")
        return cls(who=(args.get("who") or "").strip()[:80], action=(args.get("action") or "").strip()[:64],
                   target=(args.get("target") or "").strip()[:200], start=start, end=end,
                   q=(args.get("q") or "").strip()[:200], page=min(int(page), 1_000_000))

    def args(self, **changes: Any) -> dict[str, str]:
        """The filter as query arguments (for links to other pages and the CSV export)."""
        values = {"who": self.who, "action": self.action, "target": self.target,
                  "start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end else "",
                  "q": self.q, "page": str(self.page), **{k: str(v) for k, v in changes.items()}}
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}

    def query(self) -> Select:
        query = select(AuditLog)
        if self.who:
            query = query.where(AuditLog.who == self.who)
        if self.action:
            query = query.where(AuditLog.action.like(_like(self.action)[1:], escape="\\")
                                if self.action.endswith(".") else AuditLog.action == self.action)
        if self.target:
            query = query.where(AuditLog.target.like(_like(self.target), escape="\\"))
        if self.start:
            query = query.where(AuditLog.at >= datetime.combine(self.start, time(), timezone.utc))
        if self.end:
            query = query.where(AuditLog.at < datetime.combine(self.end + timedelta(days=1), time(), timezone.utc))
        if self.q:
            pattern = _like(self.q.lower())
            columns = (AuditLog.who, AuditLog.action, AuditLog.target, AuditLog.ip, cast(AuditLog.details, String))
            query = query.where(or_(*(db.func.lower(c).like(pattern, escape="\\") for c in columns)))
        return query.order_by(AuditLog.id.desc())


def page_of(flt: AuditFilter) -> tuple[list[AuditLog], bool]:
    """The rows of ``flt.page``, newest first, and whether another page follows."""
    rows = db.session.scalars(flt.query().offset((flt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    # a spreadsheet runs a cell that starts with one of these as a formula (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(flt: AuditFilter) -> Iterator[str]:
    """Every matching row (up to CSV_LIMIT), newest first, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in db.session.scalars(flt.query().limit(CSV_LIMIT)):
        writer.writerow([_cell(getattr(row, c)) for c in CSV_COLUMNS])
        if out.tell() > 64_000:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
