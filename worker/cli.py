"""`hotline worker`: the RQ worker for after-call jobs.

One process runs the jobs one after another in itself (rq's SimpleWorker, with fewer Redis round
trips of its own bookkeeping: worker/rq_worker.py): no fork per job, and the database engine
(records/db.py, one per URL per process, no ping before each use) keeps its connection from job to
job. A call's wrap-up is one job (worker/wrapup.py: history, rollup, outbox and the post-call SMS),
plus one per follow-on it needs: archiving and analysing a recording, a ticket, the CRM write-back,
each webhook target. A job that raises is still caught, retried and listed as failed by RQ; a
process that dies mid-job leaves the job to be found abandoned and rerun by the next worker's
maintenance.

One process carries about {calls} calls/s of wrap-up (`hotline bench worker`, docs/benchmarks.md:
one job per call, real PostgreSQL and Redis, a shared 2-core machine; it is CPU-bound, so less when
other work holds the cores). For more, run more `hotline worker` processes on the same queue, about
one per free core (docs/scaling.md): jobs are idempotent and need no coordination.
"""
from __future__ import annotations

import argparse
import logging

from control import logs
from control.config import load_config
from control.metrics import count_job_failure, serve

# Measured with `hotline bench worker` (docs/benchmarks.md).
CALLS_PER_S_PER_PROCESS = 45   # 39-56 over 300 calls, median 46; the goal is 50


def warm_up() -> None:
    """Before the first job: import the wrap-up jobs and read the queue files, so the first call's
    wrap-up does not take a second."""
    import worker.crm  # noqa: F401
    import worker.recordings  # noqa: F401
    import worker.tickets  # noqa: F401
    import worker.webhooks  # noqa: F401
    import worker.wrapup  # noqa: F401
    from worker.runtime import queue_thresholds

    queue_thresholds()


def _doc() -> str:
    return (__doc__ or "").format(calls=CALLS_PER_S_PER_PROCESS)


def main(argv: list[str]) -> int:
    from control.store.redis_clients import redis_client

    from worker.queues import SERIALIZER, job_queue
    from worker.rq_worker import WrapUpWorker

    parser = argparse.ArgumentParser(prog="hotline worker", description=_doc(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logs.setup("INFO", config.log_format)   # the SMS log provider names the caller: masked unless DEBUG
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(config, "worker"):
        return 2
    client = redis_client(config)   # Sentinel too (redis_sentinels): RQ follows a failover
    worker = WrapUpWorker([job_queue(config.rq_queue, client)], connection=client, serializer=SERIALIZER,
                          maintenance_interval=int(config.rq_maintenance_interval_s),
                          exception_handlers=[count_job_failure])
    serve(int(config.worker_metrics_port), config.metrics_host)
    warm_up()
    logging.getLogger(__name__).info(
        "one worker process carries about %d calls/s of wrap-up (hotline bench worker); run more processes "
        "for more (docs/scaling.md)", CALLS_PER_S_PER_PROCESS)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0
