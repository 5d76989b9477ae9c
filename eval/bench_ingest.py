"""Foundation benchmarks: ingest throughput and peak memory, re-ingest time, the first start.

    python -m eval.bench_ingest [--quick | --rows N] [--out BENCHMARKS.md]

Each catalog is ingested into a fresh embedded store in a child process (so peak RSS is its own),
after the embedder alone has embedded the same distinct texts (the bound ingest can approach),
then ingested again unchanged. The demo catalog is ingested twice more: as the app's first start
does it (its shipped vectors read, retrieval/prebuilt.py) and as the ingest before this round did
it (its whole text embedded besides its fields, in float32; the baseline). The first start runs
`concierge prepare-models` then `python app.py` on an empty data directory and model cache, as
`make run` does on a fresh clone, and times it to the first answered chat; then `python app.py`
alone on empty ones, and a later start on what the first one made.
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
DEMO = (ROOT / "data/bestbuy_phones.json", ROOT / "data/mappings/bestbuy_phones.yaml")
CATALOGS = [
    ("phones (demo)", *DEMO),
    ("bigbasket", SHARED / "catalogs/bigbasket.csv", ROOT / "data/mappings/bigbasket.yaml"),
]
CHILD = """
import json, resource, shutil, sys, time
from pathlib import Path
import numpy as np
from retrieval.catalog import load_catalog
from retrieval.embed import MiniLMEmbedder
from retrieval.ingest import ingest
from retrieval.store import ItemStore, make_client
path, mapping, data, limit, catalog, mode = sys.argv[1:7]
source = Path(data) / ("shipped" + Path(path).suffix)
if int(limit) and mode != "shipped":  # the first rows only, as JSONL
    from itertools import islice
    from retrieval.readers import read_records
    rows = [r for _, r in islice(read_records(Path(path), []), int(limit)) if isinstance(r, dict)]
    source = Path(data) / "subset.jsonl"
    source.write_text("\\n".join(json.dumps(r) for r in rows))
else:  # a copy, beside which no vectors are shipped
    shutil.copy(path, source)
    if mode == "shipped":
        from retrieval.prebuilt import vectors_path
        shutil.copy(vectors_path(Path(path)), vectors_path(source))
embedder = MiniLMEmbedder(precision="float32" if mode == "before" else "auto")
items = load_catalog(source, Path(mapping)).items
texts = sorted({t for i in items for t in i.field_texts().values()})
alone = 0.0
if mode == "plain":
    started = time.perf_counter()
    embedder.embed(texts)
    alone = time.perf_counter() - started
if mode == "before":  # the ingest before: every item's whole text too, float32, no overlap
    import retrieval.ingest as ingesting
    def embed_items(items, embedder):
        fields = [(i.id, f, t) for i in items for f, t in i.field_texts().items()]
        vectors = embedder.inner.embed([i.embedding_text() for i in items])
        return vectors, fields, embedder.inner.embed([t for _, _, t in fields])
    ingesting.embed_items = embed_items
store = ItemStore(make_client(Path(data)))
first = ingest(source, catalog, store, embedder, Path(mapping), progress=False)
second = ingest(source, catalog, store, embedder, Path(mapping), progress=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"items": first.added, "first": first.seconds, "again": second.seconds,
                  "unchanged": second.unchanged, "peak_mib": peak, "texts": len(texts),
                  "alone": alone, "precision": embedder.precision}))
