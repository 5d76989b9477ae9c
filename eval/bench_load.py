"""Concurrent sessions through the HTTP API of the real app: errors, cross-talk, throughput and
latency under load, and what happens beyond capacity.

    python -m eval.bench_load [--quick] [--sessions 16] [--turns 5] [--out BENCHMARKS.md]
    python -m eval.bench_load --base http://127.0.0.1:7860   # against a server already running
    python -m eval.bench_load --scale-out postgresql://user:pw@127.0.0.1/db [--out BENCHMARKS.md]

Without --base it starts `python app.py` on the benchmark store (the demo phones, packaged
models), with the rate limit lifted (every session comes from this one address). Each session is
a shopper with its own brand and budget; after the run, each session's stored need and messages
must be its own (no cross-talk). Then `--burst` requests arrive at once: those beyond the server's
turn queue must be refused with 429 at once, never left to time out.

With --scale-out (a PostgreSQL database it may empty) it measures instead one app process, then
`concierge serve --workers 2`, both on that database and a Chroma server it starts (the demo
ingested into it on the first start), the same sessions in each, one after the other.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.local_http import free_port, wait_for_http
from eval.report import machine, percentile, write_section

ROOT = Path(__file__).resolve().parent.parent
# The demo catalog's brands with the most items, spelled as it spells them.
BRANDS = ["Incipio", "OtterBox", "Apple", "Samsung", "Speck", "mophie", "Spigen", "ZAGG",
          "Tech21", "LifeProof", "Case-Mate", "Belkin", "BLU", "Native Union", "Motorola",
          "LG"]  # fmt: skip


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    crosstalk: list[str] = field(default_factory=list)
    refusals: list[float] = field(default_factory=list)  # seconds to each 429
    seconds: float = 0.0


def call(base: str, path: str, body: dict | None = None, timeout: float = 300) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def script(n: int, turns: int) -> tuple[str, float, list[str]]:
    """Session n's brand, budget and messages."""
    brand, budget = BRANDS[n % len(BRANDS)], 100.0 + 50 * n
    said = [f"something from {brand}", f"under ${budget:.0f}", "show me more",
            "what is your return policy?", "something black"]  # fmt: skip
    return brand, budget, said[:turns]


def run_sessions(base: str, sessions: int, turns: int) -> Outcome:
    outcome = Outcome()
    lock = threading.Lock()
    ids: dict[int, str] = {}

    def shopper(n: int) -> None:
        session = f"load-{n}-{time.time_ns()}"
        ids[n] = session
        for message in script(n, turns)[2]:
            began = time.perf_counter()
            status, _ = call(base, "/api/v1/chat", {"session_id": session, "message": message})
            with lock:
                outcome.latencies.append(time.perf_counter() - began)
                outcome.statuses[status] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - began
    for n, session in ids.items():
        brand, budget, said = script(n, turns)
        _, state = call(base, f"/api/v1/sessions/{session}")
        need = state.get("need", {})
        mine = [m["content"] for m in state.get("messages", []) if m["role"] == "user"]
        if mine != said:
            outcome.crosstalk.append(f"session {n}: messages {mine}")
        brands = need.get("include", {}).get("brand") or []
        if not brands or {b.casefold() for b in brands} != {brand.casefold()}:  # OtterBox, Otterbox
            outcome.crosstalk.append(f"session {n}: brand {need.get('include')}")
        if need.get("ranges", {}).get("price", {}).get("max") != budget:
            outcome.crosstalk.append(f"session {n}: price {need.get('ranges')}")
    return outcome


def burst(base: str, requests: int) -> Outcome:
    """`requests` chat turns at the same moment."""
    outcome = Outcome()
    lock = threading.Lock()
    start = threading.Event()

    def one(n: int) -> None:
        start.wait()
        began = time.perf_counter()
        message = f"something from {BRANDS[n % len(BRANDS)]}"
        status, _ = call(base, "/api/v1/chat", {"message": message})
        with lock:
            outcome.latencies.append(time.perf_counter() - began)
            outcome.statuses[status] += 1
            if status == 429:
                outcome.refusals.append(outcome.latencies[-1])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(requests)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.set()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - began
    return outcome


def start_app(data_dir: Path, env: dict[str, str], workers: int = 1,
              ) -> tuple[subprocess.Popen, str]:  # fmt: skip
    """`python app.py`, or `concierge serve --workers N`, on a free port."""
    port = free_port()
    environment = {**os.environ, **env, "CONCIERGE_DATA_DIR": str(data_dir),
                   "CONCIERGE_PORT": str(port)}  # fmt: skip
    command = [sys.executable, "app.py"]
    if workers > 1:
        command = [str(Path(sys.executable).with_name("concierge")), "serve", "--workers",
                   str(workers)]  # fmt: skip
    log = open(data_dir.parent / "bench-load-app.log", "a")  # noqa: SIM115 - the process keeps it
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/healthz", 900, process)
    return process, base


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(60)


