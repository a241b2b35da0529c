"""A real server on the loopback, for benchmarks and tests: gunicorn started in a process
group of its own (so that stopping it reaches the master and every worker), waited for until
it answers, and stopped again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args: list[str], env: dict, output: Path) -> subprocess.Popen:
    """`python -m gunicorn ARGS` from the repository, its output to `output`."""
    with output.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_until_answering(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Return once `url` answers 200; raise with the server's log if it dies or stays silent."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{_read(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s:\n{_read(log)}")


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def _read(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""
