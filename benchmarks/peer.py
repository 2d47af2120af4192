"""The whole chain as peers walk it over HTTP: list → open → submit, step after step.

    .venv/bin/python -m benchmarks.peer [--chains 20] [--clients 1 4] [--workers 1 2]
                                        [--database-url URL]

Against gunicorn with 1 and then 2 workers, 1 and then 4 clients, each client on its own
keep-alive connection, one request at a time, walking its own chains. Each chain is the walk of
benchmarks.statements: the province's plan (draft, appraisal, award review, signature, which
issues it to one department), the department's own chain (its plan, signature, report, the
head's signature), then the province's report and its signature: ten completions. Per
completion the client lists the process's tasks (`GET /tasks?process=`), opens the task and
submits it. Who acts next is read from the database, and that look is left out of the time, as
a peer would know whose turn it is. Each client first walks one chain untimed: a worker's first
requests load what it then keeps (locale data, parsed diagrams, statement caches). The render
worker runs beside the server, as scripts/run.sh and serve.sh start it (its lower CPU priority
included), rendering the signed documents on the same cores; `--without-renderer` leaves it out.

Printed: completions/s over the walks (starting each plan and reading its unit included),
p50/p95/p99 of one list → open → submit and the p99's ratio to the p50, the p50 of a start, the
same chain's completions by SpiffWorkflow alone (its own serializer, spec embedded: load →
complete → save, nothing else) and the p50's ratio to it, and the load average; then the
signings' p50 (the steps that number a document: a plan's, a report's) against the other
steps', both of the whole cycle and of the submit alone. Figures, not tests: nothing is
asserted.

    .venv/bin/python -m benchmarks.peer --plan-only [...]

The province's plan only, the four-step chain the issue compared with SpiffArena's: draft,
appraisal, award review and the signature (which numbers the plan, queues its documents and
issues it to its one department, whose chain is not walked): four completions per chain.

    scripts/with-postgres.sh bash -c '.venv/bin/python -m benchmarks.peer --plan-only \
        --against-postgresql "$TEST_POSTGRESQL_URL" [--rounds 4] [--chains 10]'

SQLite and PostgreSQL in turns, one round each after the other (the order swapped every
round), each round on a server started afresh with the render worker beside, which then
finishes the round's documents untimed: PostgreSQL's completions/s as a ratio to SQLite's,
round by round, and their median. On this machine, whose speed moves by half within minutes,
only figures taken in the same minutes divide; runs minutes apart did not. Also printed: one
round trip to PostgreSQL (a prepared SELECT 1 by psycopg alone), before and after: what each
statement, BEGIN and COMMIT costs before any work.

    scripts/with-postgres.sh bash -c '.venv/bin/python -m benchmarks.peer \
        --side-by-side "$TEST_POSTGRESQL_URL" --rounds 16 --chains 5 [--clients 1 4]'

SQLite and PostgreSQL served at once (one gunicorn worker and a render worker each) and walked
in alternate blocks of `--chains` chains per client, `--rounds` pairs of blocks, the order
swapped every pair: a pair's two blocks are a second or so apart, where the rounds above are
minutes apart, so the machine's drift divides out of the ratio. Printed: each database's
completions/s over all its blocks and their ratio, and the median, quartiles and count below
0.80 of the pairs' ratios. Both render workers run all along, so the machine is busier than
in the rounds above (load average 4 after a run).

    .venv/bin/python -m benchmarks.peer --in-process [--chains 20] [--database-url URL]

The same walk through Flask's test client in this process, no server: completions/s, the
process's CPU time per completion (and, with PostgreSQL on this machine, its processes'), and
each request kind's median and share per completion.
On this machine, whose speed drifts by a third within minutes, the CPU time per completion
of two versions run alternately is the steadier comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import bindparam, select

from benchmarks.completion import Client, RenderWorker, make_service, percentile
from benchmarks.statements import UNIT, Counter, Walker, data_for
from service.cli import BPMN
from service.db.models import Task
from service.db.uow import UnitOfWork
from service.operations.cascade import REQUIRED_ROLES, message
from service.steps import kind_of
from tests.gunicorn_server import Gunicorn
from workflows.runtime import Runtime
from workflows.specs import load_definition

WORKERS = (1, 2)
CLIENTS = (1, 4)
# The dates the service hands the diagram's timers (engine_deadlines); far off, so none fires.
DEADLINES = {"deadline_result": "2030-08-21T00:00:00+07:00"}


def spiff_alone(repeat: int, plan_only: bool = False) -> tuple[float, int]:
    """Median ms of SpiffWorkflow's load → complete → save over the chain's completions, and
    how many completions a chain has. The walk itself runs on `Runtime`; each step is timed on
    a copy dumped with SpiffWorkflow's own serializer (the engine's plain cost, as in
    /work/shared/engine_bench)."""
    definition = load_definition("plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())
    plain = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    now = datetime.now(UTC)
    samples: list[float] = []

    def release(runtime: Runtime) -> None:
        """Its units have reported (or it addressed none): the rounds it waits for end."""
        for round_ in definition.report_rounds:
            if runtime.awaits(message(round_)):
                runtime.deliver(message(round_), now)

    def walk(runtime: Runtime) -> None:
        """Complete the ready tasks until the workflow ends or waits for its units."""
        while runtime.ready_tasks():
            task = runtime.ready_tasks()[0]
            decision = "submit" if task.form in ("draft_plan", "consolidate_report") else "approve"
            data = {"decision": decision, **DEADLINES}
            state = plain.serialize_json(runtime._wf)  # noqa: SLF001  # the same workflow
            began = time.perf_counter()
            workflow = plain.deserialize_json(state)
            workflow.script_engine = runtime._wf.script_engine  # noqa: SLF001
            spiff_task = workflow.get_task_from_id(UUID(task.id))
            spiff_task.set_data(**data)
            spiff_task.run()
            workflow.do_engine_steps()
            plain.serialize_json(workflow)
            samples.append((time.perf_counter() - began) * 1000)
            runtime.complete(task.id, data, now)

    for _ in range(repeat):
        province = Runtime.start(definition, list(definition.roles), now)
        walk(province)  # to the signature, which issues the plan
        if plan_only:
            continue
        unit = Runtime.start(definition, list(REQUIRED_ROLES), now)
        walk(unit)  # the department's plan and signature; it addresses nobody
        release(unit)
        walk(unit)  # its report and the head's signature
        assert unit.completed
        release(province)  # its one unit has reported
        walk(province)  # the province's report and its signature
        assert province.completed
    return statistics.median(samples), len(samples) // repeat


class PeerWalker(Walker):
    """The statements benchmark's walk, over one HTTP connection to a server, timed; without a
    port, through the app's test client in this process, each request timed by its kind."""

    def __init__(
        self,
        app: Any,
        port: int | None,
        keys: dict[tuple[int, str], str],
        plan_only: bool = False,
    ) -> None:
        super().__init__(app, Counter(app.extensions["db_engine"]), [])
        self.plan_only = plan_only  # the province's four steps only, not the units' chain
        self.keys = keys  # shared by the clients: one token per (agency, role)
        self.connection = None if port is None else Client(port)
        self.cycles: list[float] = []  # ms of each list → open → submit
        self.posts: list[float] = []  # ms of each submit alone
        self.signing: list[bool] = []  # whether each cycle was a signing (numbers a document)
        self.starts: list[float] = []  # ms of each POST /processes
        self.kinds: dict[str, list[float]] = {}  # in process: ms of each request, by its kind
        self.profile: cProfile.Profile | None = None  # in process: counts the requests' calls
        self.aside = 0.0  # seconds spent finding whose turn: the harness's, not the peer's

    def reset(self) -> None:
        """Forget what was timed (after the untimed warm-up)."""
        for timed in (self.cycles, self.posts, self.signing, self.starts):
            timed.clear()
        self.kinds.clear()

    def call(self, method: str, path: str, key: str, body: Any = None) -> Any:
        if self.connection is not None:
            return self.connection.call(method, path, key, body)
        if self.profile is not None:
            self.profile.enable()
            try:
                return super().call(method, path, key, body)
            finally:
                self.profile.disable()
        began = time.perf_counter()
        answer = super().call(method, path, key, body)
        took = (time.perf_counter() - began) * 1000
        self.kinds.setdefault(_kind(method, path), []).append(took)
        return answer

    def whose_turn(self, process_id: int) -> tuple[int, int, str] | None:
        """The open task of the process (id, agency, role), read outside the timing."""
        began = time.perf_counter()
        # in autocommit, as the service's views: one round trip on PostgreSQL (its CPU, on the
        # cores the server shares, is not counted but slows the other clients), and no
        # ROLLBACK to make psycopg forget a pooled connection's prepared statements
        with UnitOfWork(self.factory, write=False, autocommit=True).connection() as connection:
            row = connection.execute(_OPEN_TASK, {"instance": process_id}).first()
        found = None if row is None else (row.id, row.agency_id, row.role)
        key = None if found is None else self.token(found[1], found[2])
        self.aside += time.perf_counter() - began
        return None if found is None or key is None else found

    def walk(self, process_id: int, units: list[str]) -> None:
        while (turn := self.whose_turn(process_id)) is not None:
            task_id, agency_id, role = turn
            key = self.keys[agency_id, role]
            began = time.perf_counter()
            listed = self.call("GET", f"/tasks?process={process_id}", key)
            assert any(t["id"] == task_id for t in listed), listed
            opened = self.call("GET", f"/tasks/{task_id}", key)
            decision, data = data_for(opened["form"], opened["document"], units)
            body = {"decision": decision, "data": data}
            posted = time.perf_counter()
            self.call("POST", f"/tasks/{task_id}/complete", key, body)
            done = time.perf_counter()
            self.cycles.append((done - began) * 1000)
            self.posts.append((done - posted) * 1000)
            kind = kind_of(opened["form"])
            self.signing.append(kind.signs_plan or kind.signs_report)

    def chains(self, count: int, police: Any) -> float:
        """Walk `count` whole chains as Công an tỉnh starts them; seconds taken (each start
        included, the harness's look at whose turn it is not)."""
        province_key = self.token(police.agency_id, "standing_body")
        self.aside = 0.0
        began = time.perf_counter()
        for _ in range(count):
            body = {"definition": "plan_chain", "title": "b"}
            start = time.perf_counter()
            province = self.call("POST", "/processes", province_key, body)["id"]
            self.starts.append((time.perf_counter() - start) * 1000)
            self.walk(province, [UNIT])
            if self.plan_only:  # signed and issued: the four-step chain ends here
                continue
            (unit,) = self.call("GET", f"/processes/{province}/children", province_key)
            self.walk(unit["process_id"], [])
            self.walk(province, [])
        return time.perf_counter() - began - self.aside


