"""Several FreeSWITCH nodes: the configuration, a call's node, and NodeSwitch sending each command to the
node of its channel (control/esl/nodes.py); the inter-node extension and dial string agree."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import gevent.event
import pytest

from control.config import DEFAULTS, ROOT, load_config
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.esl.nodes import (NodeSwitch, SwitchNode, call_node, channel_of, node_names, split_originate,
                               switch_nodes)

NODES = [{"name": "fs-a", "esl_host": "10.0.0.1", "esl_port": 8021, "sip_host": "10.0.0.1", "sip_port": 5060},
         {"name": "fs-b", "esl_host": "10.0.0.2", "esl_port": 8021, "sip_host": "10.0.0.2", "sip_port": 5080}]


class FakeClient:
    """ports.SwitchControl of one node: answers from its channels and registered phones, logs commands."""

    def __init__(self, channels=(), phones=(), connected=True):
        self.channels, self.phones, self.connected = set(channels), set(phones), connected
        self.sent: list[str] = []
        self.handlers: list = []

    def start(self) -> None: ...
    def stop(self) -> None: ...

    def wait_ready(self, timeout=None) -> bool:
        return self.connected

    def api(self, command: str) -> str:
        if not self.connected:
            raise SwitchUnavailable("down")
        self.sent.append(command)
        verb, _, rest = command.partition(" ")
        if verb == "uuid_exists":
            return "true" if rest in self.channels else "false"
        if verb == "sofia_contact":
            user = rest.split("/", 1)[1].split("@")[0]
            return f"sofia/internal/sip:{user}@x" if user in self.phones else "error/user_not_registered"
        if command == "show channels as json":
            rows = [{"uuid": c} for c in sorted(self.channels)]
            return json.dumps({"row_count": len(rows), "rows": rows}) if rows else '{"row_count": 0}'
        return "+OK\n"

    def bgapi(self, command: str) -> gevent.event.AsyncResult:
        self.sent.append(command)
        result = gevent.event.AsyncResult()
        result.set("+OK\n")
        return result

    def subscribe(self, handler, events=()) -> None:
        self.handlers.append(handler)

    def on_reconnect(self, callback) -> None: ...


def _switch(a: FakeClient, b: FakeClient, calls: dict[str, str] | None = None) -> NodeSwitch:
    nodes = switch_nodes(load_config(env={"HOTLINE_SWITCH_NODES": json.dumps(NODES)}))
    return NodeSwitch(nodes, {"fs-a": a, "fs-b": b}, (calls or {}).get, DEFAULTS["internode_dial_string"])


def test_the_default_is_the_one_esl_node_and_a_list_comes_from_the_file_or_the_environment(tmp_path):
    assert switch_nodes(load_config(env={})) == (SwitchNode("default", "127.0.0.1", 8021, "ClueCon"),)
    path = tmp_path / "hotline.yaml"
    path.write_text("switch_nodes:\n  - {name: fs-a, esl_host: 10.0.0.1, esl_port: 8021}\n"
                    "  - {name: fs-b, esl_host: 10.0.0.2, esl_port: 8022, sip_port: 5080}\n")
    nodes = switch_nodes(load_config(path, env={}))
    assert [(n.name, n.esl_host, n.esl_port, n.sip_host, n.sip_port) for n in nodes] == \
        [("fs-a", "10.0.0.1", 8021, "10.0.0.1", 5060), ("fs-b", "10.0.0.2", 8022, "10.0.0.2", 5080)]
    assert node_names(load_config(env={"HOTLINE_SWITCH_NODES": json.dumps(NODES)})) == ("fs-a", "fs-b")
    with pytest.raises(ValueError, match="names must differ"):
        switch_nodes(load_config(env={"HOTLINE_SWITCH_NODES": json.dumps([NODES[0], NODES[0]])}))


def test_a_calls_node_is_the_switchname_its_socket_came_from():
    assert call_node(("default",), {"FreeSWITCH-Switchname": "fs-host"}) == "default"
    assert call_node(("fs-a", "fs-b"), {"FreeSWITCH-Switchname": "fs-b"}) == "fs-b"


def test_the_channel_of_a_command_and_the_parts_of_an_originate():
    assert channel_of(commands.uuid_bridge("c1", "l1")) == "c1"
    assert channel_of(commands.uuid_hold("c1", on=False)) == "c1"
    assert channel_of("show channels as json") is None
    command = commands.originate({"origination_uuid": "l1", "hotline_call": "c1", "x": "a b{c}"}, "user/1001")
    block, dial, rest = split_originate(command)
    assert dial == "user/1001" and rest == " &park()" and block.startswith("{origination_uuid=l1,")


def test_an_agents_leg_is_originated_on_the_calls_node_and_crosses_to_the_agents_node():
    a, b = FakeClient(channels={"c1"}, phones={"1001"}), FakeClient(phones={"2001"})
    switch = _switch(a, b, calls={"c1": "fs-a"})
    switch.bgapi(commands.originate({"origination_uuid": "l1", "hotline_call": "c1"}, "user/1001"))
    assert a.sent[-1].endswith("}user/1001 &park()")
    switch.bgapi(commands.originate({"origination_uuid": "l2", "hotline_call": "c1"}, "user/2001"))
    assert a.sent[-1].endswith("}sofia/internal/hotline_node_2001@10.0.0.2:5080 &park()")
    assert not [c for c in b.sent if c.startswith("originate")]
    switch.api(commands.uuid_bridge("c1", "l2"))   # both legs on fs-a
    assert a.sent[-1] == "uuid_bridge c1 l2"


def test_commands_go_to_the_node_of_their_channel_found_by_asking_when_unknown():
    a, b = FakeClient(channels={"c1"}), FakeClient(channels={"c2"})
    switch = _switch(a, b)
    assert switch.api(commands.uuid_kill("c2")) == "+OK\n" and b.sent[-1] == "uuid_kill c2 NORMAL_CLEARING"
    assert switch.node_of("c2") == "fs-b"
    assert switch.api(commands.uuid_exists("nowhere")) == "false"
    assert json.loads(switch.api("show channels as json"))["row_count"] == 2
    for handler in b.handlers:   # its hangup: forgotten
        handler({"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "c2"})
    assert "c2" not in switch._where


def test_a_node_that_is_down_is_not_asked():
    a, b = FakeClient(channels={"c1"}), FakeClient(connected=False)
    switch = _switch(a, b)
    assert switch.api(commands.uuid_exists("c1")) == "true"
    switch.bgapi(commands.originate({"origination_uuid": "l9"}, "user/1001"))
    assert a.sent[-1].startswith("originate")


def test_the_dial_string_the_dialplan_and_the_simulator_agree_on_the_inter_node_name():
    from simulator.nodes import INTERNODE_USER, SIP_TARGET

    dial = commands.node_dial(DEFAULTS["internode_dial_string"], "1001", "10.0.0.2", 5080)
    user = SIP_TARGET.match(dial).group(1)
    assert INTERNODE_USER.match(user).group(1) == "1001"
    root = ET.parse(ROOT / "dialplan" / "public.xml").getroot()
    ext = next(e for e in root.iter("extension") if e.get("name") == "hotline_internode")
    conditions = {c.get("field"): c.get("expression") for c in ext.iter("condition")}
    assert re.match(conditions["destination_number"], user).group(1) == "1001"
    assert conditions["${acl(${sip_network_ip} hotline_nodes)}"] == "^true$"
    assert [a.get("data") for a in ext.iter("action") if a.get("application") == "bridge"] == ["user/$1"]


# -- the reconciler with several nodes (memory fakes) ------------------------------------------------
class NodeFake:
    """One node of a NodeSwitch for the reconciler: handler_fakes.FakeSwitch's answers, and down
    (SwitchUnavailable) when not ``connected``."""

    def __init__(self, channels=(), connected=True):
        from tests.handler_fakes import FakeSwitch

        self.switch, self.connected = FakeSwitch(channels=set(channels)), connected

    def api(self, command: str) -> str:
        if not self.connected:
            raise SwitchUnavailable("down")
        return self.switch.api(command)

    def bgapi(self, command: str):
        return self.switch.bgapi(command)

    def subscribe(self, handler, events=()) -> None: ...
    def on_reconnect(self, callback) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...

    def wait_ready(self, timeout=None) -> bool:
        return self.connected


def _reconciling(grace_s: float):
    from control.domain.models import Agent, AgentState, Call, CallState
    from control.domain.queue_config import QueueConfig
    from control.handlers.manager import Manager
    from tests.handler_fakes import make_deps

    a, b = NodeFake(channels={"on-a"}), NodeFake(channels={"on-b"}, connected=False)
    nodes = switch_nodes(load_config(env={"HOTLINE_SWITCH_NODES": json.dumps(NODES)}))
    deps = make_deps({"support": QueueConfig(name="support")}, node_loss_grace_s=grace_s)
    deps.switch = NodeSwitch(nodes, {"fs-a": a, "fs-b": b}, lambda uuid: None, DEFAULTS["internode_dial_string"],
                             clock=deps.now)
    deps.now.t = 1000.0
    deps.switch.start()
    gevent.sleep(0)   # its watcher sees fs-b down since 1000
    store = deps.store
    for cid, node in (("ghost-a", "fs-a"), ("waiting-b", "fs-b")):
        store.put_call(Call(id=cid, caller="+14155550100", did="+18005550100", queue="support", node=node,
                            state=CallState.QUEUED, entered_at=990.0, controller_id="dead-ctl"))
    store.put_agent(Agent(id="alice", extension="1001", queues=["support"], state=AgentState.AVAILABLE))
    store.put_call(Call(id="on-b", caller="+14155550101", did="+18005550100", queue="support", node="fs-b",
                        state=CallState.QUEUED, entered_at=990.0, controller_id="dead-ctl"))
    assert store.reserve("on-b", "alice", "dead-ctl", 30, 995.0) and store.confirm("on-b", "alice", 996.0)
    return deps, Manager(deps)


def test_a_node_that_does_not_answer_is_not_swept_as_if_its_channels_were_gone():
    from control.handlers.reconcile import reconcile

    deps, manager = _reconciling(grace_s=15.0)
    deps.now.t = 1005.0
    fixed = reconcile(manager)
    assert fixed["ghost_calls"] == 1 and fixed["node_lost"] == 0   # fs-a's ghost only
    assert deps.store.get_call("ghost-a") is None and deps.store.get_call("waiting-b") is not None
    assert deps.store.get_agent("alice").state.value == "on_call"
    deps.switch.stop()


def test_past_the_grace_a_lost_nodes_calls_end_with_records_and_its_agents_are_freed():
    from control.handlers.reconcile import reconcile

    deps, manager = _reconciling(grace_s=15.0)
    deps.now.t = 1020.0
    fixed = reconcile(manager)
    assert fixed["node_lost"] == 2
    records = deps.records.written
    assert (records["waiting-b"]["hangup_cause"], records["waiting-b"]["node"]) == ("NODE_LOST", "fs-b")
    assert (records["on-b"]["hangup_cause"], records["on-b"]["agent_id"]) == ("NODE_LOST", "alice")
    assert deps.store.get_call("waiting-b") is None and deps.store.get_call("on-b") is None
    assert deps.store.get_agent("alice").state.value == "wrap_up"   # the usual owner: wrap-up after a call
    deps.switch.stop()
