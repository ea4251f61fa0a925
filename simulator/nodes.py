"""Several simulated FreeSWITCH nodes and the SIP legs between them (docs/simulator.md, Several nodes).

Each ``Switch`` is one node: its own inbound Event Socket, its own ``switchname`` (the
``FreeSWITCH-Switchname`` of its events) and its own registered phones (``add_phone``): ``user/<ext>``
reaches only a phone registered on that node, as on the real switch. A ``Network`` holds the nodes by
their SIP address. Dialling ``sofia/<profile>/<user>@<host>:<port>`` at another node's address is a SIP
call to that node, as the controller's ``internode_dial_string`` makes one:

- the calling node gets an outbound leg named by the dial string (``sofia/internal/hotline_node_1001@…``);
- the called node checks the caller's address against its node list (acl ``hotline_nodes``: a node of the
  network; anything else is refused, CALL_REJECTED) and runs dialplan/public.xml's ``hotline_internode``
  extension on a new inbound leg: ``bridge user/<ext>``, then hang up; a destination without the
  ``hotline_node_`` prefix finds no extension (NO_ROUTE_DESTINATION);
- the calling leg rings while that bridge rings, is answered when it is answered (the bridge answers its
  inbound leg), and fails with the cause the called node hung up with (e.g. USER_NOT_REGISTERED);
- a hangup on either side is a BYE to the other; a node that dies sends none: the surviving leg ends
  when no media has come for ``media_timeout_s`` (FreeSWITCH's ``media_timeout``, set on the extension),
  with MEDIA_TIMEOUT.
"""
from __future__ import annotations

import re
import time
import uuid as uuidlib

import gevent
from gevent.event import Event

INTERNODE_USER = re.compile(r"^hotline_node_([A-Za-z0-9_.+*#-]{1,64})$")   # dialplan/public.xml
SIP_TARGET = re.compile(r"^sofia/[A-Za-z0-9_.-]+/([^@/]+)@([^:/]+):([0-9]+)$")
MEDIA_TIMEOUT_S = 10.0   # dialplan/public.xml: media_timeout=10000 on the inter-node leg


class Network:
    """The nodes that can reach each other by SIP (and are in each other's ``hotline_nodes`` acl)."""

    def __init__(self, media_timeout_s: float = MEDIA_TIMEOUT_S):
        self.by_address: dict[tuple[str, int], object] = {}
        self.media_timeout_s = media_timeout_s

    def join(self, switch) -> None:
        self.by_address[tuple(switch.sip)] = switch
        switch.network = self

    def node_at(self, host: str, port: int):
        return self.by_address.get((host, int(port)))

    def trunk(self, switch, target: str):
        """A ``NodeTrunk`` when ``target`` is a SIP URI at another node of the network, else None."""
        match = SIP_TARGET.match(target)
        if match is None:
            return None
        peer = self.node_at(match.group(2), int(match.group(3)))
        if peer is None or peer is switch:
            return None
        return NodeTrunk(switch, peer, match.group(1))

    def node_died(self, dead) -> None:
        """No BYE comes from a dead node: the other nodes' legs to it end on their media timeout."""
        for node in set(self.by_address.values()):
            if node is dead:
                continue
            for ch in node.channels():
                if getattr(ch, "internode_peer", None) is dead:
                    node.spawn_later(self.media_timeout_s, _media_timeout, ch)


def _media_timeout(ch) -> None:
    if ch.alive:
        ch.hangup("MEDIA_TIMEOUT", by="switch")


class NodeTrunk:
    """What the calling node's dialler rings for a SIP call to another node: that node's answer."""

    busy = False
    talk_from_bridge = False

    def __init__(self, origin, peer, user: str):
        self.origin, self.peer, self.user = origin, peer, user
        match = INTERNODE_USER.match(user)
        self.extension = match.group(1) if match else user   # the agent's, for CallHandle.answered_by_agent
        self.rings = 0
        self.ring_log: list[dict] = []
        self.far = None   # the called node's inbound leg

    def ring(self, leg, timeout: float, cancel: Event | None = None) -> bool:
        leg.internode_peer = self.peer
        entry = {"call": leg.vars.get("hotline_call"), "agent": leg.vars.get("hotline_agent"),
                 "caller_id_name": leg.caller_name, "start": time.time(), "end": None, "answered": False}
        self.ring_log.append(entry)
        far, refused = receive(self.peer, self.origin, leg, self.user)
        if far is None:
            leg.hangup(refused, by="switch")   # the INVITE's final answer ends the calling leg
            return False
        self.far = far
        waits = [e for e in (far.on_bridge, far.gone, leg.gone, cancel) if e is not None]
        gevent.wait(waits, timeout=timeout, count=1)
        entry["end"] = time.time()
        if far.on_bridge.is_set() and far.alive and leg.alive and not (cancel is not None and cancel.is_set()):
            far.answer()   # the bridge answers its inbound leg once the phone answered: 200 OK to the caller
            entry["answered"] = True
            return True
        if far.alive:
            far.hangup("ORIGINATOR_CANCEL", by="switch")   # CANCEL
        elif leg.alive:
            leg.hangup(far.hangup_cause or "NORMAL_CLEARING", by="switch")   # its failure response
        return False

    def talk(self, leg) -> None:
        """A BYE from either side ends the other."""
        far = self.far

        def link():
            gevent.wait([leg.gone, far.gone], count=1)
            if not leg.alive and far.alive:
                far.hangup(leg.hangup_cause or "NORMAL_CLEARING", by="switch", remote=True)
            elif not far.alive and leg.alive:
                agent = far.other is not None and far.other.hangup_by == "agent"
                leg.hangup(far.hangup_cause or "NORMAL_CLEARING", by="agent" if agent else "switch", remote=True)

        self.origin.spawn(link)


def receive(node, origin, leg, user: str):
    """An INVITE from ``origin`` reaches ``node``: (its inbound leg running hotline_internode, None) or
    (None, the cause it was refused with)."""
    if getattr(node, "network", None) is None or getattr(origin, "network", None) is not node.network:
        return None, "CALL_REJECTED"   # not from an address in the acl: challenged, and a node has no password
    match = INTERNODE_USER.match(user)
    if match is None or node.dead:
        return None, "NO_ROUTE_DESTINATION" if not node.dead else "NORMAL_TEMPORARY_FAILURE"
    from simulator.channels import Channel

    host, port = origin.sip
    far = Channel(node, str(uuidlib.uuid4()), "inbound", f"sofia/internal/{leg.caller}@{host}:{port}",
                  caller=leg.caller, caller_name=leg.caller_name, destination=user)
    far.internode_peer = origin
    far.vars["media_timeout"] = str(int(node.network.media_timeout_s * 1000))
    node.registry.register(far)
    far.emit("CHANNEL_CREATE")
    far.set_state("CS_EXECUTE", emit=False)
    far.start()
    # the simulated phone counts its talk time from the bridge for an offer (people.Phone.talk); the
    # real switch needs nothing of the calling leg's variables here
    agent = leg.vars.get("hotline_agent")
    extra = f"{{hotline_agent={agent}}}" if agent else ""
    far.execute("bridge", f"{extra}user/{match.group(1)}", str(uuidlib.uuid4()))
    far.execute("hangup", "NORMAL_CLEARING", str(uuidlib.uuid4()))
    return far, ""
