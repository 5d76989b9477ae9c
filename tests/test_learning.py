"""Learning from the app's own log (bot/web/learning.py, retrieval/interactions.py): weights by
kind, guards against one session or one client, decay, exclusions, deletion and retention, the
background update, and the admin API."""

import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.web.api import Edge, create_api
from bot.web.database import Database
from bot.web.handoffs import Handoffs
from bot.web.learning import Learner
from bot.web.services import Services
from bot.web.sessions import EventLog, Sessions
from retrieval.ingest import ingest
from retrieval.interactions import Event, Guards, Priors, learn
from tests.catalogs import PHONES
from tests.conftest import engine_over

ITEMS = {"a", "b", "c", "d"}
ADDRESS = "address:0123456789abcdef"
KEY = "admin"


def events(*rows: tuple) -> list[Event]:
    """(session, item, event[, client[, at]]) rows in order."""
    return [Event(r[0], r[1], r[2], r[4] if len(r) > 4 else 0.0, n, r[3] if len(r) > 3 else "")
            for n, r in enumerate(rows)]  # fmt: skip


OTHERS = [("p1", "b", "like"), ("p2", "b", "click"), ("p3", "a", "click"), ("p4", "c", "like")]


def test_a_thousand_clicks_from_one_session_change_a_prior_no_more_than_one_like():
    one_like = learn(events(*OTHERS, ("s1", "a", "like")), ITEMS, Guards())
    clicks = learn(events(*OTHERS, *[("s1", "a", "click")] * 1000), ITEMS, Guards())
    assert clicks.popularity["a"] <= one_like.popularity["a"]
    assert clicks.top.index("a") >= one_like.top.index("a")


def test_a_thousand_sessions_from_one_address_count_no_more_than_one_like():
    bot = [(f"s{n}", "a", "like", ADDRESS) for n in range(1000)]
    people = [("p1", "b", "like", "address:1"), ("p2", "b", "click", "address:2")]
    priors = learn(events(*bot, *people), ITEMS, Guards(client_cap=2.0))
    assert priors.top == ["b", "a"]  # one address's thousand likes weigh one like
    backend = [(f"s{n}", "c", "like", "key:shop") for n in range(3)]  # a shop's backend
    keyed = learn(events(*backend, *people), ITEMS, Guards(client_cap=2.0))
    assert keyed.top == ["c", "b"]  # its shoppers each count


def test_purchase_outweighs_like_outweighs_click_and_shown_is_no_evidence():
    rows = [
        ("s1", "a", "purchase"),
        ("s2", "b", "like"),
        ("s3", "c", "click"),
        ("s4", "d", "shown"),
    ]
    priors = learn(events(*rows), ITEMS, Guards())
    assert priors.top == ["a", "b", "c"] and "d" not in priors.popularity


def test_a_list_turned_down_and_a_dislike_count_against_an_item():
    liked = [("s1", "a", "like"), ("s1", "b", "like")]
    against = [(f"r{n}", "a", "rejected") for n in range(5)] + [("s2", "b", "dislike")]
    priors = learn(events(*liked, *against), ITEMS, Guards())
    assert "a" not in priors.popularity and "b" not in priors.popularity
    changed = learn(events(("s1", "a", "dislike"), ("s1", "a", "like")), ITEMS, Guards())
    assert "a" in changed.popularity  # a session's last word on an item counts


def test_priors_from_a_handful_of_sessions_count_little():
    rows = [("s1", "a", "like"), ("s2", "a", "click"), ("s2", "b", "like")]
    early = learn(events(*rows), ITEMS, Guards(full_after=100))
    assert early.top == ["a", "b"] and max(early.popularity.values()) == pytest.approx(0.02)
    assert early.co["a"]["b"] < 0.02
    assert learn(events(*rows), ITEMS, Guards()).popularity["a"] == 1.0


def test_old_events_count_less_and_excluded_items_learn_nothing():
    now = 1_000 * 86_400.0
    rows = [("s1", "a", "like", "", now - 60 * 86_400), ("s2", "b", "like", "", now)]
    priors = learn(events(*rows), ITEMS, Guards(half_life_days=30), now=now)
    assert priors.popularity["a"] < priors.popularity["b"]
    excluded = learn(events(*rows), ITEMS, Guards(exclude=frozenset({"b"})), now=now)
    assert "b" not in excluded.popularity and "b" not in excluded.co.get("a", {})


@pytest.fixture
def shop(tmp_path, store, fake_embedder):
    engine = engine_over(store, fake_embedder, {"phones": PHONES}, tmp_path, k=3)
    database = Database(tmp_path / "s.db")
    sessions, handoffs = Sessions(database), Handoffs(database)
    learner = Learner(EventLog(database), sessions, store,
                      lambda name: set(engine.vocabulary(name).titles), Guards(),
                      handoffs=handoffs)  # fmt: skip
    services = Services(engine, sessions, learner.events, handoffs, fake_embedder, learner)
    return services, TestClient(
        create_api(services, Edge("phones", api_key=KEY, rate_limit_per_minute=10_000))
    )


