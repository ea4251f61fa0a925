"""`hotline worker`: the RQ worker for after-call jobs.

One process runs the jobs one after another in itself (rq's SimpleWorker): no fork per job, and
the database engine (records/db.py, one per URL per process) keeps its connections from job to
job. Forking cost 0.4-0.7 s per job. A job that raises is still caught, retried and listed as
failed by RQ; a process that dies mid-job leaves the job to be found abandoned and rerun by the
next worker's maintenance. For more throughput run more `hotline worker` processes
(docs/scaling.md).
"""
from __future__ import annotations

import argparse
import logging

from control import logs
from control.config import load_config
from control.metrics import count_job_failure, serve

# Measured with `hotline bench worker` (docs/benchmarks.md).
CALLS_PER_S_PER_PROCESS = 18


def main(argv: list[str]) -> int:
    from rq import SimpleWorker

    from control.store.redis_clients import redis_client

    from worker.queues import SERIALIZER, job_queue

    parser = argparse.ArgumentParser(prog="hotline worker", description=__doc__)
    parser.add_argument("--config")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logs.setup("INFO", config.log_format)   # the SMS log provider names the caller: masked unless DEBUG
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(config, "worker"):
        return 2
    client = redis_client(config)   # Sentinel too (redis_sentinels): RQ follows a failover
    worker = SimpleWorker([job_queue(config.rq_queue, client)], connection=client, serializer=SERIALIZER,
                    maintenance_interval=int(config.rq_maintenance_interval_s),
                    exception_handlers=[count_job_failure])
    serve(int(config.worker_metrics_port), config.metrics_host)
    logging.getLogger(__name__).info(
        "one worker process carries about %d calls/s of wrap-up (hotline bench worker); run more processes "
        "for more (docs/scaling.md)", CALLS_PER_S_PER_PROCESS)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0
