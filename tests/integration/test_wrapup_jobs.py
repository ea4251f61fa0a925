"""Wrap-up fan-out on real RQ, Redis and PostgreSQL; webhook targets are a local HTTP stub."""
from __future__ import annotations

import json
import threading
import time
import uuid
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from records.calls import CallRecordWriter
from records.db import session_factory
from records.migrate import ensure_schema
from records.models import Customer, Ticket
from records.wrapup_models import Effect, Recording, WebhookTarget

pytestmark = pytest.mark.integration


class Stub(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Stub.seen.append((self.path, dict(self.headers), body))
        if self.path.startswith("/slow"):
            time.sleep(1.0)
        status = 500 if self.path.startswith("/fail") else 200
        reply = b'{"errcode": 0}' if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_PUT = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sessions(pg_database_url):
    ensure_schema(pg_database_url)
    return session_factory(pg_database_url)


@pytest.fixture
def env(monkeypatch, pg_database_url, tmp_path, stub):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_database_url)
    monkeypatch.setenv("HOTLINE_WRAPUP_RETRY", "0,0")     # 3 attempts, no wait
    monkeypatch.setenv("HOTLINE_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "log")
    monkeypatch.setenv("HOTLINE_CRM_WRITEBACK_URL", f"{stub}/crm")
    monkeypatch.setenv("HOTLINE_HTTP_TIMEOUT_S", "0.3")
    return tmp_path


@pytest.fixture
def rq_queue(redis_client, redis_prefix):
    from worker.queues import job_queue

    queue = job_queue(f"{redis_prefix}-wrapup", redis_client)
    yield queue
    keys = list(redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000))
    if keys:
        redis_client.delete(*keys)


def write_wav(path: Path, seconds: float = 1.5, rate: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * int(seconds * rate))


def make_call(sessions, call_id: str, recording: Path | None, disposition: str = "follow-up") -> int:
    with sessions() as s, s.begin():
        customer = Customer(name=f"Customer {call_id}")
        s.add(customer)
        s.flush()
        customer_id = customer.id
    now = time.time()
    CallRecordWriter(sessions).write({
        "call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "customer_id": customer_id,
        "queue": "support", "agent_id": "alice", "ivr_path": ["menu:1"], "entered_at": now - 90,
        "offered_at": now - 80, "answered_at": now - 75, "ended_at": now, "wait_s": 15.0, "talk_s": 75.0,
        "outcome": "answered", "hangup_cause": "NORMAL_CLEARING", "disposition": disposition,
        "recording_path": str(recording) if recording else None, "offers": ["alice"], "explanations": [],
        "language": "en", "priority": 0, "tier": None})
    return customer_id


def add_targets(sessions, stub: str, tag: str) -> dict[str, int]:
    targets = {"ok": ("json", f"{stub}/ok", "s3cret"), "slack": ("slack", f"{stub}/slack", None),
               "ding": ("dingtalk", f"{stub}/ding", "dsecret"), "fail": ("json", f"{stub}/fail", None),
               "slow": ("json", f"{stub}/slow", None)}
    ids = {}
    with sessions() as s, s.begin():
        s.query(WebhookTarget).update({"active": False})   # only this test's targets
        for name, (fmt, url, secret) in targets.items():
            row = WebhookTarget(name=f"{name}-{tag}", url=url, format=fmt, secret=secret, active=True)
            s.add(row)
            s.flush()
            ids[name] = row.id
    return ids


def run_burst(queue) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection, serializer=queue.serializer).work(burst=True)


def effect(sessions, key: str) -> Effect:
    with sessions() as s:
        return s.scalar(select(Effect).where(Effect.key == key))


