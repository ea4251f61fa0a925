"""Flow loading and validation: every error names file and line; hot reload keeps the last good set."""
from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from control.ivr.loader import FlowRegistry, load_flows
from control.yamlfile import ConfigErrors
from tests.unit.test_ivr_helpers import flows

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"support", "billing", "sales", "vip", "mandarin"}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(folder: Path, queues=None) -> list:
    with pytest.raises(ConfigErrors) as exc:
        load_flows(folder, queues=queues)
    return exc.value.errors


def test_shipped_flows_load_without_errors_or_warnings():
    fs = load_flows(ROOT / "ivr_flows", queues=QUEUES)
    assert set(fs.flows) == {"main", "order_status", "after_hours"}
    assert fs.warnings == []
    assert fs.for_did("+18005550100").name == "main"
    assert fs.for_did("+18005550199").name == "after_hours"
    assert fs.for_did("+19999999999").name == "main"    # the default
    assert set(fs.get("main").languages) == {"en", "zh"}


GOOD = """
languages: [en]
nodes:
  hello:
    type: play
    prompt: {en: "Hello"}
    next: bye
  bye:
    type: hangup
"""


@pytest.fixture
def folder(tmp_path):
    write(tmp_path, "main.yaml", GOOD)
    write(tmp_path, "dids.yaml", 'default: main\ndids: {"+18005550100": main}\n')
    return tmp_path


def test_unknown_node_reference_names_the_node_and_line(folder):
    path = write(folder, "main.yaml", GOOD.replace("next: bye", "next: byebye"))
    [err] = errors_of(folder)
    assert err.file == str(path) and err.line == 6
    assert "node 'hello': next points to unknown node 'byebye'" in err.message
    assert "did you mean 'bye'" in err.fix
    assert str(err).startswith(f"{path}:6: ")


def test_schema_error_unknown_key_and_bad_type_have_their_lines(folder):
    write(folder, "main.yaml", """
    nodes:
      m:
        type: menu
        prompt: {en: "Hi"}
        options: {"1": m}
        retries: lots
        colour: blue
    """)
    errs = errors_of(folder)
    by_line = {e.line: e.message for e in errs}
    assert "'lots' is not of type 'integer'" in by_line[6]
    assert "unknown key 'colour'" in by_line[7]


def test_unknown_node_type_is_an_error(folder):
    write(folder, "main.yaml", "nodes:\n  a:\n    type: dance\n")
    [err] = errors_of(folder)
    assert err.line == 3 and "dance" in err.message


def test_unreachable_node_is_a_warning_with_its_line(folder):
    write(folder, "main.yaml", GOOD + "  lonely:\n    type: hangup\n")
    fs = load_flows(folder)
    [warning] = fs.warnings
    assert warning.line == 9 and "'lonely' is unreachable" in warning.message


def test_unknown_queue_only_when_queues_are_given(folder):
    write(folder, "main.yaml", """
    nodes:
      q: {type: queue, queue: suport}
    """)
    load_flows(folder)     # no queue list: not checked
    [err] = errors_of(folder, queues=QUEUES)
    assert err.line == 2 and "unknown queue 'suport'" in err.message and "support" in err.fix


def test_missing_prompt_for_a_declared_language(folder):
    write(folder, "main.yaml", """
    languages: [en, zh]
    prompts:
      hi: {en: "Hi", zh: "你好"}
      bye: {en: "Bye"}
    nodes:
      a: {type: play, prompt: [hi, bye], next: b}
      b: {type: play, prompt: {zh: "再见"}}
    """)
    errs = errors_of(folder)
    assert [(e.line, "'zh'" in e.message or "'en'" in e.message) for e in errs] == [(4, True), (7, True)]
    assert "prompt 'bye' has no 'zh' prompt" in errs[0].message


def test_unknown_prompt_name_and_variables_in_text(folder):
    write(folder, "main.yaml", """
    prompts:
      hi: {en: "Hello ${customer.name}"}
    nodes:
      a: {type: play, prompt: hello, next: b}
      b: {type: play, prompt: hi}
    """)
    errs = errors_of(folder)
    assert {e.line for e in errs} == {2, 4}
    assert any("rendered ahead of time" in e.message for e in errs)
    assert any("'hello' is not in `prompts:`" in e.message for e in errs)