"""


def bench_ingest(label: str, path: Path, mapping: Path, limit: int, data: Path,
                 catalog: str = "bench", mode: str = "plain") -> dict:  # fmt: skip
    """mode: "plain" (the embedder alone, then ingest), "shipped" (the catalog's vectors
    beside it) or "before" (the ingest before this round)."""
    data.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(mapping), str(data), str(limit), catalog,
         mode],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["label"] = label
    return result


def bench_first_start(scratch: Path, port: int = 7899) -> dict[str, tuple[float, ...]]:
    """The first start of a fresh clone, two ways, and a later start. "unprepared": `python
    app.py` on an empty data directory and model cache (it converts the chat model while it
    serves); "prepare": `concierge prepare-models`, as `make run` runs it after installing (s,
    peak RSS in MiB); "first": then `python app.py` on an empty data directory; "later": a
    second start on what it made. A start is (s to the first served page, s to the first
    answered chat, peak RSS in MiB once the chat model has loaded)."""
    chat = json.dumps({"message": "a phone for my mom under $200"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/chat", data=chat,
                                     headers={"Content-Type": "application/json"})  # fmt: skip

    def env(folder: str) -> dict[str, str]:
        return {**os.environ, "CONCIERGE_DATA_DIR": str(scratch / folder / "data"),
                "CONCIERGE_PORT": str(port),
                "CONCIERGE_MODEL_CACHE_DIR": str(scratch / folder / "models")}  # fmt: skip

    out: dict[str, tuple[float, ...]] = {"unprepared": _start(env("a"), port, request, SETTLE)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "prepare-models"], cwd=ROOT,
                               env=env("b"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the earlier ones'
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError("concierge prepare-models failed")
    out["prepare"] = (time.perf_counter() - started, usage.ru_maxrss / 1024)
    out["first"] = _start(env("b"), port, request, SETTLE)
    out["later"] = _start(env("b"), port, request, SETTLE)
    return out


SETTLE = 45  # s after the first answer: the chat model converts and loads in the background


def _start(env: dict, port: int, chat: urllib.request.Request | None = None, settle: float = 0
           ) -> tuple[float, float, float]:  # fmt: skip
    """Seconds from `python app.py` to the first served page and to the answer of `chat`; the
    app's peak RSS in MiB `settle` seconds later."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        page = _wait(process, urllib.request.Request(f"http://127.0.0.1:{port}/")) - started
        answered = _wait(process, chat) - started if chat else page
        time.sleep(settle)
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
        return page, answered, peak
    finally:
        process.terminate()
        process.wait(30)


def _start_text(start: tuple[float, ...]) -> str:
    page, answered, peak = start
    return (f"first page after {page:.1f} s, first chat after {answered:.1f} s, "
            f"peak RSS {peak:.0f} MiB")  # fmt: skip


def _wait(process: subprocess.Popen, request: urllib.request.Request) -> float:
    while True:
        if process.poll() is not None:
            raise RuntimeError("app.py exited during start-up")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return time.perf_counter()
        except OSError:
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 rows per catalog, no cold start")
    parser.add_argument("--rows", type=int, default=0, help="the first N rows per catalog (0: all)")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    limit = 200 if args.quick else args.rows
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        runs = [(label, path, mapping, "plain") for label, path, mapping in CATALOGS]
        runs += [("phones (demo), vectors shipped", *DEMO, "shipped")] if not args.quick else []
        runs += [("phones (demo), the ingest before", *DEMO, "before")]
        for n, (label, path, mapping, mode) in enumerate(runs):
            if not path.exists():
                print(f"skipping {label}: {path} not found", file=sys.stderr)
                continue
            r = bench_ingest(label, path, mapping, limit, Path(scratch) / str(n), mode=mode)
            alone, share = "", ""
            if r["alone"]:
                alone, share = f"{r['alone']:.1f}", f"{r['alone'] / r['first']:.0%}"
            rows.append(
                f"| {r['label']} | {r['items']:,} | {r['precision']} | {r['texts']:,} | {alone} | "
                f"{r['first']:.1f} | {r['items'] / r['first']:.0f} | {share} | "
                f"{r['again']:.2f} | {r['first'] / r['again']:.0f}× | {r['peak_mib']:.0f} |"
            )
            print(rows[-1], flush=True)
        header = (
            "| catalog | items | embedder | distinct field texts | embedder alone (s) | first "
            "ingest (s) | items/s | embedder alone / ingest | unchanged re-ingest (s) | "
            "speed-up | peak RSS (MiB) |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
        text = f"Machine: {machine()}.\n\n" + "\n".join([header, *rows]) + "\n"
        if not args.quick:
            starts = bench_first_start(Path(scratch) / "f")
            (seconds, prepared), first = starts["prepare"], starts["first"]
            text += (
                "\nFirst start of a fresh clone after its install, on an empty data directory and "
                "model cache. As `make run` does it: `concierge prepare-models` converts the "
                f"packaged chat model in {seconds:.0f} s (peak RSS {prepared:.0f} MiB, alone), "
                f"then `python app.py` serves the page after **{first[0]:.1f} s** and answers "
                f"the first chat after **{first[1]:.1f} s**; its peak RSS, {SETTLE} s later with "
                f"the chat model loaded, **{first[2]:.0f} MiB**. `python app.py` alone, which "
                "converts the model while it serves: "
                + _start_text(starts["unprepared"])
                + ". A later start, on what the first one made: "
                + _start_text(starts["later"])
                + ".\n"
            )
        print(text)
    if args.out:
        command = "python -m eval.bench_ingest" + (" --quick" if args.quick else "")
        command += f" --rows {args.rows}" if args.rows and not args.quick else ""
        write_section(args.out, "bench_ingest", text, command)


if __name__ == "__main__":
    main()
