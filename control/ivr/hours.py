"""Business hours and holiday calendars, evaluated in a time zone (zoneinfo).

A table (a flow's ``hours: {name: ...}``)::

    timezone: America/New_York
    open: {mon-fri: "08:00-20:00", sat: "09:00-13:00"}      # other days closed
    holidays: ["2026-12-25", "01-01", {date: "2026-12-24", open: "08:00-12:00"}]

``MM-DD`` repeats every year; a holiday with ``open`` is a short day, without it closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Range = tuple[int, int]   # minutes since midnight, [start, end)


@dataclass(frozen=True)
class Holiday:
    month: int
    day: int
    year: int | None = None          # None: every year
    open: tuple[Range, ...] = ()     # empty: closed all day
    name: str = ""

    def matches(self, d: date) -> bool:
        return d.month == self.month and d.day == self.day and (self.year is None or d.year == self.year)


@dataclass(frozen=True)
class Hours:
    name: str
    tz: ZoneInfo | None
    week: dict[int, tuple[Range, ...]] = field(default_factory=dict)   # weekday 0=Mon -> ranges
    holidays: tuple[Holiday, ...] = ()

    def local(self, now: datetime) -> datetime:
        if now.tzinfo is None:   # a naive time is taken to be in the table's own zone
            return now.replace(tzinfo=self.tz)
        return now.astimezone(self.tz) if self.tz is not None else now

    def holiday(self, now: datetime) -> Holiday | None:
        d = self.local(now).date()
        return next((h for h in self.holidays if h.matches(d)), None)

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        h = self.holiday(now)
        ranges = h.open if h is not None else self.week.get(local.weekday(), ())
        return any(start <= minute < end for start, end in ranges)


class HoursError(ValueError):
    def __init__(self, path: list, message: str, fix: str):
        super().__init__(message)
        self.path, self.message, self.fix = path, message, fix


def _minutes(text: str, path: list) -> int:
    hh, mm = text.strip().split(":")
    value = int(hh) * 60 + int(mm)
    if int(mm) > 59 or value > 24 * 60:
        raise HoursError(path, f"{text.strip()!r} is not a time of day", "use HH:MM between 00:00 and 24:00")
    return value


def parse_ranges(text: str, path: list) -> tuple[Range, ...]:
    if text.strip() == "closed":
        return ()
    out = []
    for part in text.split(","):
        start_s, end_s = part.split("-")
        start, end = _minutes(start_s, path), _minutes(end_s, path)
        if end <= start:
            raise HoursError(path, f"range {part.strip()!r} ends before it starts",
                             "split a range past midnight over two days, e.g. fri: 22:00-24:00, sat: 00:00-02:00")
        out.append((start, end))
    return tuple(out)


def parse_days(key: str, path: list) -> list[int]:
    days: list[int] = []
    for part in str(key).lower().replace(" ", "").split(","):
        if part in ("daily", "everyday"):
            days += range(7)
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(path, f"unknown day {part!r}", f"use {', '.join(DAYS)}, ranges like mon-fri, or daily")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days += range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return days


def _holiday(item, path: list) -> Holiday:
    spec = item if isinstance(item, dict) else {"date": item}
    parts = [int(p) for p in str(spec["date"]).split("-")]
    year, (month, day) = (parts[0], parts[1:]) if len(parts) == 3 else (None, parts)
    try:
        date(year or 2024, month, day)   # 2024 is a leap year: 02-29 is allowed as a recurring date
    except ValueError:
        raise HoursError(path, f"{spec['date']!r} is not a date", "use YYYY-MM-DD or MM-DD") from None
    ranges = parse_ranges(spec["open"], path) if spec.get("open") else ()
    return Holiday(month, day, year, ranges, spec.get("name", ""))


def parse_hours(name: str, spec: dict, default_tz: str | None, path: list) -> Hours:
    """Build an Hours table from schema-valid data; raises HoursError with the path of the bad part."""
    tz_name = spec.get("timezone") or default_tz
    tz = None
    if tz_name:
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(path + ["timezone"], f"unknown time zone {tz_name!r}",
                             "use an IANA name such as America/New_York or Asia/Shanghai") from None
    week: dict[int, tuple[Range, ...]] = {}
    for key, text in spec["open"].items():
        where = path + ["open", key]
        ranges = parse_ranges(text, where)
        for d in parse_days(key, where):
            if d in week:
                raise HoursError(where, f"{DAYS[d]} is listed twice", "list each day once")
            week[d] = ranges
    holidays = tuple(_holiday(item, path + ["holidays", i]) for i, item in enumerate(spec.get("holidays", [])))
    return Hours(name, tz, week, holidays)
