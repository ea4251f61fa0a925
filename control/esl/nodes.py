"""Several FreeSWITCH nodes behind one port: ``NodeSwitch`` implements ports.SwitchControl over one
inbound Event Socket client (``SwitchClient``) per node and sends each command to the node of the
channel it concerns (docs/scaling.md, FreeSWITCH nodes).

- A call's node is the switch its outbound socket came from: ``FreeSWITCH-Switchname`` in the channel
  data of ``connect`` (switch.conf.xml ``switchname``, the host name by default), matched against the
  configured node names (``call_node``); the call carries it (``Call.node``, the call record's ``node``).
- A channel's node is found, in this order: what this process learnt (the node it originated the leg
  on, a lookup done before), ``locate`` (the call in live state, for calls another controller holds),
  then asking every node ``uuid_exists``. A node's CHANNEL_HANGUP_COMPLETE forgets the channel.
- An agent's leg is originated on the node of the call it is for (``hotline_call``), so ``uuid_bridge``
  joins two legs of one switch. When the agent's phone is registered on another node
  (``sofia_contact``, asked of the call's node first), ``user/<ext>`` becomes ``internode_dial_string``:
  a SIP leg to that node, which bridges it to ``user/<ext>`` there (dialplan/public.xml).
- ``down_for(name)``: how long a node's Event Socket has been gone; the reconciler ends that node's
  calls after ``node_loss_grace_s`` (control/handlers/reconcile.py).
"""
from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import gevent
import gevent.event

from control.esl import commands
from control.esl.inbound import SwitchClient, SwitchUnavailable

log = logging.getLogger(__name__)

DEFAULT_NODE = "default"
NODE_LOST = "NODE_LOST"   # the hang-up cause recorded for calls of a switch node that went away
HANGUP = "CHANNEL_HANGUP_COMPLETE"
_VAR = re.compile(r"[{,](hotline_call|origination_uuid)=([A-Za-z0-9_.:-]+)(?=[,}])")
_NOT_A_CHANNEL = {"off", "toggle", "-bleg", "-both"}
KNOWN_CHANNELS = 200_000


@dataclass(frozen=True)
class SwitchNode:
    name: str
    esl_host: str
    esl_port: int
    esl_password: str = "ClueCon"
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060


def switch_nodes(config) -> tuple[SwitchNode, ...]:
    """The configured nodes; without ``switch_nodes``, the one of esl_host/esl_port, named "default"."""
    return _parse(json.dumps(config.switch_nodes or []), config.esl_host, int(config.esl_port),
                  config.esl_password)


def node_names(config) -> tuple[str, ...]:
    return tuple(node.name for node in switch_nodes(config))


@functools.lru_cache(maxsize=16)
def _parse(raw: str, esl_host: str, esl_port: int, esl_password: str) -> tuple[SwitchNode, ...]:
    items = json.loads(raw)
    if not items:
        return (SwitchNode(DEFAULT_NODE, esl_host, esl_port, esl_password),)
    if not isinstance(items, list):
        raise ValueError("switch_nodes must be a list of {name, esl_host, esl_port, esl_password, sip_host, sip_port}")
    nodes = []
    for item in items:
        unknown = set(item) - {"name", "esl_host", "esl_port", "esl_password", "sip_host", "sip_port"}
        if not isinstance(item, dict) or not item.get("name") or unknown:
            raise ValueError(f"switch_nodes: {item!r} needs a name and only the keys name, esl_host, esl_port, "
                             "esl_password, sip_host, sip_port")
        nodes.append(SwitchNode(str(item["name"]), str(item.get("esl_host", esl_host)),
                                int(item.get("esl_port", esl_port)), str(item.get("esl_password", esl_password)),
                                str(item.get("sip_host", item.get("esl_host", esl_host))),
                                int(item.get("sip_port", 5060))))
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise ValueError(f"switch_nodes: node names must differ ({names})")
    return tuple(nodes)


