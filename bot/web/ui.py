"""The Gradio app: a streaming chat, product cards with like and dislike, quick replies for the
bot's questions, and a "why" panel (the structured need, the shown items' weights against θ, and
a θ slider); and a compact widget of the same chat for a shop's own page (/widget?catalog=...).
Catalog text reaches the page only through bot/web/cards.py, which escapes it."""

from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from bot.engine import Turn
from bot.state import DialogueState
from bot.web.cards import CSS, card, need_summary, variant_names, variants, weight_chart
from bot.web.services import Services, logged_client
from retrieval.types import FACET as TYPE_FACET

EXAMPLES = {
    "phones": [
        "an unlocked iPhone",
        "a cheap prepaid phone with a good camera",
        "what is your return policy?",
    ],
}
ASKED = "You asked about this"
GENERIC_EXAMPLES = ["something popular", "a gift under 50", "what is your return policy?"]


def empty_view() -> dict[str, Any]:
    return {"items": [], "currency": None, "options": [], "marks": {}, "need": {}}


class Controller:
    """What the UI's events do, on the app's services; each returns plain values."""

    def __init__(self, services: Services, default_catalog: str) -> None:
        self.services = services
        self.engine = services.engine
        self.default_catalog = default_catalog

    def catalogs(self) -> list[str]:
        return self.engine.store.catalogs() or [self.default_catalog]

    def examples(self, catalog: str) -> list[str]:
        """Requests to try, from the catalog itself: its commonest kind of thing at about its
        median price, that kind from its commonest brand, and a policy question when the shop
        has policies."""
        if catalog in EXAMPLES:
            return EXAMPLES[catalog]
        try:
            manifest = self.engine.manifest(catalog)
            has_policies = bool(self.engine.knowledge.policies(catalog)[0])
        except Exception:  # a catalog gone or not ingested yet: the generic ones
            return GENERIC_EXAMPLES
        out = []
        kind = next(iter(manifest.facets.get(TYPE_FACET, {})), None)
        if kind:
            price = manifest.type_quantiles.get(kind, {}).get("price")
            out.append(
                f"{_a(kind)} {kind} under {_round(price[1])}" if price else f"{_a(kind)} {kind}"
            )
            brand = next(iter(manifest.facets.get("brand", {})), None)
            out += [f"{_a(brand)} {brand} {kind}"] if brand else []
        out += ["what is your return policy?"] if has_policies else []
        return out if kind else GENERIC_EXAMPLES

    def state(self, session_id: str, catalog: str) -> DialogueState:
        return self.services.sessions.get(session_id or None, catalog)

    def respond(
        self, message: str, history: list[dict], session_id: str, catalog: str,
        shown: dict[str, Any] | None = None, client: str = "",
    ) -> Iterator[tuple[list[dict], str, dict[str, Any]]]:  # fmt: skip
        """(chat history, session id, view) as the reply grows; the view (cards, options,
        need) is filled once the reply is complete. A question about the items `shown` keeps
        their cards, the ones asked about marked; so does one about the shop's policies, and a
        question the bot asks back (those cards are still what "the second one" or "which is
        the lightest?" means; seen in Chromium: the cards emptied, then the bot answered about
        items no longer on screen)."""
        sessions = self.services.sessions
        state = self.state(session_id, catalog)
        with sessions.lock(state.session_id):
            turn = self.engine.turn(state, message)
            history = [*history, {"role": "user", "content": turn.message or " "}]
            for text in self.engine.stream_reply(turn):
                reply = {"role": "assistant", "content": chat_text(turn, text)}
                yield [*history, reply], state.session_id, {}
            sessions.save(state)
        self.services.after_turn(turn, client)
        reply = {"role": "assistant", "content": chat_text(turn, turn.reply)}
        view = self.view(turn)
        kept = turn.reply_key in ("item", "policy") or turn.action == "ask"
        if kept and shown and shown.get("items"):
            marks = {i: ASKED for i in turn.asked_about} | dict(shown.get("marks") or {})
            # never a card the person has since refused (seen in Chromium: after "not that
            # brand" the bot asked back and the refused brand's cards stayed)
            need = turn.state.need
            items = [i for i in shown["items"]
                     if not need.refuses(i["id"], i["title"], i.get("attributes"))]  # fmt: skip
            view = {**shown, "items": items, "options": view["options"], "marks": marks,
                    "need": view["need"]}  # fmt: skip
        yield [*history, reply], state.session_id, view

    def view(self, turn: Turn, marks: dict[str, str] | None = None) -> dict[str, Any]:
        options = turn.question["options"] + ["Any"] if turn.question else []
        return {"items": [_plain(i) for i in turn.to_dict()["items"]], "currency": turn.currency,
                "options": options, "marks": marks or {}, "need": turn.state.need.model_dump(),
                "theta": self.theta(turn.state)}  # fmt: skip

    def theta(self, state: DialogueState) -> float:
        return self.engine.weights.theta if state.theta is None else state.theta

    def feedback(
        self, session_id: str, catalog: str, item_id: str, value: str, view: dict[str, Any],
        client: str = "",
    ) -> dict[str, Any]:  # fmt: skip
        """Like, dislike or click ("Details", which opens the card's attributes) on a card: the
        need and the log take it."""
        state = self.state(session_id, catalog)
        self.services.feedback(state, item_id, value, client)
        marks = dict(view.get("marks") or {})
        if value in ("like", "dislike"):
            marks[item_id] = "Liked" if value == "like" else "Not for me"
        opened = item_id if value == "click" and view.get("open") != item_id else None
        return {**view, "marks": marks, "need": state.need.model_dump(), "open": opened}

    def choose(
        self, session_id: str, catalog: str, item_id: str, variant_id: str, view: dict[str, Any]
    ) -> dict[str, Any]:
        """A card's other colour, size or carrier chosen: that one on the card instead."""
        state = self.state(session_id, catalog)
        with self.services.sessions.lock(state.session_id):
            chosen = self.engine.swap(state, item_id, variant_id)
            self.services.sessions.save(state)
        if chosen is None:
            return view
        swap = _plain(asdict(chosen))
        items = [({**swap, "weight": i["weight"]} if i["id"] == item_id else i)
                 for i in view.get("items") or []]  # fmt: skip
        return {**view, "items": items, "need": state.need.model_dump()}

    def retheta(self, session_id: str, catalog: str, theta: float) -> dict[str, Any] | None:
        """The session's θ changed: its items again, or None when it has no need yet."""
        state = self.state(session_id, catalog)
        with self.services.sessions.lock(state.session_id):
            state.theta = theta
            turn = self.engine.reshow(state)
            self.services.sessions.save(state)
        self.services.after_turn(turn)
        return self.view(turn) if turn.items else None


