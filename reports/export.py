"""Export of report rows (call KPIs, agent KPIs, call lists): CSV, and Excel (.xlsx, XlsxWriter).

Both have the same columns: ``columns`` in order, a ``breaks`` dict becoming ``break:<reason>``
columns. The CSV keeps raw values (seconds, fractions) for scripts; the workbook has typed cells a
manager reads: durations as [h]:mm:ss, rates as percentages, dates as dates, a frozen header row.
Text is never a formula: the CSV quotes a cell starting with = + - @ (as /admin/audit.csv does), the
workbook writes text cells as strings.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Iterable, Mapping, Sequence


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value   # a spreadsheet would run it as a formula (CSV injection; a caller ID is anyone's text)
    return str(value)


def _layout(rows: list[dict], columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """(plain columns, break reasons): the breaks dict spreads into one column per reason."""
    reasons = sorted({r for row in rows for r in (row.get("breaks") or {})})
    return [c for c in columns if c != "breaks"], reasons


def to_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """One header line, then one line per row. A ``breaks`` dict becomes ``break:<reason>`` columns."""
    rows = list(rows)
    plain, reasons = _layout(rows, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(plain + [f"break:{r}" for r in reasons])
    for row in rows:
        line = [_cell(row.get(c)) for c in plain]
        line += [_cell((row.get("breaks") or {}).get(r, 0.0)) for r in reasons]
        writer.writerow(line)
    return out.getvalue()


def to_xlsx(rows: Iterable[dict], columns: Sequence[str], headers: Mapping[str, str] | None = None,
            percent: Sequence[str] = (), sheet: str = "Report") -> bytes:
    """A workbook with one sheet: ``headers`` names the columns (else the keys); columns in
    ``percent`` are fractions shown as %, columns ending in ``_s`` are seconds shown as [h]:mm:ss."""
    import xlsxwriter

    rows = list(rows)
    plain, reasons = _layout(rows, columns)
    headers = headers or {}
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "remove_timezone": True})
    fmt = {"head": book.add_format({"bold": True, "bottom": 1}), "pct": book.add_format({"num_format": "0.0%"}),
           "dur": book.add_format({"num_format": "[h]:mm:ss"}), "when": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
           "num": book.add_format({"num_format": "#,##0.##"})}
    ws = book.add_worksheet(sheet[:31])
    titles = [headers.get(c, c) for c in plain] + [f"{headers.get('breaks', 'break')}: {r}" for r in reasons]
    for x, title in enumerate(titles):
        ws.write_string(0, x, title, fmt["head"])
        ws.set_column(x, x, max(10, min(40, len(title) + 2)))
    for y, row in enumerate(rows, start=1):
        for x, c in enumerate(plain):
            _write(ws, y, x, c, row.get(c), fmt, percent)
        for i, r in enumerate(reasons):
            _write(ws, y, len(plain) + i, "break_s", (row.get("breaks") or {}).get(r, 0.0), fmt, percent)
    ws.freeze_panes(1, 0)
    if rows and titles:
        ws.autofilter(0, 0, len(rows), len(titles) - 1)
    book.close()
    return out.getvalue()


def _write(ws, y: int, x: int, column: str, value, fmt: dict, percent: Sequence[str]) -> None:
    if value is None or value == "":
        ws.write_blank(y, x, None)
    elif isinstance(value, bool):
        ws.write_boolean(y, x, value)
    elif isinstance(value, datetime):
        ws.write_datetime(y, x, value, fmt["when"])
    elif isinstance(value, (int, float)) and column in percent:
        ws.write_number(y, x, float(value), fmt["pct"])
    elif isinstance(value, (int, float)) and column.endswith("_s"):
        ws.write_number(y, x, float(value) / 86400.0, fmt["dur"])
    elif isinstance(value, (int, float)):
        ws.write_number(y, x, value, fmt["num"])
    elif isinstance(value, (list, tuple)):
        ws.write_string(y, x, ", ".join(str(v) for v in value))
    else:
        ws.write_string(y, x, str(value))
