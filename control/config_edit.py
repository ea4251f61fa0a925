"""Editing the declarative configuration (queues/*.yaml, ivr_flows/*.yaml, the DID map) safely.

The files stay the source of truth, so a deployment that keeps them in git still works: the
console writes the same files an operator would edit by hand. A change is checked as
`hotline check` checks the whole set — the edited file put in place in a copy of both folders,
queues against the agents who exist, flows against the queues — and written only when nothing is
wrong, atomically (a temporary file, then a rename: a controller reloading mid-write never reads
half a file). Running controllers pick it up at their next reload (every reconcile interval);
an invalid file never reaches them, so the configuration in force stays.

A change names the version (a digest of the content) it was made on; when the file changed since,
it is refused instead of overwriting the other change.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from control.config import Config
from control.ivr.model import FlowSet
from control.yamlfile import ConfigError, ConfigErrors

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
KINDS = ("queues", "flows")


class Stale(Exception):
    """The file changed since the editor opened it."""


@dataclass(frozen=True)
class ConfigFile:
    kind: str        # "queues" or "flows" (the DID map is the flows folder's dids file)
    name: str        # file name without .yaml

    def folder(self, config: Config) -> Path:
        return Path(config.queues_dir if self.kind == "queues" else config.flows_dir)

    def path(self, config: Config) -> Path:
        return self.folder(config) / f"{self.name}.yaml"


def parse(kind: str, name: str) -> ConfigFile:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if not NAME.match(name):
        raise ValueError("a file name is 1-64 lower-case letters, digits, '_' or '-'")
    return ConfigFile(kind, name)


def version(text: str | None) -> str:
    """The version of a file's content; "" for a file that does not exist yet."""
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text is not None else ""


def read(config: Config, file: ConfigFile) -> str | None:
    try:
        return file.path(config).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def listing(config: Config) -> dict[str, list[str]]:
    return {kind: sorted(p.stem for p in ConfigFile(kind, "x").folder(config).glob("*.yaml")) for kind in KINDS}


@dataclass
class Checked:
    problems: list[ConfigError]
    flows: FlowSet | None     # the flows with the change, when they loaded (the graph, "test this flow")


def check(config: Config, file: ConfigFile, text: str, agents: list | None) -> Checked:
    """Every problem the whole configuration would have with ``text`` as ``file``; file names are
    the real ones, lines those of the text."""
    from control.ivr.loader import load_flows
    from control.queues import load_queues

    with tempfile.TemporaryDirectory(prefix="hotline-check-") as tmp:
        queues_dir, flows_dir = Path(tmp) / "queues", Path(tmp) / "flows"
        shutil.copytree(config.queues_dir, queues_dir)
        shutil.copytree(config.flows_dir, flows_dir)
        (queues_dir if file.kind == "queues" else flows_dir).joinpath(f"{file.name}.yaml").write_text(
            text, encoding="utf-8")
        errors: list[ConfigError] = []
        queues, flows = None, None
        try:
            queues = load_queues(queues_dir, agents=agents)
        except ConfigErrors as exc:
            errors += exc.errors
        try:
            flows = load_flows(flows_dir, queues=set(queues) if queues is not None else None,
                               dids_file=config.dids_file)
        except ConfigErrors as exc:
            errors += exc.errors
        real = {str(queues_dir): str(Path(config.queues_dir)), str(flows_dir): str(Path(config.flows_dir))}
        return Checked([_renamed(e, real) for e in errors], flows)


def save(config: Config, file: ConfigFile, text: str, opened: str, agents: list | None) -> tuple[list[ConfigError], str]:
    """Check, then write; returns (problems, unified diff). Nothing is written when there is a
    problem. Raises Stale when the file is not at version ``opened`` any more."""
    before = read(config, file)
    if version(before) != opened:
        raise Stale(f"{file.path(config).name} changed since you opened it: reload it to see the other change")
    problems = check(config, file, text, agents).problems
    if problems:
        return problems, ""
    write_atomically(file.path(config), text)
    diff = "".join(difflib.unified_diff((before or "").splitlines(True), text.splitlines(True),
                                        f"a/{file.name}.yaml", f"b/{file.name}.yaml"))
    return [], diff


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _renamed(error: ConfigError, real: dict[str, str]) -> ConfigError:
    name = str(error.file)
    for tmp, actual in real.items():
        if name.startswith(tmp):
            name = actual + name[len(tmp):]
    return ConfigError(name, error.line, error.message, error.fix)
