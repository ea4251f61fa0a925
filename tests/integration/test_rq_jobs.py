"""RQJobs on real Redis: a batch of wrap-up jobs is enqueued once per job id, with its retry policy."""
from __future__ import annotations

import pytest
from control.store.jobs import RQJobs

pytestmark = pytest.mark.integration
FUNC = "worker.wrapup.finalize_call"


@pytest.fixture
def jobs(redis_client, redis_prefix):
    jobs = RQJobs(redis_client, f"{redis_prefix}-wrapup")
    yield jobs
    jobs.queue.delete(delete_jobs=True)


def test_a_batch_is_enqueued_once_per_job_id_in_order(jobs):
    jobs.enqueue(FUNC, "c0", job_id=f"{jobs.queue.name}-c0")
    batch = [((f"c{i}",), f"{jobs.queue.name}-c{i}") for i in range(4)]
    jobs.enqueue_many(FUNC, batch)
    jobs.enqueue_many(FUNC, batch[1:3])                       # a rerun of part of it: nothing doubles
    queued = jobs.queue.get_job_ids()
    assert queued == [job_id for _, job_id in batch]
    job = jobs.queue.fetch_job(batch[2][1])
    assert job.func_name == FUNC and tuple(job.args) == ("c2",)
    assert job.retries_left == 5 and job.result_ttl == 86400


def test_an_empty_batch_enqueues_nothing(jobs):
    jobs.enqueue_many(FUNC, [])
    assert jobs.queue.count == 0