def test_deleting_a_session_removes_its_events_and_its_effect_at_the_next_update(shop):
    services, client = shop
    learner, log = services.learner, services.events
    log.record("s1", "phones", ["p1"], "like")
    log.record("s2", "phones", ["p3"], "like")
    services.sessions.save(services.sessions.get("s1", "phones"))
    learner.learn("phones")
    assert services.engine.store.priors("phones").top == ["p1", "p3"]
    response = client.delete("/api/v1/admin/sessions/s1", headers={"x-api-key": KEY})
    assert response.json() == {"deleted": {"session": 1, "events": 1, "handoffs": 0}}
    assert all(e.session != "s1" for e in log.events("phones"))
    assert services.sessions.find("s1") is None
    assert services.engine.store.priors("phones").top == ["p1", "p3"]  # until the next update
    learned = client.post("/api/v1/admin/catalogs/phones/learn", headers={"x-api-key": KEY})
    assert learned.status_code == 200 and learned.json()["top"] == ["p3"]
    assert services.engine.priors("phones").top == ["p3"]  # this process reads them at once


def test_priors_learned_the_same_again_are_not_written(shop):
    """A write changes the priors' stamp, and every process then reads the catalog again: the
    background learner must not write what it wrote before (seen: 26 rereads in one run)."""
    services, _ = shop
    store = services.engine.store
    services.events.record("s1", "phones", ["p2"], "like")
    services.learner.learn("phones")
    stamp = store.stamps()["phones"]["priors"]
    services.events.record("s1", "phones", ["p2"], "shown")  # no evidence: nothing to learn
    services.learner.learn("phones")
    assert store.stamps()["phones"]["priors"] == stamp
    services.events.record("s2", "phones", ["p3"], "like")
    services.learner.learn("phones")
    assert store.stamps()["phones"]["priors"] != stamp
    assert "p3" in store.priors("phones").popularity


def test_learned_priors_sit_beside_those_from_ingest(shop, tmp_path):
    services, _ = shop
    store = services.engine.store
    store.save_priors("phones", Priors(popularity={"p5": 1.0}, top=["p5"]))  # from ingest
    services.events.record("s1", "phones", ["p2"], "like")
    services.learner.learn("phones")
    merged = store.priors("phones")
    assert set(merged.popularity) == {"p5", "p2"}
    path = tmp_path / "phones.json"
    path.write_text(json.dumps(PHONES))
    ingest(path, "phones", store, services.embedder, progress=False)  # a re-ingest keeps both
    assert set(store.priors("phones").popularity) == {"p5", "p2"}


def test_exclusions_and_retention(shop):
    services, client = shop
    headers = {"x-api-key": KEY}
    put = client.put("/api/v1/admin/catalogs/phones/learning/exclusions",
                     json={"items": ["p1", "p1", "p4"]}, headers=headers)  # fmt: skip
    assert put.json() == {"items": ["p1", "p4"]}
    services.events.record("s1", "phones", ["p1", "p2"], "like")
    assert set(services.learner.learn("phones").popularity) == {"p2"}
    services.learner.retention_days = 1
    old = time.time() - 2 * 86_400
    with services.events.db.connection() as conn:  # an event and a session from 2 days ago
        from bot.web.database import events_table, sessions_table

        conn.execute(
            events_table.insert(),
            [{"session": "old", "catalog": "phones", "item": "p3", "event": "like", "at": old}],
        )
        conn.execute(sessions_table.insert(), [{"id": "old", "catalog": "phones",
                                                "state": "{}", "updated": old}])  # fmt: skip
    assert services.learner.expire() == {"events": 1, "sessions": 1, "handoffs": 0}
    assert "p3" not in services.learner.learn("phones").popularity


def test_a_list_turned_down_in_the_chat_is_logged_with_its_client(shop):
    services, client = shop
    first = client.post("/api/v1/chat", json={"message": "a samsung phone"}).json()
    sid = first["session_id"]
    shown = [i["id"] for i in first["items"]]
    client.post("/api/v1/chat", json={"message": "none of these", "session_id": sid})
    logged = services.events.events("phones")
    rejected = [e for e in logged if e.event == "rejected"]
    assert [e.item for e in rejected] == shown
    assert rejected[0].client.startswith("address:") and "testclient" not in rejected[0].client


def test_the_background_learns_once_enough_events_are_logged(shop):
    services, _ = shop
    services.learner.watch(seconds=0.05, events=2)
    services.events.record("s1", "phones", ["p6"], "like")
    services.events.record("s2", "phones", ["p6"], "click")
    deadline = time.monotonic() + 10
    while "p6" not in services.engine.store.priors("phones").popularity:
        assert time.monotonic() < deadline, "the background never learned"
        time.sleep(0.05)
