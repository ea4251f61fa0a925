"""After-call job ids, shared by the controller (which enqueues a call's wrap-up job) and the worker
(which enqueues the follow-on jobs). Pure.

RQ job ids may hold only letters, digits, ``_`` and ``-``. A call id that fits is kept as it is, so
an operator can read the call from the job; one that does not (a transferred call's next segment
is ``<call id>:<segment>``) is hashed, deterministically, so a rerun still finds the same job.
"""
from __future__ import annotations

import hashlib
import re

SAFE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
WRAPUP_KIND = "wrapup"
WRAPUP_JOB = "worker.wrapup.finalize_call"   # the function a wrap-up job runs


def job_id(kind: str, call_id: str, *extra: object) -> str:
    part = call_id if SAFE.match(call_id) else hashlib.sha256(call_id.encode()).hexdigest()[:32]
    return "-".join([kind, part, *(str(e) for e in extra)])


def wrapup_job_id(call_id: str) -> str:
    """The id of ``worker.wrapup.finalize_call(call_id)``: one per call record, whoever enqueues it."""
    return job_id(WRAPUP_KIND, call_id)
