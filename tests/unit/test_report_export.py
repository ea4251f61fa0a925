"""The reports' Excel export is a real workbook: typed cells, plain headers, the same columns as the CSV."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

from reports.export import to_csv, to_xlsx

ROWS = [{"bucket": datetime(2026, 3, 2, tzinfo=timezone.utc), "agent_id": "alice", "login_s": 3725.0,
         "occupancy": 0.8, "calls": 12345, "breaks": {"lunch": 1800.0}},
        {"bucket": datetime(2026, 3, 2, tzinfo=timezone.utc), "agent_id": "bob", "login_s": None,
         "occupancy": None, "calls": 0, "breaks": {}}]
COLUMNS = ("bucket", "agent_id", "login_s", "occupancy", "calls", "breaks")


def _sheet(data: bytes) -> tuple[str, str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return (book.read("xl/worksheets/sheet1.xml").decode(), book.read("xl/sharedStrings.xml").decode(),
                book.read("xl/styles.xml").decode())


def test_the_workbook_has_plain_headers_and_typed_cells():
    data = to_xlsx(ROWS, COLUMNS, headers={"agent_id": "Agent", "login_s": "Logged in", "breaks": "Break"},
                   percent=("occupancy",), sheet="Agents")
    assert data[:2] == b"PK"
    sheet, strings, styles = _sheet(data)
    for text in ("Agent", "Logged in", "occupancy", "Break: lunch", "alice", "bob"):
        assert f">{text}<" in strings
    assert "[h]:mm:ss" in styles and "0.0%" in styles and "yyyy-mm-dd hh:mm" in styles
    numbers = re.findall(r'<c r="([A-Z]+2)"[^>]*><v>([^<]+)</v>', sheet)
    values = dict(numbers)
    assert abs(float(values["C2"]) - 3725 / 86400) < 1e-9     # a duration, as a fraction of a day
    assert float(values["D2"]) == 0.8 and float(values["E2"]) == 12345
    assert abs(float(values["F2"]) - 1800 / 86400) < 1e-9     # the break column
    assert '<pane ySplit="1"' in sheet                         # the header row stays in view


def test_the_csv_keeps_raw_values_in_the_same_columns():
    lines = to_csv(ROWS, COLUMNS).splitlines()
    assert lines[0] == "bucket,agent_id,login_s,occupancy,calls,break:lunch"
    assert lines[1].split(",")[1:] == ["alice", "3725.0", "0.8", "12345", "1800.0"]


def test_text_is_never_a_formula():
    rows = [{"call_id": "c1", "caller": "=HYPERLINK(\"http://x\")", "did": "+18005550100", "wait_s": -1.0}]
    line = to_csv(rows, ("call_id", "caller", "did", "wait_s")).splitlines()[1]
    assert line == 'c1,"\'=HYPERLINK(""http://x"")",\'+18005550100,-1.0'
    sheet, strings, _styles = _sheet(to_xlsx(rows, ("call_id", "caller", "did", "wait_s")))
    assert "<f>" not in sheet and "=HYPERLINK" in strings
