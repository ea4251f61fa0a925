"""The one way to build an RQ queue: every queue and worker uses RQ's JSON serializer.

RQ's default serializer is pickle, and unpickling runs code: anyone able to write a job into Redis
would run it in a worker. With JSON, a job names a function by its dotted path and carries plain
values (call ids, target ids); a worker only imports and calls that function. Job arguments and
results must therefore be JSON values (strings, numbers, lists, dicts), which every job here takes
and returns (docs/security.md, Redis and RQ).
"""
from __future__ import annotations

from rq import Queue
from rq.serializers import JSONSerializer

SERIALIZER = JSONSerializer


def job_queue(name: str, connection) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER)
