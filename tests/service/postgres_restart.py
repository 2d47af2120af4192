"""Restart or stop the test cluster's PostgreSQL (scripts/with-postgres.sh exports where)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_ctl(action: str, timeout: float) -> None:
    """`pg_ctl <action>` on the test cluster, waiting for it to finish; skips without one."""
    data = os.environ.get("PG_CTL_DATA")
    if not data:
        pytest.skip("PG_CTL_DATA not set (run under scripts/with-postgres.sh)")
    subprocess.run(  # noqa: S603  # the test cluster's own pg_ctl
        [
            *shlex.split(os.environ.get("PG_RUN_AS", "")),
            "pg_ctl",
            "-D",
            data,
            "-l",
            os.environ["PG_LOG"],
            "-w",
            action,
        ],
        cwd=Path(data).parent,
        check=True,
        capture_output=True,
        timeout=timeout,
    )


def restart_postgresql(timeout: float) -> None:
    pg_ctl("restart", timeout)


@contextmanager
def postgresql_down(timeout: float) -> Iterator[None]:
    """PostgreSQL stopped for the block, started again after it whatever happens."""
    pg_ctl("stop", timeout)
    try:
        yield
    finally:
        pg_ctl("start", timeout)
