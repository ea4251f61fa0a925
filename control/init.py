"""``hotline init DIR``: a deployable configuration folder from the installed package.

It copies the shipped IVR flows, queues, FreeSWITCH configuration and dialplan into DIR (the
deployment's own copies, to edit and to keep in git), makes DIR/var for what Hotline writes, and
writes DIR/hotline.yaml pointing every path there, with a fresh secret key and Event Socket
password (also written to DIR/freeswitch-conf/vars.local.xml, so FreeSWITCH and the controller
agree). Nothing in DIR is overwritten. Then: ``export HOTLINE_CONFIG=DIR/hotline.yaml``.
"""
from __future__ import annotations

import argparse
import secrets
import shutil
import sys
from pathlib import Path

import yaml

from control.paths import shipped

COPIED = ("ivr_flows", "queues", "freeswitch-conf", "dialplan")
VAR_DIRS = ("spool", "prompts", "archive", "recordings")


class InitError(Exception):
    pass


def init(target: Path) -> Path:
    """Write the folder; returns the config file's path. Raises InitError naming what is in the way."""
    target = target.resolve()
    taken = [name for name in (*COPIED, "hotline.yaml") if (target / name).exists()]
    if taken:
        raise InitError(f"{target} already has {', '.join(taken)}: choose an empty folder "
                        f"(nothing is overwritten)")
    missing = [name for name in COPIED if not shipped(name).is_dir()]
    if missing:
        raise InitError(f"the installed package lacks {', '.join(missing)} under {shipped(COPIED[0]).parent}; "
                        f"reinstall hotline")
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copytree(shipped(name), target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "vars.local.xml"))
    (target / "freeswitch-conf" / "directory" / "agents").mkdir(parents=True, exist_ok=True)
    var = target / "var"
    for name in VAR_DIRS:
        (var / name).mkdir(parents=True, exist_ok=True)
    esl_password = secrets.token_urlsafe(24)
    _write_vars_local(target / "freeswitch-conf" / "vars.local.xml", esl_password)
    config = target / "hotline.yaml"
    config.write_text(_config_text(target, esl_password), encoding="utf-8")
    config.chmod(0o600)
    return config


def settings(target: Path, esl_password: str) -> dict[str, str]:
    var = target / "var"
    return {
        "database_url": f"sqlite:///{var / 'hotline.db'}",
        "flows_dir": str(target / "ivr_flows"),
        "queues_dir": str(target / "queues"),
        "freeswitch_conf_dir": str(target / "freeswitch-conf"),
        "prompts_dir": str(var / "prompts"),
        "archive_dir": str(var / "archive"),
        "recordings_dir": str(var / "recordings"),
        "records_spool": str(var / "spool" / "call-records.jsonl"),
        "secret_key": secrets.token_urlsafe(48),
        "esl_password": esl_password,
    }


def _config_text(target: Path, esl_password: str) -> str:
    header = (
        "# Hotline configuration written by `hotline init` (keys and their meaning: control/config.py).\n"
        "# Use it with: export HOTLINE_CONFIG=" + str(target / "hotline.yaml") + "\n"
        "# For PostgreSQL set database_url: postgresql://USER:PASSWORD@HOST/DB (or DATABASE_URL),\n"
        "# and a Redis with a password: redis_url: redis://:PASSWORD@HOST:6379/0 (or REDIS_URL).\n"
        "# The secret key and the Event Socket password below are fresh and random: keep this file private.\n"
    )
    return header + yaml.safe_dump(settings(target, esl_password), sort_keys=False)


def _write_vars_local(path: Path, esl_password: str) -> None:
    path.write_text(
        "<include>\n"
        "  <!-- Written by `hotline init`: the controller's esl_password (hotline.yaml) must match. -->\n"
        f'  <X-PRE-PROCESS cmd="set" data="esl_password={esl_password}"/>\n'
        "</include>\n", encoding="utf-8")
    path.chmod(0o600)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hotline init", description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="folder to create (or an empty one)")
    args = ap.parse_args(argv)
    try:
        config = init(Path(args.dir))
    except InitError as exc:
        print(f"hotline init: {exc}", file=sys.stderr)
        return 2
    print(f"hotline init: wrote {config.parent}\n"
          f"  next: export HOTLINE_CONFIG={config}\n"
          f"        hotline db upgrade && hotline user add --role admin YOUR_NAME && hotline check")
    return 0
