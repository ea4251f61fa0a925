"""Helpers for tests/integration/test_real_freeswitch.py: boot a real FreeSWITCH on an unmodified
copy of freeswitch-conf/ + dialplan/ (site values from HOTLINE_* environment variables, which
vars.xml reads with env-set), and follow its events over the inbound Event Socket."""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

from control.config import ROOT
from control.esl.parser import FrameParser
from control.fsconf import esl_api

# Log levels that mean something in our files is wrong. Expected WARNINGs: mod_sofia prints
# "MSG Thread 0 Started" on every start, and with log-auth-failures (for fail2ban) every digest
# challenge, including the first one of each normal REGISTER.
BAD_LOG_LINE = re.compile(r"\[(ERR|CRIT|ALERT|WARNING)\]")
EXPECTED_WARNINGS = ("MSG Thread 0 Started", "SIP auth challenge (REGISTER)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_tone(path: Path, seconds: float = 0.5, hz: float = 440.0, rate: int = 8000) -> None:
    """An 8 kHz mono 16-bit WAV: hold music, a prompt, or a word the say module plays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / rate)))
                      for n in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


@dataclass
class RealSwitch:
    proc: subprocess.Popen
    base: Path
    esl_port: int
    password: str
    sip_port: int
    controller_port: int
    domain: str = "hotline.test"
    extra: dict = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.base / "freeswitch-conf"

    @property
    def log_file(self) -> Path:
        return self.base / "log" / "freeswitch.log"

    @property
    def recordings(self) -> Path:
        return self.base / "recordings"

    def api(self, command: str) -> str:
        return esl_api("127.0.0.1", self.esl_port, self.password, command)

    def register_phone(self, extension: str, password: str, timeout: float = 30.0) -> str:
        """A SIP phone for the agent: a sofia gateway of FreeSWITCH itself (gateways/*.xml, where
        trunks go) that registers as <extension>@<domain> with the rendered password. Calls to
        user/<extension> then reach it over real SIP and land on the echo test (9196)."""
        name = f"phone{extension}"
        if re.search(r"^State\s+REGED", self.api(f"sofia status gateway {name}"), re.M):
            return name   # registered by an earlier test of this module
        (self.conf / "gateways" / f"{name}.xml").write_text(f"""<include>
  <gateway name="{name}">
    <param name="username" value="{extension}"/>
    <param name="password" value="{password}"/>
    <param name="realm" value="{self.domain}"/>
    <param name="proxy" value="127.0.0.1:{self.sip_port}"/>
    <param name="register" value="true"/>
    <param name="extension" value="9196"/>
    <param name="extension-in-contact" value="true"/>
    <param name="context" value="internal"/>
  </gateway>
</include>
""")
        assert self.api("reloadxml").startswith("+OK")
        self.api("sofia profile internal rescan")
        deadline = time.monotonic() + timeout
        while True:
            state = self.api(f"sofia status gateway {name}")
            if re.search(r"^State\s+REGED", state, re.M) or time.monotonic() > deadline:
                assert re.search(r"^State\s+REGED", state, re.M), state
                return name
            time.sleep(0.3)

    def log_mark(self) -> int:
        return self.log_file.stat().st_size

    def bad_log_lines(self, since: int = 0) -> list[str]:
        with open(self.log_file, "rb") as fh:
            fh.seek(since)
            text = fh.read().decode("utf-8", errors="replace")
        return [line for line in text.splitlines()
                if BAD_LOG_LINE.search(line) and not any(w in line for w in EXPECTED_WARNINGS)]


def boot(binary: str, base: Path, timeout: float = 60.0) -> RealSwitch:
    """Copy the configuration as it is (leaving out this checkout's own site files, vars.local.xml
    and rendered agents), give site values as HOTLINE_* environment variables, start FreeSWITCH
    in the foreground (-nf) with -nonat -nc -conf -log -db as docs/freeswitch.md says."""
    conf = base / "freeswitch-conf"
    shutil.copytree(ROOT / "freeswitch-conf", conf,
                    ignore=shutil.ignore_patterns("vars.local.xml", "[0-9]*.xml"))
    shutil.copytree(ROOT / "dialplan", base / "dialplan")
    for name in ("log", "db", "run", "recordings"):
        (base / name).mkdir()
    write_tone(base / "moh" / "tones.wav", seconds=2.0)
    for word in ("40", "2"):   # what mod_say_en plays for "42"
        write_tone(base / "sounds" / "digits" / f"{word}.wav", seconds=0.2, hz=660.0)
    switch = RealSwitch(proc=None, base=base, esl_port=free_port(), password="real-test-secret",
                        sip_port=free_port(), controller_port=free_port())
    # Site values from the environment (vars.xml's env-set lines): the configuration is used as is.
    values = {
        "HOTLINE_SIP_IP": "127.0.0.1", "HOTLINE_RTP_IP": "127.0.0.1", "HOTLINE_EXT_SIP_IP": "127.0.0.1",
        "HOTLINE_EXT_RTP_IP": "127.0.0.1", "HOTLINE_SIP_PORT": switch.sip_port, "HOTLINE_SIP_DOMAIN": switch.domain,
        "HOTLINE_ESL_PORT": switch.esl_port, "HOTLINE_ESL_PASSWORD": switch.password,
        "HOTLINE_CONTROLLER": f"127.0.0.1:{switch.controller_port}", "HOTLINE_RECORDINGS_DIR": switch.recordings,
        "HOTLINE_HOLD_MUSIC_DIR": base / "moh", "HOTLINE_SOUND_PREFIX": base / "sounds",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({k: str(v) for k, v in values.items()})
    switch.proc = subprocess.Popen(
        [binary, "-nonat", "-nc", "-nf", "-conf", str(conf), "-log", str(base / "log"),
         "-db", str(base / "db"), "-run", str(base / "run")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if switch.proc.poll() is not None:
            raise AssertionError(f"FreeSWITCH exited with {switch.proc.returncode}; see {switch.log_file}")
        try:
            if "is ready" in switch.api("status"):
                return switch
        except OSError:
            pass
        time.sleep(0.2)
    stop(switch.proc)
    raise AssertionError(f"FreeSWITCH's Event Socket did not answer on {switch.esl_port} within {timeout} s")


def start_controller(env: dict, log: Path, timeout: float = 30.0) -> subprocess.Popen:
    """``hotline controller``, up once its inbound Event Socket is connected to FreeSWITCH (the
    log may hold earlier controllers' lines: only what this one writes counts)."""
    start = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "control.cli", "controller"],
                                env={**env, "HOTLINE_DEMO_MODE": "1"},   # test secrets (control/production.py)
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while "Event Socket connected" not in log.read_bytes()[start:].decode(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise AssertionError("the controller did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class Events:
    """An inbound Event Socket connection subscribed to JSON events; ``wait`` returns the first
    event (already seen or still to come) for which ``match`` is true."""

    def __init__(self, port: int, password: str, names: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.parser, self.pending, self.seen = FrameParser(), [], []
        self._next("auth/request", 5)
        self.sock.sendall(f"auth {password}\n\n".encode())
        assert self._next("command/reply", 5).headers.get("Reply-Text", "").startswith("+OK")
        self.sock.sendall(f"event json {names}\n\n".encode())
        assert self._next("command/reply", 5).headers.get("Reply-Text", "").startswith("+OK")

    def _next(self, content_type: str, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            while not self.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(content_type)
                self.sock.settimeout(remaining)
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("FreeSWITCH closed the event connection")
                self.pending.extend(self.parser.feed(data))
            frame = self.pending.pop(0)
            if frame.headers.get("Content-Type") == "text/event-json":
                self.seen.append(json.loads(frame.body))
            if frame.headers.get("Content-Type") == content_type:
                return frame

    def wait(self, what: str, match, timeout: float = 30.0) -> dict:
        checked = 0
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen[checked:]:
                if match(event):
                    return event
            checked = len(self.seen)
            try:
                self._next("text/event-json", max(0.0, deadline - time.monotonic()))
            except (TimeoutError, socket.timeout):
                names = [(e.get("Event-Name"), e.get("Application"), e.get("Application-Data"))
                         for e in self.seen[-15:]]
                raise AssertionError(f"no {what} within {timeout} s; last events: {names}") from None

    def close(self) -> None:
        self.sock.close()


def execute(app: str, data: str | None = None, channel: str | None = None):
    """Matcher: CHANNEL_EXECUTE of ``app`` (with ``data``, on ``channel`` if given)."""
    def match(e: dict) -> bool:
        return (e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == app
                and (data is None or e.get("Application-Data") == data)
                and (channel is None or e.get("Unique-ID") == channel))
    return match


def call_row(database_url: str, call_id: str, timeout: float = 30.0):
    """The call's record, once the controller's batched writer has stored it."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    deadline = time.monotonic() + timeout
    while True:
        with session_factory(database_url)() as session:
            row = session.scalars(select(Call).where(Call.call_id == call_id)).first()
        if row is not None or time.monotonic() > deadline:
            assert row is not None, f"no call record for {call_id}"
            return row
        time.sleep(0.3)


def originate(switch, variables: dict[str, str], dial: str, app: str = "park()") -> str:
    """A call placed on ``dial``; our end (the returned leg) runs ``app``."""
    leg = str(uuid.uuid4())
    pairs = ",".join(f"{k}={v}" for k, v in {"origination_uuid": leg, **variables}.items())
    reply = switch.api(f"originate {{{pairs}}}{dial} &{app}")
    assert reply.startswith("+OK"), reply
    return leg


def b_leg(events, a_leg: str, app: str) -> str:
    """The loopback leg that runs the dialplan (its a-leg is parked in our hands)."""
    return events.wait(f"{app} on the other leg of {a_leg}",
                       lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == app
                       and e.get("variable_other_loopback_leg_uuid") == a_leg)["Unique-ID"]


def socket_runs(events, caller: str) -> list[dict]:
    return [e for e in events.seen if e.get("Unique-ID") == caller and e.get("Event-Name") == "CHANNEL_EXECUTE"
            and e.get("Application") == "socket"]
