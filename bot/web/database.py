"""The database behind sessions, the feedback log and handoffs, given by a SQLAlchemy URL:
SQLite (a file under the data directory, the embedded default) or PostgreSQL (shared by several
app processes). A database that cannot be used (corrupted, locked, read-only, down) never takes
the app down: a corrupted SQLite file is moved aside and a new one started; while the database
cannot be written, callers fall back (sessions live on in memory) and each failure is logged
once. RELIABILITY.md lists the cases and their tests."""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

log = logging.getLogger("concierge.sessions")
T = TypeVar("T")

metadata = MetaData()
_Serial = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid must be INTEGER
sessions_table = Table(
    "sessions", metadata,
    Column("id", Text, primary_key=True),
    Column("catalog", Text, nullable=False),
    Column("state", Text, nullable=False),  # the DialogueState as JSON
    Column("updated", Float, nullable=False),  # when it was saved: a cached copy's version
)  # fmt: skip
events_table = Table(
    "events", metadata,
    Column("n", _Serial, primary_key=True, autoincrement=True),
    Column("session", Text, nullable=False),
    Column("catalog", Text, nullable=False),
    Column("item", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("at", Float, nullable=False),
    # who sent it, hashed: "address:<hash>" or "key:<hash>" (empty in logs made before)
    Column("client", Text, nullable=False, server_default=""),
    Index("events_catalog", "catalog", "n"),
    Index("events_session", "session"),
    sqlite_autoincrement=True,
)  # fmt: skip
exclusions_table = Table(  # items a shop keeps out of learning (out of stock, sponsored)
    "learning_exclusions", metadata,
    Column("catalog", Text, primary_key=True),
    Column("item", Text, primary_key=True),
)  # fmt: skip
handoffs_table = Table(
    "handoffs", metadata,
    Column("n", _Serial, primary_key=True, autoincrement=True),
    Column("session", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("body", Text, nullable=False),  # the handoff as JSON
    sqlite_autoincrement=True,
)  # fmt: skip


def database_url(url: str | Path | None) -> str:
    """A SQLAlchemy URL from a URL, a SQLite file's path, or None (SQLite in memory)."""
    if url is None:
        return "sqlite://"
    if isinstance(url, Path):
        return f"sqlite:///{url}"
    if url.startswith(("postgres://", "postgresql://")):  # psycopg 3, not SQLAlchemy's psycopg2
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """One connection pool shared by the app's threads, opened at first use."""

    def __init__(self, url: str | Path | None, timeout: float = 2.0) -> None:
        self.url = make_url(database_url(url))
        self.timeout = timeout  # how long to wait for a lock (SQLite) or a connection
        self._lock = threading.Lock()  # one SQLite writer at a time within the process
        self._engine: Engine | None = None
        self.error = ""  # the last failure, for /healthz; empty while all is well

    @property
    def sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path | None:
        return Path(self.url.database) if self.sqlite and self.url.database else None

    def _open(self) -> Engine:
        if self._engine is not None:
            return self._engine
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = self._create()
        except DatabaseError as err:
            if self.path is None or not _corrupted(err):
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.rename(aside)
            log.error("session database %s was corrupted (%s); moved to %s", self.path,
                      _reason(err), aside)  # fmt: skip
            engine = self._create()
        self._engine = engine
        return engine

    def _create(self) -> Engine:
        if self.sqlite:
            engine = create_engine(
                self.url,
                connect_args={"timeout": self.timeout, "check_same_thread": False},
                poolclass=StaticPool,  # one connection, used under self._lock
            )
            event.listen(engine, "connect", _sqlite_wal)
        else:
            engine = create_engine(
                self.url,
                connect_args={"connect_timeout": max(1, round(self.timeout))},
                pool_pre_ping=True,  # a restarted server costs one reconnect, not an error
                pool_size=4,
                max_overflow=4,
            )
        try:
            metadata.create_all(engine)
            _add_missing_columns(engine)
        except SQLAlchemyError:
            engine.dispose()
            raise
        return engine

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection in one transaction."""
        with self._lock if self.sqlite else contextlib.nullcontext():
            engine = self._open()
            with engine.begin() as conn:
                yield conn

    def run(self, what: str, work: Callable[[Connection], T], default: Any = None) -> T | Any:
        """work(conn) in a transaction; on a database failure, log it and return default."""
        try:
            with self.connection() as conn:
                result = work(conn)
        except SQLAlchemyError as err:
            reason = f"{what}: {_reason(err)}"
            if reason != self.error:
                log.error("session database: %s failed", reason)
            self.error = reason
            return default
        self.error = ""
        return result

    def delete(self, what: str, statement: Any) -> int:
        """Run a DELETE; the rows it deleted (0 when the database failed, logged)."""
        return int(self.run(what, lambda c: c.execute(statement).rowcount, default=0))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def upsert(self, table: Table, row: dict[str, Any]) -> Any:
        """An insert that replaces the row with the same primary key."""
        if self.sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        keys = [c.name for c in table.primary_key]
        statement = insert(table).values(**row)
        changes = {k: v for k, v in row.items() if k not in keys}
        return statement.on_conflict_do_update(index_elements=keys, set_=changes)


def _add_missing_columns(engine: Engine) -> None:
    """Columns added since a table was first made (create_all makes only missing tables)."""
    have = {c["name"] for c in inspect(engine).get_columns("events")}
    if "client" not in have:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE events ADD COLUMN client TEXT NOT NULL DEFAULT ''"))


def _sqlite_wal(conn: Any, _record: Any) -> None:
    conn.execute("PRAGMA journal_mode=WAL")


def _reason(err: SQLAlchemyError) -> str:
    """The driver's own words ("database is locked"), without the SQL and the help link."""
    return str(getattr(err, "orig", None) or err).strip().splitlines()[0]


def _corrupted(err: SQLAlchemyError) -> bool:
    reason = _reason(err)
    return "not a database" in reason or "malformed" in reason
