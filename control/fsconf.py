"""``hotline render-fs``: the agents' SIP directory for FreeSWITCH, then ``reloadxml``.

Pure parts (tested without I/O): ``render_agent`` / ``render_agents`` turn agent rows into
the XML files of ``freeswitch-conf/directory/agents/``, and ``preprocess`` resolves a
configuration directory the way FreeSWITCH's pre-processor does (so tests can check what
FreeSWITCH will really read). The shell around them reads the database, stores generated
SIP passwords, writes the files and asks a running FreeSWITCH to reload over the Event Socket.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import secrets
import socket
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from control.config import load_config

AGENTS_SUBDIR = Path("directory") / "agents"
TEMPLATES = Path(__file__).resolve().parent / "fsconf_templates"

# Extensions the internal dialplan routes to an agent (dialplan/internal.xml, extension "agent").
EXTENSION_RE = re.compile(r"^[0-9]{2,8}$")
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 24


class RenderError(ValueError):
    """Agent data FreeSWITCH cannot use (bad extension, duplicate, unsafe text)."""


@dataclass(frozen=True)
class AgentRow:
    id: str
    name: str
    extension: str
    sip_password: str
    monitor: bool = False      # a supervisor's phone: may listen, whisper and barge (*33/*34/*35)


# -- pure: agents -> XML ---------------------------------------------------------------

def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _safe_text(value: str, what: str, agent_id: str) -> str:
    """FreeSWITCH's pre-processor works on raw lines before XML parsing: it expands
    $${...} and swallows any line that mentions its own directive or an include tag."""
    text = str(value or "")
    lowered = text.lower()
    if "$${" in text or "x-pre-process" in lowered or "<include>" in lowered or "</include>" in lowered:
        raise RenderError(f"agent {agent_id!r}: {what} contains text FreeSWITCH's pre-processor would rewrite")
    if "\n" in text or "\r" in text:
        raise RenderError(f"agent {agent_id!r}: {what} contains a line break")
    return text


def render_agent(agent: AgentRow) -> str:
    if not EXTENSION_RE.match(agent.extension or ""):
        raise RenderError(f"agent {agent.id!r}: extension {agent.extension!r} must be 2 to 8 digits")
    if not agent.sip_password:
        raise RenderError(f"agent {agent.id!r} has no SIP password")
    return _env().get_template("agent.xml.j2").render(
        extension=agent.extension,
        agent_id=_safe_text(agent.id, "id", agent.id),
        name=_safe_text(agent.name or agent.id, "name", agent.id),
        password=_safe_text(agent.sip_password, "SIP password", agent.id),
        monitor=agent.monitor,
    )


def render_agents(agents: Iterable[AgentRow]) -> dict[str, str]:
    """File name (``<extension>.xml``) -> XML text, one per agent."""
    files: dict[str, str] = {}
    for agent in agents:
        name = f"{agent.extension}.xml"
        if name in files:
            raise RenderError(f"extension {agent.extension} is used by more than one agent")
        files[name] = render_agent(agent)
    return files


def new_password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def with_passwords(agents: Iterable[AgentRow]) -> tuple[list[AgentRow], list[AgentRow]]:
    """Give agents without a SIP password a random one: (all agents, the ones changed)."""
    done, changed = [], []
    for agent in agents:
        if not agent.sip_password:
            agent = AgentRow(agent.id, agent.name, agent.extension, new_password(), agent.monitor)
            changed.append(agent)
        done.append(agent)
    return done, changed


# -- pure: FreeSWITCH's pre-processor ----------------------------------------------------

_DIRECTIVE_RE = re.compile(r'<x-pre-process\s+cmd\s*=\s*"([^"]*)"\s+data\s*=\s*"([^"]*)"', re.IGNORECASE)
_VAR_RE = re.compile(r"\$\$\{([^}]*)\}")

# What the core sets before it reads any XML (switch_core.c); values as on a packaged install.
CORE_VARS = {
    "hostname": "fs-host", "local_ip_v4": "127.0.0.1", "local_mask_v4": "255.0.0.0", "local_ip_v6": "::1",
    "base_dir": "/usr", "recordings_dir": "/var/lib/freeswitch/recordings",
    "sound_prefix": "/usr/share/freeswitch/sounds", "sounds_dir": "/usr/share/freeswitch/sounds",
    "conf_dir": "/etc/freeswitch", "log_dir": "/var/log/freeswitch", "run_dir": "/var/run/freeswitch",
    "db_dir": "/var/lib/freeswitch/db", "mod_dir": "/usr/lib/freeswitch/mod",
    "storage_dir": "/var/lib/freeswitch/storage", "temp_dir": "/tmp",
    "certs_dir": "/etc/freeswitch/tls",
}


@dataclass
class Preprocessed:
    text: str
    variables: dict[str, str]
    files: list[str]


def preprocess(conf_dir: str | os.PathLike, core_vars: Mapping[str, str] | None = None,
               main: str = "freeswitch.xml") -> Preprocessed:
    """Resolve ``main`` like switch_xml.c's preprocess(): line by line, $${var} expanded first;
    lines with <include>, </include> or <? dropped; a line naming X-PRE-PROCESS is a directive
    and nothing else of that line survives; include globs are relative to the
    directory of the including file; a glob matching nothing is skipped."""
    variables = dict(CORE_VARS if core_vars is None else core_vars)
    variables["conf_dir"] = str(conf_dir)
    out: list[str] = []
    files: list[str] = []

    def expand(line: str) -> str:
        return _VAR_RE.sub(lambda m: variables.get(m.group(1), ""), line)

    def run(path: str, depth: int) -> None:
        if depth > 100:
            raise RecursionError(f"include depth over 100 at {path}")
        files.append(path)
        cwd = os.path.dirname(path)
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                line = expand(raw)
                if "<include>" in raw or "</include>" in raw or "<?" in raw:
                    continue
                at = line.lower().find("x-pre-process")
                if at >= 0:
                    if at == 0 or line[at - 1] != "<":
                        continue
                    # FreeSWITCH cuts the line after "/>" and writes nothing of it.
                    m = _DIRECTIVE_RE.search(line, at - 1)
                    if not m:
                        continue
                    cmd, data = m.group(1).lower(), m.group(2)
                    if cmd == "set" and "=" in data:
                        name, value = data.split("=", 1)
                        variables[name.strip()] = value.strip()
                    elif cmd == "include":
                        pattern = data if os.path.isabs(data) else os.path.join(cwd, data)
                        for found in sorted(glob.glob(pattern)):
                            run(found, depth + 1)
                    continue
                out.append(line)

    run(os.path.join(str(conf_dir), main), 0)
    return Preprocessed("".join(out), variables, files)


# -- I/O shell ---------------------------------------------------------------------------

def agent_rows(session) -> list[AgentRow]:
    """Every agent's SIP account from the database; ``monitor`` for the phone of an active
    supervisor or admin (users.agent_id)."""
    from sqlalchemy import select

    from records.models import Agent, User

    monitors = set(session.scalars(select(User.agent_id).where(User.role.in_(("supervisor", "admin")),
                                                               User.active.is_(True), User.agent_id.is_not(None))))
    return [AgentRow(r.id, r.name or "", r.extension, r.sip_password or "", r.id in monitors)
            for r in session.scalars(select(Agent).order_by(Agent.extension))]


def load_agents(database_url: str) -> list[AgentRow]:
    """Agents from the database; agents without a SIP password get one, stored there."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Agent

    factory = session_factory(database_url)
    with factory() as session:
        rows = session.scalars(select(Agent).order_by(Agent.extension)).all()
        agents, changed = with_passwords(agent_rows(session))
        if changed:
            by_id = {r.id: r for r in rows}
            for agent in changed:
                by_id[agent.id].sip_password = agent.sip_password
            session.commit()
    return agents


