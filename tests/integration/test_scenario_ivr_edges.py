"""Edges of the IVR found on a real FreeSWITCH, guarded here through the switch simulator (real
controller, Redis, PostgreSQL and TCP).

* A digit chosen in a menu is not an exit key of the queue that follows (it once sent callers
  who pressed 1 for English straight to a callback).
* A flow that ends without hanging up (callback recorded, last node) ends the call: a caller
  left up when the socket closes is connected again by the dialplan and the IVR starts over.
* Like FreeSWITCH, the simulator's ``socket`` returns only when the application running on the
  channel ends: a caller on hold music whose controller connection died stays there until
  ``uuid_break``.
"""
from __future__ import annotations

import gevent
import pytest
from gevent.server import StreamServer

from control.config import load_config
from control.ivr.prompts import prompt_path
from tests.conftest import free_port
from tests.integration.faultkit import wait_for

pytestmark = pytest.mark.integration

CALLER, DID, INFO_DID = "+14155550100", "+18005550100", "+18005550199"
QUEUES = {"queues": {"support": {"ring_timeout_s": 5, "announce_every_s": 0,
                                 "exit_keys": {"1": {"action": "callback"}}}}}
FLOWS = {
    "dids": {"default": "front", "dids": {INFO_DID: "info"}},
    "front": {"languages": ["en"], "start": "menu",
              "prompts": {"choose": {"en": "For English press 1."}, "goodbye": {"en": "Thank you. Goodbye."}},
              "nodes": {"menu": {"type": "menu", "prompt": "choose", "options": {"1": {"next": "q"}},
                                 "timeout_s": 2, "retries": 0, "default": "q"},
                        "q": {"type": "queue", "queue": "support"}}},
    "info": {"languages": ["en"], "start": "hours",
             "prompts": {"hours": {"en": "We are open from nine to five."}},
             "nodes": {"hours": {"type": "play", "prompt": "hours"}}},
}


class Rig:
    def __init__(self, tmp_path, redis_url, prefix, database_url):
        from control.app import build
        from control.domain.models import Agent
        from control.ivr.loader import flows_from_data
        from control.queues import queues_from_data
        from records.migrate import ensure_schema
        from simulator.runner import Static
        from simulator.switch import Switch

        ensure_schema(database_url)
        self.config = load_config(env={}).replace(
            database_url=database_url, redis_url=redis_url, redis_prefix=prefix, outbound_port=free_port(),
            esl_port=free_port(), records_spool=str(tmp_path / "spool.jsonl"), recordings_dir=str(tmp_path),
            prompts_dir=str(tmp_path / "prompts"), reconcile_interval_s=1)
        self.switch = Switch(controller=("127.0.0.1", self.config.outbound_port),
                             esl_listen=("127.0.0.1", self.config.esl_port), media_s=0.05)
        self.switch.start()
        self.executed: list[tuple[str, str, str]] = []   # (channel, application, data) as FreeSWITCH reports
        emit = self.switch.emit

        def spy(ch, pairs):
            fields = dict(pairs)
            if fields.get("Event-Name") == "CHANNEL_EXECUTE":
                self.executed.append((ch.uuid, fields.get("Application", ""), fields.get("Application-Data", "")))
            emit(ch, pairs)

        self.switch.emit = spy
        queues = Static(queues_from_data(QUEUES, "test"))
        self.controller = build(self.config, flows=Static(flows_from_data(FLOWS, "test")), queues=queues)
        self.store = self.controller.deps.store
        # logged out: nobody answers, callers stay in the queue
        self.store.put_agent(Agent(id="alice", extension="1001", queues=["support"]))
        self.controller.start()
        assert self.controller.switch.wait_ready(10)

    def records(self, call_id: str) -> list:
        from sqlalchemy import select

        from records.db import session_factory
        from records.models import Call

        def read():
            with session_factory(self.config.database_url)() as session:
                return list(session.scalars(select(Call).where(Call.call_id == call_id)))

        return wait_for(lambda: self.controller.deps.offload(read), 30, step=0.2, what=f"the record of {call_id}")

    def stop(self) -> None:
        self.controller.stop()
        self.switch.stop()


