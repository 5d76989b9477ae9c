"""`concierge bench --quick` runs every benchmark script end to end on small slices of the
catalogs (eval/samples.py), so that the one command that regenerates BENCHMARKS.md keeps working:
every section is written, and what each must hold holds (the system beats its baselines on
ReDial, simulated shoppers find their targets, every shown explanation is verified, the server
under load makes no errors). The reported figures come from the full `concierge bench`. No
timing is asserted."""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, needs_shared

pytestmark = [pytest.mark.real, needs_shared]
SECTIONS = ["bench_ingest", "bench_retrieval", "bench_turns", "redial", "simulate_redial",
            "simulate_products", "products", "enrichment", "explanations", "load", "natural",
            "searchbox", "bias", "loop", "bench"]  # fmt: skip


def cell(text: str, row: str, column: int) -> float:
    line = re.search(rf"^\| {re.escape(row)}[^\n]*$", text, re.M)
    assert line, row
    return float(line.group(0).split("|")[column + 1].strip(" *"))


@pytest.mark.timeout(1200)  # every step from an empty store: about 5 minutes
def test_quick_bench_regenerates_every_section(tmp_path, model_cache):
    out = tmp_path / "BENCH.md"
    env = {**os.environ, "CONCIERGE_MODEL_CACHE_DIR": str(model_cache)}
    command = [sys.executable, "-m", "bot.cli", "bench", "--quick", "--out", str(out),
               "--data-dir", str(tmp_path / "data")]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    text = out.read_text()
    for name in SECTIONS:
        assert f"<!-- {name}:begin -->" in text, name
    assert "_Produced by `concierge bench --quick`" in text
    # ReDial offline: R@10 (standard) above both baselines measured in the same run
    ours = cell(text, "Concierge (`concierge rank`)", 2)
    assert ours > cell(text, "baseline: MiniLM", 2) and ours > cell(text, "baseline: BM25", 2)
    # the simulator: most shoppers who say what they want find it within 5 turns
    assert cell(text, "phones | standard | + attention rerank", 4) > 0.5
    assert re.search(r"^\| 5 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", text, re.M)  # per turn
    # explanations: every shown one verified, every planted fact caught
    assert re.search(r"^\| shown explanations verified again from scratch \| (\d+)/\1 ", text, re.M)
    assert re.search(r"^\| planted facts caught \| (\d+)/\1 \|", text, re.M)
    # load through the real server: no errors, no cross-talk; beyond the queue, only 429s
    assert "| 4 sessions x 3 turns, all at once | 12 | 0 | 0 |" in text
    assert re.search(r"refusals \(429.*other statuses: 0;", text)
    # requests in everyday words and search-box queries: judged on the slices that hold an
    # acceptable item, with the ingredients measured in the same run
    natural = re.search(r"^\| phones \| \d+ \| Concierge \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
    assert natural and float(natural.group(1)) > 0
    assert re.search(r"^\| all \| \d+ \| BM25 \+ MiniLM, reciprocal-rank fusion \| ", text, re.M)
    # whom it favours: every variety setting on every catalog, with what it costs
    assert len(re.findall(r"^\| (phones|ikea|myntra|redial \(first 10\)) \| (off|default|every)",
                          text, re.M)) == 16  # fmt: skip
    # the learning loop: each block ranked with and without what was learned before it
    loop = r"^\| \d \| \d+ \| \d+ \|" + r" [\d.]+ \|" * 6 + "$"
    assert len(re.findall(loop, text, re.M)) == 3
