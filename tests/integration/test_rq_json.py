"""RQ jobs are JSON, not pickle (worker/queues.py): a job written into Redis by someone else as a
pickle does not run code in the worker (issue 16: "whoever can write to Redis runs code in the workers")."""
from __future__ import annotations

import json
import pickle
import zlib

import pytest

pytestmark = pytest.mark.integration


class _RunsCode:
    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))   # unpickling creates the file: proof that code ran


def test_the_controller_enqueues_json(redis_client, redis_prefix):
    from control.store.jobs import RQJobs

    jobs = RQJobs(redis_client, f"{redis_prefix}-wrapup")
    jobs.enqueue("worker.wrapup.finalize_call", "call-1", job_id=f"json-{redis_prefix}")
    data = redis_client.hget(f"rq:job:json-{redis_prefix}", "data")
    func, _instance, args, kwargs = json.loads(zlib.decompress(data))
    assert (func, args, kwargs) == ("worker.wrapup.finalize_call", ["call-1"], {})
    redis_client.delete(f"rq:job:json-{redis_prefix}", f"rq:queue:{redis_prefix}-wrapup")


def test_a_pickled_job_planted_in_redis_runs_no_code(redis_client, redis_prefix, tmp_path):
    from rq import SimpleWorker

    from worker.queues import SERIALIZER, job_queue

    marker = tmp_path / "code-ran"
    queue = job_queue(f"{redis_prefix}-planted", redis_client)
    job_id = f"planted-{redis_prefix}"
    payload = zlib.compress(pickle.dumps(_RunsCode(str(marker))))
    redis_client.hset(f"rq:job:{job_id}", mapping={"data": payload, "origin": queue.name, "status": "queued",
                                                    "created_at": "2026-12-02T00:00:00.000000Z"})
    redis_client.rpush(f"rq:queue:{queue.name}", job_id)
    SimpleWorker([queue], connection=redis_client, serializer=SERIALIZER).work(burst=True)
    assert not marker.exists()
    redis_client.delete(f"rq:job:{job_id}", f"rq:queue:{queue.name}")
