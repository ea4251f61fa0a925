"""``python -m control.bench.probe [controller args]``: the controller, plus a line of internals
every few seconds on stderr (the bench keeps the controller's log), to find what grows under load.

Prints as JSON: live greenlets, object counts by type grown since the first sample, the thread
pool's backlog, the manager's per-call tables, pending background jobs, the batch writers'
backlogs, agents by state, waiting calls, and (``HOTLINE_PROBE_TRACEMALLOC=1``, slow) the
allocation sites grown since the first sample.
"""
from __future__ import annotations

from gevent import monkey

if __name__ == "__main__":   # run as a script: patch before the controller's modules load
    monkey.patch_all()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import gevent  # noqa: E402

import control.app as app  # noqa: E402

captured: list = []
_first_types: Counter | None = None


def sample(controller) -> dict:
    hub = gevent.get_hub()
    manager, deps = controller.manager, controller.deps
    types = Counter(type(o).__name__ for o in gc.get_objects())
    greenlets = sum(n for name, n in types.items() if "reenlet" in name)
    global _first_types
    _first_types = _first_types or types
    grown = Counter(types)
    grown.subtract(_first_types)
    out = {"t": round(time.time(), 1), "greenlets": greenlets,
           "threadpool_backlog": hub.threadpool.task_queue.qsize(),
           "sessions": len(manager.sessions), "offering": len(manager._offering),
           "wrapups": manager.agents.running_timers(), "jobs": len(getattr(controller.switch, "_jobs", ())),
           "early_jobs": len(getattr(controller.switch, "_early_jobs", ())),
           "outbound_active": controller.server.active,
           "types_grown": dict(grown.most_common(8))}
    backlog = getattr(deps.records, "backlog", None)
    if callable(backlog):
        out["records_backlog"] = backlog()
    agents: dict[str, int] = {}
    for agent in deps.store.agents():
        agents[agent.state.value] = agents.get(agent.state.value, 0) + 1
    out["agents"] = agents
    calls: dict[str, int] = {}
    for call in deps.store.waiting_calls():
        calls[call.state.value] = calls.get(call.state.value, 0) + 1
    out["waiting"] = calls
    state_log = getattr(deps.state_log, "backlog", None)
    if callable(state_log):
        out["state_log_backlog"] = state_log()
    return out


def _loop(every_s: float, trace: bool) -> None:
    import tracemalloc

    if trace:
        tracemalloc.start(10)
    while not captured:
        gevent.sleep(0.2)
    first = None
    while True:
        gevent.sleep(every_s)
        line = sample(captured[0])
        if trace:   # what grew since the first sample, by allocation site
            snap = tracemalloc.take_snapshot()
            first = first or snap
            line["grew"] = [f"{d.traceback[0].filename.rsplit('/', 2)[-1]}:{d.traceback[0].lineno} "
                            f"{d.size_diff // 1024:+}KB n={d.count_diff:+}"
                            for d in snap.compare_to(first, "lineno")[:10]]
        print("PROBE " + json.dumps(line), file=sys.stderr, flush=True)


def main() -> int:
    build = app.build

    def capture(*args, **kwargs):
        controller = build(*args, **kwargs)
        captured.append(controller)
        return controller

    app.build = capture
    gevent.spawn(_loop, float(os.environ.get("HOTLINE_PROBE_S", "5")),
                 os.environ.get("HOTLINE_PROBE_TRACEMALLOC") == "1")
    return app.main_controller(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
