"""Production mode: the checks `hotline run`, `web`, `controller` and `worker` make before they start.

Outside demo mode (config ``demo_mode``, which `hotline demo` sets) a process refuses to start
while a default secret, an open Redis or a seeded password would let anyone in. Each problem says
what to change; docs/security.md lists them.
"""
from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from control.config import DEFAULTS, Config

DEFAULT_ESL_PASSWORD = "ClueCon"


@dataclass(frozen=True)
class Problem:
    what: str
    fix: str


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_problems(config: Config) -> list[Problem]:
    found = []
    if config.secret_key == DEFAULTS["secret_key"] or len(str(config.secret_key)) < 16:
        found.append(Problem(
            "the console's secret_key is the default (or under 16 characters): anyone can forge a login cookie",
            'set HOTLINE_SECRET_KEY (or secret_key in the config file) to a long random value, e.g. '
            '$(python -c "import secrets; print(secrets.token_hex(32))")'))
    if config.esl_password == DEFAULT_ESL_PASSWORD:
        found.append(Problem(
            "the FreeSWITCH Event Socket password is the default ClueCon",
            "give FreeSWITCH a new one (esl_password in freeswitch-conf/vars.local.xml, see vars.local.xml.example, "
            "or HOTLINE_ESL_PASSWORD in FreeSWITCH's environment) and set HOTLINE_ESL_PASSWORD (or esl_password) "
            "for Hotline to the same value"))
    return found


def redis_problems(config: Config) -> list[Problem]:
    parts = urlsplit(str(config.redis_url))
    if parts.scheme == "unix" or parts.password or _loopback(parts.hostname or ""):
        return []
    return [Problem(
        f"Redis at {parts.hostname} is not on this machine and the URL has no password: whoever reaches it "
        "can send controller commands and queue worker jobs",
        "give Redis a password (requirepass, or an ACL user) and put it in HOTLINE_REDIS_URL / REDIS_URL as "
        "redis://USER:PASSWORD@HOST:6379/0 (rediss:// for TLS)")]


def seeded_account_problems(config: Config) -> list[Problem]:
    names = _seeded_users(config)
    if not names:
        return []
    commands = "; ".join(f"hotline user passwd {name}" for name in names)
    return [Problem(f"seeded accounts still have their demo password (the user name): {', '.join(names)}",
                    f"give each a new password ({commands}) or disable it (hotline user disable NAME)")]


def _seeded_users(config: Config) -> list[str]:
    from sqlalchemy.exc import SQLAlchemyError

    from records.accounts import still_seeded
    from records.db import session_factory
    from records.seed import seeded_passwords

    try:
        with session_factory(config.database_url)() as session:
            return still_seeded(session, seeded_passwords())
    except SQLAlchemyError:   # no schema yet: nothing seeded; the process reports its database itself
        return []


CHECKS: tuple[Callable[[Config], list[Problem]], ...] = (secret_problems, redis_problems, seeded_account_problems)


def problems(config: Config) -> list[Problem]:
    if config.demo_mode:
        return []
    return [problem for check in CHECKS for problem in check(config)]


def refusal(command: str, found: list[Problem]) -> str:
    lines = [f"hotline {command}: refusing to start outside demo mode:"]
    for problem in found:
        lines += [f"  - {problem.what}", f"    fix: {problem.fix}"]
    lines.append("  (for a local trial, `hotline demo` runs everything with the demo settings; "
                 "HOTLINE_DEMO_MODE=1 allows them for one command; docs/security.md)")
    return "\n".join(lines)


def refuse_if_unsafe(config: Config, command: str) -> bool:
    """Print the refusal and return True when ``command`` must not start."""
    found = problems(config)
    if found:
        print(refusal(command, found), file=sys.stderr, flush=True)
    return bool(found)
