"""`hotline user add|passwd|reset|disable|enable|list`: accounts from the command line.

Passwords are never arguments (they would land in shell history and ``ps``): they are asked for
twice on a terminal, or read as the first line of standard input
(``printf '%s\\n' "$PW" | hotline user add --role admin alice``). This is also the first-run path:
a fresh database has no user at all, and ``hotline user add --role admin NAME`` creates the first admin.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from records import accounts
from records.models import ROLES


def read_password(stdin=None, prompt: str = "New password: ") -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise accounts.AccountError("the two passwords differ")
        return first
    line = stdin.readline()
    if not line:
        raise accounts.AccountError("no password on standard input (send it as the first line)")
    return line.rstrip("\r\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline user", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="create a user (password asked for, or read from stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--agent", help="the agent id this user works as (agents only)")
    passwd = sub.add_parser("passwd", help="set a user's password (asked for, or read from stdin)")
    passwd.add_argument("name")
    passwd.add_argument("--must-change", action="store_true",
                        help="the user must choose a new password at next login")
    reset = sub.add_parser("reset", help="force a reset: the user must choose a new password at next login")
    reset.add_argument("name")
    for name, help_ in (("disable", "the user can no longer log in; their sessions end"),
                        ("enable", "allow a disabled user to log in again")):
        sub.add_parser(name, help=help_).add_argument("name")
    sub.add_parser("list", help="every user: name, role, agent, active, must change password")
    return parser


def _run(session, args) -> str:
    if args.action == "list":
        rows = [f"{u.username:<20} {u.role:<10} {u.agent_id or '-':<10} "
                f"{'active' if u.active else 'disabled':<8} {'must-change' if u.must_change_password else ''}"
                for u in accounts.list_users(session)]
        return "\n".join(rows) or "no users (create the first admin: hotline user add --role admin NAME)"
    if args.action == "add":
        accounts.add_user(session, args.name, read_password(), args.role, args.agent)
        return f"hotline user: added {args.name} ({args.role})"
    if args.action == "passwd":
        accounts.set_password(session, args.name, read_password(), must_change=args.must_change)
        return f"hotline user: password of {args.name} set; their sessions ended"
    if args.action == "reset":
        accounts.force_reset(session, args.name)
        return f"hotline user: {args.name} must choose a new password at next login; their sessions ended"
    if args.action == "disable":
        accounts.disable(session, args.name)
        return f"hotline user: {args.name} disabled; their sessions ended"
    accounts.enable(session, args.name)
    return f"hotline user: {args.name} enabled"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from control.config import load_config
    from records.db import session_factory

    config = load_config(args.config)
    with session_factory(config.database_url)() as session:
        try:
            message = _run(session, args)
        except accounts.AccountError as exc:
            print(f"hotline user: {exc}", file=sys.stderr)
            return 1
        session.commit()
    print(message)
    return 0
