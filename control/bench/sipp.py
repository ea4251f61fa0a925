"""SIPp (Debian's ``sip-tester``) as the people on a real FreeSWITCH: agents' phones that register
with their rendered passwords and answer (or don't), and callers from a trunk address. Used by the
real-switch tests and by ``hotline bench calls --switch freeswitch``. Scenarios:
control/bench/sipp_scenarios.py."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from control.bench.fsboot import stop
from control.bench.sipp_scenarios import render

FOREVER_MS = 3_600_000


def sipp_binary() -> str | None:
    return shutil.which("sipp")


def free_udp_port(ip: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


@dataclass
class Sipp:
    """Where the switch's SIP profile listens, and a folder for scenarios and message logs."""
    switch_ip: str
    switch_port: int
    domain: str
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hotline-sipp-")))
    binary: str = field(default_factory=lambda: sipp_binary() or "sipp")

    def _scenario(self, name: str, tag: str, **timings: int) -> Path:
        path = self.workdir / f"{name}-{tag}.xml"
        path.write_text(render(name, **timings))
        return path

    def _command(self, scenario: Path, local_ip: str, local_port: int, keys: dict[str, object],
                 *extra: str) -> list[str]:
        command = [self.binary, f"{self.switch_ip}:{self.switch_port}", "-sf", str(scenario), "-i", local_ip,
                   "-p", str(local_port), "-nostdin", "-t", "u1"]
        for key, value in keys.items():
            command += ["-key", key, str(value)]
        return command + list(extra)

    def register(self, extension: str, password: str, contact_port: int, local_ip: str = "127.0.0.1",
                 expires: int = 3600, timeout: float = 10.0) -> None:
        """REGISTER <extension>@<domain> (digest auth) with a Contact at ``contact_port``, where the
        phone's answering SIPp listens."""
        scenario = self._scenario("register", extension)
        command = self._command(scenario, local_ip, free_udp_port(local_ip),
                                {"domain": self.domain, "contact_port": contact_port, "expires": expires},
                                "-s", extension, "-au", extension, "-ap", password, "-m", "1",
                                "-timeout", f"{int(timeout)}s", "-timeout_error")
        done = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True, timeout=timeout + 10)
        if done.returncode != 0:
            raise RuntimeError(f"SIPp could not register {extension}@{self.domain} (exit {done.returncode}): "
                               f"{(done.stdout + done.stderr)[-1500:]}")

    def phone(self, extension: str, password: str, rtp_port: int, answer_ms: int = 200,
              talk_ms: int = FOREVER_MS, answers: bool = True, ip: str = "127.0.0.1") -> "Phone":
        """An agent's desk phone: a SIPp UAS that rings and answers each call (or lets it ring), its SDP
        pointing at ``rtp_port``; registered as ``extension``."""
        port = free_udp_port(ip)
        name = "answer" if answers else "no-answer"
        scenario = self._scenario(name, extension, **({"answer_ms": answer_ms, "talk_ms": talk_ms} if answers else {}))
        log = self.workdir / f"phone-{extension}.log"
        command = self._command(scenario, ip, port, {"rtp_ip": ip, "rtp_port": rtp_port},
                                "-trace_msg", "-message_file", str(log))
        errors = self.workdir / f"phone-{extension}.err"
        with open(errors, "wb") as err:
            proc = subprocess.Popen(command, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=err)
        phone = Phone(extension, port, proc, log)
        try:
            self.register(extension, password, port, local_ip=ip)
            if proc.poll() is not None:
                raise RuntimeError(f"the SIPp phone for {extension} exited ({proc.returncode}): "
                                   f"{errors.read_text(errors='replace')[-1500:]}")
        except Exception:
            phone.stop()
            raise
        return phone

    def call(self, did: str, caller: str, rtp_port: int, hold_ms: int = FOREVER_MS,
             ip: str = "127.0.0.2") -> "Call":
        """A customer on the trunk: INVITE <did> from ``caller`` at ``ip`` (an address in the switch's
        trunk_cidrs), media at ``rtp_port``; hangs up after ``hold_ms`` unless the switch does first."""
        port = free_udp_port(ip)
        scenario = self._scenario("caller", f"{caller.lstrip('+')}-{port}", hold_ms=hold_ms)
        log = self.workdir / f"caller-{caller.lstrip('+')}-{port}.log"
        command = self._command(scenario, ip, port, {"rtp_ip": ip, "rtp_port": rtp_port, "caller": caller},
                                "-s", did, "-m", "1", "-trace_msg", "-message_file", str(log))
        proc = subprocess.Popen(command, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return Call(did, caller, proc, log)


@dataclass
class SipMessage:
    at: float
    direction: str       # "received" or "sent"
    first_line: str
    text: str

    def header(self, name: str) -> str | None:
        match = re.search(rf"^{re.escape(name)}:\s*(.*)$", self.text, re.M | re.I)
        return match.group(1).strip() if match else None


_ENTRY = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d\t?\s*\d\d:\d\d:\d\d\.\d+)\s*\n(UDP|TCP) message (received|sent) "
                    r"(?:\[\d+\] bytes ?|\(\d+ bytes\)):\s*\n\n(.*?)(?=^-{20,} \d{4}-|\Z)", re.M | re.S)


def read_messages(log: Path) -> list[SipMessage]:
    """SIPp's -trace_msg log: every message with the time it was sent or received."""
    if not log.exists():
        return []
    messages = []
    for stamp, _transport, direction, text in _ENTRY.findall(log.read_text(errors="replace")):
        at = datetime.strptime(re.sub(r"\s+", " ", stamp.replace("\t", " ")), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        messages.append(SipMessage(at, direction, text.split("\n", 1)[0].strip(), text))
    return messages


@dataclass
class Phone:
    extension: str
    port: int
    proc: subprocess.Popen
    log: Path

    def invites(self) -> list[SipMessage]:
        """Initial INVITEs this phone received (re-INVITEs of a call already up are left out)."""
        seen: set[str] = set()
        found = []
        for message in read_messages(self.log):
            if message.direction == "received" and message.first_line.startswith("INVITE "):
                call_id = message.header("Call-ID") or ""
                if call_id not in seen:
                    seen.add(call_id)
                    found.append(message)
        return found

    def stop(self) -> None:
        stop(self.proc)


@dataclass
class Call:
    did: str
    caller: str
    proc: subprocess.Popen
    log: Path

    def answered_at(self) -> float | None:
        for message in read_messages(self.log):
            if message.direction == "received" and message.first_line.startswith("SIP/2.0 200") \
                    and "INVITE" in (message.header("CSeq") or ""):
                return message.at
        return None

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        stop(self.proc)


def wait_until(predicate, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)