def scale_out(database_url: str, sessions: int, turns: int, folder: Path) -> dict[int, Outcome]:
    """The same sessions against 1 process, then 2, on one PostgreSQL and one Chroma server."""
    from bot.web.database import Database, metadata

    port = free_port()
    chroma = subprocess.Popen([str(Path(sys.executable).with_name("chroma")), "run", "--path",
                               str(folder / "chroma"), "--host", "127.0.0.1", "--port",
                               str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    outcomes = {}
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60, chroma)
        env = {
            "CONCIERGE_RATE_LIMIT_PER_MINUTE": "1000000",
            "CONCIERGE_CHROMA_HOST": "127.0.0.1",
            "CONCIERGE_CHROMA_PORT": str(port),
            "CONCIERGE_DATABASE_URL": database_url,
        }
        for workers in (1, 2):
            database = Database(database_url)
            with database.connection() as conn:  # each row starts from an empty database
                metadata.drop_all(conn)
            database.close()
            process, base = start_app(folder / f"data-{workers}", env, workers)
            try:
                outcomes[workers] = run_sessions(base, sessions, turns)
            finally:
                stop_app(process)
    finally:
        stop_app(chroma)
    return outcomes


def scale_out_report(outcomes: dict[int, Outcome], sessions: int, turns: int) -> str:
    rows = "\n".join(row(f"{n} process{'es' * (n > 1)} x {sessions} sessions x {turns} turns",
                          outcomes[n]) for n in sorted(outcomes))  # fmt: skip
    return (
        f"Machine: {machine()}. The real app (packaged models, default limits: 2 turns at "
        "once per process, drafts as configured by default) on one PostgreSQL database and one "
        "Chroma server (`chroma run`, the demo phones); one process (`python app.py`), then "
        "`concierge serve --workers 2` (each API connection to the next worker), the same "
        "sessions in each, in the same run.\n\n"
        f"| load | turns | errors | cross-talk | throughput (turns/s) | p50 (s) | p95 (s) |\n"
        f"|---|---:|---:|---:|---:|---:|---:|\n{rows}\n\n"
        "On 2 cores the second process adds no cores: both share the same CPU, so the "
        "throughput is CPU-bound either way; the row shows that sessions move between "
        "processes with no errors and no cross-talk, and what the second process costs."
    )


def row(label: str, run: Outcome) -> str:
    total, ok = sum(run.statuses.values()), run.statuses[200]
    times = (ok / run.seconds, statistics.median(run.latencies), percentile(run.latencies, 0.95))
    cells = " | ".join(f"{t:.2f}" for t in times)
    return f"| {label} | {total} | {total - ok} | {len(run.crosstalk)} | {cells} |"


def report(alone: Outcome, load: Outcome, spike: Outcome, sessions: int, turns: int,
           queue: int) -> str:  # fmt: skip
    other = sum(spike.statuses.values()) - spike.statuses[200] - spike.statuses[429]
    return (
        f"Machine: {machine()}. The real app (packaged SmolLM2 and MiniLM, embedded Chroma, the "
        f"demo phones), default limits: 2 turns computed at once, {queue} waiting. The first "
        "row is the baseline: one session alone, in the same run.\n\n"
        f"| load | turns | errors | cross-talk | throughput (turns/s) | p50 (s) | p95 (s) |\n"
        f"|---|---:|---:|---:|---:|---:|---:|\n"
        f"{row(f'1 session x {turns} turns, alone', alone)}\n"
        f"{row(f'{sessions} sessions x {turns} turns, all at once', load)}\n\n"
        f"Beyond capacity: {sum(spike.statuses.values())} turns sent at the same moment got "
        f'{spike.statuses[200]} answers and {spike.statuses[429]} refusals (429, "busy, try '
        f'again"), other statuses: {other}; '
        f"the slowest refusal took {max(spike.refusals, default=0):.3f} s, the slowest answer "
        f"{max(spike.latencies, default=0):.1f} s.\n\n"
        "Cross-talk is checked after the run: each session's stored user messages, brand and "
        "budget must be exactly its own script's. Every session comes from 127.0.0.1, so the "
        "per-client rate limit is lifted for this run (`CONCIERGE_RATE_LIMIT_PER_MINUTE`)."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 sessions of 3 turns, burst 24")
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--burst", type=int, default=48)
    parser.add_argument("--base", help="a server already running (else app.py is started)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--scale-out",
        metavar="DATABASE_URL",
        help="1 process, then 2, on this PostgreSQL and a Chroma server",
    )
    args = parser.parse_args(argv)
    sessions, turns, spike_size = (4, 3, 24) if args.quick else (args.sessions, args.turns,
                                                                 args.burst)  # fmt: skip
    if args.scale_out:
        with tempfile.TemporaryDirectory() as folder:
            outcomes = scale_out(args.scale_out, sessions, turns, Path(folder))
        text = scale_out_report(outcomes, sessions, turns)
        print(text)
        command = "python -m eval.bench_load --scale-out postgresql://..."
        write_section(args.out, "load-scale-out", text, command + " --quick" * args.quick)
        return
    queue = 16
    process = None
    base = args.base
    if base is None:
        limits = {"CONCIERGE_RATE_LIMIT_PER_MINUTE": "1000000",
                  "CONCIERGE_MAX_QUEUED_TURNS": str(queue)}  # fmt: skip
        process, base = start_app(args.data_dir, limits)
    try:
        alone = run_sessions(base, 1, turns)
        load = run_sessions(base, sessions, turns)
        spike = burst(base, spike_size)
    finally:
        if process is not None:
            stop_app(process)
    text = report(alone, load, spike, sessions, turns, queue)
    print(text)
    write_section(args.out, "load", text, "python -m eval.bench_load" + (" --quick" * args.quick))
    if any(r.crosstalk or sum(r.statuses.values()) != r.statuses[200] for r in (alone, load)):
        sys.exit(f"load: errors {dict(load.statuses)}, cross-talk {load.crosstalk[:5]}")
    if set(spike.statuses) - {200, 429}:
        sys.exit(f"burst: unexpected statuses {dict(spike.statuses)}")


if __name__ == "__main__":
    main()
