"""`hotline agent list|add|set|sip-password|export|import`: agents from the command line.

The same rules as the console's Agents page (records/agent_admin.py): problems are named by field
and nothing is saved while there is one. After a change the switch's phone directory is written
and FreeSWITCH asked to reloadxml, and running controllers see the agent through live state, as
after a save in the console.

    hotline agent add erin --name "Erin Diaz" --extension 1055 --skill english=7 --skill billing=4 \\
        --queue billing --queue support
"""
from __future__ import annotations

import argparse
import csv
import io
import sys

from records import agent_admin
from records.agent_admin import AgentForm, Conflict, Invalid


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline agent", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="every agent: id, name, extension, skills, queues, wrap-up")
    for name, help_ in (("add", "create an agent (its SIP password is printed once)"),
                        ("set", "change an agent; options not given stay as they are")):
        one = sub.add_parser(name, help=help_)
        one.add_argument("id")
        one.add_argument("--name")
        one.add_argument("--extension")
        one.add_argument("--skill", action="append", metavar="NAME=LEVEL", help="repeat; replaces the skills")
        one.add_argument("--queue", action="append", metavar="QUEUE", help="repeat, in offer order; replaces them")
        one.add_argument("--wrap-up", metavar="SECONDS", help="'' for the queue's")
    sub.add_parser("sip-password", help="a new SIP password (printed once)").add_argument("id")
    sub.add_parser("export", help="every agent as CSV on standard output")
    sub.add_parser("import", help="CSV (as export writes it) from a file; each row checked on its own"
                   ).add_argument("file")
    return parser


def _form(args, current: AgentForm | None) -> AgentForm:
    form = current or AgentForm(id=args.id)
    if args.name is not None:
        form.name = args.name
    if args.extension is not None:
        form.extension = args.extension
    if args.skill is not None:
        form.skills = {}
        for item in args.skill:
            name, sep, level = item.partition("=")
            if not sep or not level.lstrip("-").isdigit():
                raise Invalid({"skills": f"write --skill NAME=LEVEL, e.g. english=7 (got {item!r})"})
            form.skills[name] = int(level)
    if args.queue is not None:
        form.queues = list(args.queue)
    if args.wrap_up is not None:
        form.wrap_up_s = agent_admin.seconds(args.wrap_up)
    return form


def _run(session, args, known_queues: set[str], known_skills: set[str] | None) -> tuple[str, bool]:
    """(what to print, whether agents changed)."""
    if args.action == "list":
        rows = [f"{a.id:<12} {a.extension:<8} {a.name:<24} "
                f"{' '.join(f'{s.skill.name}:{s.proficiency}' for s in a.skills):<36} {' '.join(a.queues or [])}"
                for a in agent_admin.list_agents(session)]
        return "\n".join(rows) or "no agents (add one: hotline agent add ID --name ... --extension ...)", False
    if args.action == "export":
        out = io.StringIO()
        agent_admin.write_csv(session, out)
        return out.getvalue().rstrip("\n"), False
    if args.action == "import":
        return _import(session, args.file, known_queues, known_skills), True
    if args.action == "sip-password":
        return f"SIP password of {args.id}: {agent_admin.new_sip_password(session, args.id)}", True
    existing = agent_admin.get(session, args.id)
    if args.action == "add" and existing is not None:
        raise Invalid({"id": f"agent {args.id} already exists (change it with: hotline agent set {args.id} ...)"})
    if args.action == "set" and existing is None:
        raise Invalid({"id": f"no agent {args.id} (create it with: hotline agent add {args.id} ...)"})
    form = _form(args, AgentForm.from_agent(existing) if existing is not None else None)
    agent, password, _before = agent_admin.save(session, form, known_queues, known_skills)
    if password:
        return f"hotline agent: added {agent.id}; SIP password (shown once): {password}", True
    return f"hotline agent: {agent.id} saved", True


def _import(session, path: str, known_queues: set[str], known_skills: set[str] | None) -> str:
    lines = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                agent, _password, _before = agent_admin.upsert(session, agent_admin.form_from_csv(row), known_queues, known_skills)
                session.commit()
                lines.append(f"{path}:{line}: {agent.id} saved")
            except (Invalid, ValueError) as exc:
                session.rollback()
                lines.append(f"{path}:{line}: refused: {exc}")
    return "\n".join(lines) or f"{path}: no rows"


def _follow(config, session) -> str:
    """The switch's directory and live state follow the agents (as after a console save)."""
    import redis

    from control import agent_directory, fsconf
    from control.store.redis_clients import redis_client
    from control.store.redis_state import RedisState
    from records.agents import to_live

    try:
        store = RedisState(redis_client(config, socket_connect_timeout=3), config.redis_prefix)
        for agent in agent_admin.list_agents(session):
            agent_directory.publish(store, to_live(agent))
        live = "live state updated"
    except redis.RedisError as exc:
        live = f"live state not updated ({exc}): controllers see the change when they next start"
    switch = agent_directory.render(config.freeswitch_conf_dir, fsconf.agent_rows(session),
                                    (config.esl_host, config.esl_port, config.esl_password))
    return f"{live}; {switch}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from control.config import load_config
    from control.queues import load_queues, skill_names
    from records.db import session_factory

    config = load_config(args.config)
    known_queues, known_skills = set(load_queues(config.queues_dir)), skill_names(config.queues_dir)
    with session_factory(config.database_url)() as session:
        try:
            message, changed = _run(session, args, known_queues, known_skills)
            session.commit()
        except (Invalid, Conflict) as exc:
            print(f"hotline agent: {exc}", file=sys.stderr)
            return 1
        print(message)
        if changed:
            print(f"hotline agent: {_follow(config, session)}")
    return 0
