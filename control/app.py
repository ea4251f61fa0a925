"""The composition root: the one place that builds clients and adapters and wires them.

``build(config)`` returns a ``Controller`` ready to start; nothing else in the
code base constructs a Redis, SQL or Event Socket client for the controller.
"""
from __future__ import annotations

# gevent's monkey-patching happens in the entry points (control/cli.py, tests/conftest.py), never on import.
import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import gevent  # noqa: E402

from control.config import Config, load_config  # noqa: E402
from control.handlers.deps import Deps  # noqa: E402
from control.ports import JobQueue  # noqa: E402

if TYPE_CHECKING:
    import redis

    from control.esl.inbound import SwitchClient
    from control.esl.nodes import NodeSwitch
    from control.esl.outbound import OutboundServer
    from control.handlers.callbacks import CallbackService
    from control.handlers.manager import Manager

log = logging.getLogger("hotline.controller")
REDIS_CONNECTIONS = 1000


@dataclass
class Controller:
    deps: Deps
    manager: Manager
    server: OutboundServer
    switch: SwitchClient | NodeSwitch
    redis: redis.Redis
    callbacks: CallbackService | None = None

    def start(self) -> None:
        self.switch.start()
        for client in (self.manager.channel_lists or {}).values():
            client.start()
        self.manager.start()
        if self.callbacks is not None:
            self.callbacks.start()
        self.server.start()

    def stop(self) -> None:
        self.server.stop(timeout=2)
        if self.callbacks is not None:
            self.callbacks.stop()
        self.manager.stop()
        self.deps.publisher.close()   # sends the live events still queued, ends its writer
        self.deps.records.drain(5.0)
        self.switch.stop()
        for client in (self.manager.channel_lists or {}).values():
            client.stop()

    @property
    def outbound_port(self) -> int:
        return self.server.port


def offload(func, *args, **kwargs):
    """Run blocking I/O (SQL drivers are not cooperative) in gevent's thread pool."""
    return gevent.get_hub().threadpool.apply(func, args, kwargs)


def build(config: Config, *, flows=None, queues=None, controller_id: str | None = None,
          jobs: JobQueue | None = None) -> Controller:
    """``jobs``: a ports.JobQueue instead of RQ on ``config.rq_queue`` (report runs keep theirs in memory)."""
    from control.esl.inbound import EVENTS as SWITCH_EVENTS, SwitchClient
    from control.esl.outbound import OutboundServer
    from control.handlers import browser_phones
    from control.handlers.call import CallHandler
    from control.handlers.callbacks import CallbackService
    from control.handlers.manager import Manager
    from control.ivr.loader import FlowRegistry
    from control.queues import QueueRegistry
    from control.store.batch import QueuedRecords, QueuedStateLog
    from control.store.call_log import CallLog
    from control.store.consoles import RedisConsoles
    from control.store.jobs import RQJobs
    from control.store.keys import Keys
    from control.store.outbox import RecordOutbox
    from control.store.publisher import QueuedPublisher, RedisPublisher
    from control.store.redis_clients import controller_client
    from control.store.redis_state import RedisState
    from records.callback_rows import ScheduledCallbacks
    from records.calls import CallRecordWriter
    from records.crm import CrmClient
    from records.customers import CustomerStore
    from records.db import session_factory
    from records.lookup import CustomerLookup
    from records.state_log import append_many as append_states

    client = controller_client(config, REDIS_CONNECTIONS)   # Sentinel too (redis_sentinels)
    sessions = session_factory(config.database_url)
    store = RedisState(client, config.redis_prefix)
    switch = _switch(config, store, SwitchClient, f"{SWITCH_EVENTS} {browser_phones.EVENTS}")
    jobs = jobs if jobs is not None else RQJobs(client, config.rq_queue)
    deps = Deps(
        config=config,
        controller_id=controller_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
        store=store,
        publisher=QueuedPublisher(RedisPublisher(client, config.redis_prefix)),   # one writer greenlet
        switch=switch,
        customers=CustomerLookup(CustomerStore(sessions), CrmClient.from_config(config, cache=client)),
        # call records and agent history are written in batches by one greenlet each (control/store/batch.py)
        records=QueuedRecords(CallRecordWriter(sessions, spool_path=config.records_spool or None), jobs, offload,
                              outbox=RecordOutbox(client, Keys(config.redis_prefix).records_outbox()),
                              clock=time.time),
        jobs=jobs,
        flows=flows or FlowRegistry(config.flows_dir),
        queues=queues or QueueRegistry(config.queues_dir),
        call_log=CallLog(client, config.redis_prefix),
        consoles=RedisConsoles(client, config.redis_prefix),
        now=time.time,
        offload=offload,
        state_log=QueuedStateLog(lambda changes: append_states(sessions, changes), offload),
    )
    manager = Manager(deps, redis_client=client)
    if config.esl_reconcile_connection:
        manager.channel_lists = _channel_lists(config, SwitchClient)
    manager.callbacks = CallbackService(deps, manager, rows=ScheduledCallbacks(sessions))
    # a browser phone's registration drop → not ready (phone_offline), its return → available
    phones = browser_phones.BrowserPhones(deps.store, manager.agents, switch.api, str(config.sip_domain or ""))
    switch.subscribe(phones.on_event)
    server = OutboundServer(config.outbound_host, config.outbound_port, CallHandler(deps, manager),
                            max_connections=config.outbound_max_connections)
    return Controller(deps=deps, manager=manager, server=server, switch=switch, redis=client,
                      callbacks=manager.callbacks)


