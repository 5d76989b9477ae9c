"""The `concierge` command as a user runs it (real embedder, embedded Chroma)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import terminal_pieces

CONCIERGE = str(Path(sys.executable).with_name("concierge"))


def run(
    args: list[str], data_dir: Path, stdin: str | None = None, models: Path | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(data_dir)}
    if models:
        env["CONCIERGE_MODEL_CACHE_DIR"] = str(models)
    return subprocess.run(
        [CONCIERGE, *args], capture_output=True, text=True, env=env, input=stdin, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.csv", "--catalog", "x"], "error: catalog file not found: missing.csv"),
        (["ingest", "{empty}", "--catalog", "x"], "error: catalog file is empty"),
        (["ingest", "{bad}", "--catalog", "x"], "error: cannot read 'bad.xlsx': unknown format"),
        (["ingest", "{empty}", "--catalog", "Bad Name"], "error: bad catalog name 'Bad Name'"),
        (["rank", "--catalog", "nope", "--input", "{empty}"], "error: no catalog named 'nope'"),
    ],
)
def test_user_errors_are_one_line_with_a_non_zero_exit(tmp_path, args, message):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.xlsx").write_text("x")
    args = [a.format(empty=tmp_path / "empty.csv", bad=tmp_path / "bad.xlsx") for a in args]
    result = run(args, tmp_path / "data")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_terminal_prints_only_new_text_and_a_replaced_draft_on_its_own_line():
    drafts = [
        "Here",
        "Here are",
        "Here are some",
        "Here is what I found:",
        "Here is what I found:\n\n1. x",
    ]
    assert list(terminal_pieces(drafts)) == [
        "Here",
        " are",
        " some",
        "\n     Here is what I found:",
        "\n\n1. x",
    ]


@pytest.mark.real
def test_ingest_then_rank_then_chat(tmp_path, model_cache):
    rows = [
        {"sku": "t1", "title": "Walnut dining table for six", "brand": "Woodline", "price": "$899"},
        {
            "sku": "l1",
            "title": "Brass floor lamp with linen shade",
            "brand": "Glow",
            "price": "$120",
        },
        {"sku": "s1", "title": "Three-seat velvet sofa", "brand": "Comfy", "price": "$1,400"},
        {"sku": "bad", "title": "Broken row", "price": "call us"},
    ]
    catalog = tmp_path / "shop.jsonl"
    catalog.write_text("\n".join(json.dumps(r) for r in rows))
    data = tmp_path / "data"
    first = run(["ingest", str(catalog), "--catalog", "shop"], data)
    assert first.returncode == 0, first.stderr
    assert "3 added, 0 updated, 0 unchanged, 0 removed, 1 skipped" in first.stdout
    assert "skipped line 4: unparseable price 'call us'" in first.stdout
    assert "items/s" in first.stderr  # the progress bar
    events = tmp_path / "events.csv"
    events.write_text("session,item,event\na,s1,view\na,l1,purchase\nb,l1,like\nb,nope,view\n")
    second = run(["ingest", str(catalog), "--catalog", "shop", "--interactions", str(events)], data)
    assert "0 added, 0 updated, 3 unchanged" in second.stdout
    assert "3 events in 2 sessions -> popularity for 2 items" in second.stdout
    assert "1 events for unknown items" in second.stdout

    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            [
                json.dumps({"id": 1, "text": "somewhere to sit, a comfortable couch"}),
                json.dumps(
                    {
                        "id": "b",
                        "messages": [
                            {"role": "user", "content": "I need light for reading"},
                            {"role": "assistant", "content": "What style?"},
                            {"role": "user", "content": "a tall lamp that stands on the floor"},
                        ],
                    }
                ),
                "not json",
            ]
        )
    )
    ranked = run(["rank", "--catalog", "shop", "--input", str(cases), "--k", "2"], data)
    assert ranked.returncode == 0, ranked.stderr
    lines = [json.loads(line) for line in ranked.stdout.splitlines()]
    assert lines[0]["id"] == 1 and lines[0]["items"][0] == "s1" and len(lines[0]["items"]) == 2
    assert lines[0]["policy"] in ("ask", "recommend") and lines[0]["ms"] > 0
    assert lines[1]["id"] == "b" and lines[1]["items"][0] == "l1"
    assert lines[2]["items"] == [] and "line 3: skipped" in ranked.stderr

    chat = run(["chat", "--catalog", "shop"], data, "a floor lamp\n\nquit\n", model_cache)
    assert chat.returncode == 0, chat.stderr
    assert "1. Brass floor lamp with linen shade ($120)" in chat.stdout
    assert "What are you looking for?" in chat.stdout  # the empty line got a polite question


@pytest.mark.parametrize(
    ("args", "says"),
    [(["eval", "offline", "--help"], "--ablation"), (["eval", "simulate", "--help"], "--targets"),
     (["bench", "--help"], "--quick")],
)  # fmt: skip
def test_the_evaluation_commands_pass_their_flags_through(tmp_path, args, says):
    out = run(args, tmp_path)
    assert out.returncode == 0 and says in out.stdout, out.stderr


def test_an_unknown_benchmark_flag_is_refused(tmp_path):
    out = run(["bench", "--skip", "nothing"], tmp_path)
    assert out.returncode == 2 and "invalid choice: 'nothing'" in out.stderr


@pytest.mark.real
def test_prepare_models_converts_the_chat_model_and_keeps_it_in_int8(tmp_path):
    """`make run` runs it once after installing, so the app's first start converts nothing."""
    models = tmp_path / "models"
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(tmp_path / "data"),
           "CONCIERGE_MODEL_CACHE_DIR": str(models), "CONCIERGE_LLM_PRECISION": "int8"}  # fmt: skip
    done = subprocess.run([CONCIERGE, "prepare-models"], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "the packaged chat model is ready" in done.stdout
    [folder] = models.iterdir()
    assert (folder / "model.safetensors").exists() and len(list(folder.glob("int8-*.pt"))) == 1
    # converted before in float32 (no int8 kept): int8 asked for later is kept then
    [kept] = folder.glob("int8-*.pt")
    kept.unlink()
    done = subprocess.run([CONCIERGE, "prepare-models"], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0 and kept.exists(), done.stderr
    configured = {**env, "CONCIERGE_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    done = subprocess.run([CONCIERGE, "prepare-models"], capture_output=True, text=True,
                          env=configured, timeout=300)  # fmt: skip
    assert done.returncode == 0 and "nothing to prepare" in done.stdout
