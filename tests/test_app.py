"""`python app.py` on an empty data directory: ingests the demo catalog and serves the chat."""

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import ROOT, free_port, wait_for_http

pytestmark = pytest.mark.real


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def test_first_start_ingests_the_demo_and_answers_with_phones(tmp_path, model_cache):
    port = free_port()
    env = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(tmp_path / "data"),
        "CONCIERGE_MODEL_CACHE_DIR": str(model_cache),
        "CONCIERGE_PORT": str(port),
    }
    log = tmp_path / "app.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz", 600, process)
            with urllib.request.urlopen(base + "/", timeout=30) as page:
                assert "gradio" in page.read().decode().lower()
            body = post(f"{base}/api/v1/chat", {"message": "an unlocked apple iphone", "k": 5})
            assert body["action"] == "recommend" and len(body["items"]) == 5
            assert sum("iPhone" in i["title"] for i in body["items"]) >= 4
            assert body["items"][0]["image_url"].startswith("https://")
            assert "$" in body["reply"]
        finally:
            process.terminate()
            process.wait(30)
    text = log.read_text()
    assert "First start: ingesting the demo catalog" in text
    assert "3291 added" in text
