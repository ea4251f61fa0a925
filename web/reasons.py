"""Break and not-ready reason codes from configuration (the ``agent_reasons`` key, control/config.py).

The console's lists and the API's validation read the same codes; ``paid`` and ``productive`` are
there for reports and for the supervisor's view.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import yaml
from flask import current_app

REASON_STATES = ("break", "not_ready")


@dataclass(frozen=True)
class Reason:
    code: str
    paid: bool
    productive: bool

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "paid": self.paid, "productive": self.productive}


def parse_reasons(raw: object) -> dict[str, tuple[Reason, ...]]:
    """The config value as reasons per state; a ValueError names what is wrong and how to fix it.
    A string is YAML or JSON (the HOTLINE_AGENT_REASONS environment variable)."""
    if isinstance(raw, str):
        raw = yaml.safe_load(raw)
    if not isinstance(raw, Mapping):
        raise ValueError("agent_reasons must be a mapping with 'break' and 'not_ready' lists")
    parsed: dict[str, tuple[Reason, ...]] = {}
    for state in REASON_STATES:
        items = raw.get(state) or []
        if not isinstance(items, list):
            raise ValueError(f"agent_reasons.{state} must be a list of {{code, paid, productive}}")
        reasons = []
        for i, item in enumerate(items):
            code = item.get("code") if isinstance(item, Mapping) else item
            if not isinstance(code, str) or not code.strip() or len(code) > 40:
                raise ValueError(f"agent_reasons.{state}[{i}]: code must be a non-empty string of at most 40 characters")
            extra = item if isinstance(item, Mapping) else {}
            reasons.append(Reason(code.strip(), bool(extra.get("paid", False)), bool(extra.get("productive", False))))
        parsed[state] = tuple(reasons)
    if not parsed["break"]:
        raise ValueError("agent_reasons.break needs at least one reason code")
    return parsed


def configured_reasons() -> dict[str, tuple[Reason, ...]]:
    """The running app's reasons (parsed once per app)."""
    cached = current_app.extensions.get("hotline.reasons")
    if cached is None:
        from web.live import config

        cached = parse_reasons(config().values.get("agent_reasons"))
        current_app.extensions["hotline.reasons"] = cached
    return cached


def reason_codes(state: str) -> list[str]:
    return [r.code for r in configured_reasons().get(state, ())]


def reason_error(state: str, reason: str | None) -> str | None:
    """Why ``reason`` cannot go with ``state`` (None when it can). A break needs a configured reason;
    not-ready may have none, or a configured one."""
    if state not in REASON_STATES:
        return None
    codes = reason_codes(state)
    if state == "break" and reason not in codes:
        return f"a break needs a reason: {', '.join(codes)}"
    if state == "not_ready" and reason is not None and reason not in codes:
        return f"a not-ready reason must be one of {', '.join(codes) or '(none configured)'}"
    return None
