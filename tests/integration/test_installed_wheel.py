"""The package as a user installs it: a wheel in a clean virtualenv, outside the source tree.

The new virtualenv gets only the wheel; the dependencies are the test environment's own (a .pth
line adds its site-packages, whose editable-install hooks are not run), so what the wheel lacks
shows here: migrations, flows, queues, the FreeSWITCH configuration, writable paths.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("migrations", "ivr_flows", "queues", "freeswitch-conf", "dialplan", "scenarios")

pytestmark = pytest.mark.integration

ONE_CALL = {
    "name": "installed",
    "queues": {"support": {"strategy": "longest-idle-agent", "requirements": {"english": 1},
                           "ring_timeout_s": 3, "wrap_up_s": 1, "announce_every_s": 0}},
    "flows": {
        "dids": {"default": "front", "dids": {"+18005550100": "front"}},
        "front": {"languages": ["en"], "prompts": {"hello": {"en": "Welcome."}},
                  "nodes": {"hello": {"type": "play", "prompt": "hello", "next": "q"},
                            "q": {"type": "queue", "queue": "support"}}},
    },
    "agents": [{"id": "alice", "extension": "1001", "skills": {"english": 5}, "answer_after": 0.2,
                "talk_time": 0.5}],
    "calls": [{"at": 0, "caller": "+14155550100", "did": "+18005550100"}],
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(out)],
                   check=True, cwd=out, timeout=300, capture_output=True)
    shutil.rmtree(REPO / "build", ignore_errors=True)
    return next(out.glob("hotline-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """bin/ of a fresh virtualenv holding the wheel."""
    env_dir = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    purelib = Path(subprocess.check_output(
        [str(env_dir / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        text=True).strip())
    (purelib / "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                    "-q", "--no-deps", "--no-index", str(wheel)], check=True, timeout=300, capture_output=True)
    return env_dir / "bin"


def tracked(folder: str) -> list[str]:
    out = subprocess.check_output(["git", "ls-files", folder], cwd=REPO, text=True)
    return [line for line in out.splitlines() if line and not line.endswith(".keep")]


def test_wheel_carries_every_shipped_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {n.split("/data/share/hotline/", 1)[1] for n in names if "/data/share/hotline/" in n}
    missing = [path for folder in SHIPPED for path in tracked(folder) if path not in data]
    assert not missing, f"add these to [tool.setuptools.data-files] in pyproject.toml: {missing}"


def run(bin_dir: Path, *args: str, env: dict, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "hotline"), *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=timeout)


def test_installed_command_inits_upgrades_checks_and_routes_a_call(installed, tmp_path, redis_url,
                                                                   redis_prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL"))}
    env.update(PYTHONNOUSERSITE="1", REDIS_URL=redis_url, HOTLINE_REDIS_PREFIX=redis_prefix)
    work = tmp_path / "elsewhere"
    work.mkdir()

    done = run(installed, "init", str(tmp_path / "site"), env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    config = tmp_path / "site" / "hotline.yaml"
    settings = yaml.safe_load(config.read_text())
    assert settings["secret_key"] and settings["esl_password"] != "ClueCon"
    assert "esl_password=" + settings["esl_password"] in (
        tmp_path / "site" / "freeswitch-conf" / "vars.local.xml").read_text()
    env["HOTLINE_CONFIG"] = str(config)

    again = run(installed, "init", str(tmp_path / "site"), env=env, cwd=work)
    assert again.returncode == 2 and "nothing is overwritten" in again.stderr

    upgraded = run(installed, "db", "upgrade", env=env, cwd=work)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert (tmp_path / "site" / "var" / "hotline.db").is_file()

    checked = run(installed, "check", env=env, cwd=work)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "main" in checked.stdout + checked.stderr   # the shipped flows were found and validated

    scenario = tmp_path / "one-call.yaml"
    scenario.write_text(yaml.safe_dump(ONE_CALL))
    simulated = run(installed, "simulate", "--scenario", str(scenario), "--report", "json",
                    env=env, cwd=work, timeout=180)
    assert simulated.returncode == 0, simulated.stdout[-2000:] + simulated.stderr[-4000:]
    report = json.loads(simulated.stdout)
    assert [c["outcome"] for c in report["calls"]] == ["answered"], report
    assert not (work / "var").exists() and not list(Path(installed).parent.glob("**/var/hotline.db"))


def test_compose_file_names_files_that_exist():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"docker-compose.yml: {name} mounts missing {source}"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "requirements.lock" not in dockerfile or (REPO / "requirements.lock").is_file()


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="docker compose is not installed")
def test_docker_compose_config_is_valid():
    env = dict(os.environ, POSTGRES_PASSWORD="x", HOTLINE_SECRET_KEY="x", HOTLINE_ESL_PASSWORD="x")
    done = subprocess.run(["docker", "compose", "config", "-q"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
