"""Foundation benchmarks: ingest throughput and peak memory, re-ingest time, app cold start.

    python -m eval.bench_ingest [--quick | --rows N] [--out BENCHMARKS.md]

Each catalog is ingested into a fresh embedded store in a child process (so peak RSS is its own),
then ingested again unchanged. Cold start runs `python app.py` with the models already cached and
the demo catalog already ingested, and times it to the first served page.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from eval.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CONCIERGE_SHARED_DIR", ROOT.parent / "shared")) / "data"
CATALOGS = [
    (
        "phones (demo)",
        ROOT / "data/bestbuy_phones.json",
        ROOT / "data/mappings/bestbuy_phones.yaml",
    ),
    ("bigbasket", SHARED / "catalogs/bigbasket.csv", ROOT / "data/mappings/bigbasket.yaml"),
]
CHILD = """
import json, resource, sys, time
from pathlib import Path
from retrieval.embed import MiniLMEmbedder
from retrieval.ingest import ingest
from retrieval.store import ItemStore, make_client
path, mapping, data, limit, catalog = sys.argv[1:6]
source = Path(path)
if int(limit):  # the first rows only, as JSONL
    from itertools import islice
    from retrieval.readers import read_records
    rows = [r for _, r in islice(read_records(source, []), int(limit)) if isinstance(r, dict)]
    source = Path(data) / "subset.jsonl"
    source.write_text("\\n".join(json.dumps(r) for r in rows))
embedder = MiniLMEmbedder()
store = ItemStore(make_client(Path(data)))
first = ingest(source, catalog, store, embedder, Path(mapping), progress=False)
second = ingest(source, catalog, store, embedder, Path(mapping), progress=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"items": first.added, "first": first.seconds, "again": second.seconds,
                  "unchanged": second.unchanged, "peak_mib": peak}))
"""


def bench_ingest(label: str, path: Path, mapping: Path, limit: int, data: Path,
                 catalog: str = "bench") -> dict:  # fmt: skip
    data.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(mapping), str(data), str(limit), catalog],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["label"] = label
    return result


def bench_cold_start(data: Path, port: int = 7899) -> float:
    """Seconds from `python app.py` to the first served page, on a data dir already holding the
    demo catalog."""
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(data), "CONCIERGE_PORT": str(port)}
    if "CONCIERGE_MODEL_CACHE_DIR" not in env:
        env["CONCIERGE_MODEL_CACHE_DIR"] = str(ROOT / ".concierge/models")
    _start(env, port)  # the first start after an ingest: file caches settle
    return _start(env, port)


def _start(env: dict, port: int) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("app.py exited during start-up")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 rows per catalog, no cold start")
    parser.add_argument("--rows", type=int, default=0, help="the first N rows per catalog (0: all)")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    limit = 200 if args.quick else args.rows
    rows = []
    demo = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for n, (label, path, mapping) in enumerate(CATALOGS):
            if not path.exists():
                print(f"skipping {label}: {path} not found", file=sys.stderr)
                continue
            # the demo catalog is ingested as the app's default catalog: the cold start uses it
            data, catalog = Path(scratch) / str(n), "phones" if n == 0 else "bench"
            r = bench_ingest(label, path, mapping, limit, data, catalog)
            demo = demo or r["first"]
            rows.append(
                f"| {r['label']} | {r['items']:,} | {r['first']:.1f} | "
                f"{r['items'] / r['first']:.0f} | {r['again']:.2f} | "
                f"{r['first'] / r['again']:.0f}× | {r['peak_mib']:.0f} |"
            )
            print(rows[-1], flush=True)
        header = "| catalog | items | first ingest (s) | items/s | unchanged re-ingest (s) "
        header += "| speed-up | peak RSS (MiB) |\n|---|---:|---:|---:|---:|---:|---:|"
        table = "\n".join([header, *rows])
        text = f"Machine: {machine()}.\n\n{table}\n"
        if not args.quick and demo:
            later = bench_cold_start(Path(scratch) / "0")
            text += (
                f"\nCold start of `python app.py` to the first served page, models already "
                f"cached: **{later:.1f} s** with the demo catalog already ingested. On an empty "
                f"data directory the app first ingests the demo catalog: add its first ingest "
                f"({demo:.0f} s, above).\n"
            )
            print(text)
    if args.out:
        command = "python -m eval.bench_ingest" + (" --quick" if args.quick else "")
        command += f" --rows {args.rows}" if args.rows and not args.quick else ""
        write_section(args.out, "bench_ingest", text, command)


if __name__ == "__main__":
    main()
