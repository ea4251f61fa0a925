import textwrap
from pathlib import Path

import pytest

from control.domain.models import Agent
from control.queues import QueueRegistry, load_queues, queues_from_data
from control.yamlfile import ConfigErrors

ROOT = Path(__file__).resolve().parents[2]
SKILLS = "skills: [english, mandarin, billing]\n"


def write(tmp_path, text, name="q.yaml", skills=SKILLS):
    (tmp_path / "skills.yaml").write_text(skills)
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def errors_of(path, **kw):
    with pytest.raises(ConfigErrors) as exc:
        load_queues(path, **kw)
    return exc.value.errors


def test_shipped_queues_load():
    queues = load_queues(ROOT / "queues")
    assert {"support", "billing", "sales", "vip", "mandarin"} <= set(queues)
    assert queues["billing"].strategy == "most-skilled"
    assert [s.after_s for s in queues["mandarin"].relax] == [30.0, 60.0]
    for q in queues.values():
        assert q.service_level_s == 20 and q.record and q.dispositions and q.overflow and q.exit_keys


def test_several_queues_in_one_file_with_defaults(tmp_path):
    path = write(tmp_path, """
        queues:
          a: {strategy: top-down, requirements: {english: 2}}
          b:
            overflow:
              - {after_s: 30, action: widen, target: a}
    """)
    queues = load_queues(path)
    assert queues["a"].requirements == {"english": 2} and queues["b"].strategy == "longest-idle-agent"
    assert queues["b"].overflow[0].name == "b#1:widen"
    assert queues["a"].line == 3


def test_unknown_skill_reports_file_and_line(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            strategy: top-down
            requirements:
              klingon: 3
    """)
    [err] = errors_of(path)
    assert err.line == 6 and err.file.endswith("q.yaml") and "unknown skill 'klingon'" in err.message


def test_unknown_strategy_and_bad_fields_all_reported(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            strategy: fastest
          b:
            wrap_up_s: -1
            colour: red
    """)
    errs = errors_of(path)
    lines = sorted(e.line for e in errs)
    assert len(errs) == 3 and lines == [4, 6, 7]
    assert any("fastest" in e.message for e in errs)


def test_overflow_cycle_rejected(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            overflow: [{after_s: 10, action: move, target: b}]
          b:
            overflow: [{after_s: 10, action: widen, target: c}]
          c:
            overflow:
              - {after_s: 10, action: move, target: a}
    """)
    [err] = errors_of(path)
    assert "cycle" in err.message and "a -> b -> c -> a" in err.message
    assert err.line in (4, 6, 9)


def test_unknown_target_and_self_target(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            vip_queue: nowhere
            overflow:
              - {after_s: 10, action: widen, target: ghost}
              - {after_s: 10, action: move, target: a}
              - {after_s: 10, action: move}
    """)
    errs = errors_of(path)
    assert sorted(e.line for e in errs) == [4, 6, 7, 8]


def test_overflow_rule_needs_a_condition(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            overflow:
              - {action: voicemail}
    """)
    [err] = errors_of(path)
    assert err.line == 5


def test_requirement_no_agent_can_meet(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            requirements: {mandarin: 8}
          b:
            requirements: {mandarin: 8}
            relax: [{after_s: 60, max_min_level: 3}]
    """)
    agents = [Agent(id="x", extension="1", skills={"mandarin": 4}, queues=["a", "b"])]
    [err] = errors_of(path, agents=agents)
    assert err.line == 4 and "no agent could ever meet" in err.message
    assert set(load_queues(path)) == {"a", "b"}


def test_yaml_syntax_error_has_line(tmp_path):
    path = write(tmp_path, "queues:\n  a: {strategy: top-down\n  b: {}\n")
    [err] = errors_of(path)
    assert err.line is not None


def test_duplicate_queue_across_files(tmp_path):
    write(tmp_path, "queues:\n  a: {}\n", name="one.yaml")
    (tmp_path / "two.yaml").write_text("queues:\n  a: {}\n")
    [err] = errors_of(tmp_path)
    assert "already defined" in err.message and err.file.endswith("two.yaml")


def test_queues_from_data_with_passed_skills():
    data = {"queues": {"s": {"requirements": {"english": 2}}}}
    assert queues_from_data(data, "scenario.yaml", skills={"english"})["s"].requirements == {"english": 2}
    with pytest.raises(ConfigErrors) as exc:
        queues_from_data(data, "scenario.yaml", skills={"mandarin"})
    assert exc.value.errors[0].file == "scenario.yaml"


def test_registry_keeps_old_config_when_reload_fails(tmp_path):
    path = write(tmp_path, "queues:\n  a: {strategy: top-down}\n")
    registry = QueueRegistry(tmp_path)
    assert registry.current()["a"].strategy == "top-down"
    (path / "q.yaml").write_text("queues:\n  a: {strategy: nope}\n")
    assert registry.reload() is False
    assert registry.current()["a"].strategy == "top-down" and registry.last_errors[0].line == 2
    (path / "q.yaml").write_text("queues:\n  a: {strategy: random}\n")
    assert registry.reload() is True
    assert registry.current()["a"].strategy == "random" and registry.last_errors == []


def test_alert_thresholds_per_queue_with_the_queues_defaults(tmp_path):
    from control.domain.queue_config import alert_limits

    path = write(tmp_path, """
        queues:
          a:
            service_level_target: 0.9
            alerts: {service_level_below: 0.7, longest_wait_s: 45, abandon_rate_above: 0.05}
          b: {service_level_s: 30, service_level_target: 0.85}
    """)
    queues = load_queues(path)
    a, b = alert_limits(queues["a"]), alert_limits(queues["b"])
    assert (a.service_level_below, a.longest_wait_s, a.abandon_rate_above) == (0.7, 45, 0.05)
    assert (b.service_level_below, b.longest_wait_s, b.abandon_rate_above) == (0.85, 30, 0.10)


def test_bad_alert_thresholds_name_the_file_line_and_key(tmp_path):
    path = write(tmp_path, """
        queues:
          a:
            alerts:
              abandon_rate_above: 5
              longest_wait: 60
    """)
    errs = sorted(errors_of(path), key=lambda e: e.line)
    assert [e.line for e in errs] == [5, 6] and all(e.file.endswith("q.yaml") for e in errs)
    assert "queues/a/alerts/abandon_rate_above" in errs[0].message and "maximum of 1" in errs[0].message
    assert "unknown key 'longest_wait'" in errs[1].message and "longest_wait_s" in (errs[1].fix or "")
