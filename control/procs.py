"""Start several Hotline processes and stop them all together (Ctrl-C stops every one)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


class ProcessGroup:
    def __init__(self, env: dict[str, str] | None = None):
        self.env = {**os.environ, **(env or {})}
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "control.cli", *args], env=self.env)
        self.procs.append((name, proc))
        return proc

    def wait(self) -> int:
        """Block until one process exits, or Ctrl-C / SIGTERM; then stop the rest."""

        def _terminate(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _terminate)
        code = 0
        try:
            pid, status = os.wait()  # wakes on the first child to exit
            name = next((n for n, p in self.procs if p.pid == pid), str(pid))
            code = os.waitstatus_to_exitcode(status)
            print(f"hotline: {name} exited with code {code}; stopping the others", file=sys.stderr)
            code = code or 1
        except KeyboardInterrupt:
            print("\nhotline: stopping", file=sys.stderr)
        finally:
            self.stop_all()
        return code

    def stop_all(self, timeout: float = 10.0) -> None:
        # a second Ctrl-C (the terminal signals the whole group) must not cut the shutdown short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"hotline: {name} did not stop in time; killing it", file=sys.stderr)
                proc.kill()


def raise_open_files(needed: int = 0, name: str = "hotline") -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (each call holds a socket) and warn,
    naming the limit, when even that is below ``needed``. Returns the soft limit now in force."""
    import logging
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed, 65536)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            logging.getLogger(__name__).warning("%s: could not raise RLIMIT_NOFILE from %s to %s: %s",
                                                name, soft, target, exc)
    if needed and soft != resource.RLIM_INFINITY and soft < needed:
        logging.getLogger(__name__).warning(
            "%s: RLIMIT_NOFILE (open files, ulimit -n) is %s (hard %s), below the %s this process may need "
            "for its configured connections; calls past it fail. Raise it (systemd LimitNOFILE=, "
            "ulimit -n; docs/scaling.md)", name, soft, hard, needed)
    return soft