def chat_text(turn: Turn, reply: str) -> str:
    """The reply as the chat shows it: the items are on their cards, so a recommendation's
    numbered listing gives way to a pointer to them."""
    if not turn.items:
        return reply
    lead = reply.split("\n\n1. ")[0].strip()
    if lead.endswith(":"):  # "Here are 5 phones under $400:" introduced the listing
        return f"{lead[:-1]}, on the cards, each with why it fits."
    picks = f"{len(turn.items)} pick" + ("s" if len(turn.items) > 1 else "")
    return f"{lead}\n\nI've put {picks} on the cards, each with why it fits."


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """What a card needs of an item (the view is kept in the browser session)."""
    keep = ("id", "title", "price", "image_url", "url", "weight", "explanation", "closest")
    out = {k: item[k] for k in keep}
    out["evidence"] = [{"field": e["field"], "text": e["text"], "part": e.get("part", "")}
                       for e in item["evidence"]]  # fmt: skip
    out["attributes"] = item["attributes"]
    out["variants"] = [{k: v[k] for k in ("id", "title", "price", "label")}
                       for v in item.get("variants") or []]  # fmt: skip
    return out


def create_ui(services: Services, default_catalog: str) -> Any:
    return _build(Controller(services, default_catalog), compact=False)


def create_widget(services: Services, default_catalog: str) -> Any:
    return _build(Controller(services, default_catalog), compact=True)


