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
