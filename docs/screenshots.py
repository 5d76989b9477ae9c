"""Regenerate the README's pictures: the app at desktop and phone width, and the widget in a
shop's page, each after a real chat with a running Concierge.

    CONCIERGE_ALLOWED_ORIGINS=http://127.0.0.1:8765 make run      # in one shell
    .venv/bin/python docs/screenshots.py --app http://127.0.0.1:7860

Needs the test dependencies (Playwright) and Debian's Chromium (`apt-get install chromium`).
The shop page (docs/example-shop/index.html) is served on port 8765 by this script; the
app must allow that origin, as above, or the shop picture shows an empty widget.
"""

import argparse
import functools
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SHOP_PORT = 8765
REQUEST = "a phone for my mom under $200"
SHOTS = [  # (file, page, width, height)
    ("screenshot-desktop.png", "/", 1366, 900),
    ("screenshot-phone.png", "/", 390, 844),
    ("screenshot-shop.png", "shop", 1366, 900),
]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve_shop() -> ThreadingHTTPServer:
    handler = functools.partial(Quiet, directory=str(DOCS / "example-shop"))
    server = ThreadingHTTPServer(("127.0.0.1", SHOP_PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def chat(where, text: str) -> None:
    """Type a request as a person does, and wait for the cards."""
    box = where.locator("#cc-message textarea:not([disabled])")  # open once the page has loaded
    box.wait_for(timeout=60_000)
    where.get_by_text("Recommendations will appear here").wait_for(timeout=60_000)
    box.press_sequentially(text, delay=15)
    box.press("Enter")
    where.locator(".cc-card").first.wait_for(timeout=120_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="http://127.0.0.1:7860", help="a running Concierge")
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    shop = serve_shop()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for name, where, width, height in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                if where == "shop":
                    page.goto(f"http://127.0.0.1:{SHOP_PORT}/index.html"
                              f"?concierge={args.app}&embed=component")  # fmt: skip
                    chat(page.locator("gradio-app"), REQUEST)
                else:
                    page.goto(args.app + where)
                    chat(page, REQUEST)
                page.wait_for_timeout(1500)  # the explanations follow the list
                if width < 600:  # on a phone the cards come under the chat: show the first
                    page.locator(".cc-card").first.scroll_into_view_if_needed()
                page.screenshot(path=args.out / name)
                print(f"wrote {args.out / name}")
                page.close()
            browser.close()
    finally:
        shop.shutdown()


if __name__ == "__main__":
    main()
