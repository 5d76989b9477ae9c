"""The ReDial benchmark's quick variant runs end to end (so the script keeps working), and the
system beats the plain embedding baseline on its sample. No timing is asserted."""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, needs_shared

pytestmark = [pytest.mark.real, needs_shared]


def test_quick_redial_benchmark_beats_the_baseline(tmp_path, model_cache):
    out = tmp_path / "BENCH.md"
    env = {**os.environ, "CONCIERGE_MODEL_CACHE_DIR": str(model_cache)}
    command = [sys.executable, "-m", "eval.redial", "--quick", "--out", str(out)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text()
    assert "<!-- redial:begin -->" in text and "python -m eval.redial --quick" in text
    ours = float(re.search(r"^\| Concierge[^|]*\|[^|]+\| ([\d.]+) \|", text, re.M).group(1))
    base = float(re.search(r"^\| baseline[^|]*\|[^|]+\| ([\d.]+) \|", text, re.M).group(1))
    assert ours > base  # R@10, standard
    assert re.search(r"would \*\*ask\*\* a question in [\d.]+% of cases", text)
