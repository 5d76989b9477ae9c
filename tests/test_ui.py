"""What the UI's events do (bot/web/ui.py Controller) and the HTML of its cards
(bot/web/cards.py), with fakes; the page itself is tested in a real browser (test_browser.py)."""

import pytest

from bot.web.cards import card, evidence_chips, need_summary, safe_url, weight_chart
from bot.web.database import Database
from bot.web.services import Services
from bot.web.sessions import EventLog, Sessions
from bot.web.ui import Controller, chat_text
from retrieval.candidates import Weights
from tests.catalogs import PHONES
from tests.conftest import engine_over


@pytest.fixture
def control(tmp_path, store, fake_embedder):
    engine = engine_over(
        store,
        fake_embedder,
        {"phones": PHONES},
        tmp_path,
        k=4,
        weights=Weights(theta=0.0),
    )
    db = Database(tmp_path / "s.db")
    return Controller(Services(engine, Sessions(db), EventLog(db)), "phones")


def run(control, message, session="", shown=None):
    steps = list(control.respond(message, [], session, "phones", shown))
    history, sid, view = steps[-1]
    assert all(step[2] == {} for step in steps[:-1])  # the view comes with the complete reply
    return history, sid, view


def test_a_recommendation_fills_the_cards_and_the_chat_points_to_them(control):
    history, sid, view = run(control, "a samsung phone under $600")
    assert [m["role"] for m in history] == ["user", "assistant"]
    said = history[-1]["content"]  # one sentence, not a colon followed by nothing
    assert said == "Here are 2 phones from Samsung under 600, on the cards, each with why it fits."
    assert "1. " not in history[-1]["content"]  # the listing is on the cards, not in the chat
    assert view["items"] and all(i["explanation"] for i in view["items"])
    assert view["need"]["include"]["brand"] == ["Samsung"]
    stored = control.services.sessions.find(sid)
    assert stored is not None and stored.need.include["brand"] == ["Samsung"]


def test_a_question_about_the_shown_items_keeps_their_cards_and_marks_the_one_asked_about(
    control,
):
    _, sid, view = run(control, "a samsung phone under $600")
    _, _, answered = run(control, "how much is the second one?", sid, view)
    assert [i["id"] for i in answered["items"]] == [i["id"] for i in view["items"]]
    assert answered["marks"] == {view["items"][1]["id"]: "You asked about this"}
    _, _, fresh = run(control, "how much is the second one?", sid)  # nothing shown in this view
    assert fresh["items"] == []


def test_which_is_the_cheapest_marks_only_the_cheapest_card(control):
    _, sid, view = run(control, "a samsung phone under $600")
    _, _, answered = run(control, "which is the cheapest?", sid, view)
    cheapest = min(view["items"], key=lambda i: i["price"])["id"]
    assert answered["marks"] == {cheapest: "You asked about this"}


def test_a_question_about_the_shops_policies_keeps_the_cards(control, fake_embedder):
    from retrieval.policies import ingest_policies
    from tests.conftest import ROOT

    engine = control.services.engine
    ingest_policies(ROOT / "data" / "policies" / "phones", "phones", engine.store, fake_embedder)
    _, sid, view = run(control, "a samsung phone under $600")
    history, _, answered = run(control, "do you price match?", sid, view)
    assert "policy documents don't say" in history[-1]["content"]
    assert [i["id"] for i in answered["items"]] == [i["id"] for i in view["items"]]
    assert answered["marks"] == {}


def test_a_question_offers_its_options_and_any(control):
    _, _, view = run(control, "a phone")
    assert view["items"] == [] and view["options"][-1] == "Any" and len(view["options"]) >= 3


def test_a_question_asked_back_keeps_the_cards_it_refines(control, monkeypatch):
    _, sid, view = run(control, "a samsung phone under $600")
    assert view["items"]
    engine = control.engine
    real = engine.turn

    def asking(state, message, *args, **kwargs):  # the policy asks, whatever the catalog
        turn = real(state, message, *args, **kwargs)
        turn.action, turn.question = "ask", {"facet": "colour", "options": ["Red"], "text": "?"}
        turn.items = []  # a question shows no list of its own
        return turn

    monkeypatch.setattr(engine, "turn", asking)
    _, _, asked = run(control, "a smaller one", sid, view)
    assert [i["id"] for i in asked["items"]] == [i["id"] for i in view["items"]]
    assert asked["options"] == ["Red", "Any"]
    # but never a card the person has since refused (they were all Samsung)
    _, _, refused = run(control, "not that brand", sid, asked)
    assert view["items"][0]["attributes"]["brand"] == ["Samsung"] and refused["items"] == []


