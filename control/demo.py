"""`make demo`: database, console, controller, worker and the simulator with live demo traffic."""
from __future__ import annotations

import argparse
import os
import socket
import sys

from control.config import load_config
from control.paths import shipped, var_dir

DEMO_SCENARIO = shipped("scenarios") / "demo.yaml"
DEMO_MONITOR_EXTENSION = "1009"   # the simulator's supervisor phone (scenarios/demo.yaml, phones)


def give_supervisor_a_phone(database_url: str, extension: str = DEMO_MONITOR_EXTENSION) -> None:
    """The seeded supervisor monitors from the demo's supervisor phone (Admin -> Users sets it in a
    real deployment), so Listen on the demo wallboard rings a phone instead of answering 409.
    A registered extension is kept."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import User

    with session_factory(database_url)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == "supervisor"))
        if user is not None and not user.monitor_extension:
            user.monitor_extension = extension


def redis_answers(config) -> bool:
    """``config``: a Config (Sentinel too) or a URL."""
    import redis

    from control.store.redis_clients import redis_client

    try:
        return bool(redis_client(config, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline demo", description=__doc__)
    parser.add_argument("--scenario", default=str(DEMO_SCENARIO))
    parser.add_argument("--config")
    args = parser.parse_args(argv)
    config = load_config(args.config)

    if not redis_answers(config):
        print(f"hotline demo: no Redis answers at {config.redis_url}.\n"
              "  Start one:  redis-server --daemonize yes --port 6379 --save ''\n"
              "  (Debian: apt-get install redis-server), or point REDIS_URL at yours.", file=sys.stderr)
        return 1
    for name, host, port in (("console", config.web_host, config.web_port),
                             ("controller", config.outbound_host, config.outbound_port),
                             ("simulator", config.esl_host, config.esl_port)):
        if not port_free(host, port):
            print(f"hotline demo: {host}:{port} ({name}) is already in use; stop what runs there "
                  f"or set HOTLINE_{'WEB' if name == 'console' else 'OUTBOUND' if name == 'controller' else 'ESL'}_PORT.",
                  file=sys.stderr)
            return 1

    os.makedirs(var_dir(), exist_ok=True)
    from control.db_cli import main as db_main

    if db_main(["upgrade"]) or db_main(["seed"]):
        return 1
    give_supervisor_a_phone(config.database_url)

    from control.procs import ProcessGroup

    extra = ["--config", args.config] if args.config else []
    # the simulator writes each call's recording, as FreeSWITCH would, where the demo can keep it
    env = {"HOTLINE_RECORDINGS_DIR": os.environ.get("HOTLINE_RECORDINGS_DIR", str(var_dir() / "recordings")),
           "HOTLINE_DEMO_MODE": "1"}   # demo secrets and seeded passwords allowed (control/production.py)
    group = ProcessGroup(env=env)
    group.start("simulator", "simulate", "--esl", f"{config.esl_host}:{config.esl_port}",
                "--controller", f"{config.outbound_host}:{config.outbound_port}",
                "--scenario", args.scenario, "--repeat", "--write-recordings")
    group.start("controller", "controller", "--login-all", *extra)
    group.start("worker", "worker", *extra)
    group.start("web", "web", *extra)
    print(f"""
Hotline demo is running.
  Console:    http://{config.web_host}:{config.web_port}/
  Logins:     alice/alice, bob/bob (agents) · supervisor/supervisor (listens from phone {DEMO_MONITOR_EXTENSION}) · admin/admin
  Database:   {config.database_url}
  Press Ctrl-C to stop everything.
""", flush=True)
    return group.wait()
