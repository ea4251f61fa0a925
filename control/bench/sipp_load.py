"""The load of ``hotline bench calls --switch freeswitch``, the same for every system under test:
N agents' phones registered in one SIPp run (an injection file of extension;password) whose
Contacts all point at one answering SIPp (answers after ``answer_ms``, talks ``talk_ms``, then
hangs up; RTP echoed), and callers from a trunk address, one SIPp run per rate step, each call
with its own number. Dispatch latency is read from the two SIPp message logs: the caller's 200 OK
and the agent INVITE whose From carries the same caller number."""
from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from control.bench.fsboot import stop as _stop
from control.bench.sipp import Sipp, free_udp_port

_SEPARATOR = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d\t?\s*\d\d:\d\d:\d\d\.\d+)\s*$", re.M)
_FROM_USER = re.compile(r"^From:[^<\n]*<sip:([^@>;]+)@", re.M | re.I)
_CALL_ID = re.compile(r"^Call-ID:\s*(\S+)", re.M | re.I)
_TO = re.compile(r"^To:(.*)$", re.M | re.I)


def _stamp(text: str) -> float:
    return datetime.strptime(re.sub(r"\s+", " ", text.replace("\t", " ")), "%Y-%m-%d %H:%M:%S.%f").timestamp()


def log_entries(log: Path, direction: str, first: str):
    """(time, message) of every message of SIPp's -trace_msg log that went ``direction``
    ("received"/"sent") and whose first line starts with ``first``; read without regexes over
    the whole file, which is tens of megabytes at 40 calls/s."""
    if not log.exists():
        return
    text = log.read_text(errors="replace")
    marks = list(_SEPARATOR.finditer(text))
    for n, mark in enumerate(marks):
        body = text[mark.end():marks[n + 1].start() if n + 1 < len(marks) else len(text)]
        head, _, rest = body.lstrip("\n").partition("\n")
        if f"message {direction}" not in head:
            continue
        message = rest.lstrip("\n")
        if message.startswith(first):
            yield _stamp(mark.group(1)), message


def answered_at(log: Path) -> dict[str, float]:
    """Caller number -> when its 200 OK to the INVITE arrived (the first one per call)."""
    found: dict[str, float] = {}
    for at, message in log_entries(log, "received", "SIP/2.0 200"):
        if re.search(r"^CSeq:\s*\d+ INVITE", message, re.M | re.I):
            user = _FROM_USER.search(message)
            if user and user.group(1) not in found:
                found[user.group(1)] = at
    return found


def invite_sent_at(log: Path) -> dict[str, float]:
    """Caller number -> when the caller sent its (first) INVITE."""
    found: dict[str, float] = {}
    for at, message in log_entries(log, "sent", "INVITE "):
        user = _FROM_USER.search(message)
        if user and user.group(1) not in found:
            found[user.group(1)] = at
    return found


def invited_at(log: Path) -> dict[str, float]:
    """Caller number (the From of the agent leg) -> when the first agent INVITE for it arrived
    (re-INVITEs, which carry a To tag, are left out)."""
    found: dict[str, float] = {}
    for at, message in log_entries(log, "received", "INVITE "):
        to = _TO.search(message)
        if to and "tag=" in to.group(1):
            continue
        user = _FROM_USER.search(message)
        if user and user.group(1) not in found:
            found[user.group(1)] = at
    return found


@dataclass
class Agents:
    """Every agent's phone: one answering SIPp (the Contact of all of them) and the registrations."""
    sipp: Sipp
    uas: subprocess.Popen
    port: int
    media_port: int
    log: Path

    @classmethod
    def start(cls, sipp: Sipp, answer_ms: int, talk_ms: int, echo: bool = True) -> "Agents":
        """``echo``: RTP received on the SDP's port goes back to the switch (SIPp -rtp_echo); without
        it the port is left unread and the switch sends media nobody returns."""
        port, media = free_udp_port(), free_udp_port()
        scenario = sipp._scenario("answer", "all-agents", answer_ms=answer_ms, talk_ms=talk_ms)
        log = sipp.workdir / "agents.log"
        command = sipp._command(scenario, "127.0.0.1", port, {"rtp_ip": "127.0.0.1", "rtp_port": media},
                                *(["-rtp_echo", "-mp", str(media)] if echo else []),
                                "-trace_msg", "-message_file", str(log))
        uas = subprocess.Popen(command, cwd=sipp.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(sipp, uas, port, media, log)

    def register(self, phones: list[tuple[str, str]], rate: int = 100, timeout: float = 120.0) -> None:
        """REGISTER every (extension, password) in one SIPp run: an injection file, the digest
        credentials from its fields (-au [field0] -ap [field1]; SIPp 3.6.1 does not expand fields
        inside the [authentication] keyword itself)."""
        sipp = self.sipp
        table = sipp.workdir / "phones.csv"
        table.write_text("SEQUENTIAL\n" + "".join(f"{ext};{password};\n" for ext, password in phones))
        scenario = sipp._scenario("register-many", "all")
        command = sipp._command(scenario, "127.0.0.1", free_udp_port(),
                                {"domain": sipp.domain, "contact_port": self.port, "expires": 3600},
                                "-inf", str(table), "-au", "[field0]", "-ap", "[field1]", "-m", str(len(phones)),
                                "-r", str(rate), "-l", str(rate), "-timeout", f"{int(timeout)}s", "-timeout_error")
        done = subprocess.run(command, cwd=sipp.workdir, capture_output=True, text=True, timeout=timeout + 30)
        if done.returncode != 0:
            raise RuntimeError(f"SIPp could not register all {len(phones)} phones (exit {done.returncode}): "
                               f"{(done.stdout + done.stderr)[-1500:]}")

    def stop(self) -> None:
        _stop(self.uas)


@dataclass
class Callers:
    """One rate step of callers: ``count`` calls at ``rate`` per second from ``ip``, numbered
    ``prefix`` + SIPp's call number; each hangs up ``patience_ms`` after being answered unless
    the switch ends the call first (the agent's hang-up)."""
    proc: subprocess.Popen
    log: Path
    prefix: str
    count: int

    @classmethod
    def start(cls, sipp: Sipp, did: str, rate: float, count: int, prefix: str, patience_ms: int,
              ip: str = "127.0.0.2", echo: bool = True) -> "Callers":
        port, media = free_udp_port(ip), free_udp_port(ip)
        scenario = sipp._scenario("caller-numbered", prefix.lstrip("+"), hold_ms=patience_ms)
        log = sipp.workdir / f"callers-{prefix.lstrip('+')}.log"
        command = sipp._command(scenario, ip, port, {"rtp_ip": ip, "rtp_port": media, "caller": prefix},
                                "-s", did, "-r", f"{rate:g}", "-m", str(count), "-l", str(max(count, 1)),
                                *(["-rtp_echo", "-mp", str(media)] if echo else []),
                                "-trace_msg", "-message_file", str(log),
                                "-timeout", f"{int(patience_ms / 1000 + count / rate + 60)}s")
        proc = subprocess.Popen(command, cwd=sipp.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(proc, log, prefix, count)

    def numbers(self) -> list[str]:
        return [f"{self.prefix}{n}" for n in range(1, self.count + 1)]

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        _stop(self.proc)
