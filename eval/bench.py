"""`concierge bench`: regenerate every figure in BENCHMARKS.md, one script after another.

    python -m eval.bench [--quick] [--out BENCHMARKS.md] [--skip NAME ...]

Each step is one of the eval/ scripts, run in its own process (so each one's peak memory is its
own) and writing its own section of the output file. `--quick` runs every step on a small
sample, to check that the code works (CI runs it); its figures are not the reported ones. Steps
that need ../shared (the benchmark data that does not ship) are skipped when it is missing.
"""

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eval.redial import REDIAL
from eval.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Step:
    name: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    needs_shared: bool = True
    store: bool = False  # keeps its catalogs in the shared benchmark store (--data-dir)


# The full run's samples are sized so that the whole command fits in about 30 minutes here.
STEPS = [
    Step("bench_ingest", ("--rows", "5000"), ("--quick",)),
    Step("bench_retrieval", (), ("--quick",)),
    Step("bench_turns", (), ("--quick",), needs_shared=False, store=True),
    Step("redial", ("--cases", "1000", "--ablation"), ("--quick",), store=True),
    # its ReDial half needs ../shared
    Step("simulate", ("--cases", "600", "--targets", "100"), ("--quick",), False, True),
    Step("products", ("--targets", "300"), ("--quick",), needs_shared=False, store=True),
    Step("enrichment", (), ()),
    Step("explanations", (), ("--quick",), needs_shared=False, store=True),  # movies need ../shared
    Step("bench_load", (), ("--quick",), needs_shared=False, store=True),
    Step("natural", (), ("--quick",), store=True),  # Myntra needs ../shared
    Step("searchbox", (), ("--quick",), store=True),
    Step(
        "bias", ("--targets", "100", "--cases", "300"), ("--quick",), needs_shared=False, store=True
    ),  # its ReDial half needs ../shared
    Step("loop", ("--blocks", "10", "--cases", "100"), ("--quick",), store=True),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every step on a small sample")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data",
                        help="the store several steps share (ingested once)")  # fmt: skip
    parser.add_argument("--skip", nargs="*", default=[], choices=[s.name for s in STEPS])
    args = parser.parse_args(argv)
    shared = REDIAL.exists()
    took: list[tuple[str, float, str]] = []
    started = time.perf_counter()
    for step in STEPS:
        if step.name in args.skip:
            continue
        if step.needs_shared and not shared:
            print(f"== {step.name}: skipped ({REDIAL.parent.parent} not found)", flush=True)
            took.append((step.name, 0.0, "skipped: no ../shared"))
            continue
        flags = (*(step.quick if args.quick else step.full),
                 *(("--data-dir", str(args.data_dir)) if step.store else ()))  # fmt: skip
        command = [sys.executable, "-m", f"eval.{step.name}", *flags, "--out", str(args.out)]
        print(f"== {step.name}: {' '.join(command[1:])}", flush=True)
        began = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT)
        seconds = time.perf_counter() - began
        took.append((step.name, seconds, "ok" if run.returncode == 0 else "FAILED"))
        if run.returncode:
            sys.exit(f"{step.name} failed (exit {run.returncode})")
    total = time.perf_counter() - started
    rows = "\n".join(f"| `eval/{name}.py` | {seconds:.0f} | {status} |"
                     for name, seconds, status in took)  # fmt: skip
    text = (
        f"Machine: {machine()}. Every step of this file, one after another.\n\n"
        f"| step | seconds | |\n|---|---:|---|\n{rows}\n| **all** | **{total:.0f}** | |\n"
    )
    print(text)
    write_section(args.out, "bench", text, "concierge bench" + (" --quick" if args.quick else ""))


if __name__ == "__main__":
    main()
