"""Faults for real: an ingest killed with SIGKILL part-way, then run again, ends with exactly the
catalog (counts and content hashes), with no duplicates; and the app's own defaults."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from retrieval.catalog import load_catalog
from retrieval.store import ItemStore, make_client
from tests.conftest import ROOT

pytestmark = pytest.mark.real
ROWS = 600  # the ingest writes 256 items a step: the kill lands after the first step or two


def progress(log: Path) -> int:
    done = re.findall(rf"(\d+)/{ROWS}\b", log.read_text(errors="replace"))
    return int(done[-1]) if done else 0


def test_an_ingest_killed_part_way_then_run_again_ends_with_exactly_the_catalog(tmp_path):
    rows = json.loads((ROOT / "data" / "bestbuy_phones.json").read_text())[:ROWS]
    path = tmp_path / "phones.json"
    path.write_text(json.dumps(rows))
    mapping = ROOT / "data" / "mappings" / "bestbuy_phones.yaml"
    command = [str(Path(sys.executable).with_name("concierge")), "ingest", str(path),
               "--catalog", "phones", "--mapping", str(mapping)]  # fmt: skip
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "ingest.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=env, stderr=out, stdout=out, cwd=ROOT)
        deadline = time.monotonic() + 300
        while progress(log) < 256 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    written = progress(log)
    assert 256 <= written < ROWS, f"the kill came at {written}/{ROWS}; it should be part-way"

    def store() -> ItemStore:
        return ItemStore(make_client(tmp_path / "data"))

    assert store().count("phones") < ROWS  # part of it is there, with no manifest yet or an old one
    finished = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "added" in finished.stdout and "unchanged" in finished.stdout

    catalog = load_catalog(path, mapping)
    final = store()
    embedder = final.manifest("phones").embedder
    assert embedder.startswith("minilm:")
    expected = {item.id: item.content_hash(embedder) for item in catalog.items}
    assert final.count("phones") == len(expected) == final.manifest("phones").count
    assert final.hashes("phones") == expected  # every item, each exactly as in the file
    fields = [(r.item, r.field) for r in final.field_rows("phones")]
    assert len(fields) == len(set(fields))  # no duplicate field keys
    assert len(fields) == sum(len(i.field_texts()) for i in catalog.items)
    assert {item for item, _ in fields} == set(expected)


def test_the_app_listens_on_loopback_unless_told_otherwise(monkeypatch):
    for key in [k for k in os.environ if k.startswith("CONCIERGE_")]:
        monkeypatch.delenv(key)
    assert Settings(_env_file=None).host == "127.0.0.1"
    monkeypatch.setenv("CONCIERGE_HOST", "0.0.0.0")
    assert Settings(_env_file=None).host == "0.0.0.0"
