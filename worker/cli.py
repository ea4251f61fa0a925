"""`hotline worker`: the RQ worker for after-call jobs."""
from __future__ import annotations

import argparse
import logging

from control import log_privacy
from control.config import load_config
from control.metrics import count_job_failure, serve


def main(argv: list[str]) -> int:
    import redis
    from rq import Worker

    from worker.queues import SERIALIZER, job_queue

    parser = argparse.ArgumentParser(prog="hotline worker", description=__doc__)
    parser.add_argument("--config")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_privacy.install()    # the SMS log provider names the caller: masked unless debug logging is on
    config = load_config(args.config)
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(config, "worker"):
        return 2
    client = redis.Redis.from_url(config.redis_url)
    worker = Worker([job_queue(config.rq_queue, client)], connection=client, serializer=SERIALIZER,
                    maintenance_interval=int(config.rq_maintenance_interval_s),
                    exception_handlers=[count_job_failure])
    serve(int(config.worker_metrics_port), config.metrics_host)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0
