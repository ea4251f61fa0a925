"""`hotline simulate --scenario FILE --report json`: a scenario through the real controller.

Starts the switch simulator and a controller in this process (gevent), with the
real Redis (under a throw-away key prefix) and the configured database, loads
the scenario's customers, agents, queues and flows, places the calls at their
times, waits for every call record, and reports outcomes and KPIs.
"""
from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass

import gevent


@dataclass
class Static:
    """A registry that always returns the same configuration (scenario-provided queues/flows)."""
    value: object

    def current(self):
        return self.value

    def reload(self) -> bool:
        return False


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


def run(scenario_path: str, config, *, timeout_s: float = 600.0) -> dict:
    from control.app import build
    from control.domain.models import AgentState
    from records.customers import upsert_customers
    from records.db import session_factory
    from records.migrate import ensure_schema
    from simulator.scenario import load_scenario
    from simulator.switch import Switch

    scenario = load_scenario(scenario_path)
    config = config.replace(redis_prefix=f"hotline-sim-{uuid.uuid4().hex[:8]}",
                            outbound_port=_free_port(), esl_port=_free_port())
    ensure_schema(config.database_url)
    sessions = session_factory(config.database_url)
    if scenario.customers:
        upsert_customers(sessions, scenario.customers)

    queues = _queues(scenario, config)
    switch = Switch(controller=("127.0.0.1", config.outbound_port), esl_listen=("127.0.0.1", config.esl_port),
                    password=config.esl_password)
    switch.start()
    controller = build(config, flows=_flows(scenario, config), queues=queues)
    captured: dict[str, dict] = {}
    write = controller.deps.records.write

    def record(rec: dict) -> None:
        captured[rec["call_id"]] = rec
        write(rec)

    controller.deps.records = type("Tap", (), {"write": staticmethod(record)})()
    store = controller.deps.store
    for agent in _agents(scenario, queues.current()):
        store.put_agent(agent)
        switch.add_phone(extension=agent.extension, answer_after=_answer_after(scenario, agent.id),
                         talk_time=_spec(scenario, agent.id).talk_time)
    for number in scenario.outside:
        after = number.get("answer_after", 1.0)
        switch.add_outside_number(number["number"], answer_after=None if after == "never" else float(after),
                                  talk_time=number.get("talk_time"), busy=bool(number.get("busy")))
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
        return report(scenario, handles, captured, switch, controller.deps.call_log)
    finally:
        controller.stop()
        switch.stop()
        _drop_prefix(controller.redis, config.redis_prefix)


def _spec(scenario, agent_id):
    return next(a for a in scenario.agents if a.id == agent_id)


def _answer_after(scenario, agent_id):
    value = _spec(scenario, agent_id).answer_after
    return None if value in (None, "never") else float(value)


def _place_calls(scenario, switch) -> list:
    handles, start = [], time.monotonic()
    for call in sorted(scenario.calls, key=lambda c: c.at):
        delay = call.at - (time.monotonic() - start)
        if delay > 0:
            gevent.sleep(delay)
        handles.append(switch.place_call(caller=call.caller, did=call.did, inputs=list(call.dtmf),
                                         patience=call.patience))
    return handles


def _drop_prefix(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def report(scenario, handles, captured: dict, switch=None, call_log=None) -> dict:
    calls = []
    rings = [r for phone in (switch.phones.values() if switch else ()) for r in phone.ring_log]
    for spec, handle in zip(sorted(scenario.calls, key=lambda c: c.at), handles):
        rec = captured.get(handle.uuid)
        calls.append({
            "caller": spec.caller, "did": spec.did, "call_id": handle.uuid,
            "outcome": rec["outcome"] if rec else "failed",
            "queue": rec["queue"] if rec else None, "agent": rec["agent_id"] if rec else None,
            "wait_s": rec["wait_s"] if rec else None, "talk_s": rec["talk_s"] if rec else None,
            "ivr_path": rec["ivr_path"] if rec else [], "offers": rec["offers"] if rec else [],
            "hangup_cause": rec["hangup_cause"] if rec else None,
            "explanations": rec["explanations"] if rec else [],
            "entered_at": rec["entered_at"] if rec else None,
            "callback": call_log.read(handle.uuid, "callback") if call_log is not None else [],
            "played": list(handle.channel.played),   # media the caller heard (files, say:, tones), in order
            # the agent phones that rang for the call: agent, start, end (unix s), answered
            "rang": sorted(({k: r[k] for k in ("agent", "start", "end", "answered")}
                            for r in rings if r["call"] == handle.uuid), key=lambda r: r["start"]),
        })
    return {"scenario": scenario.name, "calls": calls, "kpis": kpis(calls)}


def kpis(calls: list[dict], service_level_s: float = 20.0) -> dict:
    queued = [c for c in calls if c["queue"]]
    answered = [c for c in calls if c["outcome"] == "answered"]
    abandoned = [c for c in calls if c["outcome"] == "abandoned"]
    asa = sum(c["wait_s"] for c in answered) / len(answered) if answered else 0.0
    aht = sum(c["talk_s"] for c in answered) / len(answered) if answered else 0.0
    within = sum(1 for c in answered if c["wait_s"] <= service_level_s)
    return {
        "offered": len(queued), "answered": len(answered), "abandoned": len(abandoned),
        "asa_s": round(asa, 2), "aht_s": round(aht, 2),
        "service_level": round(within / len(queued), 3) if queued else None,
    }
