"""The app in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
download). It chats, sees cards, clicks a quick reply and a like, checks the phone-width layout,
and opens the widget inside a shop page served from another origin, where a catalog's markup
shows as text. Screenshots are kept in test-artifacts/screenshots."""

import contextlib
import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.real
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "test-artifacts" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]  # fmt: skip
HOSTILE_TITLE = "<img src=x onerror=alert(1)> Desk lamp"


@contextlib.contextmanager
def serve_shop(port: int) -> Iterator[ThreadingHTTPServer]:
    """The example shop page (docs/example-shop) on its own origin, closed after (the next test
    may serve it on the same port)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(ROOT / "docs" / "example-shop"))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):
    """A page that may load anything from this machine; other hosts are refused and recorded
    (only the catalog's product images may be asked for)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside: list[str] = []
    page.dialogs: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlparse(url).hostname in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            page.outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    page.screenshot(path=SHOTS / f"last-{request.node.name}.png", full_page=True)  # for failures
    context.close()


def ready(where) -> None:
    """Wait until the app has loaded and run its first events (the empty cards area is drawn by
    one), so that a message sent is not lost."""
    where.locator("#cc-message textarea:not([disabled])").wait_for(timeout=60_000)  # loaded
    where.get_by_text("Recommendations will appear here").wait_for(timeout=60_000)


def send(where, text: str) -> None:
    """Type as a person does (key by key, not a value set and submitted in one tick, which a
    loaded machine can send before the page has taken it), and see the message in the chat."""
    box = where.locator("#cc-message textarea")
    box.press_sequentially(text, delay=15)
    box.press("Enter")
    where.locator(".user-row", has_text=text).last.wait_for(timeout=60_000)


OVERLAPS = """(selector) => {
    const boxes = [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect())
        .filter(b => b.width > 0);
    const pairs = [];
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
            && b.top < a.bottom - 1) pairs.push([i, boxes.indexOf(b)]);
    }));
    return pairs;
}"""
# Every card's actions inside its box; every picture loaded or hidden (its initials show).
ACTIONS_INSIDE = """() => [...document.querySelectorAll('.cc-box')].every((box) => {
    const outer = box.getBoundingClientRect();
    return [...box.querySelectorAll('button')].every((b) => {
        const r = b.getBoundingClientRect();
        return r.left >= outer.left && r.right <= outer.right && r.top >= outer.top
            && r.bottom <= outer.bottom;
    });
})"""
NO_BROKEN_IMAGE = """() => [...document.querySelectorAll('.cc-img img')]
    .every((img) => img.hidden || (img.complete && img.naturalWidth > 0))"""


def test_chat_cards_quick_replies_likes_and_the_why_panel(real_app, page):
    page.goto(real_app.base + "/")
    ready(page)
    send(page, "a phone")
    quick = page.locator(".cc-quick button")
    quick.first.wait_for(timeout=60_000)  # the bot asks (the brand) and offers the options
    options = quick.all_inner_texts()
    assert len(options) >= 3 and options[-1] == "Any"
    assert page.evaluate(OVERLAPS, ".cc-quick button") == []  # readable chips, not a pile
    page.screenshot(path=SHOTS / "1-question.png", full_page=True)

    quick.first.click()
    cards = page.locator(".cc-card")
    cards.first.wait_for(timeout=90_000)
    assert cards.count() >= 3
    assert options[0].lower() in cards.first.inner_text().lower()  # the brand picked
    page.locator(".cc-why").first.wait_for()  # explanations on the cards
    assert page.get_by_text("on the cards").count() >= 1
    assert page.evaluate(ACTIONS_INSIDE)
    page.wait_for_function(NO_BROKEN_IMAGE, timeout=30_000)  # images from outside are refused
    assert page.evaluate(OVERLAPS, ".cc-box") == []
    shown_before = cards.count()

    # another colour or carrier of a shown phone, chosen on its card: it takes the card's place
    at = page.evaluate("[...document.querySelectorAll('.cc-box')]"
                       ".findIndex((b) => b.querySelector('.cc-choices button'))")  # fmt: skip
    assert at >= 0, "no card offers another colour or carrier"
    choice = page.locator(".cc-box").nth(at).locator(".cc-choices button").first
    parts = [p.lower() for p in choice.inner_text().split(" · ")]
    choice.click()
    page.wait_for_function("([at, parts]) => { const card = document.querySelectorAll('.cc-card')"
                           "[at]; return card && parts.every((p) => card.innerText.toLowerCase()"
                           ".includes(p)); }", arg=[at, parts], timeout=60_000)  # fmt: skip
    assert cards.count() == shown_before and page.evaluate(ACTIONS_INSIDE)

    shown = cards.count()
    send(page, "how much is the second one?")
    page.locator(".cc-mark", has_text="You asked about this").wait_for(timeout=60_000)
    assert cards.count() == shown  # the list being asked about stays

    page.locator("button.cc-like").first.click()
    page.locator(".cc-mark", has_text="Liked").wait_for(timeout=30_000)
    page.get_by_text("Why these?").click()
    page.locator(".cc-need dt", has_text="Liked").wait_for(timeout=30_000)
    assert page.locator(".cc-bar-row").count() == cards.count()
    page.screenshot(path=SHOTS / "2-cards-liked-why.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the page is {width}px wide on a 390px phone"
    assert page.evaluate(ACTIONS_INSIDE) and page.evaluate(OVERLAPS, ".cc-box button") == []
    page.screenshot(path=SHOTS / "3-phone-width.png", full_page=True)
    assert page.dialogs == []
    assert all("bestbuy" in url for url in page.outside), page.outside  # product images only


def test_the_widget_in_a_shop_page_from_another_origin_shows_markup_as_text(
    real_app, page, shop_port
):
    with serve_shop(shop_port):
        page.goto(f"http://127.0.0.1:{shop_port}/index.html?concierge={real_app.base}"
                  "&catalog=lamps")  # fmt: skip
        frame = page.frame_locator("#concierge")
        ready(frame)
        send(frame, "a desk lamp")
        card = frame.locator(".cc-card").first
        card.wait_for(timeout=90_000)
        titles = frame.locator(".cc-title").all_inner_texts()
        assert any(HOSTILE_TITLE in t for t in titles), titles
        assert any("<b>Floor</b> lamp" in t for t in titles), titles
        assert frame.locator('img[src="x"]').count() == 0
        assert frame.locator(".cc-title b").count() == 0
        page.wait_for_timeout(1000)
        assert page.dialogs == [], "catalog markup ran in the browser"
        page.screenshot(path=SHOTS / "4-widget-in-shop.png", full_page=True)


def test_the_web_component_in_a_shop_page_loads_gradio_from_the_app_not_a_cdn(
    real_app, page, shop_port
):
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    with serve_shop(shop_port):
        page.goto(f"http://127.0.0.1:{shop_port}/index.html?concierge={real_app.base}"
                  "&embed=component")  # fmt: skip
        app = page.locator("gradio-app")
        ready(app)
        send(app, "a phone under $300")
        app.locator(".cc-card").first.wait_for(timeout=90_000)
        assert app.locator(".cc-card").count() >= 2
        assert f"{real_app.base}/gradio.js" in loaded  # the loader, and Gradio, from the app
        assert any(u.startswith(f"{real_app.base}/assets/") for u in loaded)
        # nothing from another host but the catalog's own pictures: no CDN, no fonts
        assert [u for u in page.outside if u not in real_app.demo_images] == []
        page.screenshot(path=SHOTS / "6-web-component-in-shop.png", full_page=True)


def test_a_page_from_an_origin_not_allowed_cannot_frame_the_widget(real_app, page):
    with serve_shop(free_port()) as other:
        port = other.server_address[1]
        page.goto(f"http://127.0.0.1:{port}/index.html?concierge={real_app.base}")

        # the browser refuses the frame and shows its own error page where the chat would be
        def refused() -> bool:
            return any(f.url.startswith("chrome-error://") for f in page.frames)

        for _ in range(150):  # up to 15 s
            if refused():
                break
            page.wait_for_timeout(100)
        assert refused()
        assert page.frame_locator("#concierge").locator("#cc-message textarea").count() == 0
        page.screenshot(path=SHOTS / "5-refused-origin.png")


def test_a_catalog_ingested_over_http_is_in_the_picker_and_answers(real_app, page):
    from tests.real_app import API_KEY

    csv = b"id,title,price\nm1,Blue coffee mug,9\nm2,Travel mug,15\n"
    headers = {"X-API-Key": API_KEY, "content-type": "text/csv"}
    status, ingested = real_app.call("/api/v1/admin/catalogs/mugs/items?format=csv", csv, headers)
    assert status == 200 and ingested["added"] == 2
    page.goto(real_app.base + "/")
    ready(page)
    page.get_by_label("Catalog").click()
    page.get_by_role("option", name="mugs").click()
    page.wait_for_timeout(500)
    send(page, "a travel mug")
    page.locator(".cc-card").first.wait_for(timeout=60_000)
    assert page.locator(".cc-title").first.inner_text() == "1. Travel mug"
