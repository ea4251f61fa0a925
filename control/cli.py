"""The ``hotline`` console script: one subcommand per module, imported only when used."""
from __future__ import annotations

import importlib
import sys

# subcommand -> "module:function"; each function takes argv (list[str]) and returns an exit code.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("control.app:main_run", "controller + console + worker against a real FreeSWITCH"),
    "controller": ("control.app:main_controller", "only the call controller"),
    "web": ("web.cli:main", "only the web console"),
    "worker": ("worker.cli:main", "only the RQ wrap-up worker"),
    "simulate": ("simulator.cli:main", "the switch simulator (Event Socket over TCP), or a scenario report"),
    "demo": ("control.demo:main", "everything with the simulator and live demo traffic (make demo)"),
    "init": ("control.init:main", "write a deployable configuration folder (flows, queues, FreeSWITCH, secrets)"),
    "check": ("control.checks:main", "validate every flow, queue and config file"),
    "db": ("control.db_cli:main", "database: upgrade, seed, rollup --rebuild"),
    "user": ("records.user_cli:main", "accounts: add, passwd, reset, disable, enable, list"),
    "agent": ("records.agent_cli:main", "agents: list, add, set, sip-password, export, import"),
    "render-fs": ("control.fsconf:main", "render the agent directory into freeswitch-conf/ and reloadxml"),
    "prompts": ("control.ivr.prompts:main", "render text prompts to 8 kHz WAV with espeak-ng"),
    "workforce": ("control.workforce_cli:main", "replay a planned interval on the switch simulator (digital twin)"),
    "bench": ("control.bench:main", "benchmarks: routing, pop, calls, reports"),
}


# These run gevent servers; sockets must be cooperative before anything else imports them.
GEVENT_COMMANDS = {"controller", "web", "simulate", "bench"}
LONG_RUNNING = {"controller", "run", "simulate", "bench"}


def usage() -> str:
    lines = ["usage: hotline COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<11} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"hotline: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if name in GEVENT_COMMANDS:
        from gevent import monkey

        monkey.patch_all()
    if name in LONG_RUNNING:   # each call holds a socket: allow as many open files as the hard limit
        from control.procs import raise_open_files

        raise_open_files(name=f"hotline {name}")
    module_name, func_name = COMMANDS[name][0].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