def _switch(config: Config, store, client_class, events: str):
    """One inbound Event Socket client; with several nodes (switch_nodes), one per node behind a
    NodeSwitch, which finds a call's node in live state (control/esl/nodes.py)."""
    from control.errors import RedisError
    from control.esl.nodes import NodeSwitch, switch_nodes

    nodes = switch_nodes(config)

    def client(node):
        return client_class(node.esl_host, node.esl_port, node.esl_password, config.esl_reconnect_s,
                            command_connections=int(config.esl_command_connections), events=events)

    if len(nodes) == 1:
        return client(nodes[0])

    def locate(uuid: str) -> str | None:
        try:
            call = store.get_call(uuid)
        except RedisError:   # live state unreachable: the node is asked instead (NodeSwitch.node_of)
            return None
        return call.node if call is not None else None

    return NodeSwitch(nodes, {node.name: client(node) for node in nodes}, locate,
                      str(config.internode_dial_string), str(config.sip_domain or ""))


def _channel_lists(config: Config, client_class) -> dict:
    """Per node, one Event Socket connection for the reconciler's ``show channels as json`` alone: no
    command connections beside it, and subscribed only to a custom event nobody fires (the client
    always subscribes to something), so no event is sent to it or parsed twice."""
    from control.esl.nodes import switch_nodes

    return {node.name: client_class(node.esl_host, node.esl_port, node.esl_password, config.esl_reconnect_s,
                                    command_connections=0, events="CUSTOM hotline::reconcile", report_s=0)
            for node in switch_nodes(config)}


def load_db_agents(config: Config, now: float | None = None) -> list:
    """The agents of the database, each in the state its last row of the state history says (a break
    or not-ready with its reason, logged out, available; control/domain/agent_restore.py): what live
    state gets for an agent it does not hold, e.g. after Redis came back empty."""
    from control.domain.agent_restore import restore
    from records.agents import load_agents
    from records.db import session_factory
    from records.state_log import last_states

    sessions = session_factory(config.database_url)
    agents, last = load_agents(sessions), last_states(sessions)
    now = time.time() if now is None else now
    for agent in agents:
        if agent.id in last:
            restore(agent, *last[agent.id], now=now)
    return agents


