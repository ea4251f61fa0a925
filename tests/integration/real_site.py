"""A whole site on a real FreeSWITCH for the real-switch suites (test_real_freeswitch_sipp.py,
test_real_freeswitch_softphone_call.py): the switch booted with the site's variables, the demo's
people in the database, the prompts rendered and the switch's configuration written by ``hotline
render-fs``, an Event Socket subscription, the console served over HTTP and the real controller.
The shipped flows with one change: main.yaml's business hours are open all week, so a suite does
not depend on the hour it runs at (the closed path has its own tests)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from control.bench.sipp import Phone, Sipp
from control.config import ROOT
from tests.integration.realswitch import Events, RealSwitch, boot, start_controller, stop
from tests.integration.rtp import RtpPeer

SUPERVISOR_EXT = "1099"


@dataclass
class Site:
    fs: object
    sipp: Sipp
    db_url: str
    redis_url: str
    prefix: str
    env: dict
    log: Path
    events: Events
    web: str
    controller: object = None
    phones: dict[str, Phone] = field(default_factory=dict)
    media: dict[str, RtpPeer] = field(default_factory=dict)
    callers: list = field(default_factory=list)      # SIPp caller processes, stopped at the end
    placed: list = field(default_factory=list)       # Caller, in order


def open_all_week(target: Path) -> Path:
    """The shipped flows copied to ``target``, main.yaml open all day every day, without holidays."""
    shutil.copytree(ROOT / "ivr_flows", target)
    main = target / "main.yaml"
    text = main.read_text()
    text = re.sub(r'open: \{mon-fri: "08:00-20:00", sat: "09:00-13:00"\}', 'open: {daily: "00:00-24:00"}', text)
    main.write_text(re.sub(r"\n    holidays:\n(      - .*\n)+", "\n", text))
    return target


def seed_people(db_url: str) -> None:
    """The demo's people, plus erin (whose phone nobody answers) and the supervisor's own phone."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Agent, AgentSkill, Skill, User
    from records.seed import seed

    ensure_schema(db_url)
    sessions = session_factory(db_url)
    seed(sessions)
    with sessions() as session:
        if session.get(Agent, "erin") is None:
            english = session.scalars(select(Skill).where(Skill.name == "english")).one()
            erin = Agent(id="erin", name="Erin Novak", extension="1005", sip_password="", queues=["support"])
            erin.skills.append(AgentSkill(skill=english, proficiency=5))
            session.add(erin)
        if session.get(Agent, "sup-phone") is None:
            session.add(Agent(id="sup-phone", name="Supervisor's phone", extension=SUPERVISOR_EXT,
                              sip_password="", queues=[]))
        session.flush()
        supervisor = session.scalars(select(User).where(User.username == "supervisor")).one()
        supervisor.agent_id = "sup-phone"
        session.commit()


def _controller_env(fs: RealSwitch, base: Path, db_url: str, redis_url: str, prefix: str, flows: Path,
                    extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "HOTLINE_REDIS_PREFIX": prefix,
            "HOTLINE_FLOWS_DIR": str(flows), "HOTLINE_QUEUES_DIR": str(ROOT / "queues"),
            "HOTLINE_PROMPTS_DIR": str(base / "prompts"), "HOTLINE_RECORDINGS_DIR": str(fs.recordings),
            "HOTLINE_ESL_PORT": str(fs.esl_port), "HOTLINE_ESL_PASSWORD": fs.password,
            "HOTLINE_OUTBOUND_PORT": str(fs.controller_port), "HOTLINE_SIP_DOMAIN": fs.domain,
            "HOTLINE_RECORDS_SPOOL": str(base / "spool.jsonl"), "HOTLINE_RECONCILE_INTERVAL_S": "1", **extra}


def _render(fs: RealSwitch, env: dict[str, str]) -> None:
    """``hotline prompts``, then ``hotline render-fs`` into the switch's configuration (reloaded)."""
    rendered = subprocess.run([sys.executable, "-m", "control.cli", "prompts"], env=env, capture_output=True,
                              text=True, timeout=600)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    done = subprocess.run([sys.executable, "-m", "control.cli", "render-fs", "--conf-dir", str(fs.conf)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reloadxml: +OK" in done.stdout, (done.stdout + done.stderr)[-2000:]


def _serve_console(db_url: str, redis_url: str, prefix: str, options: dict):
    """The console on 127.0.0.1 in a thread: its address and the server (to shut down)."""
    from werkzeug.serving import make_server

    from control.config import load_config
    from web import create_app

    app = create_app(load_config(env={}), database_url=db_url, redis_url=redis_url, redis_prefix=prefix,
                     TESTING=True, WTF_CSRF_ENABLED=False, SSE_HEARTBEAT_S=1, **options)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _forget(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def real_site(binary: str, base: Path, fs_dir: Path, db_url: str, *, tag: str, events: str,
              site_vars: dict[str, object], env: dict[str, str],
              console: Callable[[RealSwitch], dict] = lambda fs: {"esl_port": 1},
              seed: Callable[[str], None] = seed_people,
              flows: Callable[[Path], Path] = open_all_week,
              before_controller: Callable[[Site], None] = lambda site: None) -> Iterator[Site]:
    """The site, its controller started; on the way out everything is stopped and the Redis keys
    under this run's prefix (``<tag>-<random>``) are deleted.

    ``site_vars``: the switch's site variables; ``events``: the Event Socket subscription; ``env``:
    added to the controller's environment; ``console``: create_app's options for the switch;
    ``seed``: fills the database; ``flows``: writes the flows folder it is given;
    ``before_controller``: the last step before the controller starts (phones, for instance)."""
    fs = boot(binary, fs_dir, site=site_vars)
    redis_url = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"{tag}-{uuid.uuid4().hex[:8]}"
    server, site = None, None
    try:
        seed(db_url)
        controller_env = _controller_env(fs, base, db_url, redis_url, prefix, flows(base / "flows"), env)
        _render(fs, controller_env)
        subscription = Events(fs.esl_port, fs.password, events)
        web, server = _serve_console(db_url, redis_url, prefix, console(fs))
        site = Site(fs, Sipp("127.0.0.1", fs.sip_port, fs.domain, workdir=base / "sipp"), db_url, redis_url,
                    prefix, controller_env, base / "controller.log", subscription, web)
        site.sipp.workdir.mkdir()
        before_controller(site)
        site.controller = start_controller(controller_env, site.log)
        yield site
    finally:
        if site is not None:
            _stop_people(site)
            stop(site.controller)
            site.events.close()
        if server is not None:
            server.shutdown()
        stop(fs.proc)
        _forget(redis_url, prefix)


def _stop_people(site: Site) -> None:
    for call in site.callers:
        call.stop()
    for phone in site.phones.values():
        phone.stop()
    for peer in site.media.values():
        peer.close()
    for caller in site.placed:
        caller.media.close()
