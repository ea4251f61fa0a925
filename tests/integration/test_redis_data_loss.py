"""Nothing is lost when Redis loses its data (FLUSHDB on a redis-server of the test's own, so the shared
one is never flushed), against the test databases:

- the after-call work of a finished call is in SQL with its record (records/after_call.py): wrap-up
  jobs queued when Redis was flushed are enqueued again by the sweep and every call is finalized;
  the follow-on jobs a finished wrap-up fanned out run again, each side effect still once;
- agents are put back from their state history: a break or not-ready keeps its reason, logged out
  stays logged out (control/domain/agent_restore.py, control/app.py load_db_agents).
"""
from __future__ import annotations

import subprocess
import time
import uuid
from types import SimpleNamespace

import gevent
import pytest
import redis
from sqlalchemy import delete, func, select

from control.config import load_config
from control.domain.models import AgentState
from control.handlers.after_call_sweep import sweep_after_call_work
from control.store.batch import QueuedRecords
from control.store.jobs import RQJobs
from control.store.keys import Keys
from control.store.outbox import RecordOutbox
from control.store.redis_state import RedisState
from records import after_call
from records.calls import CallRecordWriter
from records.models import AuditLog
from tests.conftest import free_port

pytestmark = pytest.mark.integration
PREFIX = "{hltest-loss}"


@pytest.fixture(scope="module")
def pg_database_url():
    """This module counts the after-call outbox's pending rows: a database of its own (the session's
    holds the rows of every other test's calls)."""
    from tests.conftest import fresh_pg_database

    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis-loss"))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield client
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def env(monkeypatch, pg_database_url, tmp_path):
    # what the wrap-up jobs read when RQ runs them (worker/runtime.py)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_database_url)
    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "log")
    monkeypatch.setenv("HOTLINE_WRAPUP_RETRY", "0")
    monkeypatch.setenv("HOTLINE_ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path


def inline(func, *args, **kwargs):
    return func(*args, **kwargs)


def record(call_id: str) -> dict:
    now = time.time()
    return {"call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "queue": "support",
            "agent_id": "alice", "entered_at": now - 60, "answered_at": now - 50, "ended_at": now,
            "outcome": "answered", "hangup_cause": "NORMAL_CLEARING"}


def run_burst(queue) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection, serializer=queue.serializer).work(burst=True)


def finalized(sessions, call_ids) -> dict[str, int]:
    with sessions() as s:
        rows = s.execute(select(AuditLog.target, func.count()).where(AuditLog.action == "call.finalized",
                                                                      AuditLog.target.in_(call_ids))
                         .group_by(AuditLog.target)).all()
    return dict(rows)


def test_wrap_ups_queued_when_redis_was_flushed_all_run(own_redis, pg_sessions, env):
    tag = uuid.uuid4().hex[:8]
    ids = [f"loss-{tag}-{i}" for i in range(3)]
    jobs = RQJobs(own_redis, f"hltest-{tag}-wrapup")
    records = QueuedRecords(CallRecordWriter(pg_sessions, spool_path=env / "spool.jsonl"), jobs, inline,
                            outbox=RecordOutbox(own_redis, Keys(PREFIX).records_outbox()))
    for call_id in ids:
        records.submit(record(call_id))
    assert records.drain(5)
    gevent.sleep(0)
    assert set(ids) <= set(after_call.pending(pg_sessions))       # on disk with the records
    assert len(jobs.queue.get_job_ids()) == 3

    own_redis.flushdb()                                              # the queued wrap-ups are gone
    assert jobs.queue.get_job_ids() == []
    assert records.sweep(time.time()) == 0                          # too young: their writer enqueues them
    assert records.sweep(time.time() + 120) >= 3
    assert records.sweep(time.time() + 130) == 0                    # not again before RETRY_S
    assert {f"wrapup-{i}" for i in ids} <= set(jobs.queue.get_job_ids())

    run_burst(jobs.queue)
    assert finalized(pg_sessions, ids) == {i: 1 for i in ids}        # every call finalized, once
    assert not set(ids) & set(after_call.pending(pg_sessions))


