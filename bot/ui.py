"""The Gradio chat: streaming replies, quick replies for the bot's questions, and a panel showing
the structured need as the bot understands it."""

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
    ) -> Iterator[tuple[list[dict], str, str, dict, Any]]:
        state = sessions.get(session_id or None, catalog)
        turn = engine.turn(state, message)
        history = [*history, {"role": "user", "content": turn.message or " "}]
        options = turn.question["options"] + ["Any"] if turn.question else []
        quick = gr.update(choices=options, value=None, visible=bool(options))
        need = state.need.model_dump()
        for text in engine.stream_reply(turn):
            yield (
                [*history, {"role": "assistant", "content": text}],
                "",
                state.session_id,
                need,
                quick,
            )

    def reset() -> tuple[list, str, str, dict, Any]:
        return [], "", "", {}, gr.update(choices=[], value=None, visible=False)

    with gr.Blocks(title="Concierge") as app:
        gr.Markdown("## Concierge\nTell me what you are looking for.")
        session = gr.State("")
        with gr.Row():
            with gr.Column(scale=3):
                catalog = gr.Dropdown(catalogs, value=default_catalog, label="Catalog")
                # Catalog text is data: shown as plain text, never rendered as Markdown or HTML.
                chat = gr.Chatbot(label="Chat", height=480, render_markdown=False)
                quick = gr.Radio([], label="Quick replies", visible=False)
                box = gr.Textbox(placeholder="e.g. an unlocked iPhone under $300", show_label=False)
                gr.Examples(EXAMPLES, inputs=box)
                restart = gr.Button("Start over", variant="secondary")
            with gr.Column(scale=2):
                need = gr.JSON(label="What I understood", value={})
        outputs = [chat, box, session, need, quick]
        box.submit(respond, [box, chat, session, catalog], outputs)
        quick.select(lambda choice: choice, quick, box).then(
            respond, [box, chat, session, catalog], outputs
        )
        restart.click(reset, None, outputs)
        catalog.change(reset, None, outputs)
    return app
