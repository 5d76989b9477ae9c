"""The Gradio chat (a first slice: streaming replies on any ingested catalog)."""

from collections.abc import Iterator
from typing import Any

from bot.engine import Engine
from bot.sessions import Sessions

EXAMPLES = ["an unlocked iPhone", "a cheap prepaid phone with a good camera", "a rugged case"]


def create_ui(engine: Engine, sessions: Sessions, default_catalog: str) -> Any:
    import gradio as gr

    catalogs = engine.store.catalogs() or [default_catalog]

    def respond(
        message: str, history: list[dict], session_id: str, catalog: str
    ) -> Iterator[tuple[list[dict], str, str]]:
        state = sessions.get(session_id or None, catalog)
        turn = engine.turn(state, message)
        history = [*history, {"role": "user", "content": turn.message or " "}]
        for text in engine.stream_reply(turn):
            yield [*history, {"role": "assistant", "content": text}], "", state.session_id

    with gr.Blocks(title="Concierge") as app:
        gr.Markdown("## Concierge\nTell me what you are looking for.")
        session = gr.State("")
        catalog = gr.Dropdown(catalogs, value=default_catalog, label="Catalog")
        # Catalog text is data: shown as plain text, never rendered as Markdown or HTML.
        chat = gr.Chatbot(label="Chat", height=480, render_markdown=False)
        box = gr.Textbox(placeholder="e.g. an unlocked iPhone under $300", show_label=False)
        gr.Examples(EXAMPLES, inputs=box)
        reset = gr.Button("Start over", variant="secondary")
        box.submit(respond, [box, chat, session, catalog], [chat, box, session])
        reset.click(lambda: ([], "", ""), None, [chat, box, session])
        catalog.change(lambda: ([], ""), None, [chat, session])
    return app