def test_follow_on_jobs_lost_with_redis_run_again_each_effect_once(own_redis, pg_sessions, env):
    from records.wrapup_models import Effect

    tag = uuid.uuid4().hex[:8]
    call_id = f"fan-{tag}"
    jobs = RQJobs(own_redis, f"hltest-{tag}-wrapup")
    records = QueuedRecords(CallRecordWriter(pg_sessions, spool_path=env / "spool.jsonl"), jobs, inline)
    records.submit(record(call_id))
    assert records.drain(5)
    gevent.sleep(0)
    run_burst(jobs.queue)                                  # finalize, which sends the SMS itself
    assert call_id not in after_call.pending(pg_sessions)
    with pg_sessions() as s:
        assert s.scalar(select(Effect.status).where(Effect.key == f"sms:{call_id}")) == "done"

    own_redis.flushdb()                                    # Redis lost everything, the live epoch too
    config = load_config(env={}).replace(after_call_sweep_s=30, after_call_replay_s=3600)
    manager = SimpleNamespace(deps=SimpleNamespace(config=config, store=RedisState(own_redis, PREFIX), offload=inline,
                                                   records=records, now=lambda: time.time() + 120))
    assert sweep_after_call_work(manager) >= 1             # replayed, then enqueued again
    assert sweep_after_call_work(manager) == 0             # one sweep per after_call_sweep_s
    run_burst(jobs.queue)
    assert f"wrapup-{call_id}" in set(jobs.queue.finished_job_registry.get_job_ids())   # ran again
    assert finalized(pg_sessions, [call_id]) == {call_id: 1}
    with pg_sessions() as s:
        effects = s.scalars(select(Effect).where(Effect.call_id == call_id, Effect.kind == "sms")).all()
    assert [e.status for e in effects] == ["done"] and effects[0].attempts == 1   # one SMS, not two


@pytest.fixture(params=["sqlite", "postgresql"])
def agent_db(request):
    from records.models import Agent

    if request.param == "sqlite":
        url = f"sqlite:///{request.getfixturevalue('tmp_path') / 'agents.db'}"
        from records.migrate import ensure_schema

        ensure_schema(url)
    else:
        url = request.getfixturevalue("pg_database_url")
        request.getfixturevalue("pg_sessions")   # migrated
    from records.db import session_factory

    sessions = session_factory(url)
    tag = uuid.uuid4().hex[:6]
    ids = {state: f"{state}-{tag}" for state in ("break", "not_ready", "logged_out", "available", "on_call", "new")}
    with sessions() as s, s.begin():
        for n, agent_id in enumerate(ids.values()):
            s.add(Agent(id=agent_id, name=agent_id, extension=f"9{tag}{n}", sip_password="x", queues=["support"]))
    yield SimpleNamespace(url=url, sessions=sessions, ids=ids)
    with sessions() as s, s.begin():
        s.execute(delete(Agent).where(Agent.id.in_(list(ids.values()))))


def test_agents_come_back_as_they_were_when_redis_lost_its_data(own_redis, agent_db):
    from control.app import load_db_agents, sync_agents
    from control.handlers.reconcile import restore_lost_state
    from records.state_log import append_many

    ids, now = agent_db.ids, time.time()
    append_many(agent_db.sessions, [
        (ids["break"], "available", None, now - 300), (ids["break"], "break", "lunch", now - 120),
        (ids["not_ready"], "not_ready", "technical", now - 100),
        (ids["logged_out"], "available", None, now - 200), (ids["logged_out"], "logged_out", None, now - 50),
        (ids["available"], "break", "rest", now - 90), (ids["available"], "available", None, now - 30),
        (ids["on_call"], "on_call", None, now - 20)])
    config = load_config(env={}).replace(database_url=agent_db.url)
    store = RedisState(own_redis, f"{{hltest-agents-{uuid.uuid4().hex[:6]}}}")
    sync_agents(config, store)
    own_redis.flushdb()
    assert not store.has_agents()

    manager = SimpleNamespace(deps=SimpleNamespace(store=store), sessions={},
                              resync_agents=lambda busy: sync_agents(config, store, busy, now,
                                                                     agents=load_db_agents(config, now)))
    assert restore_lost_state(manager) >= len(ids)
    back = {agent_id: store.get_agent(agent_id) for agent_id in ids.values()}
    assert (back[ids["break"]].state, back[ids["break"]].break_reason) == (AgentState.BREAK, "lunch")
    assert abs(back[ids["break"]].state_since - (now - 120)) < 1       # since it went on break
    assert (back[ids["not_ready"]].state, back[ids["not_ready"]].break_reason) == (AgentState.NOT_READY, "technical")
    assert back[ids["logged_out"]].state == AgentState.LOGGED_OUT
    assert back[ids["available"]].state == AgentState.AVAILABLE and back[ids["available"]].break_reason is None
    assert ids["available"] in store.available_index()                 # routable again
    assert ids["break"] not in store.available_index()
    assert back[ids["on_call"]].state == AgentState.WRAP_UP            # its call may be gone: wrap-up, then free
    assert back[ids["new"]].state == AgentState.LOGGED_OUT             # no history