def test_fan_out_runs_every_job_once_and_failures_stay_visible(sessions, env, stub, rq_queue):
    from rq.registry import FailedJobRegistry

    from worker.sms_providers import LoggingProvider
    from worker.webhook_formats import verify

    call_id = f"{rq_queue.name}-c1"
    source = env / "fs" / f"{call_id}.wav"
    write_wav(source)
    customer_id = make_call(sessions, call_id, source)
    ids = add_targets(sessions, stub, call_id)
    Stub.seen.clear()
    rq_queue.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    run_burst(rq_queue)

    with sessions() as s:
        rec = s.scalar(select(Recording).where(Recording.call_id == call_id))
        tickets = s.scalars(select(Ticket).where(Ticket.call_id == call_id)).all()
    assert not source.exists()
    assert rec.customer_id == customer_id and rec.duration_s == 1.5 and rec.size_bytes == Path(rec.path).stat().st_size
    assert Path(rec.path).parent.relative_to(env / "archive").parts[0].isdigit()   # YYYY/MM/DD
    import hashlib
    assert rec.sha256 == hashlib.sha256(Path(rec.path).read_bytes()).hexdigest()
    assert len(tickets) == 1 and tickets[0].customer_id == customer_id
    assert [m for m in LoggingProvider.sent if m[2] == f"sms:{call_id}"] and effect(sessions, f"sms:{call_id}").status == "done"
    assert effect(sessions, f"crm:{call_id}").status == "done"

    ok = [(h, b) for p, h, b in Stub.seen if p == "/ok"]
    assert len(ok) == 1 and verify("s3cret", ok[0][1], ok[0][0]["X-Hotline-Signature"])
    assert json.loads(ok[0][1])["call"]["call_id"] == call_id
    assert "blocks" in json.loads(next(b for p, _, b in Stub.seen if p == "/slack"))
    assert any(p.startswith("/ding?timestamp=") and "&sign=" in p for p, _, _ in Stub.seen)
    for name in ("ok", "slack", "ding"):
        assert effect(sessions, f"webhook:{call_id}:{ids[name]}").status == "done"
    for name in ("fail", "slow"):   # 500 and timeout: 3 attempts, then failed and visible
        row = effect(sessions, f"webhook:{call_id}:{ids[name]}")
        assert (row.status, row.attempts, row.detail["gave_up"]) == ("failed", 3, True), name
    assert sum(1 for p, _, _ in Stub.seen if p == "/fail") == 3
    failed = FailedJobRegistry(queue=rq_queue).get_job_ids()
    assert sorted(failed) == sorted(f"webhook-{call_id}-{ids[n]}" for n in ("fail", "slow"))

    # A rerun of everything (new job ids, as after a lost Redis): nothing is sent or created twice.
    sms_before, posts_before = len(LoggingProvider.sent), sum(1 for p, _, _ in Stub.seen if p == "/ok")
    for job_id in list(rq_queue.job_ids) + failed:
        rq_queue.connection.delete(f"rq:job:{job_id}")
    from worker.fanout import JOBS
    for kind in ("sms", "ticket", "archive"):
        rq_queue.enqueue(JOBS[kind], call_id, job_id=f"rerun-{kind}-{uuid.uuid4().hex[:6]}")
    rq_queue.enqueue("worker.webhooks.deliver", call_id, ids["ok"], job_id=f"rerun-ok-{uuid.uuid4().hex[:6]}")
    run_burst(rq_queue)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.call_id == call_id)) == 1
        assert s.scalar(select(func.count()).select_from(Recording).where(Recording.call_id == call_id)) == 1
    assert len(LoggingProvider.sent) == sms_before
    assert sum(1 for p, _, _ in Stub.seen if p == "/ok") == posts_before


def test_manual_retry_of_a_failed_webhook_succeeds_once_the_target_recovers(sessions, env, stub, rq_queue):
    from rq.registry import FailedJobRegistry

    from worker.fanout import job_id
    call_id = f"{rq_queue.name}-c2"
    make_call(sessions, call_id, None, disposition="resolved")
    with sessions() as s, s.begin():
        s.query(WebhookTarget).update({"active": False})
        target = WebhookTarget(name=f"flaky-{call_id}", url=f"{stub}/fail", format="json", active=True)
        s.add(target)
        s.flush()
        target_id = target.id
    rq_queue.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    run_burst(rq_queue)
    key = f"webhook:{call_id}:{target_id}"
    assert effect(sessions, key).status == "failed"
    assert effect(sessions, f"ticket:{call_id}") is None        # "resolved" asks for no ticket
    with sessions() as s, s.begin():
        s.get(WebhookTarget, target_id).url = f"{stub}/ok"       # the target is fixed
    registry = FailedJobRegistry(queue=rq_queue)
    registry.requeue(job_id("webhook", call_id, target_id))
    run_burst(rq_queue)
    row = effect(sessions, key)
    assert (row.status, row.attempts) == ("done", 4)
    assert registry.get_job_ids() == []


def test_sms_left_pending_by_a_crash_is_not_sent_again(sessions, env):
    from worker import effects
    from worker.settings import Settings
    from worker.sms import send_survey

    class Counting:
        calls = 0

        def send(self, to, text, reference):
            Counting.calls += 1
            return "m1"

    call_id = f"crash-{uuid.uuid4().hex[:8]}"
    make_call(sessions, call_id, None)
    # the crash: claimed (pending) and maybe sent, but never settled
    assert effects.claim(sessions, f"sms:{call_id}", call_id, "sms") == effects.GO
    assert send_survey(call_id, sessions, Settings(), Counting()) == effects.IN_DOUBT
    assert Counting.calls == 0 and effect(sessions, f"sms:{call_id}").status == "unknown"


