"""The service under gunicorn on a free loopback port, as production runs it (gunicorn.conf.py).

Used by the fault tests and the HTTP benchmarks. The server gets its own process group, so a
test can SIGKILL the master and its workers at once.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    def __init__(
        self, database_url: str, secret_key: str, instance_dir: Path, workers: int = 2
    ) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = {
            **os.environ,
            "APP_DATABASE_URL": database_url,
            "APP_SECRET_KEY": secret_key,
            "APP_INSTANCE_DIR": str(instance_dir),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, within: float = 30) -> None:
        """Start and wait until the health endpoint answers 200."""
        self.process = subprocess.Popen(  # noqa: S603  # our interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + within
        while self.health() != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not become healthy within {within} s")
            time.sleep(0.1)

    def health(self) -> int | None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/api/v1/health")
            return connection.getresponse().status
        except OSError:
            return None
        finally:
            connection.close()

    def kill(self) -> None:
        """SIGKILL the master and every worker: no shutdown, no rollback, no goodbye."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
