"""Real thread locks, even under gevent's monkey patching.

The controller runs SQL and CRM calls in gevent's native thread pool. A lock made after patching
is a gevent lock, and one shared by native threads deadlocked that pool under load, so every
later SQL task queued forever (docs/benchmarks.md, Soak). Objects used from the pool take these.
"""
from __future__ import annotations

import threading


def _original(name: str, fallback):
    try:
        from gevent.monkey import get_original, is_module_patched
    except ImportError:
        return fallback()
    return get_original("_thread", name)() if is_module_patched("threading") else fallback()


def native_lock():
    return _original("allocate_lock", threading.Lock)


def native_rlock():
    return _original("RLock", threading.RLock)
