"""Pure parts of the real-switch calls benchmark: reading SIPp's message logs, the mod_callcenter
peer's configuration, the summary and the ratios."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from control.bench import ccpeer
from control.bench.fscalls import ratios, summary
from control.bench.sipp_load import answered_at, invited_at
from control.bench.sipp_scenarios import render

SEP = "----------------------------------------------- 2026-12-03\t03:41:{s}\n"


def _entry(seconds: str, direction: str, message: str) -> str:
    size = len(message)
    return SEP.format(s=seconds) + f"UDP message {direction} [{size}] bytes :\n\n{message}\n\n"


def test_dispatch_is_read_from_the_two_logs(tmp_path: Path):
    callers = tmp_path / "callers.log"
    callers.write_text(
        _entry("10.000000", "sent", "INVITE sip:+18005550100@127.0.0.1 SIP/2.0\nFrom: <sip:+14150091@127.0.0.2:5060>;tag=a\n"
                                    "CSeq: 1 INVITE\n")
        + _entry("10.050000", "received", "SIP/2.0 200 OK\nFrom: <sip:+14150091@127.0.0.2:5060>;tag=a\nTo: <sip:x>;tag=b\n"
                                         "CSeq: 1 INVITE\n")
        + _entry("15.100000", "received", "SIP/2.0 200 OK\nFrom: <sip:+14150091@127.0.0.2:5060>;tag=a\nCSeq: 2 BYE\n"))
    agents = tmp_path / "agents.log"
    agents.write_text(
        _entry("10.080000", "received", 'INVITE sip:20001@127.0.0.1:5999 SIP/2.0\nFrom: "+14150091" '
                                        "<sip:+14150091@hotline.test>;tag=x\nTo: <sip:20001@127.0.0.1>\n")
        + _entry("12.000000", "received", 'INVITE sip:20001@127.0.0.1:5999 SIP/2.0\nFrom: "+14150091" '
                                          "<sip:+14150091@hotline.test>;tag=x\nTo: <sip:20001@127.0.0.1>;tag=y\n"))
    answered, invited = answered_at(callers), invited_at(agents)
    assert list(answered) == ["+14150091"] and list(invited) == ["+14150091"]
    assert round((invited["+14150091"] - answered["+14150091"]) * 1000) == 30   # the re-INVITE is not a dispatch


def test_bench_scenarios_render():
    assert "[field0]" in render("register-many") and "[authentication]" in render("register-many")
    assert "From: <sip:[caller][call_number]@" in render("caller-numbered", hold_ms=1000)


def test_the_peer_configuration_has_the_queue_the_agents_and_the_tiers():
    phones = [("20000", "pw&1"), ("20001", 'pw"2')]
    text = ccpeer.render(domain="hotline.test", sip_port=5080, esl_port=8021, esl_password="s", trunk_cidr="127.0.0.2/32",
                         moh_dir=Path("/tmp/moh"), phones=phones)
    root = ET.fromstring(text)
    cc = root.find(".//configuration[@name='callcenter.conf']")
    queue = cc.find("queues/queue")
    assert queue.get("name") == "bench@hotline.test"
    assert {p.get("name"): p.get("value") for p in queue.findall("param")}["strategy"] == "longest-idle-agent"
    agents = cc.findall("agents/agent")
    assert [a.get("contact") for a in agents] == ["[call_timeout=10]user/20000@hotline.test",
                                                  "[call_timeout=10]user/20001@hotline.test"]
    assert all(a.get("wrap-up-time") == "0" and a.get("status") == "Available" for a in agents)
    assert [t.get("agent") for t in cc.findall("tiers/tier")] == ["20000@hotline.test", "20001@hotline.test"]
    users = root.findall(".//section[@name='directory']//user")
    assert [u.find("params/param").get("value") for u in users] == ["pw&1", 'pw"2']
    modules = [m.get("module") for m in root.findall(".//configuration[@name='modules.conf']//load")]
    assert "mod_callcenter" in modules and "mod_sofia" in modules
    actions = [a.get("application") for a in root.findall(".//context[@name='public']//action")]
    assert actions == ["answer", "callcenter"]


def test_stuck_agents_from_the_agent_list():
    listing = ("name|instance_id|uuid|type|contact|status|state|max_no_answer\n"
               "20000@d|single_box||callback|user/20000|Available|Waiting|0\n"
               "20001@d|single_box||callback|user/20001|Available|In a queue call|0\n"
               "20002@d|single_box||callback|user/20002|On Break|Waiting|0\n+OK\n")
    assert ccpeer.stuck_agents(listing) == 2


def _step(rate, failed, p50, p99, cpu):
    return {"rate": rate, "failed": failed, "dispatched": 10, "dispatch_p50_ms": p50, "dispatch_p99_ms": p99,
            "cpu_ms_per_call_total": cpu, "cpu_ms_per_call": {"freeswitch": cpu}}


def test_summary_takes_the_highest_clean_rate_and_ratios_divide():
    mine = summary("hotline", [_step(2, 0, 20, 40, 100), _step(5, 0, 30, 60, 80), _step(10, 3, 900, 3000, 70)])
    peer = summary("mod_callcenter", [_step(2, 0, 50, 100, 50), _step(5, 0, 50, 100, 40), _step(10, 0, 55, 105, 30)])
    assert mine["max_cps_no_failures"] == 5 and mine["cpu_ms_per_call"] == 80
    assert mine["dispatch_p99_ms"] == {"2": 40, "5": 60, "10": 3000}
    r = ratios(mine, peer)
    assert r["max_cps_no_failures"] == 0.5 and r["cpu_ms_per_call"] == 2.0
    assert r["dispatch_p99_ms"] == {"2": 0.4, "5": 0.6, "10": 28.57}
