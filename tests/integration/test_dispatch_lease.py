"""Two controllers, one Redis: a nudge runs one dispatch pass at a time, and none is lost.

The managers' ``dispatch_once`` is replaced by a pass that counts how many run at once; the
lease (control/handlers/dispatch_lease.py) is real, in the real Redis.
"""

import gevent
import gevent.event
import pytest

from control.handlers.manager import Manager
from tests.handler_fakes import make_deps


class Passes:
    def __init__(self):
        self.log, self.active, self.most = [], 0, 0

    def fake(self, name: str, gate=None, entered=None):
        def dispatch_once():
            self.active += 1
            self.most = max(self.most, self.active)
            self.log.append(name)
            if entered is not None:
                entered.set()
            if gate is not None:
                gate.wait()
            self.active -= 1
            return 1
        return dispatch_once


@pytest.fixture
def pair(redis_client, redis_prefix):
    def manager(name):
        deps = make_deps({}, redis_prefix=redis_prefix)   # the whole port set; only the lease talks to Redis
        deps.controller_id = name
        return Manager(deps, redis_client=redis_client)
    return manager("ctl-a"), manager("ctl-b")


def test_a_nudge_during_a_pass_is_left_to_the_holder(pair):
    a, b = pair
    passes, gate, entered = Passes(), gevent.event.Event(), gevent.event.Event()
    a.dispatch_once = passes.fake("a", gate, entered)
    b.dispatch_once = passes.fake("b")
    running = gevent.spawn(a.dispatch_pass)
    entered.wait()
    assert b.dispatch_pass() == 0          # b's nudge arrives while a is in its pass
    assert passes.log == ["a"] and passes.most == 1
    gate.set()
    assert running.get() == 1
    assert a._dirty.is_set()                # a runs again for b's nudge
    assert b.dispatch_pass() == 1           # the lease is free again
    assert passes.log == ["a", "b"] and passes.most == 1


def test_a_pass_without_a_skipped_nudge_does_not_repeat(pair):
    a, b = pair
    passes = Passes()
    a.dispatch_once, b.dispatch_once = passes.fake("a"), passes.fake("b")
    assert a.dispatch_pass() == 1 and b.dispatch_pass() == 1
    assert passes.log == ["a", "b"]
    assert not a._dirty.is_set() and not b._dirty.is_set()


def test_a_lease_left_by_a_dead_holder_lapses(redis_client, redis_prefix):
    from control.handlers.dispatch_lease import DispatchLease

    dead = DispatchLease(redis_client, redis_prefix, "dead", lease_ms=50)
    alive = DispatchLease(redis_client, redis_prefix, "alive", lease_ms=50)
    assert dead.acquire()
    assert not alive.acquire()
    key = dead.keys[0]
    while redis_client.exists(key):        # Redis expires it; wait for that, not for a time
        gevent.sleep(0.01)
    assert alive.acquire()
    assert alive.release()                 # the nudge skipped meanwhile is handed to the new holder