def _shape(plan_only: bool) -> str:
    return "four-step plan chains" if plan_only else "whole chains"


def _kind(method: str, path: str) -> str:
    """The kind of a request: "POST /tasks/{id}/complete" for "POST /tasks/12/complete"."""
    parts = path.split("?")[0].split("/")
    return " ".join((method, "/".join("{id}" if p.isdigit() else p for p in parts)))


def in_process(chains: int, database_url: str | None, plan_only: bool = False) -> None:
    """Walk `chains` chains through the test client after one untimed, and print the figures
    of the module's second form."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app, _factory, police = make_service(url)
        walker = PeerWalker(app, None, {}, plan_only)
        walker.chains(1, police)
        walker.reset()
        cpu, server = time.process_time(), server_cpu()
        seconds = walker.chains(chains, police)
        cpu, server = time.process_time() - cpu, server_cpu() - server
        done = len(walker.cycles)
        # the calls of the requests (not the harness's), over as many chains again: a count
        # that the machine's speed does not move
        walker.profile = cProfile.Profile()
        walker.chains(chains, police)
        calls = pstats.Stats(walker.profile).total_calls  # type: ignore[attr-defined]
        app.extensions["db_engine"].dispose()
    print(
        f"database: {url.split(':')[0]}; in process, {chains} {_shape(plan_only)}; load average "
        f"(1 min) {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{done / seconds:.1f} completions/s; CPU {cpu * 1000 / done:.2f} ms per completion "
        f"(the look at whose turn included)"
        + (f", PostgreSQL's processes {server * 1000 / done:.2f} ms" if server else "")
        + f"; {calls / done:,.0f} Python function calls per completion (cProfile, the "
        "requests only)"
    )
    for kind, samples in sorted(walker.kinds.items(), key=lambda item: -sum(item[1])):
        print(
            f"    {kind:32s} p50 {statistics.median(samples):6.2f} ms, "
            f"{sum(samples) / done:5.2f} ms per completion"
        )


# whose turn: one plain statement, so the harness's own look costs little beside the requests
_OPEN_TASK = (
    select(Task.id, Task.agency_id, Task.role)
    .where(Task.instance_id == bindparam("instance"), Task.state == "open")
    .limit(1)
)


class Peers:
    """`clients` peers of one server, each on its own keep-alive connection, each warmed by one
    untimed chain (a worker's first requests load what it caches: not what a peer waits for
    day to day), then walking chains all at once."""

    def __init__(
        self,
        app: Any,
        port: int,
        clients: int,
        police: Any,
        keys: dict[tuple[int, str], str],
        plan_only: bool = False,
    ) -> None:
        self.police = police
        self.walkers = [PeerWalker(app, port, keys, plan_only) for _ in range(clients)]
        for walker in self.walkers:  # the warm-up: every client's connection, so every worker
            walker.chains(1, police)

    def walk(self, chains: int) -> float:
        """Each peer forgets what it timed and walks `chains` chains, all starting together;
        the seconds of the slowest (a client's failure is raised here)."""
        for walker in self.walkers:
            walker.reset()
        ready = threading.Barrier(len(self.walkers))

        def run(walker: PeerWalker) -> float:
            ready.wait()
            return walker.chains(chains, self.police)

        with ThreadPoolExecutor(len(self.walkers)) as pool:
            return max(pool.map(run, self.walkers))

    def completions(self) -> int:
        """The completions of the last walk, over every peer."""
        return sum(len(walker.cycles) for walker in self.walkers)


def run_clients(
    app: Any,
    port: int,
    clients: int,
    count: int,
    police: Any,
    keys: dict[tuple[int, str], str],
    plan_only: bool = False,
) -> Run:
    """`clients` peers at once (Peers), each walking `count` chains after one untimed.
    Completions/s over all of them, every cycle's ms, every start's ms."""
    peers = Peers(app, port, clients, police, keys, plan_only)
    seconds = peers.walk(count)
    walkers = peers.walkers
    return Run(
        peers.completions() / seconds,
        [c for w in walkers for c in w.cycles],
        [s for w in walkers for s in w.starts],
        [p for w in walkers for p in w.posts],
        [s for w in walkers for s in w.signing],
    )


@dataclass(frozen=True)
class Run:
    """What one set-up printed: completions/s and the ms of every cycle, start and submit."""

    per_second: float
    cycles: list[float]
    starts: list[float]
    posts: list[float]
    signing: list[bool]  # whether each cycle (and submit) was a signing

    def signing_line(self) -> str:
        """The signings' p50 against the other steps', as cycles and as submits alone."""

        def ratio(samples: list[float]) -> str:
            signed = [t for t, s in zip(samples, self.signing, strict=True) if s]
            other = [t for t, s in zip(samples, self.signing, strict=True) if not s]
            signed_p50, other_p50 = statistics.median(signed), statistics.median(other)
            return (
                f"{signed_p50:.1f} ms against {other_p50:.1f} ms for the other steps "
                f"({signed_p50 / other_p50:.1f}x)"
            )

        return f"    signings: list → open → submit p50 {ratio(self.cycles)}; submit p50 " + (
            ratio(self.posts)
        )


def serve_and_walk(
    url: str,
    folder: Path,
    service: tuple[Any, Any, Any],
    keys: dict[tuple[int, str], str],
    args: argparse.Namespace,
    drain: bool = False,
) -> tuple[dict[tuple[int, int], Run], float]:
    """Every workers × clients set-up of `args` against gunicorn on `url`, the render worker
    beside unless `args.without_renderer`; with `drain`, the worker then renders what is left
    before it stops (untimed: what follows starts with no backlog), and the seconds it took
    are returned (summed over the workers' set-ups)."""
    app, factory, police = service
    runs, drained = {}, 0.0
    for workers in args.workers:
        server = Gunicorn(url, "bench", folder, workers=workers)
        server.start()
        renderer = None if args.without_renderer else RenderWorker(url, folder)
        try:
            for clients in args.clients:
                runs[workers, clients] = run_clients(
                    app, server.port, clients, args.chains, police, keys, args.plan_only
                )
            if renderer is not None and drain:
                drained += renderer.wait_idle(factory)
        finally:
            if renderer is not None:
                renderer.stop()
            server.stop()
    return runs, drained


def server_cpu() -> float:
    """Seconds of CPU (user and system) of this machine's PostgreSQL processes so far, from
    /proc: 0 where there are none (SQLite, a server elsewhere)."""
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        if name.startswith("postgres"):
            utime, stime = fields.split()[11:13]
            ticks += int(utime) + int(stime)
    return ticks / os.sysconf("SC_CLK_TCK")


def round_trip_us(url: str, repeat: int = 2000) -> float:
    """The p50 of one round trip to PostgreSQL at `url`, in µs: a prepared `SELECT 1` in
    autocommit, psycopg alone. What each statement, BEGIN or COMMIT costs before any work: on
    this VM it is mostly the wake-up of a process on the other vCPU."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        took = []
        for _ in range(repeat):
            began = time.perf_counter()
            connection.execute("SELECT 1", prepare=True).fetchall()
            took.append(time.perf_counter() - began)
    return statistics.median(took) * 1e6


def against_postgresql(args: argparse.Namespace) -> None:
    """SQLite and PostgreSQL (`args.against_postgresql`) in turns, `args.rounds` rounds; print
    each set-up's PostgreSQL ÷ SQLite completions/s, round by round, and the median."""
    load_before = os.getloadavg()
    trip_before = round_trip_us(args.against_postgresql)
    spiff_ms, steps = spiff_alone(repeat=20, plan_only=args.plan_only)
    names = ("SQLite", "PostgreSQL")
    per_second: dict[tuple[int, int], dict[str, list[float]]] = {}
    drained: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        urls = (f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.against_postgresql)
        services = [make_service(url) for url in urls]
        keys: list[dict[tuple[int, str], str]] = [{}, {}]
        for round_ in range(args.rounds):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for which in order:
                folder = Path(tmp) / names[which]
                folder.mkdir(exist_ok=True)
                runs, seconds = serve_and_walk(
                    urls[which], folder, services[which], keys[which], args, drain=True
                )
                drained[names[which]].append(seconds)
                for setup, run in runs.items():
                    per_second.setdefault(setup, {n: [] for n in names})[names[which]].append(
                        run.per_second
                    )
        for app, _factory, _police in services:
            app.extensions["db_engine"].dispose()
    beside = "no render worker" if args.without_renderer else "the render worker beside"
    print(
        f"SQLite and PostgreSQL in turns, {args.rounds} rounds; {args.chains} "
        f"{_shape(args.plan_only)} of {steps} completions per client, after one untimed; "
        f"{beside}; SpiffWorkflow alone {spiff_ms:.2f} ms per completion; load average (1 min) "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
    )
    for (workers, clients), figures in per_second.items():
        ratios = [p / s for s, p in zip(figures["SQLite"], figures["PostgreSQL"], strict=True)]
        rounds = ", ".join(
            f"{s:.1f} / {p:.1f} = {r:.2f}"
            for s, p, r in zip(figures["SQLite"], figures["PostgreSQL"], ratios, strict=True)
        )
        print(
            f"gunicorn {workers} worker(s), {clients} client(s): completions/s SQLite / "
            f"PostgreSQL by round {rounds}; PostgreSQL ÷ SQLite median "
            f"{statistics.median(ratios):.2f}"
        )
    print(
        f"a round trip to PostgreSQL (prepared SELECT 1, psycopg alone): p50 {trip_before:.0f} µs "
        f"before, {round_trip_us(args.against_postgresql):.0f} µs after"
    )
    if not args.without_renderer:
        print(
            "documents left to render after each round's walks, done in (s): "
            + "; ".join(f"{n} " + ", ".join(f"{s:.1f}" for s in drained[n]) for n in names)
        )


def side_by_side(args: argparse.Namespace) -> None:
    """SQLite and PostgreSQL (`args.side_by_side`) served at once, one gunicorn worker and a
    render worker each, walked in alternate blocks of `args.chains` chains per client,
    `args.rounds` pairs of blocks, the order swapped every pair: a pair's blocks are seconds
    apart, so the machine's drift divides out. Prints PostgreSQL ÷ SQLite over all blocks
    (completions over time, each database's) and the median and quartiles of the pairs'."""
    load_before = os.getloadavg()
    names = ("SQLite", "PostgreSQL")
    with tempfile.TemporaryDirectory() as tmp:
        urls = (f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.side_by_side)
        services = [make_service(url) for url in urls]
        servers, renderers = [], []
        try:
            for name, url in zip(names, urls, strict=True):
                folder = Path(tmp) / name
                folder.mkdir()
                servers.append(Gunicorn(url, "bench", folder, workers=1))
                servers[-1].start()
                if not args.without_renderer:
                    renderers.append(RenderWorker(url, folder))
            lines = []
            for clients in args.clients:
                peers = [
                    Peers(services[i][0], servers[i].port, clients, services[i][2], {})
                    for i in (0, 1)
                ]
                done, took, pairs = [0, 0], [0.0, 0.0], []
                for pair in range(args.rounds):
                    rates = [0.0, 0.0]
                    for which in (0, 1) if pair % 2 == 0 else (1, 0):
                        seconds = peers[which].walk(args.chains)
                        completions = peers[which].completions()
                        done[which] += completions
                        took[which] += seconds
                        rates[which] = completions / seconds
                    pairs.append(rates[1] / rates[0])
                overall = [d / t for d, t in zip(done, took, strict=True)]
                low, _, high = statistics.quantiles(pairs, n=4)
                below = sum(r < 0.8 for r in pairs)
                lines.append(
                    f"gunicorn 1 worker, {clients} client(s): completions/s SQLite "
                    f"{overall[0]:.1f}, PostgreSQL {overall[1]:.1f}: PostgreSQL ÷ SQLite "
                    f"{overall[1] / overall[0]:.2f}; by pair median "
                    f"{statistics.median(pairs):.2f}, quartiles {low:.2f}–{high:.2f}, {below} of "
                    f"{len(pairs)} below 0.80"
                )
        finally:
            for renderer in renderers:
                renderer.stop()
            for server in servers:
                server.stop()
            for app, _factory, _police in services:
                app.extensions["db_engine"].dispose()
    beside = "no render worker" if args.without_renderer else "a render worker each"
    print(
        f"SQLite and PostgreSQL side by side, {beside}; {args.rounds} pairs of blocks of "
        f"{args.chains} whole chains per client, after one untimed; load average (1 min) "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chains", type=int, default=20, help="whole chains per client")
    parser.add_argument("--database-url")
    parser.add_argument("--clients", type=int, nargs="*", default=list(CLIENTS))
    parser.add_argument("--workers", type=int, nargs="*", default=list(WORKERS))
    parser.add_argument("--in-process", action="store_true", help="no server: the test client")
    parser.add_argument(
        "--plan-only",
        action="store_true",
        help="the province's plan only: draft, appraisal, award review, signature",
    )
    parser.add_argument(
        "--without-renderer",
        action="store_true",
        help="no render worker beside the server (signed documents stay unrendered)",
    )
    parser.add_argument(
        "--against-postgresql",
        metavar="URL",
        help="SQLite and this PostgreSQL database in turns: PostgreSQL ÷ SQLite by round",
    )
    parser.add_argument(
        "--side-by-side",
        metavar="URL",
        help="SQLite and this PostgreSQL database served at once, walked in alternate blocks",
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="rounds, or pairs of blocks with --side-by-side"
    )
    args = parser.parse_args()
    if args.side_by_side:
        if args.rounds < 2:
            parser.error("--side-by-side needs --rounds 2 or more (pairs of blocks)")
        side_by_side(args)
        return
    if args.against_postgresql:
        against_postgresql(args)
        return
    if args.in_process:
        in_process(args.chains, args.database_url, args.plan_only)
        return
    load_before = os.getloadavg()
    spiff_ms, steps = spiff_alone(repeat=20, plan_only=args.plan_only)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        service = make_service(url)
        runs, _ = serve_and_walk(url, Path(tmp), service, {}, args)
        service[0].extensions["db_engine"].dispose()
    load_after = os.getloadavg()
    beside = "no render worker" if args.without_renderer else "the render worker beside"
    print(
        f"database: {url.split(':')[0]}; {args.chains} {_shape(args.plan_only)} of {steps} "
        f"completions per client, after one untimed; {beside}; "
        f"load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print(
        f"SpiffWorkflow alone, load → complete → save per completion: {spiff_ms:.2f} ms (median)"
        f" = {1000 / spiff_ms:.0f} completions/s"
    )
    for (workers, clients), run in runs.items():
        p50, p95, p99 = (percentile(run.cycles, q) for q in (0.50, 0.95, 0.99))
        print(
            f"gunicorn {workers} worker(s), {clients} client(s): {run.per_second:5.1f} "
            f"completions/s; list → open → submit p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 "
            f"{p99:.1f} ms (p99 = {p99 / p50:.1f}x p50); p50 = {p50 / spiff_ms:.0f}x "
            f"SpiffWorkflow alone; start p50 {percentile(run.starts, 0.50):.1f} ms"
        )
        print(run.signing_line())


if __name__ == "__main__":
    main()
