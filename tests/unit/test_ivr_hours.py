"""Business-hours tables: day ranges, time zones, holidays, and the errors a bad table gives."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from control.ivr.hours import HoursError, parse_days, parse_hours, parse_ranges

SH = ZoneInfo("Asia/Shanghai")


def test_day_ranges_lists_and_wraparound():
    assert parse_days("mon-fri", []) == [0, 1, 2, 3, 4]
    assert parse_days("sat,sun", []) == [5, 6]
    assert parse_days("fri-mon", []) == [4, 5, 6, 0]
    assert parse_days("daily", []) == list(range(7))


def test_ranges_split_day_and_closed():
    assert parse_ranges("09:00-12:00, 13:00-18:00", []) == ((540, 720), (780, 1080))
    assert parse_ranges("closed", []) == ()
    assert parse_ranges("00:00-24:00", []) == ((0, 1440),)


@pytest.mark.parametrize("text, message", [("18:00-09:00", "ends before it starts"),
                                           ("09:75-10:00", "not a time of day"),
                                           ("25:00-26:00", "not a time of day")])
def test_bad_ranges(text, message):
    with pytest.raises(HoursError, match=message):
        parse_ranges(text, ["open", "mon"])


def test_shanghai_table_with_lunch_break_and_spring_festival():
    hours = parse_hours("cn", {"timezone": "Asia/Shanghai", "open": {"mon-fri": "09:00-12:00,13:00-18:00"},
                               "holidays": [{"date": "2027-02-08", "name": "Spring Festival"}]}, None, [])
    assert hours.is_open(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert not hours.is_open(datetime(2026, 11, 23, 12, 30, tzinfo=SH))      # lunch
    assert not hours.is_open(datetime(2027, 2, 8, 10, 0, tzinfo=SH))         # a Monday, but a holiday
    assert hours.holiday(datetime(2027, 2, 8, 10, 0, tzinfo=SH)).name == "Spring Festival"
    assert hours.is_open(datetime.fromisoformat("2026-11-23T02:00:00+00:00"))  # 10:00 in Shanghai
    assert hours.is_open(datetime(2026, 11, 23, 10, 0))                     # naive: read in the table's zone


def test_table_without_zone_uses_the_flow_default_zone():
    hours = parse_hours("x", {"open": {"mon": "09:00-10:00"}}, "Asia/Shanghai", [])
    assert hours.tz == SH


@pytest.mark.parametrize("spec, path", [
    ({"timezone": "Nowhere/City", "open": {"mon": "09:00-10:00"}}, ["h", "timezone"]),
    ({"open": {"mon-fri": "09:00-10:00", "fri": "10:00-11:00"}}, ["h", "open", "fri"]),
    ({"open": {"mon": "09:00-10:00"}, "holidays": ["02-30"]}, ["h", "holidays", 0]),
])
def test_bad_tables_point_at_the_bad_part(spec, path):
    with pytest.raises(HoursError) as exc:
        parse_hours("h", spec, None, ["h"])
    assert exc.value.path == path and exc.value.fix
