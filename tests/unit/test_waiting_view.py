"""WaitingView: one read of the waiting calls serves the dispatcher and every waiting caller for a moment."""
from __future__ import annotations

from control.domain.models import Call, CallState
from control.handlers.waiting_view import WaitingView


class CountingStore:
    def __init__(self):
        self.reads = 0
        self.calls = [Call(id="c1", caller="1", did="2", state=CallState.QUEUED)]

    def waiting_calls(self, shared=False):
        assert shared            # the view's calls are read-only: decoded once while unchanged
        self.reads += 1
        return list(self.calls)


def test_callers_share_a_read_until_it_is_older_than_the_limit():
    store, clock = CountingStore(), [100.0]
    view = WaitingView(store, clock=lambda: clock[0], max_age_s=0.5)
    assert view.get("c1").id == "c1" and store.reads == 1
    for _ in range(1000):                                  # a thousand callers in the same tick
        view.get("c1")
    assert store.reads == 1
    store.calls.append(Call(id="c2", caller="1", did="2", state=CallState.QUEUED))
    assert view.get("c2") is None                           # not waiting as of the last read
    clock[0] += 0.6
    assert view.get("c2").id == "c2" and store.reads == 2


def test_the_dispatcher_always_reads_and_its_read_serves_the_callers():
    store, clock = CountingStore(), [100.0]
    view = WaitingView(store, clock=lambda: clock[0])
    view.get("c1")
    store.calls = []
    assert view.read() == [] and store.reads == 2          # a pass sees a call queued a moment ago, or gone
    assert view.get("c1") is None and store.reads == 2      # ... and so do the callers, without reading


def test_callers_finding_it_stale_at_once_wait_for_one_read():
    import gevent

    class SlowStore(CountingStore):
        def waiting_calls(self, shared=False):
            gevent.sleep(0.05)            # Redis I/O: other callers run meanwhile
            return super().waiting_calls(shared)

    store = SlowStore()
    view = WaitingView(store)
    found = [g.value for g in gevent.joinall([gevent.spawn(view.get, "c1") for _ in range(200)])]
    assert store.reads == 1 and all(c is not None and c.id == "c1" for c in found)