def call_node(names: Sequence[str], headers: Mapping[str, str]) -> str:
    """The node a call's outbound socket came from: its ``FreeSWITCH-Switchname`` among the configured
    names; with one node, that node; else the switch's own name as it gave it."""
    if len(names) == 1:
        return names[0]
    name = headers.get("FreeSWITCH-Switchname") or headers.get("FreeSWITCH-Hostname") or ""
    if name not in names:
        log.warning("a call came from switch %r, which is not in switch_nodes %s", name, list(names))
    return name


def split_originate(command: str) -> tuple[str, str, str] | None:
    """``originate {vars}dial rest`` -> (``{vars}``, dial, `` rest``); None if it is not one."""
    if not command.startswith("originate {"):
        return None
    text, depth = command[len("originate "):], 0
    for i, ch in enumerate(text):
        depth += (ch == "{") - (ch == "}")
        if depth == 0:
            block, after = text[:i + 1], text[i + 1:]
            dial, space, rest = after.partition(" ")
            return block, dial, space + rest
    return None


def channel_of(command: str) -> str | None:
    """The channel a ``uuid_*`` command acts on (``uuid_bridge a b``: a; ``uuid_hold off a``: a)."""
    verb, _, rest = command.partition(" ")
    if not verb.startswith("uuid_"):
        return None
    return next((word for word in rest.split(" ") if word and word not in _NOT_A_CHANNEL), None)


