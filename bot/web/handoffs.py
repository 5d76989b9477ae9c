"""Handoffs to a person: kept in the database, where every app process's are (listed by the
admin API and `concierge export-handoffs`), and POSTed as JSON to the desk's webhook when one is
configured (in the background, so a slow desk never holds up the chat). While the database
cannot be written, a handoff is appended to a JSONL file instead: none is lost."""

import json
import logging
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from bot.web.database import Database, handoffs_table

log = logging.getLogger("concierge.support")


class Handoffs:
    def __init__(self, database: Database, webhook: str | None = None,
                 spill: Path | None = None) -> None:  # fmt: skip
        self.db = database
        self.webhook = webhook
        self.spill = spill
        self._lock = threading.Lock()

    def deliver(self, handoff: dict[str, Any]) -> None:
        record = {"at": time.time(), **handoff}
        row = {"session": str(handoff.get("session_id", "")), "at": record["at"],
               "body": json.dumps(record)}  # fmt: skip

        def write(conn: Connection) -> bool:
            conn.execute(insert(handoffs_table), row)
            return True

        if not self.db.run("log handoff", write, default=False) and self.spill is not None:
            with self._lock:
                self.spill.parent.mkdir(parents=True, exist_ok=True)
                with self.spill.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
        if self.webhook:
            threading.Thread(target=self._post, args=(record,), daemon=True).start()

    def since(self, at: float = 0.0) -> list[dict[str, Any]]:
        """The handoffs made after `at` (seconds since the epoch), oldest first."""
        t = handoffs_table
        query = select(t.c.body).where(t.c.at > at).order_by(t.c.n)
        rows = self.db.run("read handoffs", lambda c: c.execute(query).all(), default=[])
        return [json.loads(body) for (body,) in rows]

    def forget_session(self, session: str) -> int:
        t = handoffs_table
        return self.db.delete("delete handoffs", delete(t).where(t.c.session == session))

    def drop_before(self, at: float) -> int:
        return self.db.delete("drop old handoffs", delete(handoffs_table).where(
            handoffs_table.c.at < at))  # fmt: skip

    def _post(self, record: dict[str, Any]) -> None:
        request = urllib.request.Request(
            str(self.webhook), json.dumps(record).encode(), {"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except OSError as err:
            log.error("handoff webhook failed (%s); the handoff is kept in the database", err)
