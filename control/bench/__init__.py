"""``hotline bench NAME``: routing, pop, calls, soak, reports, worker, quality, failover, erlang (one module each, control/bench/<name>.py)."""
from __future__ import annotations

import importlib
import sys

BENCHES = ("routing", "pop", "calls", "soak", "reports", "worker", "quality", "failover", "erlang")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in BENCHES:
        print(f"usage: hotline bench {{{'|'.join(BENCHES)}}} [options]", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        module = importlib.import_module(f"control.bench.{argv[0]}")
    except ModuleNotFoundError as exc:
        if exc.name != f"control.bench.{argv[0]}":
            raise
        print(f"hotline bench: the {argv[0]!r} benchmark is not present yet (control/bench/{argv[0]}.py)",
              file=sys.stderr)
        return 2
    return int(module.main(argv[1:]) or 0)
