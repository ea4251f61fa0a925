"""``hotline simulate``: run the switch simulator with a scenario's phones and calls."""
from __future__ import annotations

import argparse
import json
import sys
import time

import gevent


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline simulate")
    parser.add_argument("--controller", default="127.0.0.1:8084", help="the controller's outbound listener")
    parser.add_argument("--esl", default="127.0.0.1:8021", help="where to serve the inbound Event Socket")
    parser.add_argument("--password", default="ClueCon")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--repeat", action="store_true", help="loop the calls forever (demo traffic)")
    parser.add_argument("--report", choices=["json"], help="run the scenario through a real controller")
    parser.add_argument("--media-s", type=float, default=0.2, help="how long a prompt file plays")
    parser.add_argument("--write-recordings", action="store_true",
                        help="write a stereo WAV where uuid_record points (the demo's recordings)")
    parser.add_argument("--nodes", type=int, default=1,
                        help="run this many switch nodes (fs-a, fs-b, ...), each with its own inbound Event Socket "
                             "(--esl's port, the next ports) and SIP address; agents' phones register on them "
                             "in turn and calls come in on them in turn (docs/simulator.md, Several nodes)")
    parser.add_argument("--no-reconnect", action="store_true",
                        help="hang up a waiting caller when its controller connection drops "
                             "(default: connect again like dialplan/hotline.xml, 5 connections in all)")
    args = parser.parse_args(argv)

    from control.yamlfile import ConfigError, ConfigErrors
    from simulator.scenario import load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except (ConfigError, ConfigErrors) as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.report:
        from control.config import load_config
        from simulator.runner import run

        try:
            print(json.dumps(run(args.scenario, load_config(), media_s=args.media_s), indent=2))
        except (ConfigError, ConfigErrors) as exc:   # the scenario's queues or flows are wrong
            print(exc, file=sys.stderr)
            return 2
        return 0
    return simulate(scenario, _hostport(args.controller), _hostport(args.esl), args.password,
                    args.media_s, args.repeat, reconnect=not args.no_reconnect,
                    write_recordings=args.write_recordings, nodes=args.nodes)


def start_nodes(count: int, controller, esl, password, media_s, reconnect: bool = True) -> list:
    """``count`` switch nodes: one (the switch of old, named fs-host) or fs-a, fs-b, ... on one
    simulator.nodes.Network, on consecutive Event Socket ports from ``esl`` and SIP ports from 5061."""
    from simulator.nodes import Network
    from simulator.switch import Switch

    if count <= 1:
        switches = [Switch(controller=controller, esl_listen=esl, password=password, media_s=media_s,
                           reconnect=reconnect)]
    else:
        network = Network()
        switches = [Switch(controller=controller, esl_listen=(esl[0], esl[1] + i if esl[1] else 0), password=password,
                           media_s=media_s, reconnect=reconnect, name=f"fs-{chr(ord('a') + i)}",
                           sip=("127.0.0.1", 5061 + i)) for i in range(count)]
        for switch in switches:
            network.join(switch)
    for switch in switches:
        switch.start()
    return switches


def simulate(scenario, controller, esl, password, media_s, repeat, reconnect: bool = True,
             write_recordings: bool = False, nodes: int = 1) -> int:
    from control.procs import raise_open_files
    from simulator.scenario import phone_durations

    raise_open_files(name="hotline simulate")   # a socket per call leg towards the controller
    switches = start_nodes(nodes, controller, esl, password, media_s, reconnect)
    for switch in switches:
        switch.write_recordings = write_recordings
    for i, agent in enumerate(scenario.agents):
        answer_after, talk_time = phone_durations(agent.id, agent.answer_after, agent.talk_time, scenario.seed)
        switches[i % len(switches)].add_phone(agent.extension, answer_after=answer_after, talk_time=talk_time)
    for i, phone in enumerate(scenario.phones):   # a supervisor's monitoring phone: answers, stays on until hung up
        answer_after, _talk = phone_durations(str(phone["extension"]), phone.get("answer_after", 1.0), None,
                                              scenario.seed)
        switches[i % len(switches)].add_phone(str(phone["extension"]), answer_after=answer_after, talk_time=None)
    for switch in switches:
        print(f"simulator: node {switch.name}: inbound ESL on {esl[0]}:{switch.esl_port}, SIP {switch.sip[0]}:"
              f"{switch.sip[1]}, calling the controller at {controller[0]}:{controller[1]}", file=sys.stderr)
    if len(switches) > 1:
        print("simulator: the controller's switch_nodes: " + json.dumps(
            [{"name": s.name, "esl_host": esl[0], "esl_port": s.esl_port, "esl_password": password,
              "sip_host": s.sip[0], "sip_port": s.sip[1]} for s in switches]), file=sys.stderr)
    try:
        while True:
            handles, start = [], time.monotonic()
            for n, call in enumerate(scenario.calls):
                delay = call.at - (time.monotonic() - start)
                if delay > 0:
                    gevent.sleep(delay)
                handles.append(switches[n % len(switches)].place_call(
                    caller=call.caller, did=call.did, inputs=list(call.dtmf), patience=call.patience,
                    caller_name=call.name, message_s=call.message_s))
            gevent.wait([h.done for h in handles])
            for handle in handles:
                print(json.dumps({"call": handle.uuid, **handle.result}))
            if not repeat:
                return 0
    except KeyboardInterrupt:
        return 130
    finally:
        for switch in switches:
            switch.stop()