def test_sub_flow_call_cycle_is_an_error(folder):
    write(folder, "main.yaml", "nodes:\n  c: {type: call, flow: sub}\n")
    write(folder, "sub.yaml", "nodes:\n  x: {type: play, prompt: {en: x}, next: c}\n  c: {type: call, flow: main}\n")
    errs = errors_of(folder)
    assert any("sub-flow calls form a cycle: main -> sub -> main" in e.message for e in errs)


def test_goto_unknown_flow_and_unknown_node(folder):
    write(folder, "main.yaml", "nodes:\n  g: {type: goto, flow: mian}\n")
    [err] = errors_of(folder)
    assert err.line == 2 and "no flow named 'mian'" in err.message
    write(folder, "main.yaml", "nodes:\n  g: {type: goto, flow: main, node: nowhere}\n")
    [err] = errors_of(folder)
    assert "has no node 'nowhere'" in err.message


def test_bad_hours_are_reported_where_they_are(folder):
    write(folder, "main.yaml", """
    hours:
      biz:
        timezone: Mars/Olympus
        open: {mon-fri: "09:00-17:00"}
      late:
        open: {mon-fri: "09:00-17:00", funday: "10:00-11:00"}
    nodes:
      b: {type: branch, cases: [{when: {open: bizz}, next: b}], default: b}
    """)
    errs = errors_of(folder)
    messages = {e.line: e.message for e in errs}
    assert "unknown time zone" in messages[3]
    assert "unknown day 'funday'" in messages[6]
    assert "no hours table named 'bizz'" in messages[8]


def test_dids_file_errors(folder):
    path = write(folder, "dids.yaml", 'default: nope\ndids:\n  "+18005550100": main\n  "555-0100": main\n')
    errs = errors_of(folder)
    assert all(e.file == str(path) for e in errs)
    assert {e.line for e in errs} == {1, 4}


def test_yaml_syntax_error_has_a_line(folder):
    path = write(folder, "main.yaml", "nodes:\n  a: {type: play\n  b: x\n")
    [err] = errors_of(folder)
    assert err.file == str(path) and err.line is not None and "not valid YAML" in err.message


def test_duplicate_flow_names(folder):
    write(folder, "other.yaml", "name: main\n" + textwrap.dedent(GOOD))
    assert any("already defined" in e.message for e in errors_of(folder))


def test_flows_from_data_keeps_lines_and_defaults_to_main():
    with pytest.raises(ConfigErrors) as exc:
        flows("""
        main:
          nodes:
            a: {type: play, prompt: {en: hi}, next: zzz}
        """)
    assert exc.value.errors[0].line == 4
    fs = flows("main:\n  nodes:\n    a: {type: return}\n")
    assert fs.for_did("+1555").name == "main"


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_registry_hot_reload_applies_good_edit_and_refuses_bad_one(tmp_path):
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "ivr_flows", folder)
    registry = FlowRegistry(folder, queues=QUEUES)
    assert registry.reload() is False          # nothing changed: just a stat
    main = folder / "main.yaml"
    original = registry.current()

    main.write_text(main.read_text().replace("retries: 2\n    invalid_prompt: invalid",
                                             "retries: 4\n    invalid_prompt: invalid"))
    _touch_later(main)
    assert registry.reload() is True
    assert registry.current() is not original
    assert registry.current().get("main").nodes["main_menu"]["retries"] == 4
    good = registry.current()

    main.write_text(main.read_text().replace("next: route", "next: rout", 1))
    _touch_later(main)
    assert registry.reload() is False
    assert registry.current() is good          # the previous version keeps running
    assert any("unknown node 'rout'" in e.message for e in registry.last_errors)
    assert registry.reload() is False          # the refused edit is not re-read every sweep

    main.write_text(main.read_text().replace("next: rout\n", "next: route\n", 1))
    _touch_later(main)
    assert registry.reload() is True and registry.last_errors == []


def test_flows_from_data_without_text_as_a_scenario_passes_it():
    from control.ivr.loader import flows_from_data

    data = {"front": {"nodes": {"a": {"type": "goto", "flow": "back"}}},
            "back": {"nodes": {"b": {"type": "hangup"}}},
            "dids": {"default": "front", "dids": {"+18005550100": "back"}}}
    fs = flows_from_data(data, "scenario.yaml")
    assert fs.for_did("+18005550100").name == "back" and fs.for_did("+1999").name == "front"
    data["back"]["nodes"]["b"]["type"] = "explode"
    with pytest.raises(ConfigErrors) as exc:
        flows_from_data(data, "scenario.yaml")
    assert str(exc.value.errors[0]).startswith("scenario.yaml: ")
