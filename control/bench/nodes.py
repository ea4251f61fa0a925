"""A rig of two (or more) simulated FreeSWITCH nodes and controller processes configured with both
(``switch_nodes``): the bench rig of control/bench/calls.py, plus the other nodes on one
``simulator.nodes.Network``. The agents' phones are registered round-robin on the nodes; calls are placed
round-robin on the nodes and each node's callers go round-robin to the controllers."""
from __future__ import annotations

import json
import time

import gevent

from control.bench.calls import Rig


class NodesRig(Rig):
    def __init__(self, agents: int, controllers: int, database_url: str | None, redis_url: str, nodes: int = 2,
                 grace_s: float = 3.0, media_timeout_s: float = 3.0, **kwargs):
        from simulator.nodes import Network
        from simulator.switch import Switch

        super().__init__(agents, controllers, database_url, redis_url, **kwargs)
        self.network = Network(media_timeout_s=media_timeout_s)
        first = self.switch
        first.name, first.sip = "fs-a", ("127.0.0.1", 5061)
        first.events.host = _host("fs-a")
        self.nodes = [first]
        for i in range(1, nodes):
            name = f"fs-{chr(ord('a') + i)}"
            node = Switch(controller=first.controller, esl_listen=("127.0.0.1", 0), media_s=0.05,
                          command_latency=first.command_latency, name=name, sip=("127.0.0.1", 5061 + i))
            node.start()
            self.nodes.append(node)
        for node in self.nodes:
            self.network.join(node)
        self.env = {"HOTLINE_SWITCH_NODES": json.dumps([
            {"name": n.name, "esl_host": "127.0.0.1", "esl_port": n.esl_port, "sip_host": n.sip[0],
             "sip_port": n.sip[1]} for n in self.nodes]), "HOTLINE_NODE_LOSS_GRACE_S": str(grace_s)}
        self.registered: dict[str, str] = {}   # extension -> node name
        self._placed = 0

    def add_phones(self, answer_after: float, talk_s: float) -> None:
        for i, ext in enumerate(self.extensions):
            node = self.nodes[i % len(self.nodes)]
            node.add_phone(ext, answer_after=answer_after, talk_time=talk_s)
            self.registered[ext] = node.name

    def start_controllers(self, timeout: float = 60.0) -> list:
        procs = super().start_controllers(timeout)
        deadline = time.monotonic() + timeout
        while any(len(n.inbound_sessions) < len(self.ports) for n in self.nodes if not n.dead):
            if time.monotonic() > deadline:
                raise RuntimeError(f"controllers did not connect to every node; see {self.tmp}")
            gevent.sleep(0.2)
        return procs

    def place_call(self, caller: str, did: str, node=None, **kwargs):
        """On ``node``, else the next live node; to the next controller."""
        live = [n for n in self.nodes if not n.dead]
        node = node or live[self._placed % len(live)]
        port = self.ports[self._placed % len(self.ports)]
        self._placed += 1
        return node, node.place_call(caller=caller, did=did, controller=("127.0.0.1", port), **kwargs)

    def close(self, keep: bool = False) -> None:
        for node in self.nodes[1:]:
            node.stop()
        super().close(keep)


def _host(name: str):
    from simulator.events import host_headers

    return host_headers(name)