def test_like_and_dislike_feed_the_need_mark_the_card_and_are_logged(control):
    _, sid, view = run(control, "a samsung phone under $600")
    first, second = view["items"][0]["id"], view["items"][1]["id"]
    view = control.feedback(sid, "phones", first, "like", view)
    view = control.feedback(sid, "phones", second, "dislike", view)
    view = control.feedback(sid, "phones", second, "click", view)
    assert view["marks"] == {first: "Liked", second: "Not for me"} and view["open"] == second
    need = control.services.sessions.find(sid).need
    assert need.liked == [first] and need.disliked == [second]
    events = [(r["item"], r["event"]) for r in control.services.events.export("phones")]
    assert events[-3:] == [(first, "like"), (second, "dislike"), (second, "click")]


def test_the_theta_slider_refilters_the_sessions_items_and_keeps_for_later_turns(control):
    _, sid, view = run(control, "a samsung phone under $600")
    assert len(view["items"]) > 1
    strict = control.retheta(sid, "phones", 0.95)
    assert strict is not None and strict["theta"] == 0.95
    assert all(i["weight"] > 0.95 for i in strict["items"])
    assert len(strict["items"]) < len(view["items"])
    _, _, later = run(control, "a black one", sid)
    assert later["theta"] == 0.95
    assert control.retheta("", "phones", 0.5) is None  # nothing asked yet: nothing to show


def test_a_card_shows_catalog_text_as_text():
    item = {"id": 'x" onmouseover="alert(1)', "title": "<img src=x onerror=alert(1)>",
            "price": 9.5, "image_url": "javascript:alert(1)", "url": "https://shop.example/x?a=1&b=2",
            "weight": 0.5, "explanation": "<b>bold</b>", "closest": False,
            "evidence": [{"field": "title", "text": "<script>alert(1)</script>"}],
            "attributes": {"rating": 4.25, "colour": ["<i>red</i>"]}}  # fmt: skip
    html = card(item, 1, "USD", mark="Liked", details=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html and "<b>" not in html and "<i>red" not in html
    assert 'data-item="x&quot; onmouseover=&quot;alert(1)"' in html
    assert "javascript:" not in html and "<img" not in html  # no picture: its initials
    assert '<div class="cc-img"><span>SO</span></div>' in html
    assert 'href="https://shop.example/x?a=1&amp;b=2"' in html
    assert "$9.50" in html and "★ 4.2" in html and "Liked" in html


def test_a_picture_that_cannot_load_gives_way_to_the_items_initials():
    item = {"id": "p1", "title": "Samsung Galaxy S9 - Black", "price": 1.0,
            "image_url": "https://img.example/p1.jpg", "weight": 0.5, "evidence": []}  # fmt: skip
    html = card(item, 1, "USD")
    assert '<span>SG</span><img src="https://img.example/p1.jpg"' in html
    assert 'onerror="this.hidden=true"' in html  # the initials beneath then show


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://a.example/p.jpg", True),
        ("http://a.example/p", True),
        ("javascript:alert(1)", False),
        ("data:image/png;base64,AAAA", False),
        ("//a.example/p.jpg", False),
        ("p.jpg", False),
        (None, False),
    ],
)
def test_only_plain_web_addresses_become_links_and_images(url, kept):
    assert (safe_url(url) is not None) is kept


