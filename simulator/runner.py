"""`hotline simulate --scenario FILE --report json`: a scenario through the real controller.

Starts the switch simulator and a controller in this process (gevent), with the
real Redis (under a throw-away key prefix) and the configured database, loads
the scenario's customers, agents, queues and flows, places the calls at their
times, waits for every call record, and reports outcomes and KPIs. After-call
jobs stay in memory (``MemoryJobs``): nothing of the run outlives its prefix, and
no worker runs wrap-ups for simulated calls.
"""
from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import gevent

from control.ports import CallRecords

# Scenario times are compressed (a caller's patience is seconds), so every queue abandon counts as
# abandoned: with the console's 5 s threshold most simulated abandons would be "short".
SHORT_ABANDON_S = 0.0


@dataclass
class Static:
    """A registry that always returns the same configuration (scenario-provided queues/flows)."""
    value: object

    def current(self):
        return self.value

    def reload(self) -> bool:
        return False


class RecordTap:
    """ports.CallRecords: keeps each finished call's record for the report, then hands it on."""

    def __init__(self, inner: CallRecords, captured: dict[str, dict]):
        self.inner, self.captured = inner, captured

    def submit(self, record: dict) -> None:
        self.captured[record["call_id"]] = record
        self.inner.submit(record)

    def pending(self) -> int:
        return self.inner.pending()

    def flush(self) -> bool:
        return self.inner.flush()

    def recover(self, now: float, older_than_s: float) -> int:
        return self.inner.recover(now, older_than_s)

    def sweep(self, now: float, replay_s: float = 0.0) -> int:
        return self.inner.sweep(now, replay_s)

    def drain(self, timeout: float) -> bool:
        return self.inner.drain(timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _queues(scenario, config):
    from control.queues import QueueRegistry, queues_from_data

    if scenario.queues:
        data = scenario.queues if "queues" in scenario.queues else {"queues": scenario.queues}
        return Static(queues_from_data(data, scenario.file, skills=set(scenario.skills) or None))
    return QueueRegistry(config.queues_dir)


def _flows(scenario, config):
    from control.ivr.loader import FlowRegistry, flows_from_data

    if scenario.flows:
        return Static(flows_from_data(scenario.flows, scenario.file))
    return FlowRegistry(config.flows_dir)


def _agents(scenario, queues: dict) -> list:
    from control.domain.models import Agent

    agents = []
    for i, spec in enumerate(scenario.agents):
        skills = dict(spec.skills)
        member_of = [name for name, q in queues.items()
                     if all(skills.get(r.skill, 0) >= 1 for r in getattr(q, "skills", ()))]
        agents.append(Agent(id=spec.id, extension=spec.extension, skills=skills,
                            queues=list(getattr(spec, "queues", None) or member_of), order=i,
                            wrap_up_s=getattr(spec, "wrap_up", None), name=spec.id))
    return agents


def run(scenario_path: str, config, *, timeout_s: float = 600.0, media_s: float = 0.2) -> dict:
    """``media_s``: how long a prompt file plays (``hotline simulate --media-s``)."""
    from control.app import build
    from control.domain.models import AgentState
    from control.store.jobs import MemoryJobs
    from records.customers import upsert_customers
    from records.db import session_factory
    from records.migrate import ensure_schema
    from simulator.scenario import load_scenario, phone_durations
    from simulator.switch import Switch

    scenario = load_scenario(scenario_path)
    # after_call_sweep_s=0: the after-call outbox's sweep re-enqueues wrap-ups for a worker, and a report
    # run has none (MemoryJobs); run every 30 s, it stalled dispatch for 10-29 s (docs/benchmarks.md,
    # "Erlang C agreement")
    config = config.replace(redis_prefix=f"hotline-sim-{uuid.uuid4().hex[:8]}",
                            outbound_port=_free_port(), esl_port=_free_port(), after_call_sweep_s=0)
    ensure_schema(config.database_url)
    sessions = session_factory(config.database_url)
    if scenario.customers:
        upsert_customers(sessions, scenario.customers)

    queues = _queues(scenario, config)
    switch = Switch(controller=("127.0.0.1", config.outbound_port), esl_listen=("127.0.0.1", config.esl_port),
                    password=config.esl_password, media_s=media_s)
    switch.start()
    controller = build(config, flows=_flows(scenario, config), queues=queues, jobs=MemoryJobs())
    captured: dict[str, dict] = {}
    controller.deps.records = RecordTap(controller.deps.records, captured)
    store = controller.deps.store
    for agent in _agents(scenario, queues.current()):
        store.put_agent(agent)
        spec = _spec(scenario, agent.id)
        answer_after, talk_time = phone_durations(agent.id, spec.answer_after, spec.talk_time, scenario.seed)
        switch.add_phone(extension=agent.extension, answer_after=answer_after, talk_time=talk_time)
    for phone in scenario.phones:
        answer_after, _talk = phone_durations(str(phone["extension"]), phone.get("answer_after", 1.0), None,
                                              scenario.seed)
        switch.add_phone(extension=str(phone["extension"]), answer_after=answer_after, talk_time=None)
    for number in scenario.outside:
        answer_after, talk_time = phone_durations(number["number"], number.get("answer_after", 1.0),
                                                  number.get("talk_time"), scenario.seed)
        switch.add_outside_number(number["number"], answer_after=answer_after, talk_time=talk_time,
                                  busy=bool(number.get("busy")))
    controller.start()
    try:
        controller.switch.wait_ready(10)
        for agent in store.agents():
            controller.manager.agents.change(agent.id, AgentState.AVAILABLE)
        handles = _place_calls(scenario, switch)
        gevent.joinall([gevent.spawn(h.done.wait) for h in handles], timeout=timeout_s)
        deadline = time.monotonic() + 10
        while len([h for h in handles if h.uuid in captured]) < len(handles) and time.monotonic() < deadline:
            gevent.sleep(0.05)
        return report(scenario, handles, captured, switch, controller.deps.call_log, queues.current())
    finally:
        controller.stop()
        switch.stop()
        _drop_prefix(controller.redis, config.redis_prefix)


def _spec(scenario, agent_id):
    return next(a for a in scenario.agents if a.id == agent_id)


def _place_calls(scenario, switch) -> list:
    handles, start = [], time.monotonic()
    for call in sorted(scenario.calls, key=lambda c: c.at):
        delay = call.at - (time.monotonic() - start)
        if delay > 0:
            gevent.sleep(delay)
        handles.append(switch.place_call(caller=call.caller, did=call.did, inputs=list(call.dtmf),
                                         patience=call.patience, caller_name=call.name,
                                         message_s=call.message_s))
    return handles


def _drop_prefix(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def report(scenario, handles, captured: dict, switch=None, call_log=None, queues: dict | None = None) -> dict:
    calls = []
    rings = [r for phone in (switch.phones.values() if switch else ()) for r in phone.ring_log]
    for spec, handle in zip(sorted(scenario.calls, key=lambda c: c.at), handles):
        rec = captured.get(handle.uuid)
        ch = handle.channel
        calls.append({
            "caller": spec.caller, "name": ch.caller_name, "did": spec.did, "call_id": handle.uuid,
            "outcome": rec["outcome"] if rec else "failed",
            "queue": rec["queue"] if rec else None, "agent": rec["agent_id"] if rec else None,
            "wait_s": rec["wait_s"] if rec else None, "talk_s": rec["talk_s"] if rec else None,
            "ivr_path": rec["ivr_path"] if rec else [], "offers": rec["offers"] if rec else [],
            "hangup_cause": rec["hangup_cause"] if rec else None,
            "explanations": rec["explanations"] if rec else [],
            "entered_at": rec["entered_at"] if rec else None,
            "answered_at": rec["answered_at"] if rec else None,
            # the caller's leg, from its arrival at the switch to its hangup
            "duration_s": round((ch.hangup_us - ch.created_us) / 1e6, 3) if ch.hangup_us else None,
            "callback": call_log.read(handle.uuid, "callback") if call_log is not None else [],
            "played": list(ch.played),   # media the caller heard (files, say:, tones), in order
            # the agent phones that rang for the call: agent, start, end (unix s), answered
            "rang": sorted(({k: r[k] for k in ("agent", "start", "end", "answered")}
                            for r in rings if r["call"] == handle.uuid), key=lambda r: r["start"]),
        })
    thresholds = {name: q.service_level_s for name, q in (queues or {}).items()}
    return {"scenario": scenario.name, "calls": calls, "kpis": kpis(calls, thresholds)}


def kpis(calls: list[dict], sl_thresholds: dict[str, float] | None = None, default_sl_s: float = 20.0,
         short_abandon_s: float = SHORT_ABANDON_S) -> dict:
    """The call figures of docs/kpis.md (reports.kpis.summarize) over the calls that reached a queue,
    plus how many calls there were and how many never reached a queue (ended in the IVR), so that
    calls = offered + not_queued and offered = answered + abandoned + short_abandoned + other."""
    from reports.kpis import summarize

    rows = [_row(c) for c in calls]
    offered = [r for r in rows if r.queue is not None]
    thresholds = sl_thresholds or {}
    figures = summarize(offered, set(), short_abandon_s, lambda r: thresholds.get(r.queue, default_sl_s))
    for column in ("repeat_rate", "csat_avg", "csat_count"):   # not simulated
        figures.pop(column)
    return {"calls": len(rows), "not_queued": len(rows) - len(offered), **figures}


def _row(call: dict):
    from reports.kpis import CallRow

    entered = datetime.fromtimestamp(call["entered_at"] or 0, tz=timezone.utc)
    answered = datetime.fromtimestamp(call["answered_at"], tz=timezone.utc) if call["answered_at"] else None
    if answered is None and call["outcome"] == "answered":
        answered = entered
    return CallRow(call["call_id"], entered, call["queue"], call["agent"], call["did"], call["caller"], answered,
                   call["outcome"], call["wait_s"] or 0.0, call["talk_s"] or 0.0,
                   transferred=call["outcome"] == "transferred")
