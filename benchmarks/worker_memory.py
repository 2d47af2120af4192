"""A web worker's memory over 10,000 completions: does it level off, or grow like a leak?

    .venv/bin/python -m benchmarks.worker_memory [--completions 10000] [--database-url URL]

One gunicorn worker (gthread) on loopback; plans are walked through the whole chain (4
completions each, the signature issuing to the plan's units) in batches of 1,000 completions,
and the worker's resident memory (VmRSS) is read after each batch. Asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.completion import CHAIN, http_figures, make_service, tokens
from tests.gunicorn_server import Gunicorn

BATCH = 1000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--completions", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app, _, _ = make_service(url)
        keys = tokens(app)  # the chain's users' tokens, asked for once (a code works once)
        app.extensions["db_engine"].dispose()
        server = Gunicorn(url, "bench", Path(tmp), workers=1)
        server.start()
        try:
            (worker,) = server.worker_pids()
            print(
                f"database: {url.split(':')[0]}; worker {worker} after start: "
                f"{rss_mb(worker):.1f} MB"
            )
            for done in range(BATCH, args.completions + 1, BATCH):
                run = http_figures(server.port, BATCH // len(CHAIN), args.clients, keys)
                print(
                    f"after {done:6,} completions: {rss_mb(worker):6.1f} MB"
                    f"  ({run['per_second']:.0f} completions/s, p95 {run['p95']:.0f} ms)"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
