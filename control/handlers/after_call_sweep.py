"""The after-call outbox's sweep, from the controllers' reconcile loop (records/after_call.py).

One controller sweeps per ``after_call_sweep_s`` (a claim in Redis). The first sweep after Redis came
back empty (its one-time live-epoch claim is free again: it went with the data) first makes the
wrap-ups done in the last ``after_call_replay_s`` pending again, since the follow-on jobs they fanned
out may have gone with Redis's data too. ``records.sweep`` runs its SQL in the thread pool itself.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

EPOCH = "live-epoch"
EPOCH_TTL_S = 10 * 365 * 86400   # as long as Redis keeps its data


def sweep_after_call_work(manager) -> int:
    deps = manager.deps
    interval = float(deps.config.after_call_sweep_s)
    if interval <= 0 or not deps.store.claim_once("after-call-sweep", interval):
        return 0
    lost = deps.store.claim_once(EPOCH, EPOCH_TTL_S)
    replay_s = float(deps.config.after_call_replay_s) if lost else 0.0
    if lost:
        log.info("no live epoch in Redis (first start, or Redis lost its data): replaying %.0f s of wrap-ups",
                 replay_s)
    return int(deps.records.sweep(deps.now(), replay_s))