def test_each_controller_puts_back_its_own_calls_in_their_place(own_redis, tmp_path):
    """Two controllers: the first to look puts the agents back from their history, each puts back the
    callers whose socket it holds (entered_at and seq kept) and the agents on its bridged calls."""
    from control.app import load_db_agents, sync_agents
    from control.domain.models import Call, CallState
    from control.handlers.reconcile import restore_lost_state
    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Agent
    from records.state_log import append_many

    url = f"sqlite:///{tmp_path / 'controllers.db'}"
    ensure_schema(url)
    sessions, now = session_factory(url), time.time()
    with sessions() as s, s.begin():
        s.add_all([Agent(id="talker", name="talker", extension="2001", sip_password="x", queues=["support"]),
                   Agent(id="luncher", name="luncher", extension="2002", sip_password="x", queues=["support"])])
    append_many(sessions, [("talker", "on_call", None, now - 10), ("luncher", "break", "lunch", now - 60)])
    config = load_config(env={}).replace(database_url=url, redis_prefix=f"{{hltest-ctl-{uuid.uuid4().hex[:6]}}}")
    store = RedisState(own_redis, config.redis_prefix)
    sync_agents(config, store)

    def call(call_id: str, entered: float, state=CallState.QUEUED, agent=None) -> Call:
        c = Call(id=call_id, caller="+14155550100", did="+18005550100", queue="support", entered_at=entered,
                 state=state, agent_id=agent)
        store.put_call(c)            # numbered as on arrival
        return store.get_call(call_id)

    def controller(name: str, calls: dict) -> SimpleNamespace:
        return SimpleNamespace(
            deps=SimpleNamespace(store=store, config=config, controller_id=name, now=lambda: now),
            redis=own_redis, epoch_marked=False, sessions=calls,
            resync_agents=lambda busy: sync_agents(config, store, busy, now, agents=load_db_agents(config, now)))

    first = controller("ctl-a", {"wa": SimpleNamespace(call=call("wa", now - 40), agent_id=None, queued=True)})
    second = controller("ctl-b", {
        "wb": SimpleNamespace(call=call("wb", now - 30), agent_id=None, queued=True),
        "talk": SimpleNamespace(call=call("talk", now - 90, CallState.CONNECTED, "talker"), agent_id="talker",
                                queued=False)})
    places = {c.id: (c.entered_at, c.seq) for c in (store.get_call("wa"), store.get_call("wb"))}
    assert restore_lost_state(first) == 0 and restore_lost_state(second) == 0   # first looks: marks only

    own_redis.flushdb()
    assert restore_lost_state(first) >= 2                      # agents from their history, its caller
    assert store.get_agent("talker").state == AgentState.WRAP_UP
    assert [c.id for c in store.waiting_calls()] == ["wa"]
    assert restore_lost_state(second) == 1                     # its callers, and its agent on-call
    assert {c.id: (c.entered_at, c.seq) for c in store.waiting_calls()} == places
    talker, luncher = store.get_agent("talker"), store.get_agent("luncher")
    assert (talker.state, talker.call_id) == (AgentState.ON_CALL, "talk")
    assert (luncher.state, luncher.break_reason) == (AgentState.BREAK, "lunch")
    assert store.get_call("talk").state == CallState.CONNECTED
    assert store.next_seq() > max(seq for _, seq in places.values())   # later callers come after them
    assert restore_lost_state(first) == 0 and restore_lost_state(second) == 0   # nothing lost since
