"""`hotline check`: validate the config file, every queue, every IVR flow and the DID map.

Prints ``file:line: problem (fix: ...)`` per problem and exits 1 when there is
any error; warnings (unreachable flow nodes) are printed but do not fail.
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from control import outbound
from control.config import DEFAULTS, Config, load_config
from control.yamlfile import ConfigError, ConfigErrors, load


def check_config_file(path: str) -> list[ConfigError]:
    """Unknown keys and wrongly typed values, each with its line."""
    try:
        data, locator = load(path)
    except ConfigError as exc:
        return [exc]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [ConfigError(path, 1, "a config file must be a mapping of keys to values", "write `key: value` lines")]
    errors = []
    for key, value in data.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            errors.append(locator.error([key], f"unknown config key {key!r}",
                                        f"did you mean {close[0]!r}?" if close else "see control/config.py"))
            continue
        want = type(DEFAULTS[key])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            errors.append(locator.error([key], f"{key} must be {want.__name__}, not {type(value).__name__}",
                                        f"default is {DEFAULTS[key]!r}"))
        elif key == "outbound_allow":
            errors += [locator.error([key], problem, "see docs/security.md, Outbound allow-list")
                       for problem in outbound.problems(value)]
    return errors


def _config(path: str | None, errors: list[ConfigError]) -> Config:
    if path:
        errors += check_config_file(path)
        if errors:
            return load_config(None, env={})
    try:
        config = load_config(path)
    except (ValueError, OSError) as exc:
        errors.append(ConfigError(path or "(environment)", None, str(exc)))
        return load_config(None, env={})
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(ConfigError(path or "(config)", None, f"timezone {config.timezone!r} is not a known time zone",
                                  "use an IANA name such as America/New_York"))
    return config


def _queues(queues_dir: str, errors: list[ConfigError], notes: list[str], agents: list | None = None) -> dict | None:
    try:
        from control.queues import load_queues
    except ImportError:
        notes.append("queues not checked: control/queues.py is not available yet")
        return None
    try:
        return load_queues(queues_dir, agents=agents)
    except ConfigErrors as exc:
        errors += exc.errors
        return None


def _agents(config: Config, notes: list[str]) -> list | None:
    """The agents in the database, so that queue requirements and overflow targets are checked
    against people who exist; None (with a note) when there is no database or no agent yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from records.agents import load_agents
    from records.db import session_factory

    url = config.database_url
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists():
        notes.append(f"agents not checked: no database at {url} (hotline db upgrade && hotline db seed)")
        return None
    try:
        agents = load_agents(session_factory(url))
    except SQLAlchemyError as exc:
        notes.append(f"agents not checked: the database did not answer ({type(exc).__name__})")
        return None
    if not agents:
        notes.append("agents not checked: the database has no agents yet")
        return None
    return agents


def main(argv: list[str] | None = None) -> int:
    from control.ivr.loader import load_flows

    parser = argparse.ArgumentParser(prog="hotline check", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config file (default: HOTLINE_CONFIG, else built-in defaults)")
    parser.add_argument("--flows-dir", help="flows folder (default: config flows_dir)")
    parser.add_argument("--queues-dir", help="queues folder (default: config queues_dir)")
    args = parser.parse_args(argv)

    errors: list[ConfigError] = []
    notes: list[str] = []
    config_path = args.config or os.environ.get("HOTLINE_CONFIG")
    config = _config(config_path, errors)
    queues = _queues(args.queues_dir or config.queues_dir, errors, notes, _agents(config, notes))
    flows_dir = args.flows_dir or config.flows_dir
    flows = None
    try:
        flows = load_flows(flows_dir, queues=set(queues) if queues is not None else None,
                           dids_file=config.dids_file)
    except ConfigErrors as exc:
        errors += exc.errors
    for err in errors:
        print(err)
    for warning in flows.warnings if flows else []:
        print(warning)
    for note in notes:
        print(f"note: {note}")
    if errors or flows is None:
        print(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found", file=sys.stderr)
        return 1
    parts = [f"{len(flows.flows)} flows", f"{len(flows.dids)} DIDs (default {flows.default})"]
    if queues is not None:
        parts.append(f"{len(queues)} queues")
    parts.append(f"config {config_path}" if config_path else "default config")
    print(f"ok: {', '.join(parts)} in {Path(flows_dir).name}/")
    return 0