def test_evidence_chips_name_the_fact_in_the_items_words_never_a_field_dump():
    evidence = [
        {"part": "need", "field": "item", "text": "EKTORP. Sofas; 902.994.49 A good solution"},
        {"part": "want: a sofa for a small room", "field": "description",
         "text": "Two-seat sofa, Lofallet beige. A good solution where space is limited"},
        {"part": "type: sofa", "field": "description", "text": "Two-seat sofa, Lofallet beige"},
        {"part": "colour: Blue", "field": "facets", "text": "ColorPlus; Blue; Men; shirt"},
        {"part": "want: a bed", "field": "facets", "text": "Beds; 902.994.49 A good solution"},
        {"part": "want: comfy", "field": "facets", "text": "IKEA of Sweden; Sofas"},
        {"part": "brand: Samsung", "field": "title", "text": "Samsung - Galaxy S4"},
    ]  # fmt: skip
    assert evidence_chips(evidence) == [("description", "Two-seat sofa"),
                                        ("listing details", "Blue"),
                                        ("listing details", "Beds")]  # fmt: skip
    # the whole item and the title are on the card already; a facet line that says nothing
    # of the want is no fact
    assert evidence_chips(evidence[:1] + evidence[-2:]) == []


def test_the_weight_chart_marks_items_above_and_below_theta():
    items = [{"title": "A", "weight": 1.0}, {"title": "<B>", "weight": 0.2}]
    html = weight_chart(items, 0.5)
    assert html.count("cc-pass") == 1 and html.count("cc-fail") == 1
    assert "&lt;B&gt;" in html and "left:50%" in html


def test_the_need_summary_reads_like_a_sentence_list():
    need = {"wants": ["a rugged phone"], "include": {"brand": ["Samsung"]},
            "exclude": {"colour": ["pink"]}, "ranges": {"price": {"min": None, "max": 300}},
            "liked": ["p1"], "avoid": []}  # fmt: skip
    html = need_summary(need, "USD")
    for part in ("a rugged phone", "Samsung", "Not colour", "up to $300", "1 item<"):
        assert part in html
    assert "Nothing yet" in need_summary({}, None)


def test_chat_text_keeps_notes_and_lead_and_drops_the_listing(control):
    state = control.state("", "phones")
    turn = control.engine.respond(state, "a samsung phone under $600 " + "x" * 3000)
    assert turn.items and "\n1. " in turn.reply
    text = chat_text(turn, turn.reply)
    assert text.startswith("(Your message was long") and "1. " not in text
    assert "phones from Samsung under 600, on the cards" in text  # the lead-in, true of both


def test_requests_to_try_come_from_each_catalog_and_find_things(tmp_path, store, fake_embedder):
    from tests.catalogs import FURNITURE

    engine = engine_over(store, fake_embedder, {"phones": PHONES, "furniture": FURNITURE},
                         tmp_path, k=4, weights=Weights(theta=0.0))  # fmt: skip
    db = Database(tmp_path / "s.db")
    control = Controller(Services(engine, Sessions(db), EventLog(db)), "phones")
    tries = control.examples("furniture")
    kinds = engine.manifest("furniture").facets["type"]
    assert tries[0].startswith(f"a {next(iter(kinds))}")  # its commonest kind of thing
    assert "phone" not in " ".join(tries)  # not the demo's examples on another catalog
    for example in tries:
        *_, (_, _, view) = control.respond(example, [], "", "furniture")
        assert view["items"] or view["options"], example  # each suggestion finds something
    assert control.examples("gone") == control.examples("another gone")  # generic, no error


def test_a_card_offers_the_products_other_variants_by_what_sets_them_apart():
    from bot.web.cards import variant_names, variants

    others = [{"id": "2", "title": "iPhone SE 64GB Gold", "price": 449.0, "label": "64GB · Gold"},
              {"id": "3", "title": "<b>SE</b>", "price": 379.0, "label": ""},
              {"id": "4", "title": "iPhone SE 64GB Gold (2)", "price": 449.0,
               "label": "64GB · Gold"}]  # fmt: skip
    assert variant_names(others, "USD") == [("64GB · Gold", "2"), ("$379", "3")]  # once each
    # a price that does not differ from the card's says nothing: another listing of the same
    assert variant_names(others, "USD", price=379.0) == [("64GB · Gold", "2"),
                                                         ("another listing", "3")]  # fmt: skip
    many = [{"id": str(n), "title": "x", "price": None, "label": f"c{n}"} for n in range(7)]
    assert variants(many, "USD") == '<span class="cc-variants">Also as, and 3 more:</span>'
    assert variants(others, "USD") == '<span class="cc-variants">Also as:</span>'