class NodeSwitch:
    """ports.SwitchControl over one ``SwitchClient`` per node (see the module's docstring)."""

    def __init__(self, nodes: Sequence[SwitchNode], clients: Mapping[str, SwitchClient],
                 locate: Callable[[str], str | None], internode_dial: str, domain: str = "",
                 check_s: float = 0.5, clock: Callable[[], float] = time.monotonic):
        self.nodes = {node.name: node for node in nodes}
        self.clients = dict(clients)
        self.locate, self.internode_dial, self.domain = locate, internode_dial, domain
        self.check_s, self.clock = check_s, clock
        self._where: OrderedDict[str, str] = OrderedDict()    # channel (or call) uuid -> node
        self._down_since: dict[str, float] = {}
        self._watch: gevent.Greenlet | None = None
        for name, client in self.clients.items():
            client.subscribe(functools.partial(self._on_event, name))

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        now = self.clock()
        self._down_since = {name: now for name in self.clients}
        for client in self.clients.values():
            client.start()
        self._watch = gevent.spawn(self._watch_nodes)

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.kill()
        for client in self.clients.values():
            client.stop()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Some node's Event Socket is up (each node's own is checked where a command goes)."""
        if self.connected:
            return True
        ready = [gevent.spawn(client.wait_ready, timeout) for client in self.clients.values()]
        gevent.wait(ready, timeout=timeout, count=1)
        gevent.killall(ready, block=False)
        return self.connected

    @property
    def connected(self) -> bool:
        return any(client.connected for client in self.clients.values())

    def _watch_nodes(self) -> None:
        while True:
            now = self.clock()
            for name, client in self.clients.items():
                if client.connected:
                    if self._down_since.pop(name, None) is not None:
                        log.info("switch node %s: Event Socket up", name)
                elif name not in self._down_since:
                    log.warning("switch node %s: Event Socket gone", name)
                    self._down_since[name] = now
            gevent.sleep(self.check_s)

    def down_for(self, name: str) -> float:
        """Seconds the node's Event Socket has been gone (0 while it is up)."""
        since = self._down_since.get(name)
        return 0.0 if since is None else self.clock() - since

    def client(self, name: str) -> SwitchClient:
        return self.clients[name]

    # -- where channels are ---------------------------------------------------
    def remember(self, uuid: str, node: str) -> None:
        self._where[uuid] = node
        self._where.move_to_end(uuid)
        if len(self._where) > KNOWN_CHANNELS:
            self._where.popitem(last=False)

    def node_of(self, uuid: str, probe: bool = True) -> str | None:
        node = self._where.get(uuid)
        if node is None:
            found = self.locate(uuid)
            node = found if found in self.clients else None
        if node is None and probe:
            node = next((name for name, client in self._up() if _exists(client, uuid)), None)
        if node is not None:
            self.remember(uuid, node)
        return node

    def _up(self) -> list[tuple[str, SwitchClient]]:
        return [(name, client) for name, client in self.clients.items() if client.connected]

    def _on_event(self, node: str, headers: dict[str, str]) -> None:
        if headers.get("Event-Name") == HANGUP:
            uuid = headers.get("Unique-ID", "")
            if self._where.get(uuid) == node:
                del self._where[uuid]

    def registered_on(self, extension: str, first: str | None = None) -> str | None:
        """The node where the phone of ``extension`` is registered, asking ``first`` before the others."""
        order = sorted(self._up(), key=lambda item: item[0] != first)
        for name, client in order:
            try:
                reply = client.api(commands.sofia_contact(extension, self.domain)).strip()
            except SwitchUnavailable:
                continue
            if reply and not reply.startswith(("error/", "-ERR")):
                return name
        return None

    # -- commands ----------------------------------------------------------
    def api(self, command: str) -> str:
        verb = command.partition(" ")[0]
        if verb == "show":
            return self._show(command)
        if verb == "sofia_contact":
            return self._first_registered(command)
        uuid = channel_of(command)
        if uuid is None:
            return self._any().api(command)
        node = self.node_of(uuid)
        if node is None:
            if verb == "uuid_exists":
                return "false"
            return "-ERR No such channel!\n"
        return self.clients[node].api(command)

    def bgapi(self, command: str) -> gevent.event.AsyncResult:
        parts = split_originate(command)
        if parts is None:
            uuid = channel_of(command)
            node = self.node_of(uuid) if uuid else None
            return (self.clients[node] if node else self._any()).bgapi(command)
        block, dial, rest = parts
        found = dict(_VAR.findall(block))
        call_id, leg = found.get("hotline_call"), found.get("origination_uuid")
        node = self.node_of(call_id, probe=False) if call_id else None
        extension = _user(dial)
        if extension is not None and len(self.clients) > 1:
            registered = self.registered_on(extension, first=node)
            if node is None:
                node = registered
            elif registered is not None and registered != node:
                target = self.nodes[registered]
                dial = commands.node_dial(self.internode_dial, extension, target.sip_host, target.sip_port)
        if node is None:
            node = self._any_name()
        if call_id:
            self._where.setdefault(call_id, node)   # a callback's second leg joins its first one's node
        if leg:
            self.remember(leg, node)
        return self.clients[node].bgapi(f"originate {block}{dial}{rest}")

    def _any_name(self) -> str:
        up = self._up()
        if not up:
            raise SwitchUnavailable("no Event Socket connection to any switch node")
        return up[0][0]

    def _any(self) -> SwitchClient:
        return self.clients[self._any_name()]

    def _show(self, command: str) -> str:
        """``show channels as json`` over every node that answers (each node's own: ``client(name)``)."""
        if command.strip() != "show channels as json":
            return self._any().api(command)
        rows: list = []
        for _name, client in self._up():
            try:
                rows += json.loads(client.api(command)).get("rows") or []
            except (SwitchUnavailable, ValueError, AttributeError):
                continue
        return json.dumps({"row_count": len(rows), "rows": rows}) if rows else '{"row_count": 0}'

    def _first_registered(self, command: str) -> str:
        reply = "error/user_not_registered"
        for _name, client in self._up():
            try:
                reply = client.api(command)
            except SwitchUnavailable:
                continue
            if reply.strip() and not reply.startswith(("error/", "-ERR")):
                return reply
        return reply

    # -- events --------------------------------------------------------------
    def subscribe(self, handler: Callable[[dict[str, str]], None], events: Iterable[str] = ()) -> None:
        for client in self.clients.values():
            client.subscribe(handler, events)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        for client in self.clients.values():
            client.on_reconnect(callback)


def _exists(client: SwitchClient, uuid: str) -> bool:
    try:
        return client.api(commands.uuid_exists(uuid)).strip() == "true"
    except SwitchUnavailable:
        return False


def _user(dial: str) -> str | None:
    """The extension of ``user/<ext>[@domain]``; None for any other dial string."""
    if not dial.startswith("user/"):
        return None
    return dial[5:].split("@", 1)[0] or None
