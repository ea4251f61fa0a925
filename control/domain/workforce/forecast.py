"""Forecast offered calls and average handle time per 15-minute interval from history.

Method: weighted seasonal average (a standard workforce-management method). A future interval's offered
calls are the weighted mean of the same interval on the same weekday over the last ``weeks`` weeks
(the most recent week weighs most), scaled by the trend: the last week's total against the weighted
mean of the weeks before. Its handle time is the handle seconds over the answered calls of those same
intervals (then of the whole weekday, then the queue's configured ``aht_s``, when too few calls).

Accuracy is measured by holding out the last week of history, forecasting it from the weeks before,
and reporting the mean absolute percentage error (MAPE) over the intervals, weighted by the actual calls
(WAPE, so that quiet night intervals with 1 call do not dominate), and per day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping, Sequence

SLOTS = 96                 # 15-minute intervals per day
INTERVAL_S = 900


@dataclass(frozen=True)
class DayHistory:
    offered: Sequence[float]       # SLOTS values
    answered: Sequence[float]
    handle_s: Sequence[float]      # seconds handled (talk + hold + wrap) of the answered calls


@dataclass(frozen=True)
class Interval:
    day: date
    slot: int
    offered: float
    aht_s: float

    @property
    def label(self) -> str:
        return f"{self.day.isoformat()} {self.slot // 4:02d}:{(self.slot % 4) * 15:02d}"


def _same_weekdays(history: Mapping[date, DayHistory], day: date, weeks: int) -> list[DayHistory]:
    return [history[d] for d in (day - timedelta(days=7 * k) for k in range(1, weeks + 1)) if d in history]


def _weights(n: int) -> list[float]:
    return [float(n - i) for i in range(n)]      # most recent first: n, n-1, ..., 1


def trend(history: Mapping[date, DayHistory], last_day: date, weeks: int) -> float:
    """The last 7 days' calls against the weighted mean of the ``weeks - 1`` weeks before them (1.0 without
    enough history); bounded to 0.5..2 so that one odd week cannot run away with the forecast."""
    def week_total(end: date) -> float | None:
        days = [history.get(end - timedelta(days=i)) for i in range(7)]
        return sum(sum(d.offered) for d in days if d is not None) if all(days) else None

    last = week_total(last_day)
    before = [t for t in (week_total(last_day - timedelta(days=7 * k)) for k in range(1, weeks)) if t is not None]
    if last is None or not before:
        return 1.0
    w = _weights(len(before))
    base = sum(x * y for x, y in zip(before, w)) / sum(w)
    return min(2.0, max(0.5, last / base)) if base > 0 else 1.0


def forecast_day(history: Mapping[date, DayHistory], day: date, weeks: int = 4, factor: float = 1.0,
                 default_aht_s: float = 180.0, min_calls: int = 10) -> list[Interval]:
    same = _same_weekdays(history, day, weeks)
    if not same:
        return [Interval(day, s, 0.0, default_aht_s) for s in range(SLOTS)]
    w = _weights(len(same))
    total_w = sum(w)
    day_answered = sum(sum(h.answered) for h in same)
    day_aht = sum(sum(h.handle_s) for h in same) / day_answered if day_answered >= min_calls else default_aht_s
    out = []
    for s in range(SLOTS):
        offered = factor * sum(h.offered[s] * x for h, x in zip(same, w)) / total_w
        answered = sum(h.answered[s] for h in same)
        aht = sum(h.handle_s[s] for h in same) / answered if answered >= min_calls else day_aht
        out.append(Interval(day, s, round(offered, 2), round(aht, 1)))
    return out


def forecast(history: Mapping[date, DayHistory], first: date, days: int, weeks: int = 4,
             default_aht_s: float = 180.0) -> list[Interval]:
    """``days`` days from ``first``. Days beyond the history forecast from earlier forecasts' weeks: each
    day is forecast from the same weekday of the weeks before it, which for a horizon of up to 7 days is
    all real history."""
    last = max(history) if history else first - timedelta(days=1)
    factor = trend(history, last, weeks)
    out: list[Interval] = []
    for i in range(days):
        out += forecast_day(history, first + timedelta(days=i), weeks, factor, default_aht_s)
    return out


@dataclass(frozen=True)
class Accuracy:
    days: int
    interval_wape: float | None     # sum |forecast - actual| / sum actual, over the intervals
    daily_mape: float | None        # mean over the days of |forecast - actual| / actual of the day's total


def accuracy(history: Mapping[date, DayHistory], weeks: int = 4, holdout_days: int = 7) -> Accuracy:
    """Forecast the last ``holdout_days`` of history from what came before them, compare with what happened."""
    if not history:
        return Accuracy(0, None, None)
    last = max(history)
    first = last - timedelta(days=holdout_days - 1)
    known = {d: h for d, h in history.items() if d < first}
    if not known:
        return Accuracy(0, None, None)
    predicted = forecast(known, first, holdout_days, weeks)
    errors = actual_sum = 0.0
    daily: list[float] = []
    for i in range(holdout_days):
        day = first + timedelta(days=i)
        if day not in history:
            continue
        got = history[day].offered
        fc = [iv.offered for iv in predicted[i * SLOTS:(i + 1) * SLOTS]]
        errors += sum(abs(f - a) for f, a in zip(fc, got))
        actual_sum += sum(got)
        if sum(got) > 0:
            daily.append(abs(sum(fc) - sum(got)) / sum(got))
    return Accuracy(len(daily), round(errors / actual_sum, 4) if actual_sum else None,
                    round(sum(daily) / len(daily), 4) if daily else None)
