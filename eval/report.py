"""Writing a benchmark's section into BENCHMARKS.md, between its own markers."""

import os
import platform
import re
import time
from pathlib import Path


def machine() -> str:
    """The facts a figure depends on: the CPU's bfloat16 decides the precision of both models."""
    from retrieval.embed import native_bfloat16

    bf16 = "native bfloat16" if native_bfloat16() else "no native bfloat16 (float32 models)"
    return (f"{platform.machine()}, {os.cpu_count()} cores, {bf16}, "
            f"Python {platform.python_version()}")  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    """The value at quantile q (nearest rank); 0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else 0.0


def figure_path(out: Path | None, name: str) -> Path:
    """Where a plot goes: docs/ beside the Markdown file it is shown in (so a quick run into a
    scratch file leaves the committed plots alone)."""
    folder = (out.resolve().parent if out else Path(__file__).resolve().parent.parent) / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def write_section(out: Path, name: str, text: str, command: str) -> None:
    """Replace (or append) the section marked `name` with `text`, headed by the command."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    body = f"{begin}\n_Produced by `{command}` on {time.strftime('%Y-%m-%d')}_\n\n{text}\n{end}"
    current = out.read_text() if out.exists() else "# Benchmarks\n"
    if begin in current:
        current = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: body, current,
                         flags=re.S)  # fmt: skip
    else:
        current = current.rstrip() + "\n\n" + body + "\n"
    out.write_text(current)