def test_ticket_from_a_later_follow_up_mark_and_csat_once(sessions, env):
    from records.call_facts import mark_follow_up
    from worker.csat import store_csat
    from worker.settings import Settings
    from worker.tickets import create_ticket

    call_id = f"late-{uuid.uuid4().hex[:8]}"
    make_call(sessions, call_id, None, disposition="resolved")
    assert create_ticket(call_id, sessions, Settings()) == "no ticket needed"
    mark_follow_up(sessions, call_id, subject="Call back about the refund")
    assert create_ticket(call_id, sessions, Settings()) == "created"
    assert create_ticket(call_id, sessions, Settings()) == "already created"
    with sessions() as s:
        assert [t.subject for t in s.scalars(select(Ticket).where(Ticket.call_id == call_id))] == \
            ["Call back about the refund"]
    assert store_csat(call_id, "4", sessions=sessions) == "stored"
    assert store_csat(call_id, 1, sessions=sessions) == "already stored"
    with pytest.raises(ValueError):
        store_csat(call_id, 6, sessions=sessions)


def quiet_call(sessions, monkeypatch, call_id: str) -> None:
    """A call with no recording, no ticket, no webhook target and no CRM: only the SMS follows."""
    monkeypatch.delenv("HOTLINE_CRM_WRITEBACK_URL")
    make_call(sessions, call_id, None, disposition="resolved")
    with sessions() as s, s.begin():
        s.query(WebhookTarget).update({"active": False})


def test_the_wrap_up_sends_the_sms_itself_without_a_job_of_its_own(sessions, env, rq_queue, monkeypatch):
    from rq.registry import FinishedJobRegistry

    from records.models import AfterCallWork
    from worker.sms_providers import LoggingProvider

    call_id = f"{rq_queue.name}-c4"
    quiet_call(sessions, monkeypatch, call_id)
    rq_queue.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    run_burst(rq_queue)
    # one job per call: the SMS was sent by the wrap-up (it used to be a second job, sms-<call id>)
    assert FinishedJobRegistry(queue=rq_queue).get_job_ids() == [f"wrapup-{call_id}"]
    assert len([m for m in LoggingProvider.sent if m[2] == f"sms:{call_id}"]) == 1
    row = effect(sessions, f"sms:{call_id}")
    assert (row.status, row.attempts, row.detail["to"]) == ("done", 1, "+14155550100")
    with sessions() as s:
        assert s.scalar(select(AfterCallWork.done_at).where(AfterCallWork.call_id == call_id)) is not None


def test_an_sms_the_wrap_up_could_not_send_is_retried_by_a_job_of_its_own(sessions, env, rq_queue, monkeypatch):
    from rq.registry import FinishedJobRegistry

    from worker.sms_providers import LoggingProvider, NotSent

    call_id = f"{rq_queue.name}-c5"
    quiet_call(sessions, monkeypatch, call_id)
    real, tries = LoggingProvider.send, []

    def down_once(self, to, text, reference):
        tries.append(reference)
        if len(tries) == 1:
            raise NotSent("HTTP 503")
        return real(self, to, text, reference)

    monkeypatch.setattr(LoggingProvider, "send", down_once)
    rq_queue.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    run_burst(rq_queue)
    assert sorted(FinishedJobRegistry(queue=rq_queue).get_job_ids()) == sorted([f"wrapup-{call_id}", f"sms-{call_id}"])
    assert tries == [f"sms:{call_id}"] * 2
    row = effect(sessions, f"sms:{call_id}")
    assert (row.status, row.attempts) == ("done", 2)


def test_a_wrap_up_rerun_after_a_crash_between_the_claim_and_the_send_sends_nothing(sessions, env, rq_queue,
                                                                                   monkeypatch):
    from worker import effects
    from worker.sms_providers import LoggingProvider
    from worker.wrapup import finalize_call

    call_id = f"{rq_queue.name}-c6"
    quiet_call(sessions, monkeypatch, call_id)
    # the crash: the wrap-up's first transaction (with the SMS claim) committed, then the process died
    assert effects.claim(sessions, f"sms:{call_id}", call_id, "sms") == effects.GO
    finalize_call(call_id, sessions, queue=rq_queue)
    assert not [m for m in LoggingProvider.sent if m[2] == f"sms:{call_id}"]
    assert effect(sessions, f"sms:{call_id}").status == "unknown"


def test_an_sms_provider_that_cannot_be_built_fails_its_own_job_not_the_wrap_up(sessions, env, rq_queue,
                                                                               monkeypatch):
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from records.models import AfterCallWork

    call_id = f"{rq_queue.name}-c7"
    quiet_call(sessions, monkeypatch, call_id)
    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "pigeon")      # a configuration error
    rq_queue.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    run_burst(rq_queue)
    assert FinishedJobRegistry(queue=rq_queue).get_job_ids() == [f"wrapup-{call_id}"]
    assert FailedJobRegistry(queue=rq_queue).get_job_ids() == [f"sms-{call_id}"]   # on the failed-jobs page
    with sessions() as s:
        assert s.scalar(select(AfterCallWork.done_at).where(AfterCallWork.call_id == call_id)) is not None