@pytest.fixture
def rig(tmp_path, redis_url, redis_prefix, pg_database_url):
    rig = Rig(tmp_path, redis_url, redis_prefix, pg_database_url)
    yield rig
    rig.stop()


def test_the_menu_digit_does_not_leak_into_the_queue_as_its_exit_key(rig):
    # presses 1 at the menu (English), the same digit as the queue's callback key, then waits
    handle = rig.switch.place_call(CALLER, DID, inputs=["1"], patience=2.0)
    assert handle.done.wait(15)
    assert handle.result["patience_expired"] and handle.result["hangup_by"] == "caller"
    assert rig.store.get_call(f"cb-{handle.uuid}") is None, "the menu digit requested a callback"
    [record] = rig.records(handle.uuid)
    assert record.outcome == "abandoned" and record.queue == "support"
    assert record.ivr_path == ["menu menu: pressed 1", "queue support"]
    assert "flush_dtmf" in [app for uuid, app, _ in rig.executed if uuid == handle.uuid]


def test_a_queue_exit_to_callback_says_goodbye_and_hangs_up_once(rig):
    handle = rig.switch.place_call(CALLER, DID, inputs=["1", {"after": 0.5, "digits": "1"}])
    assert handle.done.wait(15)
    assert (handle.result["hangup_by"], handle.result["hangup_cause"]) == ("switch", "NORMAL_CLEARING")
    assert handle.channel.socket_runs == 1, "the caller was connected to the controller again"
    assert rig.store.get_call(f"cb-{handle.uuid}") is not None
    apps = [(app, data) for uuid, app, data in rig.executed if uuid == handle.uuid]
    menus = [a for a in apps if a[0] == "play_and_get_digits"]
    assert len(menus) == 1, "the IVR started again"
    goodbye = ("playback", prompt_path({"kind": "text", "text": "Thank you. Goodbye.", "language": "en"}, "en",
                                       rig.config.prompts_dir))
    assert apps[-2:] == [goodbye, ("hangup", "NORMAL_CLEARING")], apps
    [record] = rig.records(handle.uuid)
    assert record.outcome == "callback"


def test_a_flow_that_runs_out_of_nodes_hangs_up_instead_of_starting_again(rig):
    handle = rig.switch.place_call(CALLER, INFO_DID)
    assert handle.done.wait(15)
    assert (handle.result["hangup_by"], handle.result["hangup_cause"]) == ("switch", "NORMAL_CLEARING")
    assert handle.channel.socket_runs == 1
    [record] = rig.records(handle.uuid)
    assert record.outcome == "self_service"


def test_the_simulated_socket_returns_only_when_the_running_application_ends():
    """A controller that starts endless hold music and then vanishes (a crash, no hangup)."""
    from simulator.switch import Switch

    def vanishing_controller(sock, _addr):
        sock.sendall(b"connect\n\n")
        sock.recv(65536)
        sock.sendall(b"sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
                     b"execute-app-arg: local_stream://moh\n\n")
        sock.recv(65536)
        gevent.sleep(0.2)
        sock.close()

    server = StreamServer(("127.0.0.1", 0), vanishing_controller)
    server.start()
    switch = Switch(controller=("127.0.0.1", server.server_port), media_s=0.05, reconnect_delay_s=0.05)
    switch.start()
    try:
        handle = switch.place_call(CALLER, DID)
        ch = handle.channel
        wait_for(lambda: ch.vars.get("current_application") == "playback", 5, what="hold music")
        wait_for(lambda: ch.session is not None and ch.session.conn.closed, 5, what="the connection closed")
        gevent.sleep(0.3)   # several times the dialplan's reconnect delay: nothing may happen
        assert ch.alive and ch.socket_running and ch.socket_runs == 1
        assert switch.api.run_now(f"uuid_break {ch.uuid} all").startswith("+OK")
        wait_for(lambda: ch.socket_runs == 2, 5, what="the dialplan connecting the caller again")
    finally:
        switch.stop()
        server.stop()