def sync_agents(config: Config, store, busy: dict[str, str] | None = None, now: float | None = None,
                agents: list | None = None) -> int:
    """Copy agents from the database (or ``agents``) into live state; keep the live state of known
    agents. ``busy`` (agent id -> call id): agents not in live state that are on one of our calls."""
    from control.domain.models import AgentState

    count = 0
    for agent in load_db_agents(config) if agents is None else agents:
        existing = store.get_agent(agent.id)
        if existing is not None:
            agent.state, agent.state_since = existing.state, existing.state_since
            agent.call_id, agent.break_reason = existing.call_id, existing.break_reason
        elif busy and agent.id in busy:
            agent.state, agent.call_id, agent.break_reason = AgentState.ON_CALL, busy[agent.id], None
            agent.state_since = now if now is not None else time.time()
        store.put_agent(agent)
        count += 1
    return count


def login_all(controller: Controller) -> None:
    """Demo: every logged-out or not-ready agent becomes available (their phones are simulated)."""
    from control.domain.models import AgentState

    for agent in controller.deps.store.agents():
        if agent.state in (AgentState.LOGGED_OUT, AgentState.NOT_READY):
            controller.manager.agents.change(agent.id, AgentState.AVAILABLE)


def _resync(config: Config, controller: Controller, busy: dict[str, str], log_in: bool) -> int:
    agents = controller.deps.offload(load_db_agents, config)   # SQL in the thread pool, Redis here
    count = sync_agents(config, controller.deps.store, busy, controller.deps.now(), agents=agents)
    if log_in:
        login_all(controller)
    return count


def _setup_logging(level: str, config: Config) -> None:
    from control import logs

    logs.setup(level, config.log_format)   # call ids on each line; numbers masked unless DEBUG


def serve_metrics(config: Config, store) -> None:
    from control.metrics import serve, watch_live_state

    watch_live_state(store.waiting_calls, store.agents)
    serve(int(config.metrics_port), config.metrics_host)


def tune_gc() -> None:
    """What exists at start-up (modules, config, flows) is never collected: freezing it keeps it out
    of every full collection. Raising the collection thresholds as well cut set-up p99 at 110 calls/s
    from 750 to 276 ms, but the soak's RSS then kept climbing (+45-73 MB/min instead of flat), so
    the thresholds stay Python's (docs/benchmarks.md, Calls)."""
    gc.freeze()


def main_controller(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline controller", description="Run the call controller.")
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--login-all", action="store_true",
                        help="demo: make every agent available at start (their phones are simulated)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    _setup_logging(args.log_level, config)
    from control.esl.nodes import switch_nodes
    from control.procs import raise_open_files
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(config, "controller"):
        return 2

    # a socket per call, the Redis pool, the Event Socket, SQL and log files
    raise_open_files(config.outbound_max_connections + REDIS_CONNECTIONS + 64, name="hotline controller")
    controller = build(config)
    serve_metrics(config, controller.deps.store)
    sync_agents(config, controller.deps.store)
    controller.manager.resync_agents = lambda busy: _resync(config, controller, busy, args.login_all)
    tune_gc()
    controller.start()
    if args.login_all:
        login_all(controller)
    log.info("controller %s: outbound socket on %s:%s, Event Socket %s", controller.deps.controller_id,
             config.outbound_host, controller.outbound_port,
             ", ".join(f"{n.name} {n.esl_host}:{n.esl_port}" for n in switch_nodes(config)))
    try:
        gevent.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def main_run(argv: list[str]) -> int:
    """Controller, console and worker against a real FreeSWITCH (addresses from config)."""
    from control.procs import ProcessGroup

    parser = argparse.ArgumentParser(prog="hotline run")
    parser.add_argument("--config")
    args = parser.parse_args(argv)
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(load_config(args.config), "run"):
        return 2
    extra = ["--config", args.config] if args.config else []
    group = ProcessGroup()
    group.start("controller", "controller", *extra)
    group.start("web", "web", *extra)
    group.start("worker", "worker", *extra)
    return group.wait()
