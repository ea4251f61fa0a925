"""The records the reconciler writes for calls whose controller died: when they ended, and their
wrap-up job (memory fakes, no sockets)."""
from __future__ import annotations

from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.handlers.manager import Manager
from control.handlers.reconcile import reconcile
from tests.handler_fakes import FakeSwitch, make_deps


class ListeningSwitch(FakeSwitch):
    """Delivers the hangups FreeSWITCH would send on the inbound Event Socket."""

    def __init__(self):
        super().__init__()
        self.listeners = []

    def subscribe(self, handler, events=()):
        self.listeners.append(handler)

    def hangup(self, uuid: str, at: float) -> None:
        self.channels.discard(uuid)
        for listener in self.listeners:
            listener({"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": uuid,
                      "Event-Date-Timestamp": str(int(at * 1e6))})


def bridged_call_of_a_dead_controller():
    deps = make_deps({"support": QueueConfig(name="support")}, switch=ListeningSwitch())
    store = deps.store
    store.put_agent(Agent(id="alice", extension="1001", queues=["support"], state=AgentState.AVAILABLE))
    store.put_call(Call(id="c1", caller="+14155550100", did="+18005550100", queue="support",
                        state=CallState.QUEUED, entered_at=990.0, controller_id="dead-ctl"))
    assert store.reserve("c1", "alice", "dead-ctl", 30, 1000.0) and store.confirm("c1", "alice", 1010.0)
    deps.switch.channels = {"c1"}
    return deps, Manager(deps)


def sweep(deps, manager, at: float) -> dict:
    deps.now.t = at
    return reconcile(manager)


def test_orphan_record_ends_at_the_hangup_and_queues_its_wrap_up_job():
    deps, manager = bridged_call_of_a_dead_controller()
    sweep(deps, manager, 1020.0)                       # alive: nothing to do
    assert deps.records.written == {}
    deps.switch.hangup("c1", 1025.5)
    fixed = sweep(deps, manager, 1030.0)
    record = deps.records.written["c1"]
    assert fixed["stuck_agents"] == 1 and record["hangup_cause"] == "CONTROLLER_LOST"
    assert record["ended_at"] == 1025.5 and record["talk_s"] == 15.5 and record["outcome"] == "answered"
    assert list(deps.jobs.jobs) == ["wrapup-c1"]
    assert deps.jobs.jobs["wrapup-c1"] == ("worker.wrapup.finalize_call", ("c1",))
    sweep(deps, manager, 1040.0)                       # a later sweep finds nothing more to do
    assert list(deps.jobs.jobs) == ["wrapup-c1"] and len(deps.records.written) == 1
    manager.stop()


def test_without_the_hangup_the_record_ends_when_the_call_was_last_seen_alive():
    deps, manager = bridged_call_of_a_dead_controller()
    sweep(deps, manager, 1020.0)
    deps.switch.channels = set()                       # gone, and this controller missed the hangup
    sweep(deps, manager, 1025.0)
    record = deps.records.written["c1"]
    assert record["ended_at"] == 1020.0 and record["talk_s"] == 10.0
    assert "wrapup-c1" in deps.jobs.jobs
    manager.stop()


def test_ghost_waiting_call_gets_its_wrap_up_job_too():
    deps = make_deps({"support": QueueConfig(name="support")}, switch=ListeningSwitch())
    deps.store.put_call(Call(id="g1", caller="+14155550100", did="+18005550100", queue="support",
                             state=CallState.QUEUED, entered_at=990.0))
    deps.switch.channels = {"g1"}
    manager = Manager(deps)
    sweep(deps, manager, 1000.0)
    deps.switch.hangup("g1", 1003.25)
    sweep(deps, manager, 1005.0)
    record = deps.records.written["g1"]
    assert record["ended_at"] == 1003.25 and record["wait_s"] == 13.25 and record["outcome"] == "abandoned"
    assert list(deps.jobs.jobs) == ["wrapup-g1"]


class ArrivalDuringSnapshot(FakeSwitch):
    """A caller arrives (channel up, then queued) while the switch is listing its channels."""

    def __init__(self, store):
        super().__init__()
        self.store = store

    def api(self, command: str) -> str:
        reply = super().api(command)
        if command.startswith("show channels"):
            self.channels.add("late")
            self.store.put_call(Call(id="late", caller="+14155550111", did="+18005550100", queue="support",
                                     state=CallState.QUEUED, entered_at=1000.0, controller_id="test-ctl"))
        return reply


def test_a_caller_who_arrives_while_channels_are_listed_is_not_swept_as_a_ghost():
    deps = make_deps({"support": QueueConfig(name="support")})
    deps.switch = ArrivalDuringSnapshot(deps.store)
    reconcile(Manager(deps))
    assert deps.store.get_call("late") is not None and "late" not in deps.records.written


def test_a_caller_missing_from_the_list_but_still_up_is_not_swept():
    deps = make_deps({"support": QueueConfig(name="support")})
    deps.store.put_call(Call(id="c1", caller="+14155550111", did="+18005550100", queue="support",
                             state=CallState.QUEUED, entered_at=990.0, controller_id="test-ctl"))

    class ListMissesIt(FakeSwitch):
        def api(self, command):
            return super().api(command) if not command.startswith("uuid_exists") else "true"

    deps.switch = ListMissesIt()
    reconcile(Manager(deps))
    assert deps.store.get_call("c1") is not None
    deps.switch = FakeSwitch()                   # now it is really gone
    reconcile(Manager(deps))
    assert deps.store.get_call("c1") is None and deps.records.written["c1"]["hangup_cause"] == "LOST_CHANNEL"
