"""Prometheus metrics: every metric Hotline exports is declared here (docs/operations.md).

Counters and histograms are incremented where the thing happens (a record handed over, a dispatch
pass, a pop delivered, a backend error, a failed job). Gauges of live state (queue depth, longest
wait, agents by state) are read from the live store when Prometheus scrapes, by ``LiveCollector``,
so no code path has to keep them up to date and every process reports the same numbers.

The controller and the worker serve ``/metrics`` on their own port (``metrics_port`` /
``worker_metrics_port``; 0 turns it off); the console serves it at ``/metrics`` (web/metrics.py).
"""
from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from typing import Callable, Iterable

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from control.domain.models import Agent, Call, CallState

log = logging.getLogger(__name__)

CALLS = Counter("hotline_calls_total", "Call records handed over, by outcome", ["outcome"])
DISPATCH_SECONDS = Histogram(
    "hotline_dispatch_pass_seconds", "Time of one dispatch pass (routing decisions and reservations)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
QUEUE_TO_RING_SECONDS = Histogram(
    "hotline_queue_to_ring_seconds", "From a call entering its queue to its agent's phone being rung",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
POP_DELIVERY_SECONDS = Histogram(
    "hotline_pop_delivery_seconds", "From a live event's publication to its delivery to a console",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
BACKEND_ERRORS = Counter("hotline_backend_errors_total", "Errors talking to Redis, the database or the CRM",
                         ["backend"])
JOB_FAILURES = Counter("hotline_job_failures_total", "After-call jobs that raised, by job and whether RQ "
                       "retries them", ["job", "retry"])


def backend_error(backend: str) -> None:
    """``backend``: redis, database or crm."""
    BACKEND_ERRORS.labels(backend=backend).inc()


class LiveCollector(Collector):
    """Queue depth, longest wait and agents by state, read from live state at scrape time."""

    def __init__(self, waiting_calls: Callable[[], Iterable[Call]], agents: Callable[[], Iterable[Agent]],
                 clock: Callable[[], float] = time.time):
        self.waiting_calls, self.agents, self.clock = waiting_calls, agents, clock

    def collect(self):
        depth = GaugeMetricFamily("hotline_queue_depth", "Calls waiting in each queue", labels=["queue"])
        longest = GaugeMetricFamily("hotline_queue_longest_wait_seconds", "Longest wait in each queue",
                                    labels=["queue"])
        agents = GaugeMetricFamily("hotline_agents", "Agents by state", labels=["state"])
        try:
            calls, everyone = list(self.waiting_calls()), list(self.agents())
        except Exception:   # a scrape must not fail because Redis is away; the error is counted
            log.warning("live metrics not read", exc_info=True)
            backend_error("redis")
            return
        now = self.clock()
        waits: dict[str, list[float]] = {}
        for call in calls:
            if call.state in (CallState.QUEUED, CallState.OFFERING) and call.queue:
                waits.setdefault(call.queue, []).append(now - (call.entered_at or now))
        for queue, ages in sorted(waits.items()):
            depth.add_metric([queue], len(ages))
            longest.add_metric([queue], max(ages))
        for state, count in sorted(Tally(a.state.value for a in everyone).items()):
            agents.add_metric([state], count)
        yield from (depth, longest, agents)


def count_job_failure(job, exc_type, exc_value, traceback) -> bool:
    """An RQ exception handler: counts the failure and lets RQ go on with its own handling."""
    JOB_FAILURES.labels(job=job.func_name, retry="yes" if job.retries_left else "no").inc()
    return True


def watch_live_state(waiting_calls: Callable[[], Iterable[Call]], agents: Callable[[], Iterable[Agent]],
                     registry=REGISTRY) -> LiveCollector:
    collector = LiveCollector(waiting_calls, agents)
    registry.register(collector)
    return collector


def serve(port: int, host: str = "127.0.0.1") -> None:
    """``/metrics`` on its own port (controller, worker); 0 means off."""
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as exc:   # e.g. a second controller on the same host: give each its own port
        log.warning("metrics not served on %s:%s (%s): set a free port in the config", host, port, exc)
        return
    log.info("metrics on http://%s:%s/metrics", host, port)
