"""Customer import from CSV: numbers to E.164, duplicates merged, rejected rows reported by line.

Columns (header row, case-insensitive): ``name``, ``number`` (several numbers separated by ``;``
or ``|``), optional ``tier``, ``tags`` (``;``/``|``), ``language``, ``account``; any other column
becomes a custom field. Rows sharing a number or an account, in the file or with a customer
already in the database, are one customer: tags are united, fields merged, later values win.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from control.domain.numbers import normalize
from records.customers import find_by_number
from records.models import Customer, CustomerNumber

E164 = re.compile(r"^\+[1-9]\d{5,14}$")
SPLIT = re.compile(r"[;|]")
ALIASES = {"full_name": "name", "phone": "number", "phones": "number", "numbers": "number", "lang": "language"}
KNOWN = ("name", "number", "tier", "tags", "language", "account")
LIMITS = {"name": 300, "tier": 20, "language": 16, "account": 64}
MAX_ROWS = 100_000


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0          # rows folded into an earlier row of the same file
    rejected: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "merged": self.merged,
                "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected]}


@dataclass
class Group:
    lines: list[int]
    numbers: list[str]
    values: dict[str, Any]
    tags: list[str]
    fields: dict[str, str]


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("the file is not UTF-8 text") from exc


def _rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ValueError("the file is empty")
    names = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    if "name" not in names or "number" not in names:
        raise ValueError("the header needs a name and a number column")
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield line, None, f"{len(cells)} columns where the header has {len(names)}"
            continue
        yield line, dict(zip(names, (c.strip() for c in cells))), None


def _parse(row: dict[str, str], region: str) -> tuple[dict[str, Any] | None, str | None]:
    for key, limit in LIMITS.items():
        if len(row.get(key) or "") > limit:
            return None, f"{key} is longer than {limit} characters"
    if not row.get("name"):
        return None, "no name"
    numbers = []
    for raw in SPLIT.split(row.get("number") or ""):
        if not raw.strip():
            continue
        e164 = normalize(raw, region)
        if not E164.match(e164):
            return None, f"not a phone number: {raw.strip()[:40]}"
        numbers.append(e164)
    if not numbers:
        return None, "no number"
    tags = [t.strip()[:50] for t in SPLIT.split(row.get("tags") or "") if t.strip()]
    extra = {k: v[:500] for k, v in row.items() if k not in KNOWN and k and v}
    values = {k: row[k] for k in ("name", "tier", "language", "account") if row.get(k)}
    if "tier" in values:
        values["tier"] = values["tier"].lower()
    return {"numbers": list(dict.fromkeys(numbers)), "values": values, "tags": tags, "fields": extra}, None


def _group(text: str, region: str, report: ImportReport) -> list[Group]:
    groups: list[Group] = []
    index: dict[str, Group] = {}        # "n:+1..." / "a:ACC" -> group
    for line, row, problem in _rows(text):
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} rows; split the file")
        parsed, problem = _parse(row, region) if row is not None else (None, problem)
        if parsed is None:
            report.rejected.append(Rejected(line, problem or "unreadable"))
            continue
        keys = [f"n:{n}" for n in parsed["numbers"]]
        if parsed["values"].get("account"):
            keys.append(f"a:{parsed['values']['account']}")
        found = [index[k] for k in keys if k in index]
        if found and any(g is not found[0] for g in found):
            report.rejected.append(Rejected(line, "its numbers belong to two different customers in this file"))
            continue
        group = found[0] if found else None
        if group is None:
            group = Group([], [], {}, [], {})
            groups.append(group)
        else:
            report.merged += 1
        group.lines.append(line)
        group.numbers = list(dict.fromkeys(group.numbers + parsed["numbers"]))
        group.values.update(parsed["values"])
        group.tags = list(dict.fromkeys(group.tags + parsed["tags"]))
        group.fields.update(parsed["fields"])
        for k in keys:
            index[k] = group
    return groups


def _existing(session, group: Group) -> tuple[Customer | None, str | None]:
    owners = {c.id: c for c in (find_by_number(session, n) for n in group.numbers) if c is not None}
    account = group.values.get("account")
    if account:
        by_account = session.scalar(select(Customer).where(Customer.account == account))
        if by_account is not None:
            owners[by_account.id] = by_account
    if len(owners) > 1:
        return None, f"matches several existing customers: #{', #'.join(str(i) for i in sorted(owners))}"
    return (next(iter(owners.values())) if owners else None), None


def import_customers(session, data: bytes | str, region: str = "US") -> ImportReport:
    """Import into ``session`` (flushed, not committed: the caller commits with its audit entry)."""
    report = ImportReport()
    for group in _group(decode(data), region, report):
        customer, problem = _existing(session, group)
        if problem:
            report.rejected.extend(Rejected(line, problem) for line in group.lines)
            continue
        if customer is None:
            customer = Customer(name=group.values["name"], tier="standard", tags=[], fields={})
            session.add(customer)
            report.created += 1
        else:
            report.updated += 1
        for key, value in group.values.items():
            setattr(customer, key, value)
        customer.tags = list(dict.fromkeys([*(customer.tags or []), *group.tags]))
        customer.fields = {**(customer.fields or {}), **group.fields}
        owned = {n.e164 for n in customer.numbers}
        customer.numbers.extend(CustomerNumber(e164=n) for n in group.numbers if n not in owned)
        session.flush()
    report.rejected.sort(key=lambda r: r.line)
    return report
