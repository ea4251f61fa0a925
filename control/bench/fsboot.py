"""Boot a real FreeSWITCH for the real-switch tests and ``hotline bench calls --switch freeswitch``:
an unmodified copy of freeswitch-conf/ + dialplan/ with site values from HOTLINE_* environment
variables (vars.xml reads them with env-set), or any configuration folder (``launch``). The binary
comes from the caller (HOTLINE_FREESWITCH_BIN or ``--freeswitch``); nothing here names a path."""
from __future__ import annotations

import math
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from control.config import ROOT
from control.fsconf import esl_api

# Log levels that mean something in our files is wrong. Expected WARNINGs: mod_sofia prints
# "MSG Thread 0 Started" on every start, and with log-auth-failures (for fail2ban) every digest
# challenge, including the first one of each normal REGISTER.
BAD_LOG_LINE = re.compile(r"\[(ERR|CRIT|ALERT|WARNING)\]")
EXPECTED_WARNINGS = ("MSG Thread 0 Started", "SIP auth challenge (REGISTER)")

# The words mod_say_en and mod_say_zh play for numbers (say/mod_say_*/mod_say_*.c), as short tones.
SAY_WORDS = {"en": [str(n) for n in range(20)] + [str(n) for n in range(20, 100, 10)] + ["hundred", "thousand"],
             "zh": [str(n) for n in range(10)] + ["10", "100", "1000", "10000"]}


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
    proc: subprocess.Popen | None
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


def launch(binary: str, switch: RealSwitch, conf: Path, env: dict[str, str], timeout: float = 60.0,
           options: tuple[str, ...] = ()) -> RealSwitch:
    """Start FreeSWITCH in the foreground (-nf) with -nonat -nc -conf -log -db -run on ``conf``
    (as docs/freeswitch.md says) and wait until its Event Socket says it is ready. ``options``: more
    command-line options, e.g. ("-np",): normal scheduling instead of FreeSWITCH's default real-time
    (SCHED_FIFO) priority, which starves every ordinary process on a saturated host."""
    for name in ("log", "db", "run", "recordings"):
        (switch.base / name).mkdir(exist_ok=True)
    switch.proc = subprocess.Popen(
        [binary, "-nonat", "-nc", "-nf", *options, "-conf", str(conf), "-log", str(switch.base / "log"),
         "-db", str(switch.base / "db"), "-run", str(switch.base / "run")],
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


def boot(binary: str, base: Path, timeout: float = 60.0, site: dict | None = None,
         options: tuple[str, ...] = ()) -> RealSwitch:
    """Copy the configuration as it is (leaving out this checkout's own site files, vars.local.xml
    and rendered agents), give site values as HOTLINE_* environment variables, start FreeSWITCH."""
    conf = base / "freeswitch-conf"
    shutil.copytree(ROOT / "freeswitch-conf", conf,
                    ignore=shutil.ignore_patterns("vars.local.xml", "[0-9]*.xml"))
    shutil.copytree(ROOT / "dialplan", base / "dialplan")
    write_tone(base / "moh" / "tones.wav", seconds=2.0)
    for language, words in SAY_WORDS.items():
        prefix = base / ("sounds" if language == "en" else f"sounds-{language}")
        for word in words:
            write_tone(prefix / "digits" / f"{word}.wav", seconds=0.2, hz=660.0)
    switch = RealSwitch(proc=None, base=base, esl_port=free_port(), password="real-test-secret",
                        sip_port=free_port(), controller_port=free_port())
    # Site values from the environment (vars.xml's env-set lines): the configuration is used as is.
    values = {
        "HOTLINE_SIP_IP": "127.0.0.1", "HOTLINE_RTP_IP": "127.0.0.1", "HOTLINE_EXT_SIP_IP": "127.0.0.1",
        "HOTLINE_EXT_RTP_IP": "127.0.0.1", "HOTLINE_SIP_PORT": switch.sip_port, "HOTLINE_SIP_DOMAIN": switch.domain,
        "HOTLINE_ESL_PORT": switch.esl_port, "HOTLINE_ESL_PASSWORD": switch.password,
        "HOTLINE_CONTROLLER": f"127.0.0.1:{switch.controller_port}", "HOTLINE_RECORDINGS_DIR": switch.recordings,
        "HOTLINE_HOLD_MUSIC_DIR": base / "moh", "HOTLINE_SOUND_PREFIX": base / "sounds",
        "HOTLINE_SOUND_PREFIX_ZH": base / "sounds-zh", **(site or {}),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({k: str(v) for k, v in values.items()})
    return launch(binary, switch, conf, env, timeout, options)


def start_controller(env: dict, log: Path, timeout: float = 30.0, args: tuple[str, ...] = ()) -> subprocess.Popen:
    """``hotline controller``, up once its inbound Event Socket is connected to FreeSWITCH (the
    log may hold earlier controllers' lines: only what this one writes counts)."""
    start = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "control.cli", "controller", *args],
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
