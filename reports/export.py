"""CSV export of report rows (call KPIs or agent KPIs)."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Iterable, Sequence


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def to_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """One header line, then one line per row. A ``breaks`` dict becomes ``break:<reason>`` columns."""
    rows = list(rows)
    reasons = sorted({r for row in rows for r in (row.get("breaks") or {})})
    header = [c for c in columns if c != "breaks"] + [f"break:{r}" for r in reasons]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        line = [_cell(row.get(c)) for c in columns if c != "breaks"]
        line += [_cell((row.get("breaks") or {}).get(r, 0.0)) for r in reasons]
        writer.writerow(line)
    return out.getvalue()
