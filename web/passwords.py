"""Password checks off the event loop, and the same cost whether or not the user exists.

The console is served by gevent: a password hash (scrypt, ~50-150 ms of CPU) run on the hub
would stall every request and live stream of the process. hashlib's scrypt releases the GIL, so
running it in gevent's native thread pool keeps the loop serving meanwhile.
"""
from __future__ import annotations

import secrets
from typing import Callable, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")

# Checked when the user name is unknown (or the account disabled), so that answer takes as long
# as a wrong password for a real account: response times do not tell which names exist.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def off_loop(func: Callable[..., T], *args) -> T:
    """Run ``func`` in gevent's thread pool when sockets are cooperative (the served console); call
    it directly otherwise (tests with Flask's client, scripts)."""
    from gevent import monkey

    if monkey.is_module_patched("socket"):
        import gevent

        return gevent.get_hub().threadpool.apply(func, args)
    return func(*args)


def verify(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with ``None`` (no such user) the dummy hash is checked and
    False returned, at the same cost."""
    matched = off_loop(check_password_hash, password_hash or _DUMMY_HASH, password)
    return matched and password_hash is not None


def hash_password(password: str) -> str:
    return off_loop(generate_password_hash, password)
