"""How the reports show numbers to a manager: percentages, mm:ss durations, thousands separators,
plain column names; and the chart's data for Chart.js (web/static/reports.js draws it)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PERCENT = ("answer_rate", "abandon_rate", "service_level", "transfer_rate", "repeat_rate", "occupancy")
LABELS = {
    "bucket": _l("Period"), "key": _l("Queue / agent / number"), "offered": _l("Offered"),
    "answered": _l("Answered"), "abandoned": _l("Abandoned"), "short_abandoned": _l("Short abandons"),
    "other": _l("Other"), "answer_rate": _l("Answer rate"), "abandon_rate": _l("Abandon rate"),
    "service_level": _l("Service level"), "asa_s": _l("Avg. speed of answer"), "aht_s": _l("Avg. handle time"),
    "longest_wait_s": _l("Longest wait"), "transfer_rate": _l("Transfer rate"), "repeat_rate": _l("Repeat callers"),
    "csat_avg": _l("CSAT (avg.)"), "csat_count": _l("CSAT answers"), "agent_id": _l("Agent"),
    "login_s": _l("Logged in"), "idle_s": _l("Idle"), "handling_s": _l("Handling"), "on_call_s": _l("On call"),
    "wrap_up_s": _l("Wrap-up"), "break_s": _l("Break"), "not_ready_s": _l("Not ready"),
    "occupancy": _l("Occupancy"), "breaks": _l("Breaks by reason"),
}


OUTCOMES = {"answered": _l("answered"), "abandoned": _l("abandoned"), "voicemail": _l("voicemail"),
            "callback": _l("callback"), "transferred": _l("transferred"), "self_service": _l("self-service"),
            "failed": _l("failed")}


def outcome(value: str | None) -> str:
    """A call's outcome in words ("self-service", not self_service)."""
    return "" if not value else str(OUTCOMES.get(value, value.replace("_", " ")))


def label(column: str) -> str:
    return str(LABELS.get(column, column.replace("_", " ")))


def mmss(seconds: float | None) -> str:
    """12.4 -> "0:12"; 3725 -> "1:02:05"."""
    if seconds is None:
        return ""
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clock(unix_s: float | None) -> str:
    """A routing explanation's time (unix seconds) as UTC date and time, to the second."""
    if not isinstance(unix_s, (int, float)):
        return "" if unix_s is None else str(unix_s)
    return datetime.fromtimestamp(unix_s, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def percent(fraction: float | None) -> str:
    """0.8 -> "80.0 %"."""
    return "" if fraction is None else f"{float(fraction) * 100:.1f} %"


def number(value: float | int | None) -> str:
    """12345 -> "12,345"; 4.25 -> "4.3"."""
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def cell(column: str, value: object) -> str:
    """One report cell as a manager reads it."""
    if value is None:
        return ""
    if column in PERCENT:
        return percent(value)  # type: ignore[arg-type]
    if column.endswith("_s"):
        return mmss(value)  # type: ignore[arg-type]
    if column == "breaks" and isinstance(value, dict):
        return ", ".join(f"{reason} {mmss(secs)}" for reason, secs in sorted(value.items()))
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


AGENT_TIME = ("idle_s", "on_call_s", "wrap_up_s", "break_s", "not_ready_s")


def agent_chart_data(rows: list[dict]) -> dict:
    """Minutes per agent in each state over the range (stacked bars), all periods summed."""
    agents = sorted({r["agent_id"] for r in rows})
    sums = {a: {c: 0.0 for c in AGENT_TIME} for a in agents}
    for r in rows:
        for c in AGENT_TIME:
            sums[r["agent_id"]][c] += float(r.get(c) or 0.0)
    return {"labels": agents,
            "datasets": [{"label": label(c), "data": [round(sums[a][c] / 60, 1) for a in agents]} for c in AGENT_TIME],
            "text": {"minutes": _("Minutes"), "agent": _("Agent")}}


def chart_data(rows: list[dict], interval: str) -> dict:
    """Offered and answered calls (bars) and the service level in % (line) per period, all keys summed;
    the service level is weighted by offered calls."""
    totals: dict = {}
    for r in rows:
        t = totals.setdefault(r["bucket"], {"offered": 0, "answered": 0, "sl_weighted": 0.0, "sl_weight": 0})
        t["offered"] += r["offered"]
        t["answered"] += r["answered"]
        if r.get("service_level") is not None:
            t["sl_weighted"] += r["service_level"] * r["offered"]
            t["sl_weight"] += r["offered"]
    buckets = sorted(totals)
    fmt = "%Y-%m-%d" if interval in ("day", "week", "month") else "%m-%d %H:%M"
    return {
        "labels": [b.strftime(fmt) for b in buckets],
        "offered": [totals[b]["offered"] for b in buckets],
        "answered": [totals[b]["answered"] for b in buckets],
        "service_level": [round(100 * totals[b]["sl_weighted"] / totals[b]["sl_weight"], 1)
                          if totals[b]["sl_weight"] else None for b in buckets],
        "text": {"offered": _("Offered"), "answered": _("Answered"), "service_level": _("Service level (%)"),
                 "calls": _("Calls"), "period": _("Period")},
    }


def _names(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")


def explain(e: dict) -> str:
    """One routing explanation of a call's record in plain words (the call timeline)."""
    kind = e.get("kind")
    if kind == "route":
        who = _names(e.get("chosen") or e.get("agent"))
        needs = ", ".join(f"{skill} {level}" for skill, level in (e.get("requirements") or {}).items())
        parts = [_("waited %(wait)s in %(queue)s", wait=mmss(e.get("wait_s")), queue=e.get("queue") or "")
                 if e.get("wait_s") is not None else "",
                 _("offered to %(who)s (%(how)s)", who=who, how=", ".join(
                     p for p in (str(e.get("strategy") or "").replace("-", " "), needs, e.get("why") or "") if p))]
        return "; ".join(p for p in parts if p)
    if kind == "pop":
        return _("card shown to %(agent)s: %(console)s", agent=e.get("agent", ""), console=e.get("console", ""))
    if kind == "ring":
        return _("rang %(agent)s", agent=e.get("agent", ""))
    if kind == "transfer":
        return _("transferred to %(target)s (%(to)s)", target=e.get("target", ""), to=e.get("to", ""))
    if kind == "transfer_refused":
        return _("transfer to %(target)s refused by the switch: %(result)s", target=e.get("target", ""),
                 result=str(e.get("result", "")).replace("-ERR ", ""))
    if kind == "overflow":
        return _("overflowed from %(queue)s (rule %(rule)s)", queue=e.get("queue", ""), rule=e.get("rule", ""))
    if kind == "callback_requested":
        return _("asked to be called back")
    details = "; ".join(f"{k.replace('_', ' ')} {_names(v)}" for k, v in e.items()
                        if k not in ("kind", "at") and not isinstance(v, dict))
    return f"{str(kind or 'event').replace('_', ' ')}" + (f": {details}" if details else "")
