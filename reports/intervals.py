"""Report intervals: the start of the 15-minute, hour, day, week (Monday) or month bucket of a time,
in the business time zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

INTERVALS = ("15min", "hour", "day", "week", "month")


def zone(tz: str):
    return timezone.utc if tz in ("UTC", "utc", "") else ZoneInfo(tz)


def bucket_start(when: datetime, interval: str, tz: str = "UTC") -> datetime:
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; one of {INTERVALS}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    local = when.astimezone(zone(tz)).replace(second=0, microsecond=0)
    if interval == "15min":
        local = local.replace(minute=local.minute - local.minute % 15)
    elif interval == "hour":
        local = local.replace(minute=0)
    elif interval == "day":
        local = local.replace(hour=0, minute=0)
    elif interval == "week":
        local = local.replace(hour=0, minute=0) - timedelta(days=local.weekday())
    else:
        local = local.replace(day=1, hour=0, minute=0)
    # rebuild from wall-clock fields so the offset is the one in force at the bucket start (DST)
    return datetime(local.year, local.month, local.day, local.hour, local.minute, tzinfo=zone(tz))


def next_bucket(start: datetime, interval: str) -> datetime:
    """The start of the following bucket (wall-clock arithmetic in start's zone)."""
    naive = start.replace(tzinfo=None)
    if interval == "15min":
        naive += timedelta(minutes=15)
    elif interval == "hour":
        naive += timedelta(hours=1)
    elif interval == "day":
        naive += timedelta(days=1)
    elif interval == "week":
        naive += timedelta(days=7)
    else:
        naive = naive.replace(year=naive.year + naive.month // 12, month=naive.month % 12 + 1)
    return naive.replace(tzinfo=start.tzinfo)
