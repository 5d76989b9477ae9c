"""Sessions and the feedback log in the database (SQLite, and PostgreSQL where there is one):
they survive a restart, several processes share them, and a corrupted, locked or unreachable
database never takes the app down."""

import sqlite3

from sqlalchemy import text

from bot.state import DialogueState
from bot.web.database import Database
from bot.web.sessions import EventLog, Sessions
from retrieval.interactions import learn_priors


def test_a_session_survives_a_restart(database_url):
    sessions = Sessions(Database(database_url))
    state = sessions.get("abc", "phones")
    state.need.wants.append("a rugged phone")
    state.need.like("p1")
    state.theta = 0.3
    sessions.save(state)

    again = Sessions(Database(database_url)).find("abc")  # a new process: nothing in memory
    assert again is not None
    assert again.need.wants == ["a rugged phone"] and again.need.liked == ["p1"]
    assert again.theta == 0.3 and again.catalog == "phones"


def test_a_session_moved_on_by_another_process_is_read_again(database_url):
    one, two = Sessions(Database(database_url)), Sessions(Database(database_url))
    state = one.get("abc", "phones")
    state.need.wants.append("a rugged phone")
    one.save(state)
    moved = two.get("abc", "phones")  # the next request reaches the other process
    assert moved.need.wants == ["a rugged phone"]
    moved.need.like("p1")
    two.save(moved)
    back = one.get("abc", "phones")  # and the one after comes back: its copy is out of date
    assert back.need.liked == ["p1"] and back.need.wants == ["a rugged phone"]
    assert one.get("abc", "phones") is back  # unchanged since: the copy in memory serves


def test_an_unreachable_database_keeps_sessions_in_memory(caplog):
    database = Database("postgresql://nobody@127.0.0.1:9/none", timeout=1)  # nothing listens
    sessions = Sessions(database)
    state = sessions.get("a", "phones")
    state.need.wants.append("still here")
    sessions.save(state)
    assert "save session" in database.error and "save session" in caplog.text
    assert sessions.find("a").need.wants == ["still here"]
    EventLog(database).record("a", "phones", ["p1"], "like")  # logged as failed, not raised
    assert "log events" in database.error


def test_a_session_of_another_catalog_starts_afresh(tmp_path):
    sessions = Sessions(Database(tmp_path / "s.db"))
    state = sessions.get("abc", "phones")
    state.need.wants.append("x")
    sessions.save(state)
    other = sessions.get("abc", "ikea")
    assert other.catalog == "ikea" and other.need.wants == []


def test_memory_holds_only_the_latest_sessions_and_the_rest_come_back_from_disk(tmp_path):
    sessions = Sessions(Database(tmp_path / "s.db"), capacity=2)
    for n in range(5):
        state = sessions.get(f"s{n}", "phones")
        state.need.wants.append(f"want {n}")
        sessions.save(state)
    assert len(sessions._states) == 2
    old = sessions.find("s0")
    assert old is not None and old.need.wants == ["want 0"]


def test_a_corrupted_database_is_moved_aside_and_a_new_one_started(tmp_path, caplog):
    path = tmp_path / "sessions.db"
    path.write_bytes(b"this is not a database" * 100)
    sessions = Sessions(Database(path))
    state = sessions.get(None, "phones")
    sessions.save(state)
    assert Sessions(Database(path)).find(state.session_id) is not None
    assert len(list(tmp_path.glob("sessions.db.corrupt-*"))) == 1
    assert "corrupted" in caplog.text


def test_a_locked_database_keeps_sessions_in_memory_and_recovers(tmp_path, caplog):
    path = tmp_path / "sessions.db"
    db = Database(path, timeout=0.1)
    sessions = Sessions(db)
    first = sessions.get("a", "phones")
    sessions.save(first)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        state = sessions.get("a", "phones")
        state.need.wants.append("still here")
        sessions.save(state)  # fails to write, does not raise
        assert "locked" in db.error
        assert sessions.find("a").need.wants == ["still here"]
    finally:
        holder.rollback()
        holder.close()
    sessions.save(state)
    assert db.error == ""
    assert Sessions(Database(path)).find("a").need.wants == ["still here"]


def test_an_unreadable_stored_session_starts_afresh(tmp_path):
    path = tmp_path / "s.db"
    db = Database(path)
    db.run("plant", lambda c: c.execute(
        text("INSERT INTO sessions VALUES ('bad', 'phones', '{not json', 0)")))  # fmt: skip
    assert Sessions(db).find("bad") is None
    assert Sessions(db).get("bad", "phones").need.wants == []


def test_feedback_is_exported_as_an_interactions_file_the_next_ingest_reads(tmp_path, database_url):
    log = EventLog(Database(database_url))
    log.record("s1", "phones", ["a", "b"], "shown")
    log.record("s1", "phones", ["a"], "like")
    log = EventLog(Database(database_url))  # another process logs the second session
    log.record("s2", "phones", ["a", "c"], "shown")
    log.record("s2", "phones", ["c"], "click")
    log.record("s2", "phones", ["b"], "dislike")
    log.record("s3", "ikea", ["x"], "like")
    rows = log.export("phones")
    assert [(r["session"], r["item"], r["event"]) for r in rows][:3] == [
        ("s1", "a", "shown"), ("s1", "b", "shown"), ("s1", "a", "like")]  # fmt: skip
    assert all(r["item"] != "x" for r in rows)
    path = tmp_path / "events.jsonl"
    path.write_text(log.export_jsonl("phones"))
    priors = learn_priors(path, {"a", "b", "c"})
    assert priors.events == 7 and not priors.skipped
    # being shown is no signal; a like counts more than a click; a dislike nothing
    assert priors.popularity["a"] > priors.popularity["c"] > 0
    assert "b" not in priors.popularity


def test_a_state_round_trips_through_json():
    state = DialogueState(catalog="phones")
    state.need.want_value("brand", "Apple", replace=False)
    assert DialogueState.model_validate_json(state.model_dump_json()) == state
