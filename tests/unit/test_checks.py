"""`hotline check`: exit codes and file:line messages on good and broken copies of the shipped files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from control import checks
from control.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    # no agents database: whatever var/hotline.db holds on this machine does not change the result
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'no-agents.db'}")
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows")
    shutil.copytree(ROOT / "queues", tmp_path / "queues")
    return tmp_path


def run(tree, *extra):
    return checks.main(["--flows-dir", str(tree / "flows"), "--queues-dir", str(tree / "queues"), *extra])


def test_good_files_exit_0_with_a_summary(tree, capsys):
    assert run(tree) == 0
    out = capsys.readouterr().out
    assert "note: agents not checked: no database at " in out
    assert out.splitlines()[-1].startswith("ok: 3 flows, 2 DIDs (default main), ")
    assert "queues" in out


def test_through_the_cli_entry_point(tree, capsys):
    assert cli_main(["check", "--flows-dir", str(tree / "flows"), "--queues-dir", str(tree / "queues")]) == 0


def test_broken_flow_exits_1_and_names_file_and_line(tree, capsys):
    main = tree / "flows" / "main.yaml"
    lines = main.read_text().splitlines()
    index = lines.index("    queue: billing")
    lines[index] = lines[index].replace("billing", "billling")
    main.write_text("\n".join(lines) + "\n")
    assert run(tree) == 1
    out = capsys.readouterr()
    assert f"{main}:{index + 1}: flow main: node 'q_billing': unknown queue 'billling' (fix: did you mean 'billing'?)" \
        in out.out
    assert "1 problem found" in out.err


def test_broken_queue_and_dids_are_both_reported(tree, capsys):
    (tree / "flows" / "dids.yaml").write_text('default: main\ndids:\n  "+18005550100": nowhere\n')
    support = tree / "queues" / "support.yaml"
    support.write_text(support.read_text().replace("strategy: longest-idle-agent", "strategy: fastest", 1))
    assert run(tree) == 1
    out = capsys.readouterr().out
    assert f"{tree / 'flows' / 'dids.yaml'}:3: DID map: +18005550100 -> unknown flow 'nowhere'" in out
    assert str(support) in out


def test_unreachable_node_warns_but_passes(tree, capsys):
    after = tree / "flows" / "after_hours.yaml"
    after.write_text(after.read_text() + "\n  orphan:\n    type: hangup\n")
    assert run(tree) == 0
    out = capsys.readouterr().out
    assert "warning: flow after_hours: node 'orphan' is unreachable" in out
    assert out.rstrip().splitlines()[-1].startswith("ok:")


def test_config_file_errors_have_lines(tree, capsys):
    config = tree / "hotline.yaml"
    config.write_text("web_port: 8080\nredis_prefx: hl\nring_timeout_s: soon\n")
    assert run(tree, "--config", str(config)) == 1
    out = capsys.readouterr().out
    assert f"{config}:2: unknown config key 'redis_prefx' (fix: did you mean 'redis_prefix'?)" in out
    assert f"{config}:3: ring_timeout_s must be int, not str" in out


def test_good_config_file_and_bad_timezone(tree, capsys):
    config = tree / "hotline.yaml"
    config.write_text("timezone: America/New_York\nreservation_lease_s: 45\n")
    assert run(tree, "--config", str(config)) == 0
    config.write_text("timezone: Mars/Olympus\n")
    assert run(tree, "--config", str(config)) == 1
    assert "not a known time zone" in capsys.readouterr().out
