"""What a widened or moved call needs in the target queue (issue 15, defect 3): the target's
requirements and the caller's language, not the original queue's requirements. Checked on the
shipped queues/ with the demo agents, and validated at load (file, line, fix)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.overflow import evaluate_overflow, requirements_after_move
from control.domain.queueing import position_and_wait
from control.domain.router import Router
from control.domain.routing import decide
from control.domain.skills import base_requirements, overflow_requirements
from control.queues import load_queues, queues_from_data
from control.yamlfile import ConfigErrors
from records.seed import AGENTS

ROOT = Path(__file__).resolve().parents[2]
NOW = 10_000.0


def demo_agents(busy: tuple[str, ...] = ("carol",)) -> list[Agent]:
    return [Agent(id=i, extension=ext, name=name, skills=dict(skills), queues=list(queues), order=n,
                  state=AgentState.ON_CALL if i in busy else AgentState.AVAILABLE, idle_since=NOW - 100 + n)
            for n, (i, name, ext, skills, queues) in enumerate(AGENTS)]


def vip_call(language: str = "en", waited_s: float = 61.0) -> Call:
    return Call(id="vip-1", caller="+14155550100", did="+18005550100", queue="vip", tier="vip", language=language,
                entered_at=NOW - waited_s, seq=1, state=CallState.QUEUED)


def widened(queues, call: Call) -> Call:
    """The shipped rule fires and the call is widened, as the waiting handler does."""
    action = evaluate_overflow(NOW, call, queues["vip"])
    assert action is not None and (action.rule, action.kind, action.target) == ("vip-nobody-free", "widen", "support")
    call.extra_queues = [action.target]
    return call


def test_the_shipped_vip_overflow_offers_the_call_to_a_free_support_agent():
    queues = load_queues(ROOT / "queues")
    decisions = decide(NOW, [widened(queues, vip_call())], demo_agents(), queues)
    assert len(decisions) == 1
    chosen = decisions[0].agent_ids[0]
    assert chosen in {"alice", "bob", "dave"}                     # support agents; carol (vip) is busy
    assert decisions[0].explanation["widened_requirements"] == {"support": {"english": 3}}


def test_a_freed_support_agent_picks_up_the_widened_vip_call():
    queues = load_queues(ROOT / "queues")
    router = Router(queues)
    router.add_call(widened(queues, vip_call()))
    alice = next(a for a in demo_agents() if a.id == "alice")
    router.add_agent(alice)
    got = router.best_call_for("alice", NOW)
    assert got is not None and got.call_id == "vip-1"


def test_before_the_rule_fires_only_the_vip_queue_serves_it():
    queues = load_queues(ROOT / "queues")
    assert decide(NOW, [vip_call(waited_s=30)], demo_agents(), queues) == []


def test_the_language_goes_with_the_call():
    queues = load_queues(ROOT / "queues")
    call = widened(queues, vip_call(language="zh"))
    decisions = decide(NOW, [call], demo_agents(busy=("carol", "dave")), queues)
    assert decisions == []                               # support maps zh to mandarin: only dave, busy
    decisions = decide(NOW, [call], demo_agents(busy=("carol",)), queues)
    assert [d.agent_ids[0] for d in decisions] == ["dave"]


def test_the_estimated_wait_counts_the_widened_queues_agents():
    queues = load_queues(ROOT / "queues")
    call = widened(queues, vip_call())
    position, wait = position_and_wait(NOW, call, [call], demo_agents(), queues)
    assert (position, wait) == (1, 0.0)


def test_the_source_queues_language_skill_is_kept_when_the_target_maps_none():
    queues = load_queues(ROOT / "queues")
    support, billing = queues["support"], queues["billing"]        # support maps zh; billing only en
    assert overflow_requirements("zh", support, billing) == (("billing", 4), ("mandarin", 1))
    assert overflow_requirements("en", support, billing) == (("billing", 4), ("english", 1))
    assert overflow_requirements(None, queues["vip"], support) == (("english", 3),)


def test_a_move_keeps_only_the_language():
    queues = load_queues(ROOT / "queues")
    call = Call(id="c", caller="+1", did="+2", queue="support", language="zh",
                requirements=[Requirement("technical", 5)], entered_at=NOW - 100, seq=1)
    call.requirements = requirements_after_move(call, queues["support"], queues["billing"])
    call.queue = "billing"
    assert base_requirements(call, queues["billing"]) == (("billing", 4), ("mandarin", 1))


def test_the_shipped_queues_pass_with_the_demo_agents():
    load_queues(ROOT / "queues", agents=demo_agents())


QUEUES_YAML = """\
queues:
  desk:
    requirements: {english: 3}
    language_skills: {es: spanish}
    overflow:
      - {name: to-experts, after_s: 30, action: widen, target: experts}
  experts:
    requirements: {technical: 7}
"""


def test_a_rule_whose_target_has_nobody_for_the_call_is_rejected_with_line_and_fix():
    agents = [Agent(id="ana", extension="1", skills={"english": 5, "spanish": 5}, queues=["desk"]),
              Agent(id="tom", extension="2", skills={"technical": 9}, queues=["experts"])]
    with pytest.raises(ConfigErrors) as exc:
        queues_from_data(yaml.safe_load(QUEUES_YAML), "q.yaml", agents=agents, text=QUEUES_YAML)
    (error,) = exc.value.errors
    assert error.line == 6 and error.file == "q.yaml"
    assert "overflow rule 'to-experts' (widen to experts) reaches nobody" in error.message
    assert "'es'" in error.message and "spanish" in error.message
    assert "give an agent of experts" in (error.fix or "")


def test_a_target_agent_with_the_language_makes_the_rule_valid():
    agents = [Agent(id="ana", extension="1", skills={"english": 5, "spanish": 5}, queues=["desk"]),
              Agent(id="tom", extension="2", skills={"technical": 9, "spanish": 2}, queues=["experts"])]
    queues_from_data(yaml.safe_load(QUEUES_YAML), "q.yaml", agents=agents, text=QUEUES_YAML)


def test_hotline_check_checks_overflow_targets_against_the_database_agents(tmp_path, monkeypatch, capsys):
    """The demo agents (hotline db seed) pass the shipped queues; a widen to a queue where no agent
    can take the call fails with the rule's file and line."""
    import shutil

    from control import checks
    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.seed import seed

    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    ensure_schema(url)
    seed(session_factory(url))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows")
    shutil.copytree(ROOT / "queues", tmp_path / "queues")
    args = ["--flows-dir", str(tmp_path / "flows"), "--queues-dir", str(tmp_path / "queues")]
    assert checks.main(args) == 0
    assert "agents not checked" not in capsys.readouterr().out

    billing = tmp_path / "queues" / "billing.yaml"
    text = billing.read_text().replace("action: widen, target: support}", "action: widen, target: billing}")
    billing.write_text(text.replace("  vip:\n", "  vip:\n    language_skills: {zh: mandarin}\n"))
    # every mandarin speaker of billing is carol, the vip agent: make her vip-only
    with session_factory(url)() as session, session.begin():
        from records.models import Agent as AgentRow

        session.get(AgentRow, "carol").queues = ["vip"]
    assert checks.main(args) == 1
    out = capsys.readouterr().out
    line = next(n for n, t in enumerate(billing.read_text().splitlines(), 1) if "widen, target: billing}" in t)
    assert f"{billing}:{line}: queue vip: overflow rule 'vip-nobody-free' (widen to billing) reaches nobody" in out