def write_agent_files(conf_dir: Path, files: Mapping[str, str]) -> tuple[int, int]:
    """Write the files (owner-only: they hold passwords); remove files of agents now gone."""
    target = conf_dir / AGENTS_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    removed = 0
    for old in target.glob("*.xml"):
        if old.name not in files:
            old.unlink()
            removed += 1
    for name, text in files.items():
        path = target / name
        tmp = path.with_suffix(".xml.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # FreeSWITCH never reads a half-written file
    return len(files), removed


class EslError(RuntimeError):
    pass


def esl_api(host: str, port: int, password: str, command: str, timeout: float = 5.0) -> str:
    """One api command over the inbound Event Socket: auth, api, exit. Returns the body."""
    from control.esl.parser import FrameParser

    parser = FrameParser()
    pending: list = []

    def next_frame(sock: socket.socket):
        while not pending:
            data = sock.recv(65536)
            if not data:
                raise EslError("FreeSWITCH closed the connection")
            pending.extend(parser.feed(data))
        return pending.pop(0)

    def reply(sock: socket.socket, content_type: str):
        while True:
            frame = next_frame(sock)
            if frame.headers.get("Content-Type") == content_type:
                return frame

    with socket.create_connection((host, port), timeout=timeout) as sock:
        reply(sock, "auth/request")
        sock.sendall(f"auth {password}\n\n".encode())
        answer = reply(sock, "command/reply").headers.get("Reply-Text", "")
        if not answer.startswith("+OK"):
            raise EslError(f"authentication refused: {answer}")
        sock.sendall(f"api {command}\n\n".encode())
        body = reply(sock, "api/response").body
        sock.sendall(b"exit\n\n")
        return body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hotline render-fs", description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="Hotline config file (YAML)")
    ap.add_argument("--conf-dir", help="FreeSWITCH configuration directory (default: freeswitch_conf_dir)")
    ap.add_argument("--no-reload", action="store_true", help="only write the files")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    conf_dir = Path(args.conf_dir or cfg.freeswitch_conf_dir)

    try:
        agents = load_agents(cfg.database_url)
        files = render_agents(agents)
    except RenderError as exc:
        print(f"render-fs: {exc}", file=sys.stderr)
        return 2
    written, removed = write_agent_files(conf_dir, files)
    print(f"render-fs: {written} agent(s) written to {conf_dir / AGENTS_SUBDIR}, {removed} removed")

    if args.no_reload:
        return 0
    try:
        body = esl_api(cfg.esl_host, int(cfg.esl_port), cfg.esl_password, "reloadxml")
    except (OSError, EslError) as exc:
        print(f"render-fs: no FreeSWITCH answered on {cfg.esl_host}:{cfg.esl_port} ({exc}); "
              f"run 'reloadxml' in fs_cli once it is up", file=sys.stderr)
        return 1
    print(f"render-fs: reloadxml: {body.strip()}")
    return 0 if body.startswith("+OK") else 1


if __name__ == "__main__":
    sys.exit(main())