def _build(control: Controller, compact: bool) -> Any:
    import gradio as gr

    catalogs = control.catalogs()
    default = control.default_catalog
    first_tries = control.examples(default)  # the placeholder and the requests to try

    def on_feedback(item_id: str, value: str) -> Callable[..., dict[str, Any]]:
        def handle(sid: str, name: str, v: dict, request: gr.Request) -> dict[str, Any]:
            return control.feedback(sid, name, item_id, value, v, client_of(request))

        return handle

    with gr.Blocks(title="Concierge", analytics_enabled=False) as app:
        session = gr.State("")
        view = gr.State(empty_view())
        catalog = gr.State(default)
        with gr.Row(equal_height=False, elem_classes="cc-header"):
            with gr.Column(scale=3, min_width=220):
                gr.Markdown("### Concierge" if compact else "## Concierge\nTell me what you "
                            "need; I'll ask if it helps, and show why each pick fits.")  # fmt: skip
            picker = gr.Dropdown(catalogs, value=default, label="Catalog", scale=0,
                                 min_width=160, visible=not compact)  # fmt: skip
            restart = gr.Button("Start over", variant="secondary", size="sm", scale=0,
                                min_width=100)  # fmt: skip
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=300):
                chat = gr.Chatbot(label="Chat", height=320 if compact else 460,
                                  render_markdown=False, buttons=[], feedback_options=None,
                                  placeholder="Ask for something, or a question about our "
                                  "policies.")  # fmt: skip
                with gr.Column(elem_classes="cc-quick"):

                    @gr.render(inputs=[view])
                    def quick_replies(shown: dict[str, Any]) -> None:
                        options = shown.get("options") or []
                        if not options:
                            return
                        with gr.Row():
                            for option in options:
                                button = gr.Button(option, size="sm", variant="secondary",
                                                   min_width=0, scale=0)  # fmt: skip
                                button.click(lambda o=option: o, None, box).then(
                                    respond, chat_io, chat_out)  # fmt: skip

                with gr.Row(equal_height=True):
                    box = gr.Textbox(placeholder=f"e.g. {first_tries[0]}",
                                     interactive=False,  # until the load event has run
                                     show_label=False, scale=5, max_lines=4, lines=1,
                                     elem_id="cc-message")  # fmt: skip
                    send = gr.Button("Send", variant="primary", scale=1, min_width=70)
                examples = gr.Dataset(components=[box], samples=[[e] for e in first_tries],
                                      label="Try", visible=not compact)  # fmt: skip
            with gr.Column(scale=4, min_width=300, elem_id="cc-cards"):

                @gr.render(inputs=[view])
                def cards(shown: dict[str, Any]) -> None:
                    items = shown.get("items") or []
                    if not items:
                        gr.HTML('<p class="cc-empty">Recommendations will appear here.</p>')
                        return
                    marks = shown.get("marks") or {}
                    for n, item in enumerate(items, start=1):
                        with gr.Column(elem_classes="cc-box"):  # the card and its actions
                            gr.HTML(card(item, n, shown.get("currency"), marks.get(item["id"], ""),
                                         details=item["id"] == shown.get("open")))  # fmt: skip
                            # another colour or carrier: on the card instead, explained
                            currency = shown.get("currency")
                            price = item.get("price")
                            others = variant_names(item.get("variants") or [], currency,
                                                   price=price)  # fmt: skip
                            if others:
                                with gr.Row(elem_classes="cc-choices"):
                                    gr.HTML(variants(item["variants"], currency, price),
                                            elem_classes="cc-choices-label")  # fmt: skip
                                    for label, other in others:
                                        choice = gr.Button(label, size="sm", min_width=0, scale=0,
                                                           variant="secondary")  # fmt: skip
                                        choice.click(
                                            lambda sid, name, v, i=item["id"], o=other:
                                            control.choose(sid, name, i, o, v),
                                            [session, catalog, view], view)  # fmt: skip
                            with gr.Row(elem_classes="cc-actions"):
                                for label, value in (("Like", "like"), ("Not for me", "dislike"),
                                                     ("Details", "click")):  # fmt: skip
                                    button = gr.Button(label, size="sm", variant="secondary",
                                                       min_width=0, scale=0,
                                                       elem_classes=f"cc-{value}")  # fmt: skip
                                    button.click(on_feedback(item["id"], value),
                                                 [session, catalog, view], view)  # fmt: skip

        with gr.Accordion("Why these?", open=False, visible=not compact, elem_id="cc-why"):
            with gr.Row():
                with gr.Column(min_width=280):
                    gr.Markdown("**What I understood**")
                    need_box = gr.HTML(need_summary({}, None))
                with gr.Column(min_width=280):
                    gr.Markdown("**Attention weights of the shown items**")
                    chart = gr.HTML(weight_chart([], control.engine.weights.theta))
                    theta = gr.Slider(0.0, 0.95, value=control.engine.weights.theta, step=0.05,
                                      label="θ: keep items whose weight is above it")  # fmt: skip
            with gr.Accordion("The structured need, as the API returns it", open=False):
                need_json = gr.JSON(show_label=False, value={})

        def respond(
            message: str, history: list[dict], session_id: str, name: str, before: dict,
            request: gr.Request,
        ) -> Iterator:  # fmt: skip
            for messages, sid, shown in control.respond(message, history, session_id, name,
                                                        before, client_of(request)):  # fmt: skip
                if shown:
                    yield messages, "", sid, shown
                else:
                    yield messages, "", sid, gr.skip()

        def panels(shown: dict[str, Any]) -> tuple[str, str, dict]:
            need = shown.get("need") or {}
            theta_now = shown.get("theta", control.engine.weights.theta)
            return (need_summary(need, shown.get("currency")),
                    weight_chart(shown.get("items") or [], theta_now), need)  # fmt: skip

        def reset() -> tuple[list, str, str, dict]:
            return [], "", "", empty_view()

        def from_url(request: gr.Request) -> tuple[str, Any, Any, Any]:
            """The catalog named in the page's address (?catalog=), else the default; the picker
            lists the catalogs there are now (one ingested over HTTP shows at once)."""
            known = control.catalogs()
            wanted = request.query_params.get("catalog") if request else None
            name = wanted if wanted in known else default
            placeholder, tries = suggestions(name)
            # the box opens now: a message typed before the page knew its catalog went elsewhere
            return (
                name,
                gr.update(value=name, choices=known),
                {**placeholder, "interactive": True},
                tries,
            )

        def suggestions(name: str) -> tuple[Any, Any]:
            """The message box's placeholder and the requests to try, for this catalog."""
            tries = control.examples(name)
            return gr.update(placeholder=f"e.g. {tries[0]}"), gr.update(
                samples=[[e] for e in tries]
            )

        def switch(name: str) -> tuple[list, Any, str, dict, str, Any]:
            placeholder, tries = suggestions(name)
            return [], {**placeholder, "value": ""}, "", empty_view(), name, tries

        def retheta(value: float, session_id: str, name: str, shown: dict[str, Any]) -> Any:
            if not session_id:
                return {**shown, "theta": value}
            return control.retheta(session_id, name, value) or {**shown, "theta": value}

        chat_io = [box, chat, session, catalog, view]
        chat_out = [chat, box, session, view]
        box.submit(respond, chat_io, chat_out)
        send.click(respond, chat_io, chat_out)
        examples.click(lambda sample: sample[0], examples, box).then(respond, chat_io, chat_out)
        view.change(panels, view, [need_box, chart, need_json])
        restart.click(reset, None, [chat, box, session, view])
        picker.change(switch, picker, [chat, box, session, view, catalog, examples])
        app.load(from_url, None, [catalog, picker, box, examples])
        theta.release(retheta, [theta, session, catalog, view], view)

    return app


def client_of(request: Any) -> str:
    """The page's client as the event log keeps it (a hash of its address)."""
    host = request.client.host if request is not None and request.client else "unknown"
    return logged_client(f"address:{host}")


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _round(price: float) -> str:
    """A round figure near `price`, as a person says it: 249.99 -> 250, 1,299 -> 1300."""
    digits = max(0, len(str(int(price))) - 2)
    return f"{round(price, -digits):.0f}"


def theme_and_css() -> dict[str, Any]:
    """For gr.mount_gradio_app: the look of both the app and the widget."""
    import gradio as gr

    # System fonts: the default theme would have every visitor's browser fetch Google Fonts.
    theme = gr.themes.Soft(primary_hue="indigo", font=["system-ui", "sans-serif"],
                           font_mono=["ui-monospace", "monospace"])  # fmt: skip
    return {"theme": theme, "css": CSS, "show_error": False,
            "footer_links": []}  # fmt: skip
