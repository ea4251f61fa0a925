"""Outbound allow-list: which outside numbers a user may send a call to (transfer, consult) or
schedule a callback to. Patterns per role (config ``outbound_allow``) plus, for a call in a queue,
that queue's own ``outbound_allow`` (queues/*.yaml). The console enforces it (web/api_calls.py);
``hotline check`` validates it (``problems``); the dialplan checks the outer bound again
(dialplan/public-outbound.xml), so a number that passes here and not there is still not dialled.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

import yaml


class AllowListError(ValueError):
    """The configured allow-list is unusable; the message names the key and how to fix it."""


@lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    try:
        return tuple(re.compile(p) for p in patterns)
    except re.error as exc:
        raise AllowListError(f"outbound_allow: {exc.pattern!r} is not a regular expression ({exc}); "
                             "fix it in the config file or HOTLINE_OUTBOUND_ALLOW") from None


def role_patterns(setting: Mapping | str, role: str) -> tuple[str, ...]:
    """The patterns of ``role`` from the config value (a mapping, or YAML/JSON text from the environment)."""
    table = yaml.safe_load(setting) if isinstance(setting, str) else setting
    if not isinstance(table, Mapping):
        raise AllowListError("outbound_allow must map a role to a list of patterns, e.g. "
                             "{agent: ['^\\\\+1[2-9][0-9]{9}$']}")
    patterns = table.get(role) or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise AllowListError(f"outbound_allow.{role} must be a list of regular expressions (strings)")
    return tuple(patterns)


def allowed(number: str, patterns: tuple[str, ...]) -> bool:
    """Whole-number match against any pattern (an unanchored pattern still has to cover the number)."""
    return any(p.fullmatch(number) for p in _compiled(patterns))


def problems(setting: Mapping | str) -> list[str]:
    """What is wrong with a configured ``outbound_allow`` (empty when it is usable), for ``hotline check``."""
    try:
        table = yaml.safe_load(setting) if isinstance(setting, str) else setting
    except yaml.YAMLError as exc:
        return [f"outbound_allow is not YAML or JSON ({exc})"]
    if not isinstance(table, Mapping):
        return ["outbound_allow must map a role (agent, supervisor, admin) to a list of regular expressions"]
    out = []
    for role in table:
        try:
            _compiled(role_patterns(table, role))
        except AllowListError as exc:
            out.append(str(exc))
    unknown = sorted(set(table) - {"agent", "supervisor", "admin"})
    if unknown:
        out.append(f"outbound_allow has unknown roles {unknown}; use agent, supervisor, admin")
    return out
